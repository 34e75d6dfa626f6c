// The detection inspector's host-side logic without vscode (issue 18): reads a detection run's
// `detections.json` through its schema (protocol/detectionGuards.ts), checks the folder it claims its
// images are in against the run's data set root, and then answers the webview: the images with truth and
// predictions by class index, and letterboxed pictures of the images it shows, each image checked to
// resolve inside that folder before it is read.
import { promises as fsp } from 'node:fs';
import { isInside, readJsonIfPresent, RunFileError } from '../../core/runFiles';
import { DEFAULT_CONFIDENCE, DEFAULT_MATCH_IOU } from '../../core/detection/predictionMatching';
import { DETECTION_RESULTS_FILE, type DetectionResultsFile } from '../../protocol/detection';
import { checkDetectionResults } from '../../protocol/detectionGuards';
import { assertNever } from '../../protocol/guards';
import { visibleText } from '../../protocol/displayText';
import {
  isInspectorToHost,
  type HostToInspector,
  type InspectorInit,
  type InspectorToHost,
} from '../../protocol/inspectorMessages';
import { type DashboardFs, resolveInsideRoot } from '../dashboard/datasetPaths';
import { PictureQueue } from '../gallery/pictureQueue';
import { messageOf } from '../util/errors';

export const INSPECTOR_PICTURE_SIZE = 384;
const PICTURE_BATCH = 8;

export type LoadedResults =
  { ok: true; results: DetectionResultsFile; realRoot: string } | { ok: false; problem: string };

/**
 * Reads `detections.json` of `runDir`. Its `root` is a claim: it must be the run's data set root or a
 * folder inside it (an evaluated split), real paths compared, or nothing in it is opened. The run's data
 * set root is read from run.json, so it is a claim too: `refuseRoot` (the dashboard's rule, a folder the
 * user chose and not the home folder, a disk root or a system folder) says why not, or null.
 */
export async function loadDetectionResults(
  runDir: string,
  datasetRoot: string,
  refuseRoot: (root: string) => Promise<string | null>,
): Promise<LoadedResults> {
  const refused = await refuseRoot(datasetRoot);
  if (refused !== null) return { ok: false, problem: `The run's data set folder is not opened: ${refused}.` };
  let results: DetectionResultsFile | null;
  try {
    results = await readJsonIfPresent(runDir, DETECTION_RESULTS_FILE, checkDetectionResults);
  } catch (error) {
    if (error instanceof RunFileError) return { ok: false, problem: `${error.message}.` };
    throw error;
  }
  if (!results)
    return {
      ok: false,
      problem: `This run has no ${DETECTION_RESULTS_FILE}: evaluate it (image-trainer evaluate ${runDir} DATA_DIR) to write one.`,
    };
  let realDataset: string;
  let realClaim: string;
  try {
    realDataset = await fsp.realpath(datasetRoot);
  } catch {
    return { ok: false, problem: `The run's data set folder ${datasetRoot} no longer exists.` };
  }
  try {
    realClaim = await fsp.realpath(results.root);
  } catch {
    return {
      ok: false,
      problem: `${DETECTION_RESULTS_FILE} names the folder ${results.root}, which does not exist.`,
    };
  }
  if (realClaim !== realDataset && !isInside(realDataset, realClaim))
    return {
      ok: false,
      problem: `${DETECTION_RESULTS_FILE} names the folder ${results.root}, which is not the run's data set ${datasetRoot} or inside it; its images are not opened.`,
    };
  return { ok: true, results, realRoot: realClaim };
}

/** The webview's view of the results: labels as indices (truth's and predictions' together). */
export function inspectorInit(
  runId: string,
  results: DetectionResultsFile,
  pictureSize: number,
): InspectorInit {
  const labels: string[] = [];
  const indexOf = new Map<string, number>();
  const classIndex = (label: string): number => {
    let i = indexOf.get(label);
    if (i === undefined) {
      i = labels.length;
      labels.push(label);
      indexOf.set(label, i);
    }
    return i;
  };
  const images = results.images.map((image, index) => ({
    index,
    path: image.path,
    width: image.width,
    height: image.height,
    truth: image.truth.map((t) => ({ classIndex: classIndex(t.label), box: t.box })),
    predicted: image.predicted.map((p) => ({
      classIndex: classIndex(p.label),
      confidence: p.confidence,
      box: p.box,
    })),
  }));
  return {
    runId,
    source: results.source,
    labels,
    confidenceFloor: results.confidenceFloor,
    confidence: Math.max(DEFAULT_CONFIDENCE, results.confidenceFloor),
    iouThreshold: DEFAULT_MATCH_IOU,
    pictureSize,
    images,
  };
}

export interface InspectorEffects {
  post(message: HostToInspector): void;
  load(): Promise<LoadedResults>;
  /** A letterboxed (`pad`) square picture of the image: its webview URI. */
  picture(absolutePath: string, size: number): Promise<string>;
  openFile(absolutePath: string): Promise<void>;
  fs: DashboardFs;
  log(line: string): void;
}

export class InspectorController {
  private loaded: Promise<LoadedResults> | null = null;
  private readonly made: PictureQueue;

  constructor(
    private readonly runId: string,
    private readonly effects: InspectorEffects,
  ) {
    this.made = new PictureQueue({
      batchSize: PICTURE_BATCH,
      make: (index) => this.picture(index),
      post: (pictures) => this.effects.post({ type: 'inspectorPictures', pictures }),
    });
  }

  dispose(): void {
    this.made.dispose();
  }

  async handle(raw: unknown): Promise<void> {
    if (!isInspectorToHost(raw)) {
      this.effects.log('[inspector] ignored a malformed message from the inspector');
      return;
    }
    try {
      await this.dispatch(raw);
    } catch (error) {
      this.notice(`Inspector: ${messageOf(error)}`);
    }
  }

  private notice(message: string): void {
    const shown = visibleText(message);
    this.effects.log(`[inspector] ${shown}`);
    this.effects.post({ type: 'inspectorNotice', level: 'error', message: shown });
  }

  private load(): Promise<LoadedResults> {
    this.loaded ??= this.effects.load();
    return this.loaded;
  }

  private async dispatch(message: InspectorToHost): Promise<void> {
    switch (message.type) {
      case 'ready': {
        const loaded = await this.load();
        if (!loaded.ok) {
          this.effects.log(`[inspector] ${loaded.problem}`);
          this.effects.post({ type: 'inspectorInit', init: null, problem: visibleText(loaded.problem) });
          return;
        }
        this.effects.post({
          type: 'inspectorInit',
          init: inspectorInit(this.runId, loaded.results, INSPECTOR_PICTURE_SIZE),
          problem: null,
        });
        return;
      }
      case 'requestPictures': {
        const known = message.indices.filter((i) => this.made.has(i));
        if (known.length > 0)
          this.effects.post({
            type: 'inspectorPictures',
            pictures: known.map((index) => ({ index, uri: this.made.get(index) ?? '' })),
          });
        this.made.putFirst(message.indices);
        await this.made.run();
        return;
      }
      case 'openImage': {
        const file = await this.imageFile(message.index);
        if ('problem' in file) return this.notice(`Cannot open the image: ${file.problem}.`);
        await this.effects.openFile(file.absolute);
        return;
      }
      default:
        assertNever(message);
    }
  }

  /** The image at `index`, resolved inside the checked root; or why not. */
  private async imageFile(index: number): Promise<{ absolute: string } | { problem: string }> {
    const loaded = await this.load();
    if (!loaded.ok) return { problem: loaded.problem };
    const image = loaded.results.images[index];
    if (!image) return { problem: `there is no image ${index + 1} in ${DETECTION_RESULTS_FILE}` };
    const check = await resolveInsideRoot(this.effects.fs, loaded.realRoot, image.path);
    return check.ok ? { absolute: check.absolute } : { problem: check.reason };
  }

  /** The picture of the image at `index`, '' when it cannot be made. */
  private async picture(index: number): Promise<string> {
    const file = await this.imageFile(index);
    if ('problem' in file) {
      this.effects.log(`[inspector] no picture: ${file.problem}`);
      return '';
    }
    return this.effects.picture(file.absolute, INSPECTOR_PICTURE_SIZE).catch((error: unknown) => {
      this.effects.log(`[inspector] no picture for ${file.absolute}: ${messageOf(error)}`);
      return '';
    });
  }
}
