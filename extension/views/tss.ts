/** TSS view: faultline/tss → extension/views/model/tss.ts. */
import * as vscode from 'vscode';
import type { TssResponseBody } from '../../debug-adapter/protocol';
import { ViewNode } from './model/node';
import { tssNodes } from './model/tss';
import { FaultlineTree } from './tree';

export class TssView extends FaultlineTree {
  constructor() { super('faultline.tss', 'TSS'); }
  protected async load(session: vscode.DebugSession): Promise<ViewNode[]> {
    return tssNodes((await session.customRequest('faultline/tss', {})) as TssResponseBody);
  }
}
