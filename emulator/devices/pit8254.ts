import { TimerKey, VirtualClock } from '../clock';
import { IoBus } from './bus';
import { Device, IrqLines } from './device';
import { bytePorts, num, nsToTicks, ticksToNs } from './ports';

/**
 * Intel 8254 PIT (ports 0x40-0x43) and the port 0x61 system control port B, after the 8254 datasheet and
 * QEMU's hw/timer/i8254.c + hw/audio/pcspk.c. Counting is derived from the virtual clock: the counter's
 * input runs at 1.193182 MHz and 1 instruction = 1 ns, so a counter's value is a pure function of the
 * instruction count at which it was loaded. Counter 0's OUT drives IRQ0: its rising edges are scheduled on
 * the clock (one per period in modes 2/3, one at terminal count in modes 0/1/4/5). Counter 2's gate and
 * speaker enable are bits 0-1 of port 0x61; bit 5 reads OUT2 and bit 4 the DRAM refresh toggle (every
 * 15.085 us), which delay loops poll.
 *
 * Public API: attach(bus), Device methods; PIT_HZ.
 */
export const PIT_HZ = 1_193_182;
/** Refresh request period of the PC/AT (bit 4 of port 0x61 toggles at each request). */
const REFRESH_NS = 15_085;

// Access modes (RW bits of the control word) and the read/write state machine.
const RW_LATCH = 0;
const RW_LSB = 1;
const RW_MSB = 2;
const RW_WORD0 = 3; // word, low byte next
const RW_WORD1 = 4; // word, high byte next

interface ChannelState {
  count: number; //       1..0x10000 (0 programs 0x10000)
  loadTime: number; //    instruction count when counting (re)started
  latchedCount: number;
  countLatched: number; // RW_* state of the latched value, 0 = none
  status: number;
  statusLatched: boolean;
  readState: number;
  writeState: number;
  writeLatch: number;
  rwMode: number;
  mode: number;
  bcd: boolean;
  gate: boolean;
  /** Counter 0 only: PIT tick (since loadTime) of the next scheduled IRQ0 edge, or -1. */
  nextIrqTick: number;
}

function powerOnChannel(ch: number): ChannelState {
  return {
    count: 0x10000, loadTime: 0, latchedCount: 0, countLatched: 0, status: 0, statusLatched: false,
    readState: RW_LSB, writeState: RW_LSB, writeLatch: 0, rwMode: RW_LSB, mode: 3, bcd: false,
    gate: ch !== 2, nextIrqTick: -1,
  };
}

export class Pit8254 implements Device {
  readonly name = 'pit8254';
  private ch: ChannelState[] = [0, 1, 2].map(powerOnChannel);
  /** Port 0x61 bit 1 (speaker data enable) and bits 2-3 (parity/channel check disable), as written. */
  private port61 = 0;
  private timer = 0;

  constructor(
    private readonly clock: VirtualClock,
    private readonly irq: IrqLines,
  ) {}

  attach(bus: IoBus): void {
    const h = bytePorts(bus, (p) => this.read8(p), (p, v) => this.write8(p, v));
    bus.registerPorts(0x40, 4, h);
    bus.registerPorts(0x61, 1, { ...h, stableUntil: (p) => (p === 0x61 ? this.port61StableUntil() : this.clock.instructions) });
  }

  /**
   * Port 0x61 reads the same until the next refresh toggle (bit 4) and OUT2's next change (bit 5): known for
   * modes 0 and 1 (one rise at terminal count, GRUB's and Linux's TSC calibration), not worked out for the
   * periodic modes (then: now).
   */
  private port61StableUntil(): number {
    const now = this.clock.instructions;
    const refresh = (Math.floor(now / REFRESH_NS) + 1) * REFRESH_NS;
    const c = this.ch[2];
    if (c.mode !== 0 && c.mode !== 1) return now;
    if (this.outAt(c, this.ticks(c))) return refresh; // already high: stays high until reloaded
    // The rise comes when ticks(c) reaches count; a few ns early is safe.
    return Math.min(refresh, c.loadTime + ticksToNs(c.count, PIT_HZ) - 2);
  }

  /** Current OUT level of counter `n` (0-2). */
  out(n: number): boolean {
    return this.outAt(this.ch[n], this.ticks(this.ch[n]));
  }

  /** Current count of counter `n` as a read would see it. */
  currentCount(n: number): number {
    return this.countNow(this.ch[n]);
  }

  reset(): void {
    this.disarm();
    this.ch = [0, 1, 2].map(powerOnChannel);
    this.port61 = 0;
  }

  saveState(): unknown {
    return { channels: this.ch.map((c) => ({ ...c })), port61: this.port61 };
  }

  loadState(state: unknown): void {
    const o = (state ?? {}) as { channels?: Partial<ChannelState>[]; port61?: number };
    this.disarm();
    this.ch = [0, 1, 2].map((i) => {
      const c = powerOnChannel(i);
      const src = o.channels?.[i];
      if (src) {
        for (const k of Object.keys(c) as (keyof ChannelState)[]) {
          if (typeof src[k] === typeof c[k]) (c as unknown as Record<string, unknown>)[k] = src[k];
        }
      }
      return c;
    });
    this.port61 = num(o.port61);
    this.arm();
  }

  /** Whole PIT input ticks since counter `c` was loaded. */
  private ticks(c: ChannelState): number {
    return nsToTicks(Math.max(0, this.clock.instructions - c.loadTime), PIT_HZ);
  }

  private countNow(c: ChannelState): number {
    const d = this.ticks(c);
    switch (c.mode) {
      case 0: case 1: case 4: case 5:
        return (c.count - d) & 0xffff;
      case 3:
        // Square wave: the counter decrements by two each input clock.
        return c.count - ((2 * d) % c.count);
      default:
        return c.count - (d % c.count);
    }
  }

  private outAt(c: ChannelState, d: number): boolean {
    switch (c.mode) {
      case 0: return d >= c.count;
      case 1: return d >= c.count;
      case 2: return d % c.count !== 0 || d === 0;
      case 3: return d % c.count < (c.count + 1) >> 1;
      default: return d !== c.count; // modes 4, 5: one-clock low strobe at terminal count
    }
  }

  private loadCount(c: ChannelState, v: number): void {
    c.count = v === 0 ? 0x10000 : v;
    c.loadTime = this.clock.instructions;
    if (c === this.ch[0]) this.rearmIrq0(0);
  }

  /** Schedule counter 0's first IRQ0 edge at or after PIT tick `from` since loading. */
  private rearmIrq0(from: number): void {
    const c = this.ch[0];
    this.disarm();
    let next: number;
    if (c.mode === 2 || c.mode === 3) next = Math.max(1, Math.ceil(from / c.count)) * c.count;
    else next = from <= c.count ? c.count : -1;
    c.nextIrqTick = next;
    this.arm();
  }

  private arm(): void {
    const c = this.ch[0];
    if (c.nextIrqTick < 0 || !c.gate) return;
    this.timer = this.clock.schedule(c.loadTime + ticksToNs(c.nextIrqTick, PIT_HZ), () => this.irq0Edge(), TimerKey.PIT);
  }

  private disarm(): void {
    if (this.timer) this.clock.cancel(this.timer);
    this.timer = 0;
  }

  private irq0Edge(): void {
    this.timer = 0;
    const c = this.ch[0];
    // A rising edge of OUT0 (the PIC and I/O APIC latch it; the pulse leaves the line low again).
    this.irq.setIrq(0, true);
    this.irq.setIrq(0, false);
    if (c.mode === 2 || c.mode === 3) {
      c.nextIrqTick += c.count;
      this.arm();
    } else {
      c.nextIrqTick = -1;
    }
  }

  private read8(port: number): number {
    if (port === 0x61) {
      const c2 = this.ch[2];
      const refresh = Math.floor(this.clock.instructions / REFRESH_NS) & 1;
      return (c2.gate ? 1 : 0) | this.port61 | (refresh << 4) | (this.out(2) ? 0x20 : 0);
    }
    if (port === 0x43) return 0xff; // the control register is write-only
    const c = this.ch[port - 0x40];
    if (c.statusLatched) {
      c.statusLatched = false;
      return c.status;
    }
    if (c.countLatched) {
      switch (c.countLatched) {
        case RW_LSB:
          c.countLatched = 0;
          return c.latchedCount & 0xff;
        case RW_MSB:
          c.countLatched = 0;
          return (c.latchedCount >> 8) & 0xff;
        default:
          c.countLatched = RW_MSB;
          return c.latchedCount & 0xff;
      }
    }
    const count = this.countNow(c);
    switch (c.readState) {
      case RW_LSB:
        return count & 0xff;
      case RW_MSB:
        return (count >> 8) & 0xff;
      case RW_WORD0:
        c.readState = RW_WORD1;
        return count & 0xff;
      default:
        c.readState = RW_WORD0;
        return (count >> 8) & 0xff;
    }
  }

  private write8(port: number, v: number): void {
    if (port === 0x61) {
      this.setGate2((v & 1) !== 0);
      this.port61 = v & 0x0e;
      return;
    }
    if (port === 0x43) {
      this.control(v);
      return;
    }
    const c = this.ch[port - 0x40];
    switch (c.writeState) {
      case RW_LSB:
        this.loadCount(c, v);
        break;
      case RW_MSB:
        this.loadCount(c, v << 8);
        break;
      case RW_WORD0:
        c.writeLatch = v;
        c.writeState = RW_WORD1;
        break;
      default:
        this.loadCount(c, c.writeLatch | (v << 8));
        c.writeState = RW_WORD0;
    }
  }

  private control(v: number): void {
    const sel = v >> 6;
    if (sel === 3) {
      // Read-back command (8254 only): bit 5 = 0 latches counts, bit 4 = 0 latches status, bits 1-3 select.
      for (let i = 0; i < 3; i++) {
        if (!(v & (2 << i))) continue;
        const c = this.ch[i];
        if (!(v & 0x20)) this.latchCount(c);
        if (!(v & 0x10) && !c.statusLatched) {
          c.status = (this.out(i) ? 0x80 : 0) | (c.rwMode << 4) | (c.mode << 1) | (c.bcd ? 1 : 0);
          c.statusLatched = true;
        }
      }
      return;
    }
    const c = this.ch[sel];
    const access = (v >> 4) & 3;
    if (access === RW_LATCH) {
      this.latchCount(c);
      return;
    }
    c.rwMode = access;
    c.readState = access;
    c.writeState = access;
    c.mode = (v >> 1) & 7;
    if (c.mode > 5) c.mode &= 3; // modes 6 and 7 are aliases of 2 and 3
    c.bcd = (v & 1) !== 0;
    // Writing a control word stops the counter until a new count is loaded (OUT0 goes to its initial level).
    if (sel === 0) {
      this.disarm();
      c.nextIrqTick = -1;
    }
  }

  private latchCount(c: ChannelState): void {
    // A second latch before the first was read is ignored (datasheet).
    if (c.countLatched) return;
    c.latchedCount = this.countNow(c);
    c.countLatched = c.rwMode;
  }

  private setGate2(gate: boolean): void {
    const c = this.ch[2];
    // Modes 1, 2, 3, 5 restart counting on a rising gate edge.
    if (gate && !c.gate && c.mode !== 0 && c.mode !== 4) c.loadTime = this.clock.instructions;
    c.gate = gate;
  }
}
