/**
 * Faultline's VS Code glue, web entry (package.json "browser", bundled to dist/web/extension.js for the
 * browser's worker extension host): the same views and commands as the desktop entry, the debug adapter
 * in-process with files through vscode.workspace.fs (web-adapter.ts).
 */
import * as vscode from 'vscode';
import { activateWith } from './activate';
import { WebAdapterFactory } from './web-adapter';

export function activate(context: vscode.ExtensionContext): void {
  activateWith(context, new WebAdapterFactory(context.extensionUri));
}

export function deactivate(): void {}
