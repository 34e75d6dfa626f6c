// A picture of an image with boxes drawn over it, shared by the detection gallery and the inspector.
// The picture is the host's letterboxed (`pad`) square of `size` pixels; boxes come in original-image
// pixels and are placed with the same geometry (core/detection/boxDisplay.ts). Positions go through the
// CSSOM (the CSP forbids style attributes); colours come from the stylesheet's class slots, one set per
// theme, and truth and predictions differ by line style (solid, dashed), not by colour alone.
import type { BoxCorners } from '../../../src/protocol/detection';
import { boxOnPicture, classColourSlot, pictureTransform } from '../../../src/core/detection/boxDisplay';
import { el, setStyle } from '../dom';

export interface OverlayBox {
  box: BoxCorners;
  classIndex: number;
  /** Shown on the box: the class name, and the confidence for a prediction. */
  label: string;
  kind: 'truth' | 'predicted';
  /** Extra classes: `highlight` (a finding's box), `false-positive`, `miss`. */
  marks?: string[];
  testId?: string;
  /** Data attributes for tests and clicks (`data-box`, ...). */
  data?: Record<string, string>;
}

export interface PictureInput {
  src: string;
  alt: string;
  size: number;
  width: number;
  height: number;
  boxes: OverlayBox[];
  /** Draw labels (a thumbnail of 160 px has room for a few words, not for every box's text). */
  labels?: boolean;
}

/** Pixels above a box that its label needs (the stylesheet's .det-label line height). */
const LABEL_ROOM = 14;

export function pictureWithBoxes(doc: Document, input: PictureInput): HTMLElement {
  const frame = el(doc, 'div', { class: 'det-picture' });
  setStyle(frame, 'width', `${input.size}px`);
  setStyle(frame, 'height', `${input.size}px`);
  if (input.src) {
    const img = el(doc, 'img', {
      attrs: { src: input.src, width: input.size, height: input.size, alt: input.alt, decoding: 'async' },
    });
    frame.appendChild(img);
  } else frame.appendChild(el(doc, 'div', { class: 'thumb-placeholder', attrs: { 'aria-hidden': 'true' } }));
  const t = pictureTransform(input.width, input.height, input.size, input.size, 'pad');
  for (const b of input.boxes) {
    const at = boxOnPicture(b.box, t, input.size, input.size);
    if (!at) continue;
    // A box at the top edge has no room above it for its label: the label goes inside.
    const marks = [...(b.marks ?? []), ...(at.top < LABEL_ROOM ? ['label-inside'] : [])];
    const node = el(doc, 'div', {
      class: [
        'det-box',
        `det-${b.kind}`,
        `c${classColourSlot(b.classIndex)}`,
        ...marks,
        at.clipped ? 'clipped' : '',
      ]
        .filter(Boolean)
        .join(' '),
      attrs: {
        title: b.label,
        'data-testid': b.testId,
        'data-class': String(b.classIndex),
        ...Object.fromEntries(Object.entries(b.data ?? {}).map(([k, v]) => [`data-${k}`, v])),
      },
    });
    setStyle(node, 'left', `${at.left}px`);
    setStyle(node, 'top', `${at.top}px`);
    setStyle(node, 'width', `${at.width}px`);
    setStyle(node, 'height', `${at.height}px`);
    if (input.labels !== false) node.appendChild(el(doc, 'span', { class: 'det-label', text: b.label }));
    frame.appendChild(node);
  }
  return frame;
}
