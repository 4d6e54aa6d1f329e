import { IoBus } from './bus';
import { Device } from './device';
import { bytePorts, num } from './ports';

/**
 * The two cascaded 8259A PICs of a PC (master 0x20/0x21, slave 0xA0/0xA1 on master IRQ2) with the PIIX ELCR
 * at 0x4D0/0x4D1, after the Intel 8259A datasheet and QEMU's hw/intc/i8259.c: ICW1-ICW4, OCW1 mask, OCW2
 * (specific / non-specific / rotating EOI, set priority), OCW3 (IRR/ISR read select, poll, special mask),
 * auto-EOI, special fully nested mode, spurious IRQ7/IRQ15. Lines are edge-triggered unless the ELCR says
 * level.
 *
 * Public API: attach(bus), setIrq(line 0-15, level), hasInterrupt(), acknowledge(): vector,
 * onOutputChange (set by the interrupt router), Device methods.
 */

interface ChipState {
  lastIrr: number; // line levels, for edge detection
  irr: number;
  imr: number;
  isr: number;
  priorityAdd: number;
  irqBase: number;
  readIsr: boolean;
  poll: boolean;
  specialMask: boolean;
  initState: number;
  init4: boolean;
  singleMode: boolean;
  autoEoi: boolean;
  rotateOnAutoEoi: boolean;
  specialFullyNested: boolean;
  elcr: number;
}

function powerOnChip(): ChipState {
  return {
    lastIrr: 0, irr: 0, imr: 0, isr: 0, priorityAdd: 0, irqBase: 0, readIsr: false, poll: false,
    specialMask: false, initState: 0, init4: false, singleMode: false, autoEoi: false, rotateOnAutoEoi: false,
    specialFullyNested: false, elcr: 0,
  };
}

/** Lowest priority number (0 = highest) among bits of `mask`, counting from priorityAdd; 8 if none. */
function priorityOf(c: ChipState, mask: number): number {
  if (mask === 0) return 8;
  let p = 0;
  while ((mask & (1 << ((p + c.priorityAdd) & 7))) === 0) p++;
  return p;
}

export class Pic8259 implements Device {
  readonly name = 'pic8259';
  /** Called whenever the INTR output of the master may have changed. */
  onOutputChange: () => void = () => {};
  private m = powerOnChip();
  private sl = powerOnChip();
  /** Master's INTR output (cached, recomputed on every change). */
  private intr = false;

  attach(bus: IoBus): void {
    const h = bytePorts(bus, (p) => this.read8(p), (p, v) => this.write8(p, v));
    bus.registerPorts(0x20, 2, h);
    bus.registerPorts(0xa0, 2, h);
    bus.registerPorts(0x4d0, 2, h);
  }

  /** Raise or lower ISA IRQ line 0-15. */
  setIrq(line: number, level: boolean): void {
    if (line < 0 || line > 15) return;
    Pic8259.setLine(line < 8 ? this.m : this.sl, line & 7, level);
    this.update();
  }

  /** True while the master asserts INTR to the CPU. */
  hasInterrupt(): boolean {
    return this.intr;
  }

  /**
   * The INTA cycle: returns the vector and moves the request into ISR. With no request (it went away before
   * the acknowledge) the chip answers with IRQ7 of the chip concerned, the spurious vector, and sets no ISR bit.
   */
  acknowledge(): number {
    let vector: number;
    const irq = this.pendingIrq(this.m, true);
    if (irq >= 0) {
      if (irq === 2) {
        const irq2 = this.pendingIrq(this.sl, false);
        if (irq2 >= 0) {
          this.intack(this.sl, irq2);
          vector = this.sl.irqBase + irq2;
        } else {
          vector = this.sl.irqBase + 7; // spurious IRQ15
        }
      } else {
        vector = this.m.irqBase + irq;
      }
      this.intack(this.m, irq);
    } else {
      vector = this.m.irqBase + 7; // spurious IRQ7
    }
    this.update();
    return vector;
  }

  reset(): void {
    this.m = powerOnChip();
    this.sl = powerOnChip();
    this.update();
  }

  saveState(): unknown {
    return { master: { ...this.m }, slave: { ...this.sl } };
  }

  loadState(state: unknown): void {
    const o = (state ?? {}) as { master?: Partial<ChipState>; slave?: Partial<ChipState> };
    this.m = Pic8259.chipFrom(o.master);
    this.sl = Pic8259.chipFrom(o.slave);
    this.update();
  }

  private static chipFrom(o: Partial<ChipState> | undefined): ChipState {
    const c = powerOnChip();
    if (!o) return c;
    for (const k of Object.keys(c) as (keyof ChipState)[]) {
      const v = o[k];
      if (typeof v === typeof c[k]) (c as unknown as Record<string, unknown>)[k] = v;
    }
    return c;
  }

  private static setLine(c: ChipState, irq: number, level: boolean): void {
    const mask = 1 << irq;
    if (c.elcr & mask) {
      if (level) {
        c.irr |= mask;
        c.lastIrr |= mask;
      } else {
        c.irr &= ~mask;
        c.lastIrr &= ~mask;
      }
    } else if (level) {
      if ((c.lastIrr & mask) === 0) c.irr |= mask; // rising edge
      c.lastIrr |= mask;
    } else {
      c.lastIrr &= ~mask;
    }
  }

  /** The IRQ (0-7) this chip would present, or -1 (8259A priority resolver). */
  private pendingIrq(c: ChipState, master: boolean): number {
    const p = priorityOf(c, c.irr & ~c.imr);
    if (p === 8) return -1;
    let inService = c.isr;
    if (c.specialMask) inService &= ~c.imr;
    // Special fully nested mode: the slave may interrupt while one of its own requests is in service.
    if (c.specialFullyNested && master) inService &= ~(1 << 2);
    return p < priorityOf(c, inService) ? (p + c.priorityAdd) & 7 : -1;
  }

  private intack(c: ChipState, irq: number): void {
    if (c.autoEoi) {
      if (c.rotateOnAutoEoi) c.priorityAdd = (irq + 1) & 7;
    } else {
      c.isr |= 1 << irq;
    }
    // An edge-triggered request is consumed by the acknowledge; a level one stays while the line is high.
    if (!(c.elcr & (1 << irq))) c.irr &= ~(1 << irq);
  }

  private update(): void {
    // The slave's INT output drives master IR2, an edge-triggered input like any other: if the slave's
    // request goes away after the master latched it, the INTA cycle gets the slave's spurious IRQ15.
    Pic8259.setLine(this.m, 2, this.pendingIrq(this.sl, false) >= 0);
    const intr = this.pendingIrq(this.m, true) >= 0;
    if (intr !== this.intr) {
      this.intr = intr;
      this.onOutputChange();
    }
  }

  private read8(port: number): number {
    if (port === 0x4d0) return this.m.elcr;
    if (port === 0x4d1) return this.sl.elcr;
    const c = port < 0xa0 ? this.m : this.sl;
    if (c.poll) {
      // OCW3 poll: the read acts as the acknowledge; bit 7 says whether there was a request.
      c.poll = false;
      const irq = this.pendingIrq(c, c === this.m);
      let v = 0;
      if (irq >= 0) {
        this.intack(c, irq);
        v = 0x80 | irq;
      }
      this.update();
      return v;
    }
    if ((port & 1) === 0) return c.readIsr ? c.isr : c.irr;
    return c.imr;
  }

  private write8(port: number, v: number): void {
    if (port === 0x4d0 || port === 0x4d1) {
      // PIIX ELCR: IRQ0-2, 8 and 13 are always edge-triggered.
      if (port === 0x4d0) this.m.elcr = v & 0xf8;
      else this.sl.elcr = v & 0xde;
      this.update();
      return;
    }
    const c = port < 0xa0 ? this.m : this.sl;
    if ((port & 1) === 0) {
      if (v & 0x10) {
        // ICW1: re-initialise; level-triggered mode (bit 3) is not supported by the PC wiring (ELCR is).
        const elcr = c.elcr;
        Object.assign(c, powerOnChip());
        c.elcr = elcr;
        c.irr &= elcr;
        c.initState = 1;
        c.init4 = (v & 1) !== 0;
        c.singleMode = (v & 2) !== 0;
      } else if (v & 0x08) {
        // OCW3
        if (v & 0x04) c.poll = true;
        if (v & 0x02) c.readIsr = (v & 1) !== 0;
        if (v & 0x40) c.specialMask = ((v >> 5) & 1) !== 0;
      } else {
        this.ocw2(c, v);
      }
    } else {
      switch (c.initState) {
        case 0:
          c.imr = v; // OCW1
          break;
        case 1:
          c.irqBase = v & 0xf8; // ICW2
          c.initState = c.singleMode ? (c.init4 ? 3 : 0) : 2;
          break;
        case 2:
          c.initState = c.init4 ? 3 : 0; // ICW3 (cascade wiring is fixed on a PC)
          break;
        default:
          c.specialFullyNested = ((v >> 4) & 1) !== 0; // ICW4
          c.autoEoi = ((v >> 1) & 1) !== 0;
          c.initState = 0;
      }
    }
    this.update();
  }

  private ocw2(c: ChipState, v: number): void {
    const cmd = v >> 5;
    switch (cmd) {
      case 0: // rotate in auto-EOI mode: clear
      case 4: //                         set
        c.rotateOnAutoEoi = cmd === 4;
        break;
      case 1: // non-specific EOI
      case 5: { // rotate on non-specific EOI
        const p = priorityOf(c, c.isr);
        if (p !== 8) {
          const irq = (p + c.priorityAdd) & 7;
          c.isr &= ~(1 << irq);
          if (cmd === 5) c.priorityAdd = (irq + 1) & 7;
        }
        break;
      }
      case 3: // specific EOI
        c.isr &= ~(1 << (v & 7));
        break;
      case 6: // set priority
        c.priorityAdd = (v + 1) & 7;
        break;
      case 7: // rotate on specific EOI
        c.isr &= ~(1 << (v & 7));
        c.priorityAdd = ((v & 7) + 1) & 7;
        break;
      default: // 2: no operation
    }
  }
}
