// Which predictions of one image are right, which are false positives, and which ground-truth boxes were
// missed: the inspector's filters. The rule is the evaluation's (COCO-style, at one IoU threshold): going
// through predictions at or above the confidence threshold from the most confident down, each takes the
// unmatched ground-truth box of the same class with the highest IoU (the evaluation's boxIou), when that
// IoU is at least the threshold; otherwise it is a false positive. Truth boxes left unmatched are misses. Pure.
import type { BoxCorners } from '../../protocol/detection';
import { boxIou } from './nms';

export const DEFAULT_MATCH_IOU = 0.5;
export const DEFAULT_CONFIDENCE = 0.25;

export interface MatchTruth {
  label: string;
  box: BoxCorners;
}

export interface MatchPrediction extends MatchTruth {
  confidence: number;
}

export interface ImageMatch {
  /** Indices into `predicted` of the predictions shown at this threshold (confidence ≥ threshold). */
  shown: number[];
  /** prediction index → the truth index it matched. */
  matched: Map<number, number>;
  falsePositives: number[];
  /** Indices into `truth` no shown prediction matched. */
  misses: number[];
}

export function matchPredictions(
  truth: readonly MatchTruth[],
  predicted: readonly MatchPrediction[],
  confidenceThreshold: number,
  iouThreshold = DEFAULT_MATCH_IOU,
): ImageMatch {
  const shown = predicted
    .map((p, i) => ({ p, i }))
    .filter(({ p }) => p.confidence >= confidenceThreshold)
    // Stable on ties: the earlier prediction goes first, so the result does not depend on the sort.
    .sort((a, b) => b.p.confidence - a.p.confidence || a.i - b.i);
  const taken = new Set<number>();
  const matched = new Map<number, number>();
  const falsePositives: number[] = [];
  for (const { p, i } of shown) {
    let best = -1;
    let bestIou = iouThreshold;
    truth.forEach((t, j) => {
      if (taken.has(j) || t.label !== p.label) return;
      const iou = boxIou(p.box, t.box);
      if (iou >= bestIou && (best === -1 || iou > bestIou)) {
        best = j;
        bestIou = iou;
      }
    });
    if (best === -1) falsePositives.push(i);
    else {
      taken.add(best);
      matched.set(i, best);
    }
  }
  const misses = truth.map((_, j) => j).filter((j) => !taken.has(j));
  return {
    shown: shown.map(({ i }) => i).sort((a, b) => a - b),
    matched,
    falsePositives: falsePositives.sort((a, b) => a - b),
    misses,
  };
}
