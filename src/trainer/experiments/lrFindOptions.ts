// lr-find's options and defaults, apart from lrFind.ts so that the CLI's help shows them without TF.js.
export interface LrFindOptions {
  min: number;
  max: number;
  steps: number;
}

export const DEFAULT_LR_FIND: LrFindOptions = { min: 1e-6, max: 1, steps: 100 };
