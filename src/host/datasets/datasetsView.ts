// The Datasets view: a thin vscode adapter over DatasetsModel, refreshed by a debounced file watcher.
import * as vscode from 'vscode';
import * as path from 'node:path';
import { VIEWS } from '../ids';
import { toTreeItem } from '../treeItems';
import { Debouncer } from '../util/debounce';
import { ALWAYS_EXCLUDED } from './datasetDetection';
import { presentDatasetNode, type DatasetsModel, type DatasetTreeNode } from './datasetsModel';

/** Counts follow the disk within about a second of a burst of changes. */
const REFRESH_DEBOUNCE_MS = 1000;

export class DatasetsView implements vscode.TreeDataProvider<DatasetTreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<DatasetTreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  readonly treeView: vscode.TreeView<DatasetTreeNode>;
  private readonly refresher: Debouncer;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(readonly model: DatasetsModel) {
    this.treeView = vscode.window.createTreeView(VIEWS.datasets, {
      treeDataProvider: this,
      showCollapseAll: true,
    });
    this.refresher = new Debouncer(() => void this.refresh(), REFRESH_DEBOUNCE_MS);
    // Creations and deletions (of images or whole folders) change counts; content changes do not.
    const watcher = vscode.workspace.createFileSystemWatcher('**/*', false, true, false);
    const onEvent = (uri: vscode.Uri): void => {
      if (!isIgnoredPath(uri.fsPath)) this.refresher.trigger();
    };
    watcher.onDidCreate(onEvent, undefined, this.disposables);
    watcher.onDidDelete(onEvent, undefined, this.disposables);
    this.disposables.push(this.treeView, this.changed, watcher, { dispose: () => this.refresher.dispose() });
  }

  async refresh(): Promise<void> {
    await this.model.refresh();
    this.changed.fire(undefined);
  }

  /** Re-renders without re-detecting (doctor state, paging). */
  rerender(): void {
    this.changed.fire(undefined);
  }

  getTreeItem(node: DatasetTreeNode): vscode.TreeItem {
    return toTreeItem(presentDatasetNode(node));
  }

  getChildren(node?: DatasetTreeNode): Promise<DatasetTreeNode[]> {
    return this.model.getChildren(node);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

function isIgnoredPath(fsPath: string): boolean {
  const parts = fsPath.split(path.sep);
  return parts.some((part) => (ALWAYS_EXCLUDED as readonly string[]).includes(part));
}
