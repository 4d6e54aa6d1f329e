import type { VirtualClock } from '../clock';
import { Device, IrqLines } from './device';
import { Pic8259 } from './pic8259';

/**
 * What the CPU polls for external interrupts. ISA IRQ lines go to both the 8259 pair and the I/O APIC (ISA
 * IRQ0 on I/O APIC pin 2, the interrupt source override every PC's MADT declares); the local APIC takes
 * priority and the PIC's INTR reaches the CPU as ExtINT through LINT0 when the local APIC is globally disabled
 * or LINT0 is unmasked ExtINT (QEMU's cpu_get_pic_interrupt / apic_accept_pic_intr).
 *
 * `pending` is a plain field, recomputed whenever a line, mask, IRR/ISR, TPR or enable bit changes, so the CPU
 * can test it between instruction blocks for the price of a load. It does not look at RFLAGS.IF: that is
 * the CPU's business.
 *
 * With several CPUs each has its own line (`lines[i]`, polled by CPU i; `lines[0]` is the router itself, so
 * the one-CPU machine is unchanged): its local APIC's requests, and the PIC's INTR where that APIC accepts it
 * (QEMU's pic_irq_request offers INTR to every CPU whose LINT0 takes ExtINT; power-on leaves that on the BSP only).
 *
 * Public API: pending, nmiPending, lines, setIrq(line, level), acknowledge(cpu), raiseNmi(cpu), takeNmi(cpu), update().
 */

/** One CPU's interrupt request line (what Cpu.irqLine points at). */
export interface CpuIrqLine {
  pending: boolean;
  nmiPending: boolean;
}

/** The local APIC as the router sees it (implemented by LocalApic in lapic.ts). */
export interface LocalApicSide {
  hasInterrupt(): boolean;
  acknowledge(): number;
  /** True if the PIC's INTR may reach the CPU (APIC globally disabled, or LINT0 unmasked ExtINT). */
  acceptsPicInterrupts(): boolean;
  onChange: () => void;
  onNmi: () => void;
}

/** The I/O APIC as the router sees it (implemented by IoApic in ioapic.ts). */
export interface IoApicSide {
  setIrq(pin: number, level: boolean): void;
}

export class InterruptRouter implements IrqLines, Device {
  readonly name = 'interrupt-router';
  /** True while acknowledge() would return a real (maskable) interrupt. */
  pending = false;
  /** An NMI is waiting; the CPU clears it with takeNmi() when it delivers vector 2. */
  nmiPending = false;
  private lapic: LocalApicSide | undefined;
  private ioapic: IoApicSide | undefined;
  /** CPU i's line and local APIC (index 0: this router and `lapic`). */
  readonly lines: CpuIrqLine[] = [this];
  private lapics: LocalApicSide[] = [];

  /** `clock`: raising an NMI ends the CPU's current block, so the NMI is taken at the next instruction boundary. */
  constructor(private readonly pic: Pic8259, private readonly clock?: VirtualClock) {
    pic.onOutputChange = () => this.update();
  }

  /** Connect the APICs (machines without them route everything through the PIC). */
  attachApics(lapic: LocalApicSide, ioapic: IoApicSide): void {
    this.lapic = lapic;
    this.ioapic = ioapic;
    this.lapics = [lapic];
    lapic.onChange = () => this.update();
    lapic.onNmi = () => this.raiseNmi();
    this.update();
  }

  /** Connect the local APIC of CPU `cpu` (> 0): returns that CPU's line. */
  attachCpu(cpu: number, lapic: LocalApicSide): CpuIrqLine {
    const line: CpuIrqLine = { pending: false, nmiPending: false };
    this.lines[cpu] = line;
    this.lapics[cpu] = lapic;
    lapic.onChange = () => this.update();
    lapic.onNmi = () => this.raiseNmi(cpu);
    this.update();
    return line;
  }

  /** An ISA device raises or lowers IRQ `line` (0-15). */
  setIrq(line: number, level: boolean): void {
    this.pic.setIrq(line, level);
    if (this.ioapic) this.ioapic.setIrq(line === 0 ? 2 : line, level);
  }

  /** CPU `cpu` takes the interrupt (INTA): returns the vector, or -1 if the request vanished. */
  acknowledge(cpu = 0): number {
    let v = -1;
    const lapic = cpu === 0 ? this.lapic : this.lapics[cpu];
    if (lapic && lapic.hasInterrupt()) v = lapic.acknowledge();
    else if ((lapic === undefined || lapic.acceptsPicInterrupts()) && this.pic.hasInterrupt()) v = this.pic.acknowledge();
    this.update();
    return v;
  }

  raiseNmi(cpu = 0): void {
    this.lines[cpu].nmiPending = true;
    if (this.lines.length > 1) this.onRaise(cpu);
    // The CPU loop ends a block when the clock's deadline is reached; fire() recomputes the real deadline.
    if (this.clock) this.clock.nextDeadline = this.clock.instructions;
  }

  takeNmi(cpu = 0): void {
    this.lines[cpu].nmiPending = false;
  }

  /** Recompute `pending`; devices call it through their change hooks. */
  update(): void {
    const was0 = this.pending;
    this.pending = (this.lapic !== undefined && this.lapic.hasInterrupt()) || (this.picRoutable() && this.pic.hasInterrupt());
    if (this.lines.length === 1) return;
    if (!was0 && this.pending) this.onRaise(0);
    for (let i = 1; i < this.lines.length; i++) {
      const a = this.lapics[i];
      const was = this.lines[i].pending;
      this.lines[i].pending = a.hasInterrupt() || (a.acceptsPicInterrupts() && this.pic.hasInterrupt());
      if (!was && this.lines[i].pending) this.onRaise(i);
    }
  }

  /** Several CPUs: CPU `cpu`'s line was raised (an interrupt or NMI for it); the scheduler may end a lone CPU's turn. */
  onRaise: (cpu: number) => void = () => {};

  reset(): void {
    for (const l of this.lines) l.nmiPending = false;
    this.update();
  }

  saveState(): unknown {
    return { nmiPending: this.nmiPending };
  }

  /** Load after the PIC and APICs so `pending` is recomputed from their restored state. */
  loadState(state: unknown): void {
    this.nmiPending = !!(state as { nmiPending?: boolean } | null)?.nmiPending;
    this.update();
  }

  private picRoutable(): boolean {
    return this.lapic === undefined || this.lapic.acceptsPicInterrupts();
  }
}
