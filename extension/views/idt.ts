/** IDT view: faultline/idt → extension/views/model/idt.ts. */
import * as vscode from 'vscode';
import type { IdtResponseBody } from '../../debug-adapter/protocol';
import { idtNodes } from './model/idt';
import { ViewNode } from './model/node';
import { FaultlineTree } from './tree';

export class IdtView extends FaultlineTree {
  constructor() { super('faultline.idt', 'IDT'); }
  protected async load(session: vscode.DebugSession): Promise<ViewNode[]> {
    return idtNodes((await session.customRequest('faultline/idt', {})) as IdtResponseBody);
  }
}
