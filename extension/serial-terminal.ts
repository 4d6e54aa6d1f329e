/**
 * COM1 as a VS Code terminal: a Pseudoterminal opened with each Faultline session (launch.json
 * `serialTerminal`, default true); COM2 (launch.json `com2`) gets its own terminal when the guest first sends on it. The adapter's faultline/serialOutput events (raw bytes, after every run
 * slice) are written to it with the guest's ANSI/VT100 sequences left for the terminal to render; \n becomes
 * \r\n as a Unix tty's OPOST does for QEMU's -serial stdio. Keystrokes and pastes go back through
 * faultline/serialInput (UTF-8); the adapter queues what is typed while the machine is stopped. The Debug
 * Console keeps the plain log. The terminal stays open after the session ends (its text is the record).
 */
import * as vscode from 'vscode';
import { fromBase64 } from '../emulator/bytes';

interface Entry {
  write: vscode.EventEmitter<string>;
  terminal: vscode.Terminal;
  decoder: InstanceType<typeof TextDecoder>;
  open: boolean;
  ended: boolean;
  /** Output before VS Code opened the terminal (writes before open() are dropped). */
  early: string;
  /** The session typed input goes to (changes when an ended terminal is reused). */
  session: vscode.DebugSession;
  port: 1 | 2;
}

const key = (session: vscode.DebugSession, port: 1 | 2) => `${session.id}#${port}`;

export class SerialTerminals implements vscode.DebugAdapterTrackerFactory {
  private readonly entries = new Map<string, Entry>();

  createDebugAdapterTracker(session: vscode.DebugSession): vscode.DebugAdapterTracker {
    // The tracker exists before the adapter's first message (the guest may print before
    // onDidStartDebugSession fires): open the terminal now so no output is lost.
    this.started(session);
    return {
      onDidSendMessage: (m: { type?: string; event?: string; body?: { data?: string; port?: number } }) => {
        if (m.type === 'event' && m.event === 'faultline/serialOutput' && typeof m.body?.data === 'string') this.output(session, m.body.port === 2 ? 2 : 1, m.body.data);
      },
    };
  }

  /** A Faultline session started: open its COM1 terminal (unless launch.json says serialTerminal: false). */
  started(session: vscode.DebugSession, port: 1 | 2 = 1): void {
    if (session.configuration.serialTerminal === false || this.entries.has(key(session, port))) return;
    // The same configuration again: reuse its ended terminal (still open) instead of adding another.
    const name = `COM${port}: ${session.name}`;
    for (const [id, old] of this.entries) {
      if (old.ended && old.open && old.terminal.name === name) {
        this.entries.delete(id);
        old.ended = false;
        old.decoder = new TextDecoder('utf-8');
        this.entries.set(key(session, port), old);
        old.session = session;
        this.emit(old, '\r\n\x1b[2m[new Faultline session]\x1b[0m\r\n');
        old.terminal.show(true);
        return;
      }
    }
    const write = new vscode.EventEmitter<string>();
    const entry: Entry = { write, terminal: undefined as unknown as vscode.Terminal, decoder: new TextDecoder('utf-8'), open: false, ended: false, early: '', session, port };
    const pty: vscode.Pseudoterminal = {
      onDidWrite: write.event,
      open: () => {
        entry.open = true;
        if (entry.early) write.fire(entry.early);
        entry.early = '';
      },
      close: () => {
        entry.open = false;
        for (const [id, e] of this.entries) if (e === entry) this.entries.delete(id);
      },
      handleInput: (data: string) => {
        if (entry.ended) return;
        entry.session.customRequest('faultline/serialInput', { text: data, port: entry.port }).then(undefined, (e: Error) => write.fire(`\r\n[faultline: ${e.message}]\r\n`));
      },
    };
    entry.terminal = vscode.window.createTerminal({ name, pty, iconPath: new vscode.ThemeIcon('plug') });
    if (port === 1) entry.terminal.show(true);
    this.entries.set(key(session, port), entry);
  }

  ended(session: vscode.DebugSession): void {
    for (const port of [1, 2] as const) {
      const e = this.entries.get(key(session, port));
      if (!e || e.ended) continue;
      e.ended = true;
      this.emit(e, '\r\n\x1b[2m[Faultline session ended]\x1b[0m\r\n');
    }
  }

  /** The COM1 (or COM2) terminal of a session (tests, commands). */
  terminalOf(session: vscode.DebugSession, port: 1 | 2 = 1): vscode.Terminal | undefined {
    return this.entries.get(key(session, port))?.terminal;
  }

  private output(session: vscode.DebugSession, port: 1 | 2, base64: string): void {
    if (port === 2 && !this.entries.has(key(session, 2))) this.started(session, 2);
    const e = this.entries.get(key(session, port));
    if (!e) return;
    const text = e.decoder.decode(fromBase64(base64), { stream: true });
    this.emit(e, text.replace(/\n/g, '\r\n'));
  }

  private emit(e: Entry, text: string): void {
    if (e.open) e.write.fire(text);
    else e.early += text;
  }
}
