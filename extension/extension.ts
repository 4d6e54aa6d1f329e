/**
 * Faultline's VS Code glue, desktop entry (package.json "main"): the debug adapter runs as a Node process or
 * in-process (adapter.ts); everything else is wired in activate.ts, shared with the web entry (web.ts).
 */
import * as vscode from 'vscode';
import { activateWith } from './activate';
import { FaultlineAdapterFactory } from './adapter';

export function activate(context: vscode.ExtensionContext): void {
  activateWith(context, new FaultlineAdapterFactory(context));
}

export function deactivate(): void {}
