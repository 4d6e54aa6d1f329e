/**
 * `--serial stdio`: the process's terminal as COM1, as QEMU's `-serial stdio` (its "mux" escape) does. Stdin in
 * raw mode (when it is a terminal) so every key goes to the guest as typed: Ctrl-C interrupts the guest's
 * program, not Faultline. Escape character Ctrl-A: Ctrl-A X quits, Ctrl-A H prints the help, Ctrl-A Ctrl-A
 * sends one Ctrl-A. Output is the caller's (written as it comes, flushed every frame).
 *
 * Public API: StdioSerial (LiveInput: take, quit, wait; close), ESCAPE_HELP.
 */
import { LiveInput } from './interactive';

const CTRL_A = 0x01;

export const ESCAPE_HELP = '\r\nC-a h    print this help\r\nC-a x    exit faultline\r\nC-a C-a  send C-a\r\n';

export class StdioSerial implements LiveInput {
  private queue: number[] = [];
  private escape = false;
  private quitting = false;
  private waiter: (() => void) | undefined;
  private readonly wasRaw: boolean;
  private readonly onData = (chunk: Buffer) => this.feed(chunk);
  private readonly onEnd = () => { this.quitting = true; this.wake(); };

  constructor(private readonly stdin: NodeJS.ReadStream, private readonly say: (s: string) => void) {
    this.wasRaw = !!stdin.isRaw;
    if (stdin.isTTY) stdin.setRawMode(true);
    stdin.on('data', this.onData);
    stdin.on('end', this.onEnd);
    stdin.resume();
  }

  get quit(): boolean {
    return this.quitting;
  }

  take(): number[] {
    const q = this.queue;
    this.queue = [];
    return q;
  }

  wait(ms: number): Promise<void> {
    if (this.queue.length || this.quitting) return new Promise((r) => setImmediate(r));
    return new Promise((resolve) => {
      const t = setTimeout(() => { this.waiter = undefined; resolve(); }, ms);
      this.waiter = () => { clearTimeout(t); this.waiter = undefined; resolve(); };
    });
  }

  /** Bytes from the terminal: escape sequences handled, the rest queued for COM1. */
  feed(chunk: Uint8Array): void {
    for (const b of chunk) {
      if (this.quitting) break; // nothing after C-a x goes to the guest
      if (this.escape) {
        this.escape = false;
        if (b === 0x78 || b === 0x58) { this.quitting = true; this.say('\r\nfaultline: terminated by C-a x\r\n'); }
        else if (b === 0x68 || b === 0x48 || b === 0x3f) this.say(ESCAPE_HELP);
        else if (b === CTRL_A) this.queue.push(CTRL_A);
        else this.queue.push(CTRL_A, b);
      } else if (b === CTRL_A) {
        this.escape = true;
      } else {
        this.queue.push(b);
      }
    }
    this.wake();
  }

  close(): void {
    this.stdin.off('data', this.onData);
    this.stdin.off('end', this.onEnd);
    if (this.stdin.isTTY) this.stdin.setRawMode(this.wasRaw);
    this.stdin.pause();
  }

  private wake(): void {
    this.waiter?.();
  }
}
