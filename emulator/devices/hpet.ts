import { TimerKey, VirtualClock } from '../clock';
import { IoBus } from './bus';
import { Device, IrqLines } from './device';
import { num } from './ports';

/**
 * The High Precision Event Timer of QEMU's `pc` machine (IA-PC HPET specification 1.0a; QEMU hw/timer/hpet.c is
 * the platform reference): a 1 KiB register block at 0xFED00000, a 64-bit main counter at 100 MHz (period
 * 10 ns = 10,000,000 fs), three comparators that may run periodically and in 32-bit mode, and the
 * LegacyReplacement route (timer 0 -> IRQ0, i.e. IOAPIC input 2; timer 1 -> IRQ8) which disconnects the PIT's and
 * the RTC's outputs while it is on. Capabilities 0x8086a201 (Intel, LegacyReplacement capable, 64-bit counter,
 * 3 timers). Each timer's interrupt routing capability is QEMU's for pc-piix ("intcap" 0x4: IOAPIC input 2
 * only); FSB (MSI) delivery is not offered (QEMU's default).
 *
 * Time is the virtual clock's (1 instruction = 1 ns): while enabled the counter is `base + (now - baseNs) / 10`,
 * and a comparator event is scheduled at the nanosecond the counter reaches the matching value, so a
 * recording replays exactly. The PIT and the RTC raise their IRQs through `legacyInputs`, as QEMU wires their
 * outputs into the HPET's GPIO inputs.
 *
 * Where QEMU 7.2 and the specification differ, the specification is followed (checked in test/devices/hpet.test.ts):
 * - A comparator behind the counter matches only when the counter comes round to it (the hardware compares for
 *   equality; Linux's driver says so and checks for -ETIME); QEMU fires it one tick later.
 * - A periodic timer's accumulator advances when the counter reaches it (QEMU only once the counter is past it,
 *   which under an exact clock fires twice per period).
 * - A 32-bit one-shot timer interrupts at every 32-bit match and every wrap of the low 32 bits (QEMU: the first
 *   wrap, at 0xffffffff rather than at 0, then the match, then never again).
 * - Interrupt routes its capability does not list are not taken (the field keeps its value; the spec says the
 *   read-back will not match); QEMU stores any route. Tn_FSB_EN_CNF reads 0 without FSB capability (QEMU lets
 *   it be set and then writes the MSI).
 * - 64-bit accesses work (the CPU makes them two 32-bit accesses at the same instant, so the halves agree);
 *   QEMU 7.2's HPET declares only 32-bit ones valid. Byte and word accesses read 0 and do not write (QEMU: not decoded).
 *
 * Public API: attach(bus), legacyInputs, counter(), HPET_BASE, HPET_CAPABILITIES, HPET_HZ, Device methods.
 */

export const HPET_BASE = 0xfed0_0000;
const HPET_LEN = 0x400;
export const HPET_HZ = 100_000_000;
const NS_PER_TICK = 10;
const PERIOD_FS = 10_000_000;
/** Vendor 0x8086, LEG_RT_CAP (15), COUNT_SIZE_CAP (13), NUM_TIM_CAP 2 (three timers), revision 1. */
export const HPET_CAPABILITIES = 0x8086_a201;
const TIMERS = 3;
/** Tn_INT_ROUTE_CAP: pc-piix wires every timer to IOAPIC input 2 only (QEMU pc_piix.c passes 0x4). */
const INTCAP = 0x4;

// General configuration (offset 0x10).
const CFG_ENABLE = 0x1;
const CFG_LEGACY = 0x2;
// Timer n configuration (offset 0x100 + 0x20 n).
const TN_LEVEL = 0x2;
const TN_ENABLE = 0x4;
const TN_PERIODIC = 0x8;
const TN_PERIODIC_CAP = 0x10;
const TN_SIZE_CAP = 0x20;
const TN_SETVAL = 0x40;
const TN_32BIT = 0x100;
const TN_ROUTE_MASK = 0x3e00;
const TN_ROUTE_SHIFT = 9;
/** Bits software may write (Tn_FSB_EN_CNF is not: no FSB capability). */
const TN_WRITABLE = TN_LEVEL | TN_ENABLE | TN_PERIODIC | TN_SETVAL | TN_32BIT | TN_ROUTE_MASK;

const RTC_IRQ = 8;
const MASK32 = 0xffff_ffffn;
const MASK64 = 0xffff_ffff_ffff_ffffn;
const TWO32 = 0x1_0000_0000n;
const TWO64 = 0x1_0000_0000_0000_0000n;

interface TimerState {
  /** Configuration bits 0-31 (the upper half is the constant routing capability). */
  config: number;
  /** Comparator (64 bits; 32 in 32-bit mode). */
  cmp: bigint;
  /** The period a periodic timer adds to its comparator (QEMU: the last value written to the comparator). */
  period: bigint;
  fsbValue: number;
  fsbAddress: number;
  /** Main-counter tick (unwrapped, same scale as HpetState.base) of the armed event, or -1. */
  next: bigint;
  /** Virtual time of the armed event (instructions), or -1. */
  deadline: number;
}

interface HpetState {
  /** General configuration: ENABLE_CNF, LEG_RT_CNF. */
  config: number;
  /** General interrupt status: Tn_INT_STS of level-triggered timers. */
  isr: number;
  /** The main counter while halted. */
  counter: bigint;
  /** While running: the counter was `base` at virtual time `baseNs` (base is not wrapped to 64 bits). */
  base: bigint;
  baseNs: number;
  /** The RTC's IRQ8 output as last driven (put back on the line when LegacyReplacement ends). */
  rtcLevel: boolean;
  timers: TimerState[];
}

function powerOnTimer(): TimerState {
  return { config: TN_PERIODIC_CAP | TN_SIZE_CAP, cmp: MASK64, period: 0n, fsbValue: 0, fsbAddress: 0, next: -1n, deadline: -1 };
}

function powerOn(): HpetState {
  return { config: 0, isr: 0, counter: 0n, base: 0n, baseNs: 0, rtcLevel: false, timers: Array.from({ length: TIMERS }, powerOnTimer) };
}

/** `a mod m` in [0, m). */
function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

function big(v: unknown, fallback: bigint): bigint {
  if (typeof v !== 'string' || !/^-?[0-9]+$/.test(v)) return fallback;
  return BigInt(v);
}

export class Hpet implements Device {
  readonly name = 'hpet';
  private s = powerOn();
  private readonly timerIds = [0, 0, 0];
  /**
   * The PIT's IRQ0 and the RTC's IRQ8 as they reach the interrupt controllers: through the HPET, which drops
   * them while LegacyReplacement is on (QEMU hpet_handle_legacy_irq; pc.c connects them so). Other lines pass.
   */
  readonly legacyInputs: IrqLines = { setIrq: (line, level) => this.legacyInput(line, level) };

  /** `irq`: the board's interrupt lines by GSI (0-15 the ISA IRQs, IRQ0 on IOAPIC input 2; 16-23 IOAPIC inputs). */
  constructor(private readonly clock: VirtualClock, private readonly irq: IrqLines, readonly base = HPET_BASE) {}

  attach(bus: IoBus): void {
    bus.registerMmio('hpet', this.base, 0x1000, {
      read: (offset, size) => (size === 4 && (offset & 3) === 0 && offset < HPET_LEN ? this.read32(offset) : 0),
      write: (offset, size, value) => {
        if (size === 4 && (offset & 3) === 0 && offset < HPET_LEN) this.write32(offset, value >>> 0);
      },
    });
  }

  /** The main counter's value now (64 bits). */
  counter(): bigint {
    return this.s.config & CFG_ENABLE ? this.ticks() & MASK64 : this.s.counter;
  }

  reset(): void {
    for (let n = 0; n < TIMERS; n++) this.disarm(n);
    this.s = powerOn();
  }

  saveState(): unknown {
    const s = this.s;
    return {
      config: s.config, isr: s.isr, counter: s.counter.toString(), base: s.base.toString(), baseNs: s.baseNs, rtcLevel: s.rtcLevel,
      timers: s.timers.map((t) => ({
        config: t.config, cmp: t.cmp.toString(), period: t.period.toString(), fsbValue: t.fsbValue, fsbAddress: t.fsbAddress,
        next: t.next.toString(), deadline: t.deadline,
      })),
    };
  }

  /** Timers re-arm at their saved deadlines; the interrupt controllers keep the line levels themselves. */
  loadState(state: unknown): void {
    for (let n = 0; n < TIMERS; n++) this.disarm(n);
    const o = (state ?? {}) as Record<string, unknown>;
    const d = powerOn();
    const ts = Array.isArray(o.timers) ? (o.timers as Record<string, unknown>[]) : [];
    this.s = {
      config: num(o.config) & (CFG_ENABLE | CFG_LEGACY), isr: num(o.isr), counter: big(o.counter, 0n), base: big(o.base, 0n),
      baseNs: num(o.baseNs), rtcLevel: !!o.rtcLevel,
      timers: d.timers.map((p, n) => {
        const t = ts[n] ?? {};
        return {
          config: num(t.config, p.config), cmp: big(t.cmp, p.cmp), period: big(t.period, 0n), fsbValue: num(t.fsbValue), fsbAddress: num(t.fsbAddress),
          next: big(t.next, -1n), deadline: num(t.deadline, -1),
        };
      }),
    };
    this.s.timers.forEach((t, n) => { if (t.deadline >= 0) this.schedule(n); });
  }

  // ---------------------------------------------------------------------------------------- time
  /** Main-counter ticks now (running), not wrapped. */
  private ticks(): bigint {
    return this.s.base + BigInt(Math.floor((this.clock.instructions - this.s.baseNs) / NS_PER_TICK));
  }

  /** Arm timer `n` for its next event at or after counter tick `from` (running counter, timer enabled). */
  private arm(n: number, from: bigint): void {
    this.disarm(n);
    const t = this.s.timers[n];
    if (!(this.s.config & CFG_ENABLE) || !(t.config & TN_ENABLE)) return;
    const bits32 = (t.config & TN_32BIT) !== 0;
    let next = from + mod(t.cmp - from, bits32 ? TWO32 : TWO64);
    // One-shot 32-bit mode also interrupts when the low 32 bits wrap to 0 (the HPET spec's one-shot mode; QEMU's wrap_flag).
    if (bits32 && !(t.config & TN_PERIODIC)) {
      const wrap = from + mod(-from, TWO32);
      if (wrap < next) next = wrap;
    }
    t.next = next;
    t.deadline = this.s.baseNs + Number(next - this.s.base) * NS_PER_TICK;
    this.schedule(n);
  }

  private schedule(n: number): void {
    this.timerIds[n] = this.clock.schedule(this.s.timers[n].deadline, () => this.fire(n), TimerKey.HPET + n);
  }

  private disarm(n: number): void {
    if (this.timerIds[n]) this.clock.cancel(this.timerIds[n]);
    this.timerIds[n] = 0;
    const t = this.s.timers[n];
    t.next = -1n;
    t.deadline = -1;
  }

  /** Timer `n`'s event: the counter reached `next` (or passed it, the clock checks deadlines between blocks). */
  private fire(n: number): void {
    this.timerIds[n] = 0;
    const t = this.s.timers[n];
    const at = t.next;
    let from = at + 1n;
    const width = t.config & TN_32BIT ? MASK32 : MASK64;
    if (t.config & TN_PERIODIC && (t.cmp & width) === (at & width) && t.period > 0n) {
      // The accumulator: each match adds the period to the comparator. A late event catches up to the
      // counter in one interrupt, as QEMU's loop does.
      const cur = this.ticks();
      const steps = 1n + (cur - at) / t.period;
      t.cmp = (t.cmp + steps * t.period) & width;
      from = at + steps * t.period;
    }
    t.next = -1n;
    t.deadline = -1;
    this.arm(n, from);
    this.raise(n);
  }

  // ------------------------------------------------------------------------------------ interrupts
  /** The GSI timer `n` drives: LegacyReplacement's IRQ0/IRQ8 for timers 0 and 1, else its route field. */
  private route(n: number): number {
    if (n <= 1 && this.s.config & CFG_LEGACY) return n === 0 ? 0 : RTC_IRQ;
    return (this.s.timers[n].config & TN_ROUTE_MASK) >> TN_ROUTE_SHIFT;
  }

  /** QEMU update_irq(timer, 1): an edge timer pulses its line, a level timer sets its status bit and holds it. */
  private raise(n: number): void {
    const t = this.s.timers[n];
    if (!(t.config & TN_ENABLE) || !(this.s.config & CFG_ENABLE)) return this.lower(n);
    const gsi = this.route(n);
    if (t.config & TN_LEVEL) {
      this.s.isr |= 1 << n;
      this.drive(gsi, true);
    } else {
      this.s.isr &= ~(1 << n);
      this.drive(gsi, true);
      this.drive(gsi, false);
    }
  }

  /** QEMU update_irq(timer, 0): clear the status bit and release the line. */
  private lower(n: number): void {
    this.s.isr &= ~(1 << n);
    this.drive(this.route(n), false);
  }

  private drive(gsi: number, level: boolean): void {
    if (gsi < 24) this.irq.setIrq(gsi, level);
  }

  private legacyInput(line: number, level: boolean): void {
    if (line === RTC_IRQ) this.s.rtcLevel = level;
    if ((line === 0 || line === RTC_IRQ) && this.s.config & CFG_LEGACY) return;
    this.irq.setIrq(line, level);
  }

  // ------------------------------------------------------------------------------------- registers
  private read32(offset: number): number {
    const s = this.s;
    if (offset >= 0x100) {
      const n = (offset - 0x100) >> 5;
      if (n >= TIMERS) return 0;
      const t = s.timers[n];
      switch (offset & 0x1f) {
        case 0x00: return t.config >>> 0;
        case 0x04: return INTCAP;
        case 0x08: return Number(t.cmp & MASK32);
        case 0x0c: return Number(t.cmp >> 32n);
        case 0x10: return t.fsbValue >>> 0;
        case 0x14: return t.fsbAddress >>> 0;
        default: return 0;
      }
    }
    switch (offset) {
      case 0x00: return HPET_CAPABILITIES;
      case 0x04: return PERIOD_FS;
      case 0x10: return s.config;
      case 0x20: return s.isr;
      case 0xf0: return Number(this.counter() & MASK32);
      case 0xf4: return Number(this.counter() >> 32n);
      default: return 0;
    }
  }

  private write32(offset: number, v: number): void {
    const s = this.s;
    if (offset >= 0x100) {
      const n = (offset - 0x100) >> 5;
      if (n < TIMERS) this.writeTimer(n, offset & 0x1f, v);
      return;
    }
    switch (offset) {
      case 0x10: this.writeConfig(v); break;
      case 0x20:
        // Write 1 to clear a level-triggered timer's status (and release its line).
        for (let n = 0; n < TIMERS; n++) if (v & s.isr & (1 << n)) this.lower(n);
        break;
      case 0xf0:
      case 0xf4:
        // Software must halt the counter before writing it (the spec); a write while it runs is lost, as under QEMU.
        if (s.config & CFG_ENABLE) break;
        s.counter = offset === 0xf0 ? (s.counter & (MASK32 << 32n)) | BigInt(v) : (s.counter & MASK32) | (BigInt(v) << 32n);
        break;
      default:
    }
  }

  private writeConfig(v: number): void {
    const s = this.s;
    const old = s.config;
    s.config = v & (CFG_ENABLE | CFG_LEGACY);
    if (!(old & CFG_ENABLE) && s.config & CFG_ENABLE) {
      // The counter runs on from its halted value; armed comparators count from now.
      s.base = s.counter;
      s.baseNs = this.clock.instructions;
      for (let n = 0; n < TIMERS; n++) this.arm(n, s.base);
    } else if (old & CFG_ENABLE && !(s.config & CFG_ENABLE)) {
      s.counter = this.ticks() & MASK64;
      for (let n = 0; n < TIMERS; n++) {
        this.disarm(n);
        this.lower(n);
      }
    }
    // LegacyReplacement disconnects the PIT's and the RTC's outputs (QEMU: pit_enabled and rtc_irq_level).
    if (!(old & CFG_LEGACY) && s.config & CFG_LEGACY) {
      this.irq.setIrq(0, false);
      this.irq.setIrq(RTC_IRQ, false);
    } else if (old & CFG_LEGACY && !(s.config & CFG_LEGACY)) {
      this.irq.setIrq(0, false);
      this.irq.setIrq(RTC_IRQ, s.rtcLevel);
    }
  }

  private writeTimer(n: number, reg: number, v: number): void {
    const t = this.s.timers[n];
    const running = (this.s.config & CFG_ENABLE) !== 0;
    switch (reg) {
      case 0x00: {
        const old = t.config;
        let nv = (v & TN_WRITABLE) | (old & ~TN_WRITABLE);
        const route = (nv & TN_ROUTE_MASK) >> TN_ROUTE_SHIFT;
        if (!(INTCAP & (1 << route))) nv = (nv & ~TN_ROUTE_MASK) | (old & TN_ROUTE_MASK);
        t.config = nv;
        if (nv & TN_32BIT) {
          t.cmp &= MASK32;
          t.period &= MASK32;
        }
        if (old & TN_ENABLE && !(nv & TN_ENABLE)) {
          this.disarm(n);
          this.lower(n);
        } else if (nv & TN_ENABLE && running && (!(old & TN_ENABLE) || (old ^ nv) & (TN_32BIT | TN_PERIODIC))) {
          this.arm(n, this.ticks());
        }
        return;
      }
      case 0x08:
      case 0x0c: {
        const high = reg === 0x0c;
        const bits32 = (t.config & TN_32BIT) !== 0;
        const x = BigInt(v >>> 0);
        const setHalf = (old: bigint) => (high ? (old & MASK32) | (x << 32n) : (old & (MASK32 << 32n)) | x);
        const periodic = (t.config & TN_PERIODIC) !== 0;
        // One-shot, or periodic with Tn_VAL_SET_CNF: the write sets the comparator (the accumulator). Periodic:
        // the low half (and, without Tn_VAL_SET_CNF, the high half) sets the period (QEMU's reading of the spec).
        // In 32-bit mode the upper half is stored (QEMU; the timer compares the lower half only).
        if (!periodic || t.config & TN_SETVAL) t.cmp = setHalf(t.cmp);
        if (periodic && (!high || !(t.config & TN_SETVAL))) t.period = setHalf(t.period) & (bits32 ? 0x7fff_ffffn : MASK64 >> 1n);
        t.config &= ~TN_SETVAL;
        if (running && t.config & TN_ENABLE) this.arm(n, this.ticks());
        return;
      }
      case 0x10: t.fsbValue = v; return;
      case 0x14: t.fsbAddress = v; return;
      default:
    }
  }
}
