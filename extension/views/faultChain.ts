/** Fault Chain view: faultline/faultChain → extension/views/model/faultChain.ts. */
import * as vscode from 'vscode';
import type { FaultChainResponseBody } from '../../debug-adapter/protocol';
import { faultChainNodes } from './model/faultChain';
import { ViewNode } from './model/node';
import { FaultlineTree } from './tree';

export class FaultChainView extends FaultlineTree {
  last?: FaultChainResponseBody;
  constructor() { super('faultline.faultChain', 'Fault Chain'); }
  protected async load(session: vscode.DebugSession): Promise<ViewNode[]> {
    this.last = (await session.customRequest('faultline/faultChain', {})) as FaultChainResponseBody;
    return faultChainNodes(this.last);
  }
  clear(): void { this.last = undefined; super.clear(); }
}
