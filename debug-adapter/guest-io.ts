/**
 * Talking to the guest through the debug adapter (issue 17): the serial terminal, the Guest Screen's keyboard
 * and mouse, and its frames. DAP custom requests in, custom events out; all device semantics are the
 * Runtime's (emulator/api.ts). Holds no x86.
 *
 * - faultline/serialInput { text } or { data: base64 }, optional port (1, or 2 with launch.json com2): bytes for COM1/COM2. faultline/keyboard { code, down }:
 *   a key by KeyboardEvent.code. faultline/mouse { dx, dy, dz?, buttons }. While the machine is stopped
 *   these queue and arrive when it runs again (so typing while paused, or after travelling back in time,
 *   does not fork the recorded history); while it runs they go in between two slices.
 * - faultline/serialOutput event { port: 1 | 2, data: base64 }: COM1's (COM2's) raw bytes, flushed after every run slice
 *   (25 ms) and at every stop, so a prompt printed just before the guest idles shows at once.
 * - faultline/frame { known? }: the display as PNG (base64) with its size, mode and signature; with
 *   `known` equal to the current signature the body says `unchanged` and carries no image (dirty tracking).
 * - faultline/inputStatus: whether typed keys reach the guest (IRQ1 enabled and unmasked), mouse reporting.
 * - faultline/screenChanged event: sent (at most every 100 ms) when the frame signature changed.
 */
import type { Runtime } from '../emulator/api';
import { fromBase64, toBase64 } from '../emulator/bytes';
import { encodePng } from '../emulator/png';

export const SCREEN_POLL_MS = 100;

type Pending =
  | { kind: 'serial'; bytes: number[]; port: 1 | 2 }
  | { kind: 'key'; code: string; down: boolean }
  | { kind: 'mouse'; dx: number; dy: number; dz: number; buttons: number };

export class InputError extends Error {}

export class GuestIo {
  private queue: Pending[] = [];
  /** Output gathered since the last flush, per port (index 1 = COM1, 2 = COM2). */
  private readonly out: number[][] = [[], [], []];
  private lastPoll = 0;
  private signature = -1;

  constructor(private readonly emit: (event: string, body: unknown) => void) {}

  /** A COM1 (or COM2) output byte (from the Runtime's 'serial' / 'serial2' events). */
  serialByte(b: number, port: 1 | 2 = 1): void {
    this.out[port].push(b);
  }

  /** Send each port's bytes gathered since the last flush as one faultline/serialOutput event. */
  flushSerial(): void {
    for (const port of [1, 2] as const) {
      if (!this.out[port].length) continue;
      const data = toBase64(Uint8Array.from(this.out[port]));
      this.out[port] = [];
      this.emit('faultline/serialOutput', { port, data });
    }
  }

  serialInput(rt: Runtime, running: boolean, a: { text?: unknown; data?: unknown; port?: unknown }, hasCom2 = false): { queued: boolean; bytes: number } {
    const port = a.port ?? 1;
    if (port !== 1 && port !== 2) throw new InputError("faultline/serialInput 'port' is 1 (COM1) or 2 (COM2)");
    if (port === 2 && !hasCom2) throw new InputError('this machine has no COM2: set "com2": true in launch.json');
    let bytes: number[];
    if (typeof a.text === 'string') bytes = [...new TextEncoder().encode(a.text)];
    else if (typeof a.data === 'string') {
      try { bytes = [...fromBase64(a.data)]; } catch { throw new InputError("faultline/serialInput 'data' is not base64"); }
    }
    else throw new InputError("faultline/serialInput needs 'text' (a string) or 'data' (base64 bytes)");
    return this.enqueue(rt, running, { kind: 'serial', bytes, port }, bytes.length);
  }

  keyboard(rt: Runtime, running: boolean, a: { code?: unknown; down?: unknown }): { queued: boolean; bytes: number } {
    if (typeof a.code !== 'string' || typeof a.down !== 'boolean') throw new InputError("faultline/keyboard needs 'code' (a KeyboardEvent.code such as \"KeyA\") and 'down' (true for press, false for release)");
    return this.enqueue(rt, running, { kind: 'key', code: a.code, down: a.down }, 1);
  }

  mouse(rt: Runtime, running: boolean, a: { dx?: unknown; dy?: unknown; dz?: unknown; buttons?: unknown }): { queued: boolean; bytes: number } {
    const n = (v: unknown, name: string, def?: number) => {
      if (v === undefined && def !== undefined) return def;
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError(`faultline/mouse: '${name}' must be a number`);
      return v;
    };
    return this.enqueue(rt, running, { kind: 'mouse', dx: n(a.dx, 'dx', 0), dy: n(a.dy, 'dy', 0), dz: n(a.dz, 'dz', 0), buttons: n(a.buttons, 'buttons', 0) }, 1);
  }

  /** The machine is about to run (resume, or between slices): deliver what was queued. */
  deliver(rt: Runtime): void {
    const q = this.queue;
    this.queue = [];
    for (const p of q) this.apply(rt, p);
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Between run slices: a faultline/screenChanged event when the picture changed (at most every 100 ms). */
  pollScreen(rt: Runtime, force: boolean): void {
    const now = Date.now();
    if (!force && now - this.lastPoll < SCREEN_POLL_MS) return;
    this.lastPoll = now;
    const sig = rt.frameSignature();
    if (sig === this.signature) return;
    this.signature = sig;
    this.emit('faultline/screenChanged', { instructionCount: rt.instructionCount, signature: sig });
  }

  frame(rt: Runtime, a: { known?: unknown }): Record<string, unknown> {
    const signature = rt.frameSignature();
    if (a.known === signature) return { unchanged: true, signature };
    const f = rt.frame();
    if (!f) return { available: false, signature, reason: 'text mode without a VGA font (install the seabios package)' };
    const png = encodePng(f.width, f.height, f.rgba, 1); // fastest deflate: the emulator waits while it runs
    return { available: true, signature, width: f.width, height: f.height, mode: f.mode, unsupported: f.unsupported, png: toBase64(png) };
  }

  private enqueue(rt: Runtime, running: boolean, p: Pending, count: number): { queued: boolean; bytes: number } {
    if (running) this.apply(rt, p);
    else this.queue.push(p);
    return { queued: !running, bytes: count };
  }

  private apply(rt: Runtime, p: Pending): void {
    if (p.kind === 'serial') rt.sendSerial(p.bytes, p.port);
    else if (p.kind === 'key') rt.sendKey(p.code, p.down);
    else rt.sendMouse(p.dx, p.dy, p.dz, p.buttons);
  }
}

