/**
 * Guest Screen: a webview panel with the VGA text buffer (faultline/screen), refreshed at stops and on the
 * adapter's faultline/screenChanged event while running (at most every 200 ms).
 */
import * as vscode from 'vscode';
import type { ScreenResponseBody } from '../../debug-adapter/protocol';
import { renderScreenHtml } from './render';

export class GuestScreen {
  private panel?: vscode.WebviewPanel;
  private session?: vscode.DebugSession;
  private pending?: NodeJS.Timeout;
  private lastUpdate = 0;

  show(session: vscode.DebugSession | undefined): void {
    if (!this.panel) {
      this.panel = vscode.window.createWebviewPanel('faultline.screen', 'Guest Screen', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, { enableScripts: false });
      this.panel.onDidDispose(() => { this.panel = undefined; });
      this.panel.webview.html = page('<div class="msg">Waiting for a Faultline session…</div>');
    } else {
      this.panel.reveal(undefined, true);
    }
    if (session) void this.update(session);
  }

  /** Called on stops and screen-changed events; throttled so a busy guest does not flood the webview. */
  changed(session: vscode.DebugSession): void {
    if (!this.panel) return;
    const wait = 200 - (Date.now() - this.lastUpdate);
    if (wait <= 0) { void this.update(session); return; }
    if (!this.pending) this.pending = setTimeout(() => { this.pending = undefined; void this.update(session); }, wait);
  }

  async update(session: vscode.DebugSession): Promise<void> {
    this.session = session;
    this.lastUpdate = Date.now();
    if (!this.panel) return;
    try {
      const body = (await session.customRequest('faultline/screen', {})) as ScreenResponseBody;
      if (this.panel && this.session === session) this.panel.webview.html = page(renderScreenHtml(body));
    } catch (e) {
      if (this.panel) this.panel.webview.html = page(`<div class="msg">${String(e instanceof Error ? e.message : e)}</div>`);
    }
  }

  ended(session: vscode.DebugSession): void {
    if (this.session === session && this.panel) {
      this.panel.title = 'Guest Screen (session ended)';
    }
  }
}

function page(inner: string): string {
  return `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline';">
<style>
  body { margin: 0; padding: 12px; background: var(--vscode-editor-background); }
  .screen { display: inline-block; background: #000; padding: 6px; font: 16px/1.15 'DejaVu Sans Mono', Consolas, monospace; white-space: pre; }
  .row { height: 1.15em; }
  .cursor { text-decoration: underline; animation: blink 1s step-start infinite; }
  @keyframes blink { 50% { text-decoration: none; } }
  .msg { color: var(--vscode-foreground); font-family: var(--vscode-font-family); }
</style></head><body><div class="screen">${inner}</div></body></html>`;
}
