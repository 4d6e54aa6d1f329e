import { IrqLines } from './device';
import { PciBus, PciFunction } from './pci';

/**
 * PIIX3 PCI-to-ISA bridge, PCI 00:01.0, 8086:7000 (QEMU hw/isa/piix3.c). A multi-function device (header type
 * 0x80) whose other functions are the IDE controller (00:01.1) and, on QEMU's `pc`, PIIX4's power management
 * (00:01.3). The ISA devices themselves (PIC, PIT, RTC, 8042, port 0x92) are their own files; the ELCR at
 * 0x4D0/0x4D1 lives in pic8259.ts.
 *
 * PCI interrupt routing: slot s's pin p (1-4) drives PIRQ[(p - 1 + s - 1) & 3] (QEMU's pci_slot_get_pirq, the
 * swizzle SeaBIOS and the DSDT's _PRT assume). The PIRQ route control registers (config 0x60-0x63, PIRQA-D) steer
 * each PIRQ to an ISA IRQ: bit 7 disables the route, bits 3:0 are the IRQ; they reset to 0x80. An ISA IRQ is
 * asserted while any PIRQ routed to it is (QEMU's piix3_set_irq_pic); the interrupt router takes it to the 8259s
 * and the I/O APIC pin of the same number, as every ISA IRQ (QEMU's pc routes PCI interrupts no other way).
 * Firmware programs the routes (SeaBIOS: 10, 10, 11, 11); ACPI kernels reprogram them through the DSDT's links.
 *
 * The reset control register (RCR, I/O port 0xCF9, reached through the PCI host's ports): writing bit 2
 * resets the system (bit 1 chooses a hard reset; both reset this machine), as QEMU's rcr_write.
 */
export const PIIX3_PIRQC = 0x60;

export class Piix3 extends PciFunction {
  private rcr = 0;
  /** The routes as last applied to the ISA IRQs (the config bytes may have been written since). */
  private readonly applied = new Uint8Array(4).fill(0x80);

  constructor(private readonly onReset: () => void, private readonly irq?: IrqLines) {
    super('piix3-isa', 1, 0, { vendor: 0x8086, device: 0x7000, classCode: 0x060100, headerType: 0x80 });
    for (let i = 0; i < 4; i++) this.config[PIIX3_PIRQC + i] = 0x80;
  }

  private bus?: PciBus;

  /** Wire the bus's PCI interrupt lines through the PIRQ routes. */
  connect(bus: PciBus): void {
    this.bus = bus;
    bus.mapIntx = (f, pin) => (pin - 1 + f.slot - 1) & 3;
    bus.onIntx = (pirq) => this.driveIsaIrq(this.pirqRoute(pirq));
  }

  /** The ISA IRQ that PIRQ `n` (0-3: PIRQA-D) is routed to, or -1 while the route is disabled. */
  pirqRoute(n: number): number {
    return routeOf(this.config[PIIX3_PIRQC + n]);
  }

  /** Set ISA IRQ `isa` to the OR of the PIRQs routed to it. */
  private driveIsaIrq(isa: number): void {
    if (isa < 0 || !this.irq || !this.bus) return;
    let level = false;
    for (let n = 0; n < 4; n++) if (this.pirqRoute(n) === isa && this.bus.intxLevel(n)) level = true;
    this.irq.setIrq(isa, level);
  }

  protected configWritten(offset: number, size: number): void {
    if (this.loading || offset > PIIX3_PIRQC + 3 || offset + size <= PIIX3_PIRQC) return;
    // A route moved: an asserted PIRQ leaves its old IRQ (which keeps the other PIRQs' level) and drives its new one.
    for (let n = 0; n < 4; n++) {
      const was = routeOf(this.applied[n]);
      this.applied[n] = this.config[PIIX3_PIRQC + n];
      const now = this.pirqRoute(n);
      if (was === now || !this.bus?.intxLevel(n)) continue;
      this.driveIsaIrq(was);
      this.driveIsaIrq(now);
    }
  }

  /** While a saved configuration loads: the interrupt controllers restore their own input levels. */
  private loading = false;

  loadConfig(saved: unknown): void {
    this.loading = true;
    super.loadConfig(saved);
    this.loading = false;
    this.applied.set(this.config.subarray(PIIX3_PIRQC, PIIX3_PIRQC + 4));
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

/** A route register's ISA IRQ, or -1 (bit 7: disabled). */
function routeOf(v: number): number {
  return v & 0x80 ? -1 : v & 0x0f;
}
