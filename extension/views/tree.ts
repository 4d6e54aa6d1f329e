/**
 * The thin VS Code side of every Faultline tree: a TreeDataProvider over ViewNode (extension/views/model),
 * refreshed from the active debug session by SessionViews (extension/session.ts). Dimmed and marked rows get
 * their colour from a FileDecorationProvider keyed by a private URI scheme (TreeItem has no colour of its own).
 */
import * as vscode from 'vscode';
import { ViewNode, findNode, nodesToText } from './model/node';

export const DECORATION_SCHEME = 'faultline-node';

export abstract class FaultlineTree implements vscode.TreeDataProvider<ViewNode> {
  private readonly changed = new vscode.EventEmitter<ViewNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  protected roots: ViewNode[] = [];
  private readonly parents = new Map<ViewNode, ViewNode>();
  view?: vscode.TreeView<ViewNode>;

  constructor(readonly viewId: string, readonly title: string) {}

  /** Fetch this view's data from the session (custom requests) and turn it into nodes. */
  protected abstract load(session: vscode.DebugSession): Promise<ViewNode[]>;

  /** Children of a lazy node (page tables); the default has none. */
  protected async loadChildren(_session: vscode.DebugSession, _n: ViewNode): Promise<ViewNode[]> {
    return [];
  }

  session?: vscode.DebugSession;

  async refresh(session: vscode.DebugSession): Promise<void> {
    this.session = session;
    try {
      this.setRoots(await this.load(session));
    } catch (e) {
      this.setRoots([{ id: `${this.viewId}/error`, label: errorText(e), icon: 'error', iconColor: 'errorForeground', tooltip: errorText(e) }]);
    }
    if (this.view) this.view.message = undefined;
  }

  clear(): void {
    this.session = undefined;
    this.setRoots([]);
    if (this.view) this.view.message = undefined;
  }

  markRunning(): void {
    if (this.view && this.roots.length) this.view.message = 'Running: values from the last stop.';
  }

  protected setRoots(nodes: ViewNode[]): void {
    this.roots = nodes;
    this.parents.clear();
    this.indexParents(nodes, undefined);
    this.changed.fire(undefined);
  }

  private indexParents(nodes: ViewNode[], parent: ViewNode | undefined): void {
    for (const n of nodes) {
      if (parent) this.parents.set(n, parent);
      if (n.children) this.indexParents(n.children, n);
    }
  }

  get nodes(): readonly ViewNode[] {
    return this.roots;
  }

  find(id: string): ViewNode | undefined {
    return findNode(this.roots, id);
  }

  asText(): string {
    return `${this.title}\n` + nodesToText(this.roots);
  }

  getTreeItem(n: ViewNode): vscode.TreeItem {
    const hasChildren = (n.children && n.children.length > 0) || n.lazy;
    const state = !hasChildren ? vscode.TreeItemCollapsibleState.None
      : n.expanded ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed;
    const item = new vscode.TreeItem(n.label, state);
    item.id = n.id;
    item.description = n.description;
    item.tooltip = n.tooltip;
    item.contextValue = n.contextValue;
    if (n.icon) item.iconPath = new vscode.ThemeIcon(n.icon, n.iconColor ? new vscode.ThemeColor(n.iconColor) : undefined);
    if (n.dimmed || n.marked) {
      item.resourceUri = vscode.Uri.from({ scheme: DECORATION_SCHEME, path: '/' + n.id, query: n.dimmed ? 'dimmed' : 'marked' });
    }
    if (n.reveal) item.command = { command: 'faultline.revealAddress', title: 'Reveal', arguments: [n] };
    return item;
  }

  async getChildren(n?: ViewNode): Promise<ViewNode[]> {
    if (!n) return this.roots;
    if (n.children) return n.children;
    if (n.lazy && this.session) {
      try {
        n.children = await this.loadChildren(this.session, n);
      } catch (e) {
        n.children = [{ id: `${n.id}/error`, label: errorText(e), icon: 'error' }];
      }
      this.indexParents(n.children, n);
      return n.children;
    }
    return [];
  }

  getParent(n: ViewNode): ViewNode | undefined {
    return this.parents.get(n);
  }
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Greys out non-present entries and highlights the loaded-selector rows. */
export class NodeDecorations implements vscode.FileDecorationProvider {
  provideFileDecoration(uri: vscode.Uri): vscode.FileDecoration | undefined {
    if (uri.scheme !== DECORATION_SCHEME) return undefined;
    if (uri.query === 'dimmed') return { color: new vscode.ThemeColor('disabledForeground') };
    if (uri.query === 'marked') return { color: new vscode.ThemeColor('list.highlightForeground') };
    return undefined;
  }
}
