// The defaults a detection run takes for the fields the user did not set: the classification defaults
// (64 px, no augmentation, constant rate) suit a classifier; a detector needs room for small boxes at
// stride 4, box-aware augmentation, and a decaying rate. Measured on the procedural set: bench/RESULTS.md.
import type { AugmentConfig, ScheduleConfig, TrainingConfig } from '../../protocol/config';

/** Translation comes with the zoom (a random crop-and-resize); rotation and the shifts are not used. */
export const DETECTION_AUGMENT: Readonly<AugmentConfig> = {
  rotation: 0,
  widthShift: 0,
  heightShift: 0,
  horizontalFlip: true,
  zoom: 0.3,
  brightness: 0.25,
};

export const DETECTION_SCHEDULE: Readonly<ScheduleConfig> = { type: 'cosine', minLearningRate: 1e-5 };

export const DETECTION_DEFAULTS = {
  imageSize: 128,
  epochs: 20,
  batchSize: 8,
  learningRate: 0.003,
  augment: DETECTION_AUGMENT,
  schedule: DETECTION_SCHEDULE,
} as const satisfies Partial<TrainingConfig>;

/**
 * Command-line overrides with the detection defaults added for every field that neither the overrides nor
 * the config file set.
 */
export function withDetectionDefaults(
  overrides: Readonly<Record<string, unknown>>,
  fileFields: readonly string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...overrides };
  for (const [field, value] of Object.entries(DETECTION_DEFAULTS)) {
    if (out[field] !== undefined || fileFields.includes(field)) continue;
    out[field] = structuredClone(value);
  }
  return out;
}
