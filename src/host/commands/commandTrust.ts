// Which commands need a trusted workspace (issue 13 §3), as plain data the tests can read. A command
// that runs the trainer on the workspace's files — training, and reading models or run files to evaluate
// or classify — is refused in Restricted Mode. The others work there because they cannot reach outside
// the roots: the reasons are listed with them.
import { COMMANDS, type CommandId } from '../ids';

/** Commands refused in Restricted Mode, with the action named in the refusal. */
export const TRUSTED_COMMANDS: Readonly<Partial<Record<CommandId, string>>> = {
  [COMMANDS.train]: 'Training',
  [COMMANDS.newTraining]: 'Training',
  [COMMANDS.rerunWithChanges]: 'Training',
  [COMMANDS.resume]: 'Resuming a run',
  [COMMANDS.runSweep]: 'Running a sweep',
  [COMMANDS.evaluateRun]: 'Evaluating a run (it loads the run’s model)',
  [COMMANDS.classifyImage]: 'Classifying an image (it loads a run’s model)',
  [COMMANDS.exportModel]: 'Exporting a model (it loads the run’s model and writes files)',
};

/** Commands that stay available in Restricted Mode, and why they cannot read or write outside the roots. */
export const RESTRICTED_MODE_COMMANDS: Readonly<Partial<Record<CommandId, string>>> = {
  [COMMANDS.openDashboard]:
    'reads run files through the confined run store; the dashboard opens images only under folders the user chose and moves none',
  [COMMANDS.compareRuns]: 'opens the same read-only dashboard on the compare page',
  [COMMANDS.deleteRun]:
    'moves a run folder under the runs folder (inside the workspace in Restricted Mode) to the trash, under its writer lock',
  [COMMANDS.scanDataset]: 'lists and checks image headers of a data set the user picked; writes nothing',
  [COMMANDS.createSampleDataset]: 'writes generated images into a new folder inside the workspace',
  [COMMANDS.cancelQueuedRun]:
    'takes a waiting run out of this window’s queue (nothing is queued or started in Restricted Mode)',
  [COMMANDS.openClassGallery]:
    'shows thumbnails of a class folder inside a data set folder the user chose (thumbnails are written to the extension’s global storage); moving an image is refused in Restricted Mode',
  [COMMANDS.openDetectionGallery]:
    'reads the label files and image headers of a detection set the user chose and shows letterboxed pictures (written to the extension’s global storage); changes no file',
  [COMMANDS.openAnnotation]:
    'opens a label file, resolved inside a data set folder the user chose, in a text editor at a line',
  [COMMANDS.showFindingInGallery]: 'opens the detection gallery on a finding of a data set the user chose',
  [COMMANDS.inspectDetections]:
    'reads a run’s detections.json through its schema and shows pictures of images inside the run’s data set folder; loads no model',
  [COMMANDS.moveQueuedRunUp]: 'reorders this window’s queue; starts nothing',
  [COMMANDS.moveQueuedRunDown]: 'reorders this window’s queue; starts nothing',
  [COMMANDS.getPretrainedModel]:
    'downloads the base the user picks (or a URL or folder the user types) into the extension’s global storage; reads no workspace file',
  [COMMANDS.setUpNativeEngine]:
    'runs npm in the engine folder (global storage, or a machine setting Restricted Mode ignores in the workspace) for the package the user picks; reads no workspace file',
  [COMMANDS.showEngineStatus]:
    'loads the backend ladder from the bundle and the engine folder (never a workspace folder) and shows what it found; writes nothing',
};

/** The action to name when `command` is refused in Restricted Mode, or undefined when it is allowed. */
export function trustRequiredFor(command: CommandId): string | undefined {
  return Object.hasOwn(TRUSTED_COMMANDS, command) ? TRUSTED_COMMANDS[command] : undefined;
}
