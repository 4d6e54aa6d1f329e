import { TimerKey, VirtualClock } from '../clock';
import { IoBus } from './bus';
import { Device } from './device';
import { LocalApicSide } from './interrupts';
import { allOnes, num } from './ports';

/**
 * The local APIC of one CPU (SDM Vol. 3A ch. 11 "Advanced Programmable Interrupt Controller"), xAPIC
 * MMIO at 0xFEE00000 and x2APIC MSRs 0x800-0x8FF, plus IA32_APIC_BASE (0x1B) and IA32_TSC_DEADLINE (0x6E0).
 * Interrupts are accepted into IRR, prioritised against PPR (§11.8.3.1), moved to ISR by acknowledge() and
 * retired by EOI. The timer's bus clock runs at 1 GHz like QEMU's (1 tick = 1 instruction before the divide
 * configuration), in one-shot, periodic and TSC-deadline modes (§11.5.4); TSC = `readTsc()` (default: the
 * instruction count). IPIs (§11.6) go over the APIC bus (`ApicBus`, every CPU's local APIC): fixed, lowest
 * priority (to the lowest-numbered APIC of the destination set, as QEMU's apic_bus_deliver), NMI, INIT
 * (INIT level de-assert does nothing, as on P6 and later), STARTUP, with the destination shorthands and
 * physical / logical (flat, cluster; x2APIC cluster) destinations; SMI is ignored. INIT and STARTUP reach the
 * CPU through `onInit` / `onSipi` (the machine resets the CPU, or starts it at VV00:0000 if it waits for a
 * SIPI). ICR's delivery status always reads idle: delivery is instant. The APIC base cannot be relocated.
 *
 * The CPU calls (matching CpuHost in cpu/cpu.ts): readMsr(index) → [lo, hi] or undefined for #GP; writeMsr(index, lo, hi) → false for #GP;
 * readCr8()/writeCr8(v) for CR8 (= TPR[7:4]).
 * The router calls: hasInterrupt(), acknowledge(), acceptsPicInterrupts().
 * The I/O APIC calls: accept(vector, level), matchesDestination(dest, logical); onEoi(vector) is its hook.
 */

export const APIC_MMIO_BASE = 0xfee0_0000;
const APIC_VERSION = 0x0005_0014; // version 0x14, max LVT entry 5
const MSR_APIC_BASE = 0x1b;
const MSR_TSC_DEADLINE = 0x6e0;
const BASE_BSP = 1 << 8;
const BASE_X2APIC = 1 << 10;
const BASE_ENABLE = 1 << 11;

const SVR_ENABLE = 0x100;
const SVR_SUPPRESS_EOI_BROADCAST = 0x1000;
const LVT_MASKED = 1 << 16;

// LVT indexes (register offset 0x320 + 0x10 * i), CMCI kept apart at 0x2F0.
const LVT_TIMER = 0;
const LVT_THERMAL = 1;
const LVT_PERF = 2;
const LVT_LINT0 = 3;
const LVT_LINT1 = 4;
const LVT_ERROR = 5;
const LVT_CMCI = 6;
/** Writable bits per LVT (§11.5.1 Figure 11-8). */
const LVT_WRITABLE = [0x0007_00ff, 0x0001_07ff, 0x0001_07ff, 0x0001_a7ff, 0x0001_a7ff, 0x0001_00ff, 0x0001_07ff];

const TIMER_ONE_SHOT = 0;
const TIMER_PERIODIC = 1;
const TIMER_TSC_DEADLINE = 2;

// ESR bits (§11.5.3).
const ESR_SEND_ILLEGAL_VECTOR = 1 << 5;
const ESR_RECEIVE_ILLEGAL_VECTOR = 1 << 6;

interface LapicState {
  id: number;
  apicBase: number;
  tpr: number;
  ldr: number;
  dfr: number;
  svr: number;
  esr: number;
  esrPending: number;
  icrLo: number;
  icrHi: number;
  irr: number[];
  isr: number[];
  tmr: number[];
  lvt: number[];
  timerInitial: number;
  timerDivide: number;
  timerStart: number;
  /** Instruction count of the next timer expiry, or -1 when the timer is not armed. */
  timerNext: number;
  /** IA32_TSC_DEADLINE as last written (0 = disarmed). */
  tscDeadline: number;
}

/** Power-on state of the local APIC with initial ID `id`; ID 0 is the BSP's (IA32_APIC_BASE.BSP, LINT0 ExtINT). */
function powerOn(id: number): LapicState {
  const bsp = id === 0;
  const lvt = new Array(7).fill(LVT_MASKED);
  // As QEMU (and every BIOS) leaves the BSP: LINT0 unmasked ExtINT, so the 8259's INTR reaches the CPU
  // once software enables the APIC. The APs' LINT0 stays masked (QEMU's apic_reset_common).
  if (bsp) lvt[LVT_LINT0] = 0x700;
  return {
    id, apicBase: APIC_MMIO_BASE + (bsp ? BASE_BSP : 0) + BASE_ENABLE, tpr: 0, ldr: 0, dfr: 0xffff_ffff, svr: 0xff, esr: 0,
    esrPending: 0, icrLo: 0, icrHi: 0, irr: new Array(8).fill(0), isr: new Array(8).fill(0),
    tmr: new Array(8).fill(0), lvt, timerInitial: 0, timerDivide: 0, timerStart: 0, timerNext: -1, tscDeadline: 0,
  };
}

function highestBit(words: number[]): number {
  for (let i = 7; i >= 0; i--) if (words[i]) return i * 32 + 31 - Math.clz32(words[i]);
  return -1;
}

/**
 * x2APIC MSR access (SDM Vol. 3 §11.12.1.2 Table 11-6): which registers (as xAPIC offsets) RDMSR may read and
 * WRMSR may write; everything else in 0x800-0x8FF #GPs. ICR (0x300) is handled apart. CMCI (0x2F0) is absent:
 * the version register reports LVT entries up to LVT Error only.
 */
function x2apicReadable(reg: number): boolean {
  switch (reg) {
    case 0x020: case 0x030: case 0x080: case 0x0a0: case 0x0d0: case 0x0f0: case 0x280:
    case 0x320: case 0x330: case 0x340: case 0x350: case 0x360: case 0x370: case 0x380: case 0x390: case 0x3e0:
      return true;
  }
  return reg >= 0x100 && reg < 0x280; // ISR, TMR, IRR
}

function x2apicWritable(reg: number): boolean {
  switch (reg) {
    case 0x080: case 0x0b0: case 0x0f0: case 0x280:
    case 0x320: case 0x330: case 0x340: case 0x350: case 0x360: case 0x370: case 0x380: case 0x3e0: case 0x3f0:
      return true;
  }
  return false;
}

/** Every CPU's local APIC, indexed by CPU number (= initial APIC ID): where IPIs are delivered. */
export type ApicBus = LocalApic[];

export class LocalApic implements Device, LocalApicSide {
  readonly name: string;
  onChange: () => void = () => {};
  onNmi: () => void = () => {};
  /** An INIT IPI reached this APIC's CPU (the machine resets the CPU into wait-for-SIPI, or the BSP to the reset vector). */
  onInit: () => void = () => {};
  /** A STARTUP IPI with its vector reached this APIC's CPU (acted on only in wait-for-SIPI). */
  onSipi: (vector: number) => void = () => {};
  /** The APIC bus this APIC sends IPIs on (itself alone until the machine connects every CPU's). */
  bus: ApicBus = [this];
  /** Called with the vector when a level-triggered interrupt is retired (EOI broadcast to the I/O APIC). */
  onEoi: (vector: number) => void = () => {};
  /** The TSC as the CPU reports it; deadlines compare against this. */
  readTsc: () => number;
  private s: LapicState;
  private timer = 0;

  /** The CPU model reports x2APIC (CPUID.01H:ECX[21]); without it IA32_APIC_BASE.EXTD is reserved (#GP). */
  x2apicSupported = true;

  constructor(
    private readonly clock: VirtualClock,
    readonly apicId = 0,
  ) {
    this.name = apicId === 0 ? 'lapic' : `lapic${apicId}`;
    this.s = powerOn(apicId);
    this.readTsc = () => clock.instructions;
  }

  /** The BSP's APIC decodes 0xFEE00000 on the bus; the machine routes each CPU's accesses to its own APIC. */
  attach(bus: IoBus): void {
    if (this.apicId !== 0) return;
    bus.registerMmio('lapic', APIC_MMIO_BASE, 0x1000, {
      read: (offset, size) => this.bus[this.current].mmioRead(offset, size),
      write: (offset, size, value) => this.bus[this.current].mmioWrite(offset, size, value),
    });
  }

  /** The CPU now running (index into `bus`): whose APIC answers at 0xFEE00000. Set by the machine's scheduler on the BSP's APIC. */
  current = 0;

  get x2apic(): boolean {
    return (this.s.apicBase & BASE_X2APIC) !== 0;
  }

  get enabled(): boolean {
    return (this.s.apicBase & BASE_ENABLE) !== 0;
  }

  // ---- interrupt acceptance -------------------------------------------------------------------------------

  hasInterrupt(): boolean {
    if (!this.enabled || !(this.s.svr & SVR_ENABLE)) return false;
    const v = highestBit(this.s.irr);
    return v >= 0 && (v & 0xf0) > (this.ppr() & 0xf0);
  }

  /** INTA: the highest requested vector moves from IRR to ISR; the spurious vector if none qualifies (§11.9). */
  acknowledge(): number {
    const s = this.s;
    const v = highestBit(s.irr);
    if (!this.hasInterrupt() || v < 0) return s.svr & 0xff;
    s.irr[v >> 5] &= ~(1 << (v & 31));
    s.isr[v >> 5] |= 1 << (v & 31);
    this.onChange();
    return v;
  }

  acceptsPicInterrupts(): boolean {
    const lint0 = this.s.lvt[LVT_LINT0];
    return !this.enabled || (!(lint0 & LVT_MASKED) && ((lint0 >> 8) & 7) === 7);
  }

  /** A fixed interrupt arrives (from the I/O APIC, an IPI, or a local source). */
  accept(vector: number, level = false): void {
    const s = this.s;
    if (vector < 16) {
      this.error(ESR_RECEIVE_ILLEGAL_VECTOR);
      return;
    }
    s.irr[vector >> 5] |= 1 << (vector & 31);
    if (level) s.tmr[vector >> 5] |= 1 << (vector & 31);
    else s.tmr[vector >> 5] &= ~(1 << (vector & 31));
    this.onChange();
  }

  /** Does an interrupt message for `dest` (physical or logical) address this APIC (§11.6.2)? */
  matchesDestination(dest: number, logical: boolean): boolean {
    const s = this.s;
    if (this.x2apic) {
      if (dest === 0xffff_ffff || (dest >>> 0) === 0xffff_ffff) return true;
      if (!logical) return dest === s.id;
      const ldr = this.ldr();
      return dest >>> 16 === ldr >>> 16 && (dest & ldr & 0xffff) !== 0;
    }
    dest &= 0xff;
    if (dest === 0xff) return true;
    if (!logical) return dest === (s.id & 0xff);
    const ldr = s.ldr >>> 24;
    if ((s.dfr >>> 28) === 0xf) return (ldr & dest) !== 0; // flat model
    return (dest >> 4 === ldr >> 4 || dest >> 4 === 0xf) && (ldr & dest & 0xf) !== 0; // cluster model
  }

  /** LINT0/LINT1 pin change (only NMI and fixed deliveries matter here; ExtINT is the router's). */
  setLint(pin: 0 | 1, level: boolean): void {
    const lvt = this.s.lvt[pin === 0 ? LVT_LINT0 : LVT_LINT1];
    if (!level || lvt & LVT_MASKED || !this.enabled) return;
    const mode = (lvt >> 8) & 7;
    if (mode === 4) this.onNmi();
    else if (mode === 0) this.accept(lvt & 0xff, (lvt & (1 << 15)) !== 0);
  }

  readCr8(): number {
    return (this.s.tpr >> 4) & 0xf;
  }

  writeCr8(v: number): void {
    this.s.tpr = (v & 0xf) << 4;
    this.onChange();
  }

  // ---- MSRs -------------------------------------------------------------------------------------------------

  /** RDMSR for 0x1B, 0x6E0 and 0x800-0x8FF; undefined means #GP(0). */
  readMsr(index: number): [number, number] | undefined {
    if (index === MSR_APIC_BASE) return [this.s.apicBase >>> 0, 0];
    if (index === MSR_TSC_DEADLINE) return split64(this.s.tscDeadline);
    if (index < 0x800 || index > 0x8ff || !this.x2apic || !this.enabled) return undefined;
    const reg = (index - 0x800) << 4;
    if (reg === 0x300) return [this.s.icrLo >>> 0, this.s.icrHi >>> 0];
    if (!x2apicReadable(reg)) return undefined;
    const v = this.read32(reg);
    return v === undefined ? undefined : [v >>> 0, 0];
  }

  /** WRMSR for 0x1B, 0x6E0 and 0x800-0x8FF; false means #GP(0). */
  writeMsr(index: number, lo: number, hi: number): boolean {
    if (index === MSR_APIC_BASE) return this.writeApicBase(lo >>> 0, hi >>> 0);
    if (index === MSR_TSC_DEADLINE) {
      this.writeTscDeadline((hi >>> 0) * 0x1_0000_0000 + (lo >>> 0));
      return true;
    }
    if (index < 0x800 || index > 0x8ff || !this.x2apic || !this.enabled) return false;
    const reg = (index - 0x800) << 4;
    if (reg === 0x300) {
      this.s.icrHi = hi >>> 0;
      this.s.icrLo = lo & ~(1 << 12);
      this.sendIpi();
      return true;
    }
    // Only ICR is 64 bits wide; every other register #GPs on bits 63:32 (§11.12.1.3).
    if (!x2apicWritable(reg) || hi !== 0) return false;
    switch (reg) {
      case 0x3f0: // SELF IPI: bits 31:8 are reserved
        if (lo & ~0xff) return false;
        this.accept(lo & 0xff);
        return true;
      case 0x0b0: // EOI: a non-zero value #GPs in x2APIC mode
      case 0x280: // ESR likewise
        if (lo !== 0) return false;
        break;
    }
    return this.write32(reg, lo >>> 0);
  }

  /** IA32_TSC_DEADLINE: arms the timer in TSC-deadline mode; 0 disarms (§11.5.4.1). */
  writeTscDeadline(value: number): void {
    if (this.timerMode() !== TIMER_TSC_DEADLINE) return; // ignored in other modes
    this.s.tscDeadline = value;
    this.s.timerNext = value === 0 ? -1 : Math.max(0, value - (this.readTsc() - this.clock.instructions));
    this.arm();
  }

  readTscDeadline(): number {
    return this.s.tscDeadline;
  }

  // ---- Device -----------------------------------------------------------------------------------------------

  reset(): void {
    this.disarm();
    this.s = powerOn(this.apicId);
    this.current = 0;
    this.onChange();
  }

  /**
   * INIT (the INIT IPI, or the CPU's INIT#): everything as at power-on except the APIC ID and IA32_APIC_BASE
   * (SDM Vol. 3A §11.4.7.3 "Local APIC State After an INIT Reset", x2APIC mode kept: §11.12.5.1).
   */
  initReset(): void {
    const { id, apicBase } = this.s;
    this.disarm();
    this.s = powerOn(this.apicId);
    this.s.id = id;
    this.s.apicBase = apicBase;
    this.onChange();
  }

  saveState(): unknown {
    const s = this.s;
    return { ...s, irr: s.irr.slice(), isr: s.isr.slice(), tmr: s.tmr.slice(), lvt: s.lvt.slice() };
  }

  loadState(state: unknown): void {
    const o = (state ?? {}) as Partial<LapicState>;
    const d = powerOn(this.apicId);
    const arr = (v: unknown, def: number[]) => (Array.isArray(v) && v.length === def.length ? v.map((x) => num(x)) : def);
    this.disarm();
    this.s = {
      id: num(o.id, d.id), apicBase: num(o.apicBase, d.apicBase), tpr: num(o.tpr), ldr: num(o.ldr),
      dfr: num(o.dfr, d.dfr), svr: num(o.svr, d.svr), esr: num(o.esr), esrPending: num(o.esrPending),
      icrLo: num(o.icrLo), icrHi: num(o.icrHi), irr: arr(o.irr, d.irr), isr: arr(o.isr, d.isr), tmr: arr(o.tmr, d.tmr),
      lvt: arr(o.lvt, d.lvt), timerInitial: num(o.timerInitial), timerDivide: num(o.timerDivide),
      timerStart: num(o.timerStart), timerNext: num(o.timerNext, -1), tscDeadline: num(o.tscDeadline),
    };
    this.arm();
    this.onChange();
  }

  // ---- registers --------------------------------------------------------------------------------------------

  mmioRead(offset: number, size: number): number {
    // Globally disabled (IA32_APIC_BASE.EN = 0) the processor acts as one without an APIC (§11.4.3), and in
    // x2APIC mode the MMIO interface behaves like that (§11.12.1): the access goes to the bus, where nothing
    // answers at 0xFEE00000 (all ones, as unassigned addresses read here).
    if (this.x2apic || !this.enabled) return allOnes(size);
    if ((offset & 0xf) + size > 4 && size <= 4) return 0;
    const v = (this.read32(offset & 0xff0) ?? 0) >>> ((offset & 3) * 8);
    return size === 1 ? v & 0xff : size === 2 ? v & 0xffff : v >>> 0;
  }

  mmioWrite(offset: number, size: number, value: number): void {
    if (this.x2apic || !this.enabled) return; // not decoded (see mmioRead)
    if ((offset & 0xf) !== 0 || size < 4) return; // only aligned 32-bit accesses are defined
    this.write32(offset & 0xff0, value >>> 0);
  }

  private ldr(): number {
    // In x2APIC mode the LDR is derived from the ID: cluster in 31:16, one bit of 16 in 15:0 (§11.12.10.2).
    return this.x2apic ? (((this.s.id >>> 4) << 16) | (1 << (this.s.id & 0xf))) >>> 0 : this.s.ldr;
  }

  private ppr(): number {
    const isrv = Math.max(0, highestBit(this.s.isr));
    return (this.s.tpr & 0xf0) >= (isrv & 0xf0) ? this.s.tpr & 0xff : isrv & 0xf0;
  }

  private read32(reg: number): number | undefined {
    const s = this.s;
    switch (reg) {
      case 0x020: return this.x2apic ? s.id : (s.id << 24) >>> 0;
      case 0x030: return APIC_VERSION;
      case 0x080: return s.tpr;
      case 0x090: return 0; // APR: arbitration priority, not modelled
      case 0x0a0: return this.ppr();
      case 0x0b0: return 0;
      case 0x0c0: return 0;
      case 0x0d0: return this.ldr();
      case 0x0e0: return s.dfr;
      case 0x0f0: return s.svr;
      case 0x280: return s.esr;
      case 0x2f0: return s.lvt[LVT_CMCI];
      case 0x300: return s.icrLo;
      case 0x310: return s.icrHi;
      case 0x380: return s.timerInitial;
      case 0x390: return this.currentCount();
      case 0x3e0: return s.timerDivide;
      default:
        if (reg >= 0x100 && reg < 0x180) return s.isr[(reg - 0x100) >> 4] >>> 0;
        if (reg >= 0x180 && reg < 0x200) return s.tmr[(reg - 0x180) >> 4] >>> 0;
        if (reg >= 0x200 && reg < 0x280) return s.irr[(reg - 0x200) >> 4] >>> 0;
        if (reg >= 0x320 && reg <= 0x370) return s.lvt[(reg - 0x320) >> 4];
        return this.x2apic ? undefined : 0;
    }
  }

  private write32(reg: number, v: number): boolean {
    const s = this.s;
    switch (reg) {
      case 0x020:
        if (!this.x2apic) s.id = v >>> 24;
        return true;
      case 0x080:
        s.tpr = v & 0xff;
        this.onChange();
        return true;
      case 0x0b0:
        this.eoi();
        return true;
      case 0x0d0:
        s.ldr = v & 0xff00_0000;
        return true;
      case 0x0e0:
        s.dfr = (v | 0x0fff_ffff) >>> 0;
        return true;
      case 0x0f0:
        s.svr = v & 0x11ff;
        // Software disable masks every LVT (§11.4.7.2).
        if (!(v & SVR_ENABLE)) for (let i = 0; i < s.lvt.length; i++) s.lvt[i] |= LVT_MASKED;
        this.onChange();
        return true;
      case 0x280:
        s.esr = s.esrPending;
        s.esrPending = 0;
        return true;
      case 0x2f0:
        this.writeLvt(LVT_CMCI, v);
        return true;
      case 0x300:
        s.icrLo = v & ~(1 << 12); // delivery is instant: delivery status always idle
        this.sendIpi();
        return true;
      case 0x310:
        s.icrHi = v & 0xff00_0000;
        return true;
      case 0x380:
        if (this.timerMode() === TIMER_TSC_DEADLINE) return true; // ignored in TSC-deadline mode
        s.timerInitial = v >>> 0;
        s.timerStart = this.clock.instructions;
        s.timerNext = v === 0 ? -1 : s.timerStart + s.timerInitial * this.divisor();
        this.arm();
        return true;
      case 0x3e0:
        s.timerDivide = v & 0xb;
        this.recomputeTimer();
        return true;
      default:
        if (reg >= 0x320 && reg <= 0x370) {
          this.writeLvt((reg - 0x320) >> 4, v);
          return true;
        }
        return true; // read-only or reserved: ignored
    }
  }

  private writeLvt(i: number, v: number): void {
    const s = this.s;
    const oldMode = this.timerMode();
    let nv = v & LVT_WRITABLE[i];
    if (i === LVT_LINT0 || i === LVT_LINT1) nv |= s.lvt[i] & (1 << 14); // remote IRR is read-only
    if (!(s.svr & SVR_ENABLE)) nv |= LVT_MASKED;
    s.lvt[i] = nv;
    if (i === LVT_TIMER) {
      const mode = this.timerMode();
      if (mode !== oldMode) {
        // Switching into or out of TSC-deadline mode disarms the timer (§11.5.4.1).
        if (mode === TIMER_TSC_DEADLINE || oldMode === TIMER_TSC_DEADLINE) {
          s.tscDeadline = 0;
          s.timerInitial = 0;
          s.timerNext = -1;
          this.arm();
        } else {
          this.recomputeTimer();
        }
      }
    }
    if (i === LVT_LINT0) this.onChange(); // ExtINT routing may have changed
  }

  private eoi(): void {
    const s = this.s;
    const v = highestBit(s.isr);
    if (v < 0) return;
    s.isr[v >> 5] &= ~(1 << (v & 31));
    if (s.tmr[v >> 5] & (1 << (v & 31)) && !(s.svr & SVR_SUPPRESS_EOI_BROADCAST)) this.onEoi(v);
    this.onChange();
  }

  private error(bit: number): void {
    const s = this.s;
    s.esrPending |= bit;
    const lvt = s.lvt[LVT_ERROR];
    if (!(lvt & LVT_MASKED) && (lvt & 0xff) >= 16) this.accept(lvt & 0xff);
  }

  /** ICR write: the interrupt message goes to every APIC its destination and shorthand select (§11.6.1). */
  private sendIpi(): void {
    const s = this.s;
    const vector = s.icrLo & 0xff;
    const mode = (s.icrLo >> 8) & 7;
    const logical = (s.icrLo & (1 << 11)) !== 0;
    const shorthand = (s.icrLo >> 18) & 3;
    const dest = this.x2apic ? s.icrHi : s.icrHi >>> 24;
    const targets: LocalApic[] = [];
    for (const a of this.bus) {
      if (shorthand === 1 ? a === this : shorthand === 2 ? true : shorthand === 3 ? a !== this : a.matchesDestination(dest, logical)) targets.push(a);
    }
    switch (mode) {
      case 0: // fixed
      case 1: // lowest priority: QEMU gives it to the lowest-numbered APIC of the set (no arbitration)
        if (vector < 16) {
          this.error(ESR_SEND_ILLEGAL_VECTOR);
          return;
        }
        for (const a of mode === 1 ? targets.slice(0, 1) : targets) a.accept(vector, (s.icrLo & (1 << 15)) !== 0);
        return;
      case 4: // NMI
        for (const a of targets) a.onNmi();
        return;
      case 5: // INIT; level de-assert (level 0, trigger level) only synchronises arbitration IDs (§11.6.1)
        if ((s.icrLo & (1 << 14)) === 0 && (s.icrLo & (1 << 15)) !== 0) return;
        for (const a of targets) a.onInit();
        return;
      case 6: // STARTUP
        for (const a of targets) a.onSipi(vector);
        return;
    }
    // SMI (2) and the reserved modes: nothing.
  }

  private writeApicBase(lo: number, hi: number): boolean {
    const s = this.s;
    if (hi & ~0xf || lo & 0x2ff) return false; // reserved bits (MAXPHYADDR 36 assumed for the high part)
    const enable = (lo & BASE_ENABLE) !== 0;
    const x2 = (lo & BASE_X2APIC) !== 0;
    // Invalid transitions (§11.12.5 Figure 11-27): x2APIC without enable, x2APIC back to xAPIC directly.
    if (x2 && !this.x2apicSupported) return false;
    if (x2 && !enable) return false;
    if (this.x2apic && enable && !x2) return false;
    if (x2 && !this.enabled) return false; // disabled -> x2APIC: only through xAPIC mode
    const wasEnabled = this.enabled;
    s.apicBase = ((lo & ~0x3ff) | (s.apicBase & BASE_BSP)) >>> 0; // BSP is read-only
    if (wasEnabled && !enable) {
      // Global disable: state returns to power-on values, except the base (§11.4.3).
      const base = s.apicBase;
      this.disarm();
      this.s = powerOn(this.apicId);
      this.s.apicBase = base;
      this.s.svr &= ~SVR_ENABLE;
    }
    this.onChange();
    return true;
  }

  // ---- timer ------------------------------------------------------------------------------------------------

  private timerMode(): number {
    return (this.s.lvt[LVT_TIMER] >> 17) & 3;
  }

  private divisor(): number {
    const d = this.s.timerDivide;
    const v = (d & 3) | ((d >> 1) & 4);
    return 1 << ((v + 1) & 7);
  }

  private currentCount(): number {
    const s = this.s;
    if (s.timerInitial === 0 || this.timerMode() === TIMER_TSC_DEADLINE) return 0;
    const elapsed = Math.floor((this.clock.instructions - s.timerStart) / this.divisor());
    if (this.timerMode() === TIMER_PERIODIC) return s.timerInitial - (elapsed % s.timerInitial);
    return elapsed >= s.timerInitial ? 0 : s.timerInitial - elapsed;
  }

  /** After a divide or mode change: the next expiry from the same start (QEMU keeps the start too). */
  private recomputeTimer(): void {
    const s = this.s;
    const mode = this.timerMode();
    if (mode === TIMER_TSC_DEADLINE || s.timerInitial === 0) return;
    const period = s.timerInitial * this.divisor();
    const elapsed = this.clock.instructions - s.timerStart;
    if (mode === TIMER_PERIODIC) s.timerNext = s.timerStart + (Math.floor(elapsed / period) + 1) * period;
    else s.timerNext = elapsed < period ? s.timerStart + period : -1;
    this.arm();
  }

  private arm(): void {
    this.disarm();
    if (this.s.timerNext >= 0) this.timer = this.clock.schedule(this.s.timerNext, () => this.expire(), TimerKey.LAPIC + this.apicId / 256);
  }

  private disarm(): void {
    if (this.timer) this.clock.cancel(this.timer);
    this.timer = 0;
  }

  private expire(): void {
    const s = this.s;
    this.timer = 0;
    const lvt = s.lvt[LVT_TIMER];
    if (!(lvt & LVT_MASKED)) this.accept(lvt & 0xff);
    const mode = this.timerMode();
    if (mode === TIMER_PERIODIC && s.timerInitial !== 0) {
      s.timerNext += s.timerInitial * this.divisor();
      this.arm();
    } else {
      if (mode === TIMER_TSC_DEADLINE) s.tscDeadline = 0;
      s.timerNext = -1;
    }
  }
}

function split64(v: number): [number, number] {
  return [v % 0x1_0000_0000 >>> 0, Math.floor(v / 0x1_0000_0000) >>> 0];
}
