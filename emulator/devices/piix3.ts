import { PciFunction } from './pci';

/**
 * PIIX3 PCI-to-ISA bridge, PCI 00:01.0, 8086:7000 (QEMU hw/isa/piix3.c). A multi-function device (header type
 * 0x80) whose other functions are the IDE controller (00:01.1) and, on QEMU's `pc`, PIIX4's power management
 * (00:01.3). Firmware programs its PIRQ route control registers (0x60-0x63: bit 7 disables, bits 3:0 the ISA
 * IRQ a PCI INTA#-INTD# line drives); they reset to 0x80 (disabled). The ISA devices themselves (PIC, PIT,
 * RTC, 8042, port 0x92) are their own files; the ELCR at 0x4D0/0x4D1 lives in pic8259.ts.
 *
 * The reset control register (RCR, I/O port 0xCF9, reached through the PCI host's ports): writing bit 2
 * resets the system (bit 1 chooses a hard reset; both reset this machine), as QEMU's rcr_write.
 */
export const PIIX3_PIRQC = 0x60;

export class Piix3 extends PciFunction {
  private rcr = 0;

  constructor(private readonly onReset: () => void) {
    super('piix3-isa', 1, 0, { vendor: 0x8086, device: 0x7000, classCode: 0x060100, headerType: 0x80 });
    for (let i = 0; i < 4; i++) this.config[PIIX3_PIRQC + i] = 0x80;
  }

  /** The ISA IRQ that PIRQ `n` (0-3: PIRQA-D) is routed to, or -1 while the route is disabled. */
  pirqRoute(n: number): number {
    const v = this.config[PIIX3_PIRQC + n];
    return v & 0x80 ? -1 : v & 0x0f;
  }

  readResetControl(): number {
    return this.rcr;
  }

  writeResetControl(value: number): void {
    if (value & 4) {
      this.rcr = 0;
      this.onReset();
      return;
    }
    this.rcr = value & 2;
  }

  resetConfig(initial: Uint8Array): void {
    this.rcr = 0;
    super.resetConfig(initial);
  }
}
