// Object detection in the editor (issue 18): the detection gallery of a data set, a finding's label file
// at its line, a finding shown in the gallery, and the inspector of a detection run's predictions.
import * as vscode from 'vscode';
import type { DetGalleryFocus } from '../../protocol/detectionGalleryMessages';
import type { DatasetTreeNode } from '../datasets/datasetsModel';
import type { HostServices } from '../hostServices';
import { COMMANDS } from '../ids';
import {
  openAnnotation,
  openDetectionGallery,
  openDetectionInspector,
  type DetectionPanelContext,
} from '../detection/detectionPanels';
import { datasetDirFromArg, pickRun, runFromArg } from './pickers';

function asNode(arg: unknown): DatasetTreeNode | undefined {
  return arg && typeof arg === 'object' && 'kind' in arg ? (arg as DatasetTreeNode) : undefined;
}

/** `imageTrainer.openDetectionGallery` takes a data set (node, Uri or path) and `{ className?, finding? }`. */
export function galleryFocusFromArg(arg: unknown): DetGalleryFocus {
  const record = arg && typeof arg === 'object' ? (arg as Record<string, unknown>) : {};
  return {
    className: typeof record.className === 'string' ? record.className : null,
    finding:
      typeof record.finding === 'number' && Number.isInteger(record.finding) && record.finding >= 0
        ? record.finding
        : null,
  };
}

export function registerDetectionCommands(
  services: HostServices,
  extensionUri: vscode.Uri,
  thumbnailDir: string,
): vscode.Disposable[] {
  const ctx: DetectionPanelContext = { extensionUri, services, thumbnailDir };
  return [
    vscode.commands.registerCommand(COMMANDS.openDetectionGallery, (arg?: unknown, focus?: unknown) => {
      const root = datasetDirFromArg(arg);
      if (root) return openDetectionGallery(ctx, root, galleryFocusFromArg(focus));
      return undefined;
    }),
    vscode.commands.registerCommand(
      COMMANDS.openAnnotation,
      (root?: unknown, file?: unknown, line?: unknown) => {
        if (typeof root !== 'string' || typeof file !== 'string') return undefined;
        const at = typeof line === 'number' && Number.isFinite(line) && line >= 1 ? line : 1;
        return openAnnotation(services, root, file, at);
      },
    ),
    vscode.commands.registerCommand(COMMANDS.showFindingInGallery, (arg?: unknown) => {
      const node = asNode(arg);
      if (node?.kind !== 'annotationFinding') return undefined;
      return openDetectionGallery(ctx, node.dataset.root, { className: null, finding: node.index });
    }),
    vscode.commands.registerCommand(COMMANDS.inspectDetections, async (arg?: unknown) => {
      const run =
        runFromArg(services, arg) ??
        (await pickRun(
          services,
          'Inspect Predictions of…',
          ['completed', 'stopped', 'interrupted'],
          'detect',
        ));
      if (run) openDetectionInspector(ctx, run);
    }),
  ];
}
