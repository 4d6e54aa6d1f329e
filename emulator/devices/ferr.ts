import { IoBus } from './bus';
import { Device, IrqLines } from './device';

/**
 * The PC's x87 error path for CR0.NE=0 ("MS-DOS compatibility mode", SDM Vol. 1 §D.2.1; QEMU's pc machine):
 * a waiting x87 instruction that finds an unmasked exception pending asserts FERR#, which the chipset routes
 * to IRQ 13; the handler writes port F0h, which drops IRQ 13 and asserts IGNNE# so the FPU then ignores the
 * error (the instruction proceeds) until FNINIT/FNCLEX clears it.
 */
export class FpuErrorLine implements Device {
  readonly name = 'ferr';
  private ignne = false;

  constructor(private readonly lines: IrqLines) {}

  attach(bus: IoBus): void {
    bus.registerPorts(0xf0, 1, {
      read: () => 0xff,
      write: () => { this.lines.setIrq(13, false); this.ignne = true; },
    });
  }

  /** FERR# from the CPU: `asserted` = an error is pending (a waiting instruction saw FSW.ES); false = cleared. */
  ferr(asserted: boolean): void {
    if (!asserted) { this.ignne = false; return; }
    if (!this.ignne) this.lines.setIrq(13, true);
  }

  reset(): void { this.ignne = false; }
  saveState(): unknown { return { ignne: this.ignne }; }
  loadState(s: unknown): void { this.ignne = !!(s as { ignne?: boolean })?.ignne; }
}
