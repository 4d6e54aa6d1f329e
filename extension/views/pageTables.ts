/**
 * Page Tables view: the root table from faultline/pageTable, deeper levels fetched one at a time on expand,
 * and the last "Walk Address…" result on top (faultline/pageWalk).
 */
import * as vscode from 'vscode';
import type { PageTableArguments, PageTableResponseBody, PageWalkResponseBody } from '../../debug-adapter/protocol';
import { ViewNode } from './model/node';
import { pageTableNodes, pageWalkNodes, rootNode } from './model/pageTables';
import { FaultlineTree } from './tree';

export class PageTablesView extends FaultlineTree {
  private walk?: ViewNode;
  constructor() { super('faultline.pageTables', 'Page Tables'); }

  protected async load(session: vscode.DebugSession): Promise<ViewNode[]> {
    const root = (await session.customRequest('faultline/pageTable', {} satisfies PageTableArguments)) as PageTableResponseBody;
    const nodes = root.error || root.mode === 'none' ? pageTableNodes(root) : [rootNode(root)];
    return this.walk ? [this.walk, ...nodes] : nodes;
  }

  protected async loadChildren(session: vscode.DebugSession, n: ViewNode): Promise<ViewNode[]> {
    const args: PageTableArguments = { physAddr: n.lazy!.physAddr, level: n.lazy!.level, baseVirtual: n.lazy!.baseVirtual };
    return pageTableNodes((await session.customRequest('faultline/pageTable', args)) as PageTableResponseBody, n.id);
  }

  /** Walks `address`, shows the path on top of the tree, and returns the result. */
  async walkAddress(session: vscode.DebugSession, address: string): Promise<PageWalkResponseBody> {
    const w = (await session.customRequest('faultline/pageWalk', { address })) as PageWalkResponseBody;
    this.walk = pageWalkNodes(w);
    this.setRoots([this.walk, ...this.roots.filter((r) => !r.id.startsWith('walk/'))]);
    return w;
  }

  get walkNode(): ViewNode | undefined { return this.walk; }

  clear(): void { this.walk = undefined; super.clear(); }
}
