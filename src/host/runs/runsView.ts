// The Runs view: a thin vscode adapter over RunsModel, re-read whenever the runs watcher fires.
import * as vscode from 'vscode';
import { VIEWS } from '../ids';
import { toTreeItem } from '../treeItems';
import { presentRunNode, viewSignature, type RunsModel, type RunTreeNode } from './runsModel';
import type { RunsWatcher } from './runsWatcher';

export class RunsView implements vscode.TreeDataProvider<RunTreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RunTreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  readonly treeView: vscode.TreeView<RunTreeNode>;
  private readonly disposables: vscode.Disposable[] = [];
  private loaded = false;
  /** viewSignature of the rows last handed to VS Code. */
  private shown: string | null = null;

  constructor(
    readonly model: RunsModel,
    watcher: RunsWatcher,
  ) {
    this.treeView = vscode.window.createTreeView(VIEWS.runs, { treeDataProvider: this, canSelectMany: true });
    watcher.onDidChange(() => void this.refresh(), undefined, this.disposables);
    this.disposables.push(this.treeView, this.changed);
  }

  async refresh(): Promise<void> {
    await this.model.refresh();
    // The watcher fires on every metrics line; rows that would look the same are not redrawn.
    if (this.loaded && viewSignature(this.model.getChildren()) === this.shown) return;
    this.loaded = true;
    this.changed.fire(undefined);
  }

  getTreeItem(node: RunTreeNode): vscode.TreeItem {
    return toTreeItem(presentRunNode(node));
  }

  async getChildren(node?: RunTreeNode): Promise<RunTreeNode[]> {
    if (node) return [];
    if (!this.loaded) {
      await this.model.refresh();
      this.loaded = true;
    }
    const children = this.model.getChildren();
    this.shown = viewSignature(children);
    return children;
  }

  /** The runs selected in the view (for Compare). */
  selectedRunIds(): string[] {
    return this.treeView.selection.flatMap((n) => (n.kind === 'run' ? [n.run.id] : []));
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
