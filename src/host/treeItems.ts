// The one place where a NodePresentation becomes a vscode.TreeItem.
import * as vscode from 'vscode';
import { visibleNode, type NodePresentation } from './treePresentation';

const COLLAPSIBLE: Record<NodePresentation['collapsible'], vscode.TreeItemCollapsibleState> = {
  none: vscode.TreeItemCollapsibleState.None,
  collapsed: vscode.TreeItemCollapsibleState.Collapsed,
  expanded: vscode.TreeItemCollapsibleState.Expanded,
};

export function toTreeItem(node: NodePresentation): vscode.TreeItem {
  const p = visibleNode(node);
  const item = new vscode.TreeItem(p.label, COLLAPSIBLE[p.collapsible]);
  item.id = p.id;
  item.description = p.description;
  if (p.tooltip) item.tooltip = new vscode.MarkdownString(p.tooltip);
  if (p.icon)
    item.iconPath = new vscode.ThemeIcon(
      p.icon.id,
      p.icon.color ? new vscode.ThemeColor(p.icon.color) : undefined,
    );
  item.contextValue = p.contextValue;
  if (p.resourcePath) item.resourceUri = vscode.Uri.file(p.resourcePath);
  if (p.command) {
    // vscode.open wants a Uri, our plain models carry paths.
    const args =
      p.command.command === 'vscode.open'
        ? p.command.args.map((a) => (typeof a === 'string' ? vscode.Uri.file(a) : a))
        : p.command.args;
    item.command = { command: p.command.command, title: p.command.title, arguments: args };
  }
  return item;
}
