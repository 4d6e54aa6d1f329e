/**
 * Guest Screen: a webview panel showing the guest's display on a canvas (every mode: VGA text and graphics,
 * VBE, multiboot framebuffers; frames from faultline/frame as PNG, fetched only when the adapter's frame
 * signature changed), refreshed at stops and on faultline/screenChanged while running (at most 10 frames a
 * second). It takes keyboard focus and sends key presses/releases (faultline/keyboard) and PS/2 mouse
 * movement (faultline/mouse) to the guest, with a hint when the guest has not enabled the keyboard interrupt.
 * Text mode without a VGA font falls back to HTML text (render.ts).
 */
import * as vscode from 'vscode';
import type { ScreenResponseBody } from '../../debug-adapter/protocol';
import { fromBase64, toBase64 } from '../../emulator/bytes';
import { renderScreenHtml } from './render';
import { screenPageHtml } from './webview';

interface FrameBody {
  unchanged?: boolean;
  available?: boolean;
  signature: number;
  width?: number;
  height?: number;
  mode?: string;
  unsupported?: string;
  png?: string;
  reason?: string;
}

const MODE_NAMES: Record<string, string> = { text: 'VGA text', graphics: 'VGA graphics', vbe: 'VBE linear framebuffer', blank: 'display blanked' };

export class GuestScreen {
  private panel?: vscode.WebviewPanel;
  private session?: vscode.DebugSession;
  private pending?: NodeJS.Timeout;
  private lastUpdate = 0;
  private known?: number;
  private running = true;
  private busy = false;

  show(session: vscode.DebugSession | undefined): void {
    if (!this.panel) {
      this.panel = vscode.window.createWebviewPanel('faultline.screen', 'Guest Screen', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
        { enableScripts: true, retainContextWhenHidden: true });
      this.panel.onDidDispose(() => { this.panel = undefined; });
      this.panel.webview.html = screenPageHtml(toBase64(crypto.getRandomValues(new Uint8Array(16))), this.panel.webview.cspSource);
      this.panel.webview.onDidReceiveMessage((m) => this.fromPage(m));
      this.known = undefined;
    } else {
      this.panel.reveal(undefined, true);
    }
    if (session) void this.update(session);
  }

  /** Called on stops and screen-changed events; throttled so a busy guest does not flood the webview. */
  changed(session: vscode.DebugSession): void {
    if (!this.panel) return;
    const wait = 100 - (Date.now() - this.lastUpdate);
    if (wait <= 0 && !this.busy) { void this.update(session); return; }
    if (!this.pending) this.pending = setTimeout(() => { this.pending = undefined; void this.update(session); }, Math.max(wait, 20));
  }

  /** The machine runs (true) or is stopped (false): the page says where typed keys go. */
  setRunning(session: vscode.DebugSession, running: boolean): void {
    if (this.session && this.session !== session) return;
    this.running = running;
    if (this.panel && this.session === session) void this.postStatus(session);
  }

  async update(session: vscode.DebugSession): Promise<void> {
    if (this.session !== session) {
      // A new session: it starts running, and the title loses the previous session's "(session ended)".
      this.known = undefined;
      this.running = true;
      if (this.panel) this.panel.title = 'Guest Screen';
    }
    this.session = session;
    this.lastUpdate = Date.now();
    if (!this.panel) return;
    this.busy = true;
    try {
      const f = (await session.customRequest('faultline/frame', { known: this.known })) as FrameBody;
      if (this.panel && this.session === session && !f.unchanged) {
        this.known = f.signature;
        if (f.available && f.png) {
          const label = `${MODE_NAMES[f.mode ?? ''] ?? f.mode} ${f.width}×${f.height}${f.unsupported ? ` — ${f.unsupported} is not drawn` : ''}`;
          void this.panel.webview.postMessage({ type: 'frame', png: f.png, width: f.width, height: f.height, label });
        } else {
          const body = (await session.customRequest('faultline/screen', {})) as ScreenResponseBody;
          void this.panel?.webview.postMessage({ type: 'text', html: renderScreenHtml(body), label: `VGA text 80×25 (${f.reason ?? 'as text'})` });
        }
      }
      await this.postStatus(session);
    } catch (e) {
      void this.panel?.webview.postMessage({ type: 'message', text: String(e instanceof Error ? e.message : e) });
    } finally {
      this.busy = false;
    }
  }

  ended(session: vscode.DebugSession): void {
    if (this.session === session && this.panel) {
      this.panel.title = 'Guest Screen (session ended)';
    }
  }

  /** Faultline: Save Guest Screenshot — the current frame as a PNG file. */
  async screenshot(session: vscode.DebugSession | undefined): Promise<void> {
    if (!session) { void vscode.window.showWarningMessage('Start a Faultline debug session first: the screenshot is of its guest screen.'); return; }
    const f = (await session.customRequest('faultline/frame', {})) as FrameBody;
    if (!f.available || !f.png) { void vscode.window.showWarningMessage(`No picture to save: ${f.reason ?? 'the display has no frame'}.`); return; }
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const uri = await vscode.window.showSaveDialog({
      defaultUri: folder ? vscode.Uri.joinPath(folder, `guest-screen-${Date.now()}.png`) : undefined, filters: { 'PNG image': ['png'] },
    });
    if (!uri) return;
    await vscode.workspace.fs.writeFile(uri, fromBase64(f.png));
    void vscode.window.showInformationMessage(`Guest screen saved to ${uri.fsPath} (${f.width}×${f.height}).`);
  }

  private async postStatus(session: vscode.DebugSession): Promise<void> {
    try {
      const st = (await session.customRequest('faultline/inputStatus', {})) as Record<string, boolean>;
      void this.panel?.webview.postMessage({ type: 'status', status: { ...st, running: this.running } });
    } catch {
      // the session is gone; the next update says so
    }
  }

  private fromPage(m: { type?: string; code?: string; down?: boolean; dx?: number; dy?: number; buttons?: number }): void {
    const s = this.session ?? vscode.debug.activeDebugSession;
    if (!s || s.type !== 'faultline') return;
    if (m.type === 'ready') { this.known = undefined; void this.update(s); return; }
    if (m.type === 'key' && typeof m.code === 'string') void s.customRequest('faultline/keyboard', { code: m.code, down: !!m.down }).then(undefined, () => {});
    if (m.type === 'mouse') void s.customRequest('faultline/mouse', { dx: m.dx ?? 0, dy: m.dy ?? 0, buttons: m.buttons ?? 0 }).then(undefined, () => {});
  }
}
