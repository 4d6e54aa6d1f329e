/**
 * One gdb connection's commands over the runtime API (gdb manual, "Packets", "General Query Packets"):
 * registers, memory, breakpoints (Z0/Z1 → Machine breakpoints, which never patch guest memory),
 * watchpoints (Z2 write, Z3 read, Z4 access → Machine.setWatchpoints, the machine's data breakpoints), stepping and continuing (s, c, vCont; continuing runs in slices
 * so Ctrl-C and other packets are read in between), reverse execution (bs, bc → the history engine),
 * qXfer:features:read (target.ts) and qRcmd (monitor.ts). Bad input gets `E NN` or the empty reply, never a
 * throw: a handler error becomes E01 with the sentence logged.
 */
import type { StopInfo, WatchAccess, WatchSpec } from '../api';
import type { ElfFile } from '../boot';
import type { Machine } from '../machine';
import { CatchPolicy, monitorCommand } from './monitor';
import { fromHex, MAX_PACKET, toHex } from './packets';
import { readAll, registerBytes, writeRegister } from './registers';
import { exceptionLine, stopReply } from './stop-reply';
import { GdbArch, REGISTERS, targetXml } from './target';

/** Largest memory read answered in one packet (hex doubles it; the rest is framing). */
export const MAX_READ = (MAX_PACKET - 16) / 2;
/** Instructions per run slice while continuing: a few milliseconds, so Ctrl-C is noticed promptly. */
const SLICE = 1_000_000;

export interface SessionHost {
  /** Send one packet's payload. */
  send(payload: string): void;
  /** The debugger asked to end (k / vKill): the host closes everything. */
  kill(): void;
  /** The debugger detached (D): the host lets the machine run freely. */
  detach(): void;
  log(line: string): void;
}

/**
 * When another debugger (the DAP session, launch option gdbPort) shares the machine: it runs the machine
 * too, so gdb may look at any time but run it only while the other is stopped; its breakpoints and
 * exception filters stay in force, gdb's breakpoints act on the runs gdb starts, and it hears of those runs.
 */
export interface SharedControl {
  /** The other debugger is running the machine now. */
  busy(): boolean;
  /** Addresses the other debugger has breakpoints at (gdb never removes those). */
  keep(): Set<bigint>;
  /** gdb is about to run the machine. */
  resumed(): void;
  /** gdb's run (continue, step, reverse) stopped here. */
  stopped(stop: StopInfo): void;
}

export class GdbSession {
  readonly policy = new CatchPolicy();
  /** Breakpoints gdb inserted: address → kinds (a Z0 and a Z1 may share an address). */
  private breakpoints = new Map<bigint, Set<'swbreak' | 'hwbreak'>>();
  private watches: WatchSpec[] = [];
  private running = false;
  private interruptRequested = false;
  private lastStop: string;
  private readonly xml: string;

  constructor(private readonly m: Machine, private readonly arch: GdbArch, private readonly elf: ElfFile | undefined,
    private readonly host: SessionHost, private readonly shared?: SharedControl) {
    this.xml = targetXml(arch);
    this.lastStop = stopReply('attached', this.stopContext());
    if (!shared) m.shouldStopOnException = (ev) => this.policy.shouldStop(ev);
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Ctrl-C: stop at the next slice boundary. */
  interrupt(): void {
    if (this.running) this.interruptRequested = true;
  }

  /** The connection ended: drop what gdb inserted and stop deciding exception stops. */
  dispose(): void {
    this.interruptRequested = true;
    if (this.shared) { this.disarm(); return; }
    this.m.clearBreakpoints();
    this.m.setWatchpoints([]);
    this.m.shouldStopOnException = null;
  }

  /** Handle one packet; the reply is sent through the host (now, or when a continue stops). */
  handle(packet: string): void {
    let reply: string | undefined;
    try {
      reply = this.dispatch(packet);
    } catch (e) {
      this.host.log(`gdb packet '${packet.slice(0, 40)}' failed: ${(e as Error).message}`);
      reply = 'E01';
    }
    if (reply !== undefined) this.host.send(reply);
  }

  private dispatch(p: string): string | undefined {
    if (this.running) {
      // Only an interrupt is valid while the machine runs (gdb's all-stop mode); anything else waits.
      return 'E01';
    }
    const head = p[0];
    switch (head) {
      case '?': return this.lastStop;
      case 'g': return readAll(this.m, this.arch);
      case 'G': return this.writeAll(p.slice(1));
      case 'p': return this.readOne(p.slice(1));
      case 'P': return this.writeOne(p.slice(1));
      case 'm': return this.readMemory(p.slice(1));
      case 'M': return this.writeMemory(p.slice(1), 'hex');
      case 'X': return this.writeMemory(p.slice(1), 'binary');
      case 'Z': case 'z': return this.breakpoint(head === 'Z', p.slice(1));
      case 'c': case 'C': return this.resume('continue');
      case 's': case 'S': return this.resume('step');
      case 'b':
        if (p === 'bs') return this.reverse('step');
        if (p === 'bc') return this.reverse('continue');
        return '';
      case 'H': return this.selectThread(p);
      case 'T': { // thread alive?
        const id = parseInt(p.slice(1), 16);
        return id >= 1 && id <= this.m.cpuCount ? 'OK' : 'E01';
      }
      case 'D': this.dispose(); this.host.send('OK'); this.host.detach(); return undefined;
      case 'k': this.host.kill(); return undefined;
      case 'q': return this.query(p);
      case 'Q': return p === 'QStartNoAckMode' ? 'OK' : '';
      case 'v': return this.vPacket(p);
      default: return '';
    }
  }

  // ------------------------------------------------------------------------------------ queries
  private query(p: string): string {
    if (p.startsWith('qSupported')) {
      return `PacketSize=${MAX_PACKET.toString(16)};qXfer:features:read+;swbreak+;hwbreak+;ReverseStep+;ReverseContinue+;vContSupported+;QStartNoAckMode+`;
    }
    if (p.startsWith('qXfer:features:read:')) return this.features(p.slice('qXfer:features:read:'.length));
    if (p === 'qAttached') return '1';
    // One thread per CPU, ids 1..N (CPU 0 is thread 1); the current one is the CPU that stopped.
    if (p === 'qC') return `QC${(this.m.currentCpu + 1).toString(16)}`;
    if (p === 'qfThreadInfo') return `m${Array.from({ length: this.m.cpuCount }, (_, i) => (i + 1).toString(16).padStart(2, '0')).join(',')}`;
    if (p === 'qsThreadInfo') return 'l';
    if (p.startsWith('qThreadExtraInfo,')) {
      const id = parseInt(p.slice('qThreadExtraInfo,'.length), 16);
      return id >= 1 && id <= this.m.cpuCount ? toHex(Buffer.from(`CPU ${id - 1}`, 'latin1')) : 'E01';
    }
    if (p.startsWith('qSymbol')) return 'OK';
    if (p.startsWith('qRcmd,')) {
      const cmd = fromHex(p.slice(6));
      if (!cmd) return 'E01';
      const text = monitorCommand({ machine: this.m, elf: this.elf, policy: this.policy }, cmd.toString('latin1'));
      return toHex(Buffer.from(text, 'utf8'));
    }
    return '';
  }

  /** qXfer:features:read:ANNEX:OFFSET,LENGTH → m/l + a slice of target.xml. */
  private features(rest: string): string {
    const m = /^([^:]*):([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(rest);
    if (!m) return 'E01';
    if (m[1] !== 'target.xml') return 'E00';
    const off = parseInt(m[2], 16), len = Math.min(parseInt(m[3], 16), MAX_PACKET - 16);
    if (off > this.xml.length) return 'E01';
    const chunk = this.xml.slice(off, off + len);
    return (off + len >= this.xml.length ? 'l' : 'm') + chunk;
  }

  private vPacket(p: string): string | undefined {
    if (p === 'vCont?') return 'vCont;c;C;s;S';
    if (p.startsWith('vCont;')) {
      // One thread: the first action decides (gdb sends e.g. "vCont;s:1" or "vCont;c").
      const action = p.slice(6).split(';')[0].split(':')[0];
      if (action === 'c' || action[0] === 'C') return this.resume('continue');
      if (action === 's' || action[0] === 'S') return this.resume('step');
      return 'E01';
    }
    if (p === 'vKill' || p.startsWith('vKill;')) { this.host.send('OK'); this.host.kill(); return undefined; }
    return ''; // vMustReplyEmpty and every other v packet we do not support
  }

  // ---------------------------------------------------------------------------------- registers
  private readOne(arg: string): string {
    const n = parseHex(arg);
    const def = n === undefined ? undefined : REGISTERS[this.arch][n];
    if (!def) return 'E01';
    return toHex(registerBytes(this.m, this.m.state(), def));
  }

  private writeOne(arg: string): string {
    const m = /^([0-9a-fA-F]+)=([0-9a-fA-F]*)$/.exec(arg);
    const def = m ? REGISTERS[this.arch][parseInt(m[1], 16)] : undefined;
    const bytes = m ? fromHex(m[2]) : undefined;
    if (!def || !bytes) return 'E01';
    const err = writeRegister(this.m, this.m.state(), def, bytes);
    if (err) { this.host.log(err); return 'E01'; }
    return 'OK';
  }

  private writeAll(hex: string): string {
    const bytes = fromHex(hex);
    if (!bytes) return 'E01';
    const st = this.m.state();
    let off = 0;
    for (const def of REGISTERS[this.arch]) {
      const n = def.bits / 8;
      if (off + n > bytes.length) break;
      const err = writeRegister(this.m, st, def, bytes.subarray(off, off + n));
      if (err) { this.host.log(err); return 'E01'; }
      off += n;
    }
    return 'OK';
  }

  // ------------------------------------------------------------------------------------- memory
  private readMemory(arg: string): string {
    const m = /^([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(arg);
    if (!m || m[1].length > 16 || m[2].length > 8) return 'E01';
    const addr = BigInt('0x' + m[1]);
    const len = Math.min(parseInt(m[2], 16), MAX_READ);
    if (len === 0) return '';
    const r = this.m.readLinear(this.guestAddress(addr), len);
    if (r.readable === 0) return 'E14'; // EFAULT: nothing mapped at addr
    return toHex(r.data.subarray(0, r.readable)); // a short read is allowed: gdb asks again for the rest
  }

  private writeMemory(arg: string, encoding: 'hex' | 'binary'): string {
    const m = /^([0-9a-fA-F]+),([0-9a-fA-F]+):/s.exec(arg);
    if (!m || m[1].length > 16 || m[2].length > 8) return 'E01';
    const addr = BigInt('0x' + m[1]);
    const len = parseInt(m[2], 16);
    const body = arg.slice(m[0].length);
    const data = encoding === 'hex' ? fromHex(body) : Buffer.from(body, 'latin1');
    if (!data || data.length !== len) return 'E01';
    if (len === 0) return 'OK';
    const done = this.m.writeLinear(this.guestAddress(addr), data);
    return done === len ? 'OK' : 'E14';
  }

  /** gdb's addresses are linear; outside long mode they wrap at 4 GiB as the CPU's do. */
  private guestAddress(a: bigint): bigint {
    return this.m.state().mode === 'long' ? a : a & 0xffffffffn;
  }

  // -------------------------------------------------------------------------------- breakpoints
  private breakpoint(insert: boolean, arg: string): string {
    const m = /^([0-4]),([0-9a-fA-F]+),([0-9a-fA-F]+)/.exec(arg);
    if (!m || m[2].length > 16) return 'E01';
    const type = Number(m[1]);
    const addr = BigInt('0x' + m[2]);
    const len = parseInt(m[3], 16);
    if (type === 0 || type === 1) {
      const kind = type === 0 ? 'swbreak' : 'hwbreak';
      const kinds = this.breakpoints.get(addr) ?? new Set();
      if (insert) {
        kinds.add(kind);
        this.breakpoints.set(addr, kinds);
        if (!this.shared) this.m.addBreakpoint(addr); // shared: armed for gdb's own runs only
      } else {
        kinds.delete(kind);
        if (kinds.size === 0) { this.breakpoints.delete(addr); if (!this.shared) this.m.removeBreakpoint(addr); }
      }
      return 'OK';
    }
    if (!this.shared) {
      // Watchpoints (Z2 write, Z3 read, Z4 access): the machine stops after the accessing instruction, as
      // x86 debug registers do (gdb treats x86 watchpoints as such traps).
      if (len < 1 || len > 4096) return 'E01';
      const access = WATCH_TYPES[type - 2];
      if (insert) this.watches.push({ start: addr, length: len, access });
      else {
        const i = this.watches.findIndex((w) => w.start === addr && w.length === len && w.access === access);
        if (i >= 0) this.watches.splice(i, 1);
      }
      this.m.setWatchpoints(this.watches);
      return 'OK';
    }
    return ''; // sharing the machine: the other debugger owns its watchpoints (gdb falls back to single-stepping)
  }

  /**
   * Hg: registers and memory (g, p, m) of that thread's CPU (0 or -1: keep); Hc: stepping and continuing always
   * run the machine, and a step steps the CPU that stopped, so any thread is accepted.
   */
  private selectThread(p: string): string {
    const id = p.slice(2) === '-1' ? -1 : parseInt(p.slice(2), 16);
    if (Number.isNaN(id) || id > this.m.cpuCount) return 'E01';
    if (p[1] === 'g' && id > 0) this.m.selectCpu(id - 1);
    return 'OK';
  }

  private stopContext(reachedStart = false) {
    this.m.selectCpu(this.m.currentCpu);
    return {
      thread: this.m.currentCpu + 1,
      // gdb's breakpoints are at linear addresses (CS.base + EIP outside 64-bit mode, as the machine's).
      rip: this.m.state().pc,
      breakpointKind: (rip: bigint) => {
        const k = this.breakpoints.get(rip);
        return k ? (k.has('swbreak') ? 'swbreak' as const : 'hwbreak' as const) : undefined;
      },
      reachedStart,
    };
  }

  // ------------------------------------------------------------------------------- run control
  /** Shared machine: gdb's breakpoints go in for its own runs and out after them. */
  private arm(): void {
    for (const a of this.breakpoints.keys()) this.m.addBreakpoint(a);
    this.shared?.resumed();
  }

  private disarm(): void {
    const keep = this.shared?.keep() ?? new Set<bigint>();
    for (const a of this.breakpoints.keys()) if (!keep.has(a)) this.m.removeBreakpoint(a);
  }

  private resume(how: 'continue' | 'step'): string | undefined {
    if (this.shared) {
      if (this.shared.busy()) { this.host.log('gdb cannot run the machine while the other debugger runs it; pause it there first'); return 'E01'; }
      this.arm();
    }
    if (how === 'step') return this.stopped(this.m.step());
    this.running = true;
    this.interruptRequested = false;
    const slice = () => {
      if (!this.running) return;
      if (this.interruptRequested) {
        this.running = false;
        if (this.shared) { this.disarm(); this.shared.stopped({ reason: 'pause' }); }
        this.host.send(this.lastStop = stopReply('interrupted', this.stopContext()));
        return;
      }
      let stop: StopInfo;
      try {
        stop = this.m.run(SLICE);
      } catch (e) {
        this.running = false;
        this.host.log(`the machine failed: ${(e as Error).message}`);
        this.host.send(this.lastStop = stopReply('interrupted', this.stopContext()));
        return;
      }
      if (stop.reason === 'budget' || stop.reason === 'pause') { setImmediate(slice); return; }
      this.running = false;
      const reply = this.stopped(stop);
      if (reply !== undefined) this.host.send(reply);
    };
    setImmediate(slice);
    return undefined;
  }

  /** Record a stop and return its reply; exception stops first print a line on gdb's console. */
  private stopped(stop: StopInfo, reachedStart = false): string {
    if (this.shared) { this.disarm(); this.shared.stopped(stop); }
    if ((stop.reason === 'exception' || stop.reason === 'shutdown') && stop.event) {
      this.host.send('O' + toHex(Buffer.from(exceptionLine(stop.event) + '\n', 'utf8')));
    }
    this.lastStop = stopReply(stop, this.stopContext(reachedStart));
    return this.lastStop;
  }

  private reverse(how: 'step' | 'continue'): string {
    if (!this.m.history.enabled) return 'E01';
    if (this.shared) {
      if (this.shared.busy()) return 'E01';
      this.arm();
    }
    const r = how === 'step' ? this.m.stepBack() : this.m.reverseContinue((ev) => this.policy.shouldStop(ev));
    return this.stopped(r.reason === 'budget' ? { reason: 'step' } : r, r.reachedStart);
  }
}

/** Z2, Z3, Z4 → the machine's watch kinds. */
const WATCH_TYPES: WatchAccess[] = ['write', 'read', 'readWrite'];

function parseHex(s: string): number | undefined {
  return /^[0-9a-fA-F]{1,8}$/.test(s) ? parseInt(s, 16) : undefined;
}
