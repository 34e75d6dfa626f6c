// The inference snippets written next to model.onnx: predict.mjs (onnxruntime-node + sharp, the trainer's
// own decoding) and predict.py (onnxruntime + Pillow + NumPy). Both print `PATH<TAB>LABEL<TAB>CONFIDENCE`
// per image. The preprocessing constants are the export's metadata, written as JSON literals that both
// languages read (tests parse them back and compare them with model.onnx's metadata_props).
import type { ResizeMode } from '../../protocol/config';
import type { ModelMetadata } from '../../protocol/runRecord';
import { sharpResizeOptions } from '../resizeMode';
import { ONNX_INPUT_NAME, ONNX_OUTPUT_NAME } from './onnxGraph';
import { PIXELS_FUNCTION, RUN_AS_SCRIPT } from '../experiments/snippet';

/** What both snippets (and metadata_props) say about the model's input. */
export interface SnippetPreprocessing {
  input: string;
  output: string;
  layout: 'NHWC';
  imageSize: number;
  channels: 1 | 3;
  resize: ResizeMode;
  scale: number;
  offset: number;
}

export function snippetPreprocessing(metadata: ModelMetadata, resize: ResizeMode): SnippetPreprocessing {
  const { imageSize, channels, scale, offset } = metadata.preprocessing;
  return {
    input: ONNX_INPUT_NAME,
    output: ONNX_OUTPUT_NAME,
    layout: 'NHWC',
    imageSize,
    channels,
    resize,
    scale,
    offset,
  };
}

/** The one normalisation line of predict.py (tests check it is present, and its arithmetic). */
export const PYTHON_NORMALISE_LINE =
  'return pixels.astype(np.float32) * np.float32(PREPROCESSING["scale"]) + np.float32(PREPROCESSING["offset"])';

/** JSON that is also a valid Python literal (no true/false/null in what we embed). */
function literal(value: unknown): string {
  return JSON.stringify(value);
}

export function onnxNodeSnippet(metadata: ModelMetadata, resize: ResizeMode): string {
  const pre = snippetPreprocessing(metadata, resize);
  return `// Classify images with model.onnx: npm install onnxruntime-node sharp, then node predict.mjs IMAGE...
// Prints PATH<TAB>LABEL<TAB>CONFIDENCE per image. Preprocessing recorded at training time (do not change it):
// EXIF orientation applied, transparency onto black, resize ${pre.imageSize}×${pre.imageSize} (${resize}),
// ${pre.channels === 1 ? 'greyscale' : 'RGB'}, pixel v (0..255) → v × ${pre.scale} + ${pre.offset}, NHWC float32.
import { realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';

const here = dirname(fileURLToPath(import.meta.url));
export const PREPROCESSING = ${literal(pre)};
// sharp.resize options of the resize mode above (the trainer's own table).
const RESIZE = ${literal(sharpResizeOptions(resize))};
export const LABELS = ${literal(metadata.labels)};

export function loadModel() {
  return ort.InferenceSession.create(join(here, 'model.onnx'));
}

${PIXELS_FUNCTION}
/** Probabilities per label for each file, in order. */
export async function classify(session, files) {
  const { imageSize, channels, input, output } = PREPROCESSING;
  const results = [];
  for (const file of files) {
    const tensor = new ort.Tensor('float32', await pixels(file), [1, imageSize, imageSize, channels]);
    const outputs = await session.run({ [input]: tensor });
    results.push({ file, probabilities: Array.from(outputs[output].data) });
  }
  return results;
}

${RUN_AS_SCRIPT}
if (runAsScript()) {
  const session = await loadModel();
  for (const { file, probabilities } of await classify(session, process.argv.slice(2))) {
    const best = probabilities.indexOf(Math.max(...probabilities));
    console.log(\`\${file}\\t\${LABELS[best]}\\t\${probabilities[best].toFixed(4)}\`);
  }
}
`;
}

export function onnxPythonSnippet(metadata: ModelMetadata, resize: ResizeMode): string {
  const pre = snippetPreprocessing(metadata, resize);
  return `"""Classify images with model.onnx: pip install onnxruntime pillow numpy, then python predict.py IMAGE...

Prints PATH<TAB>LABEL<TAB>CONFIDENCE per image. The preprocessing is the one recorded at training time:
EXIF orientation applied, transparency onto black, resize ${pre.imageSize}x${pre.imageSize} (${resize}),
${pre.channels === 1 ? 'greyscale' : 'RGB'}, pixel v (0..255) -> v * ${pre.scale} + ${pre.offset}, NHWC float32.
Pillow's resampling differs slightly from the trainer's (libvips), so confidences can differ in the last
digits from \`image-trainer predict\`; the model itself is the same.
"""
import os
import sys

import numpy as np
import onnxruntime as ort
from PIL import Image, ImageOps

PREPROCESSING = ${literal(pre)}
LABELS = ${literal(metadata.labels)}
HERE = os.path.dirname(os.path.abspath(__file__))


def load_image(path):
    """The decoded image, upright, without transparency, fitted into the square as in training."""
    size = PREPROCESSING["imageSize"]
    image = ImageOps.exif_transpose(Image.open(path))
    if image.mode in ("RGBA", "LA", "P", "PA"):
        image = image.convert("RGBA")
        background = Image.new("RGBA", image.size, (0, 0, 0, 255))
        image = Image.alpha_composite(background, image)
    image = image.convert("RGB")
    resize = PREPROCESSING["resize"]
    if resize == "crop":
        image = ImageOps.fit(image, (size, size), Image.LANCZOS, centering=(0.5, 0.5))
    elif resize == "pad":
        image = ImageOps.pad(image, (size, size), Image.LANCZOS, color=(0, 0, 0), centering=(0.5, 0.5))
    else:
        image = image.resize((size, size), Image.LANCZOS)
    return image.convert("L") if PREPROCESSING["channels"] == 1 else image


def normalise(pixels):
    """pixel v (0..255) -> v * scale + offset, in float32 as the trainer computes it."""
    ${PYTHON_NORMALISE_LINE}


def model_input(path):
    size, channels = PREPROCESSING["imageSize"], PREPROCESSING["channels"]
    pixels = np.asarray(load_image(path), dtype=np.uint8).reshape(1, size, size, channels)
    return normalise(pixels)


def main(paths):
    session = ort.InferenceSession(os.path.join(HERE, "model.onnx"), providers=["CPUExecutionProvider"])
    for path in paths:
        probabilities = session.run([PREPROCESSING["output"]], {PREPROCESSING["input"]: model_input(path)})[0][0]
        best = int(np.argmax(probabilities))
        print(f"{path}\\t{LABELS[best]}\\t{probabilities[best]:.4f}")


if __name__ == "__main__":
    main(sys.argv[1:])
`;
}
