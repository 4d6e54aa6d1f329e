import { IoBus } from './bus';
import { Device } from './device';
import { IoApicSide } from './interrupts';
import { num } from './ports';

/**
 * The I/O APIC at 0xFEC00000 as QEMU's pc machine has it (24 pins, version 0x20, QEMU's default since 2.x; Linux
 * prints "IOAPIC[0]: apic_id 0, version 32"): IOREGSEL at offset 0x00, IOWIN at 0x10, and the version-0x20
 * EOI register at 0x40 (a write of a vector clears Remote IRR of the level entries with that vector, as a
 * local APIC EOI broadcast does); registers ID (0), version (1), arbitration (2) and the redirection table (0x10 + 2n). Pins
 * are routed to the local APICs their destination selects (physical APIC ID, or logical), as fixed interrupts
 * (to each), lowest-priority ones (to the lowest-numbered APIC of the set, as QEMU), NMIs (`onNmi(cpu)`);
 * ExtINT, SMI and INIT are dropped. Edge-triggered pins deliver on the asserting edge; level-triggered ones deliver while
 * asserted and set Remote IRR until the local APIC broadcasts the EOI (`eoi(vector)`).
 *
 * Public API: attach(bus), setIrq(pin, level), eoi(vector), entry(pin), Device methods.
 */

export const IOAPIC_MMIO_BASE = 0xfec0_0000;
const PINS = 24;
const IOAPIC_VERSION = 0x0017_0020; // max redirection entry 23, version 0x20
/** The directed-EOI register of version-0x20 I/O APICs. */
const IOAPIC_EOI = 0x40;

const RTE_MASKED = 1 << 16;
const RTE_LEVEL = 1 << 15;
const RTE_REMOTE_IRR = 1 << 14;
const RTE_ACTIVE_LOW = 1 << 13;
const RTE_DELIVERY_STATUS = 1 << 12;
const RTE_LOGICAL = 1 << 11;
/** Writable low-dword bits: vector, delivery mode, destination mode, polarity, trigger, mask. */
const RTE_LO_WRITABLE = 0x0001_afff;

/** The local APIC as the I/O APIC delivers to it. */
export interface ApicTarget {
  accept(vector: number, level: boolean): void;
  matchesDestination(dest: number, logical: boolean): boolean;
}

interface IoApicState {
  id: number;
  ioregsel: number;
  /** Redirection entries as [low dword, high dword] pairs. */
  lo: number[];
  hi: number[];
  /** Pin input levels as driven by the devices (before polarity). */
  levels: boolean[];
}

function powerOn(): IoApicState {
  return { id: 0, ioregsel: 0, lo: new Array(PINS).fill(RTE_MASKED), hi: new Array(PINS).fill(0), levels: new Array(PINS).fill(false) };
}

export class IoApic implements Device, IoApicSide {
  readonly name = 'ioapic';
  /** An NMI-mode entry fired for CPU `cpu` (index in the APIC list). */
  onNmi: (cpu: number) => void = () => {};
  private s = powerOn();
  /** Every CPU's local APIC, by CPU number (the machine may add the APs' after construction). */
  readonly lapics: ApicTarget[];

  constructor(lapic: ApicTarget | ApicTarget[]) {
    this.lapics = Array.isArray(lapic) ? lapic : [lapic];
  }

  attach(bus: IoBus): void {
    bus.registerMmio('ioapic', IOAPIC_MMIO_BASE, 0x1000, {
      read: (offset, size) => {
        const v = this.read32(offset & ~3);
        const sh = (offset & 3) * 8;
        return size === 1 ? (v >>> sh) & 0xff : size === 2 ? (v >>> sh) & 0xffff : v >>> 0;
      },
      write: (offset, size, value) => {
        if (size === 4 && (offset & 3) === 0) this.write32(offset, value >>> 0);
        else if (size === 1 && offset === 0) this.s.ioregsel = value & 0xff;
      },
    });
  }

  /** Redirection entry of `pin` as {lo, hi} (for inspection and tests). */
  entry(pin: number): { lo: number; hi: number } {
    return { lo: this.s.lo[pin] >>> 0, hi: this.s.hi[pin] >>> 0 };
  }

  setIrq(pin: number, level: boolean): void {
    if (pin < 0 || pin >= PINS) return;
    const s = this.s;
    const was = s.levels[pin];
    s.levels[pin] = level;
    const lo = s.lo[pin];
    const asserted = level !== ((lo & RTE_ACTIVE_LOW) !== 0);
    const wasAsserted = was !== ((lo & RTE_ACTIVE_LOW) !== 0);
    if (lo & RTE_LEVEL) {
      if (asserted) this.service(pin);
    } else if (asserted && !wasAsserted) {
      this.service(pin);
    }
  }

  /** EOI broadcast from the local APIC: clears Remote IRR of level entries with `vector`, re-delivers. */
  eoi(vector: number): void {
    const s = this.s;
    for (let pin = 0; pin < PINS; pin++) {
      if ((s.lo[pin] & 0xff) !== vector || !(s.lo[pin] & RTE_REMOTE_IRR)) continue;
      s.lo[pin] &= ~RTE_REMOTE_IRR;
      if (s.lo[pin] & RTE_LEVEL && this.asserted(pin)) this.service(pin);
    }
  }

  reset(): void {
    this.s = powerOn();
  }

  saveState(): unknown {
    const s = this.s;
    return { id: s.id, ioregsel: s.ioregsel, lo: s.lo.slice(), hi: s.hi.slice(), levels: s.levels.slice() };
  }

  loadState(state: unknown): void {
    const o = (state ?? {}) as Partial<IoApicState>;
    const d = powerOn();
    this.s = {
      id: num(o.id),
      ioregsel: num(o.ioregsel),
      lo: Array.isArray(o.lo) && o.lo.length === PINS ? o.lo.map((x) => num(x)) : d.lo,
      hi: Array.isArray(o.hi) && o.hi.length === PINS ? o.hi.map((x) => num(x)) : d.hi,
      levels: Array.isArray(o.levels) && o.levels.length === PINS ? o.levels.map((x) => !!x) : d.levels,
    };
  }

  private asserted(pin: number): boolean {
    return this.s.levels[pin] !== ((this.s.lo[pin] & RTE_ACTIVE_LOW) !== 0);
  }

  /** Send pin's interrupt message if the entry allows it. */
  private service(pin: number): void {
    const s = this.s;
    const lo = s.lo[pin];
    if (lo & RTE_MASKED) return;
    const level = (lo & RTE_LEVEL) !== 0;
    if (level && lo & RTE_REMOTE_IRR) return;
    const mode = (lo >> 8) & 7;
    const dest = s.hi[pin] >>> 24;
    const logical = (lo & RTE_LOGICAL) !== 0;
    const targets: number[] = [];
    for (let i = 0; i < this.lapics.length; i++) if (this.lapics[i].matchesDestination(dest, logical)) targets.push(i);
    if (targets.length === 0) return;
    if (mode === 0 || mode === 1) {
      if (level) s.lo[pin] |= RTE_REMOTE_IRR;
      for (const i of mode === 1 ? targets.slice(0, 1) : targets) this.lapics[i].accept(lo & 0xff, level);
    } else if (mode === 4) {
      for (const i of targets) this.onNmi(i);
    }
  }

  private read32(offset: number): number {
    const s = this.s;
    if (offset === 0x00) return s.ioregsel;
    if (offset !== 0x10) return 0;
    const r = s.ioregsel;
    if (r === 0) return (s.id & 0xf) << 24;
    if (r === 1) return IOAPIC_VERSION;
    if (r === 2) return (s.id & 0xf) << 24; // arbitration ID
    if (r >= 0x10 && r < 0x10 + 2 * PINS) {
      const pin = (r - 0x10) >> 1;
      return (r & 1 ? s.hi[pin] : s.lo[pin]) >>> 0;
    }
    return 0xffff_ffff;
  }

  private write32(offset: number, v: number): void {
    const s = this.s;
    if (offset === 0x00) {
      s.ioregsel = v & 0xff;
      return;
    }
    if (offset === IOAPIC_EOI) {
      this.eoi(v & 0xff);
      return;
    }
    if (offset !== 0x10) return;
    const r = s.ioregsel;
    if (r === 0) {
      s.id = (v >>> 24) & 0xf;
      return;
    }
    if (r < 0x10 || r >= 0x10 + 2 * PINS) return; // version and arbitration are read-only
    const pin = (r - 0x10) >> 1;
    if (r & 1) {
      s.hi[pin] = v & 0xff00_0000;
      return;
    }
    s.lo[pin] = (v & RTE_LO_WRITABLE) | (s.lo[pin] & (RTE_REMOTE_IRR | RTE_DELIVERY_STATUS));
    // Switching to edge clears Remote IRR; an unmasked level entry with its line asserted fires now.
    if (!(s.lo[pin] & RTE_LEVEL)) s.lo[pin] &= ~RTE_REMOTE_IRR;
    else if (this.asserted(pin)) this.service(pin);
  }
}
