/** GDT view: faultline/gdt → extension/views/model/gdt.ts. */
import * as vscode from 'vscode';
import type { GdtResponseBody } from '../../debug-adapter/protocol';
import { gdtNodes } from './model/gdt';
import { ViewNode } from './model/node';
import { FaultlineTree } from './tree';

export class GdtView extends FaultlineTree {
  constructor() { super('faultline.gdt', 'GDT'); }
  protected async load(session: vscode.DebugSession): Promise<ViewNode[]> {
    return gdtNodes((await session.customRequest('faultline/gdt', {})) as GdtResponseBody);
  }
}
