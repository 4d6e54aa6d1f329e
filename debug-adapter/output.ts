/**
 * The session's Debug Console output: the guest's serial (COM1) and debugcon bytes as plain text a line at a
 * time, COM2's lines prefixed [COM2], the faultline/screenChanged event (at most every SCREEN_EVENT_MS), and the
 * adapter's own log lines. The serial terminal's raw bytes go through guest-io.ts instead.
 */
import { Event, OutputEvent } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { Runtime } from '../emulator/api';
import { latin1Text } from '../emulator/bytes';
import { CustomEvent } from './protocol';

const SCREEN_EVENT_MS = 200;

export class ConsoleOutput {
  /** COM1 and debugcon bytes not yet sent. */
  private serial: number[] = [];
  /** COM2's current line (its terminal gets the raw bytes). */
  private com2Line: number[] = [];
  private screenDirty = false;
  private lastScreenEvent = 0;

  constructor(private readonly sendEvent: (event: DebugProtocol.Event) => void) {}

  /** A COM1 or debugcon byte; a newline sends the line. */
  serialByte(b: number): void {
    this.serial.push(b);
    if (b === 10) this.flushSerial();
  }

  /** A COM2 byte; a newline sends the line. */
  com2Byte(b: number): void {
    this.com2Line.push(b);
    if (b === 10) this.flushCom2Line();
  }

  /** Output is waiting (a line without its newline yet). */
  get pending(): boolean {
    return this.serial.length > 0 || this.com2Line.length > 0;
  }

  flushSerial(): void {
    this.flushCom2Line();
    if (!this.serial.length) return;
    const text = latin1Text(this.serial);
    this.serial = [];
    this.sendEvent(new OutputEvent(text, 'stdout'));
  }

  private flushCom2Line(): void {
    if (!this.com2Line.length) return;
    const text = latin1Text(this.com2Line);
    this.com2Line = [];
    this.sendEvent(new OutputEvent(`[COM2] ${text}${text.endsWith('\n') ? '' : '\n'}`, 'stdout'));
  }

  /** The guest drew on its screen. */
  screenChanged(): void {
    this.screenDirty = true;
  }

  /** Send screenChanged if the screen changed, at most every SCREEN_EVENT_MS unless `force`. */
  flushScreen(rt: Runtime | undefined, force: boolean): void {
    if (!this.screenDirty || !rt) return;
    const now = Date.now();
    if (!force && now - this.lastScreenEvent < SCREEN_EVENT_MS) return;
    this.screenDirty = false;
    this.lastScreenEvent = now;
    this.sendEvent(new Event(CustomEvent.screenChanged, { instructionCount: rt.instructionCount }));
  }

  log(text: string): void {
    this.sendEvent(new OutputEvent(text + '\n', 'console'));
  }
}
