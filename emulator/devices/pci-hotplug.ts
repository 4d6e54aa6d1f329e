import { IoBus } from './bus';
import { Device } from './device';
import { PciBus } from './pci';
import { num } from './ports';

/**
 * QEMU's ACPI PCI hotplug controller for `pc` (hw/acpi/pcihp.c, part of PIIX4 PM): 0x18 bytes of 32-bit
 * registers at I/O 0xAE00, which the DSDT's PCI hotplug methods use (dsdt-pci.ts):
 *   +0x00 PCIU  slots with a device inserted (read clears)   +0x04 PCID  slots with an eject request
 *   +0x08 B0EJ  write: eject the slots whose bits are set     +0x0C RMV   slots whose device may be removed
 *   +0x10 BNUM  the bus selector (read/write)                 +0x14 PIDX  write a slot bit, read its acpi-index
 * Nothing is hot-plugged on this machine, so PCIU and PCID stay 0; an eject removes nothing (QEMU's
 * acpi_pcihp_eject_slot unplugs only hotpluggable devices: here that is the e1000 alone, which stays) and clears
 * the slot's eject request. RMV has a bit for every slot not holding a built-in device (QEMU: hotplug_enable).
 * No device has an acpi-index, so PIDX reads 0. Only bus 0 (BSEL 0) has hotplug; other selectors read 0.
 */
export const PCI_HOTPLUG_BASE = 0xae00;
export const PCI_HOTPLUG_LENGTH = 0x18;

export class PciHotplug implements Device {
  readonly name = 'acpi-pci-hotplug';
  private up = 0;
  private down = 0;
  private select = 0;
  private acpiIndex = 0;

  constructor(private readonly pci: PciBus) {}

  attach(bus: IoBus): void {
    bus.registerPorts(PCI_HOTPLUG_BASE, PCI_HOTPLUG_LENGTH, {
      read: (port, size) => this.read(port - PCI_HOTPLUG_BASE, size),
      write: (port, size, value) => this.write(port - PCI_HOTPLUG_BASE, size, value),
    });
  }

  /** Slots whose device cannot be hot-removed: every occupied slot (the board's devices are all built in). */
  private removable(): number {
    let fixed = 0;
    for (const f of this.pci.functions) if (!f.hotpluggable) fixed |= 1 << f.slot;
    return ~fixed >>> 0;
  }

  // QEMU implements these as 4-byte registers (impl.min_access_size 4): a narrower access sees the dword's bytes.
  private read(off: number, size: number): number {
    const reg = off & ~3;
    let v = 0;
    if (this.select === 0) {
      switch (reg) {
        case 0x00: v = this.up; this.up = 0; break;
        case 0x04: v = this.down; break;
        case 0x0c: v = this.removable(); break;
        case 0x10: v = this.select; break;
        case 0x14: v = this.acpiIndex; this.acpiIndex = 0; break;
      }
    } else if (reg === 0x10) v = this.select;
    v = (v >>> (8 * (off & 3))) >>> 0;
    return size === 4 ? v : v & (size === 2 ? 0xffff : 0xff);
  }

  private write(off: number, _size: number, value: number): void {
    switch (off & ~3) {
      case 0x08: if (this.select === 0) this.down &= ~value; break;
      case 0x10: this.select = value >>> 0; break;
      // acpi-index of the device in the lowest slot set: none here has one.
      case 0x14: this.acpiIndex = 0; break;
    }
  }

  reset(): void {
    this.up = this.down = this.acpiIndex = 0;
    this.select = 0;
  }

  saveState(): unknown {
    return { up: this.up, down: this.down, select: this.select, acpiIndex: this.acpiIndex };
  }

  loadState(state: unknown): void {
    const o = (state ?? {}) as Record<string, unknown>;
    this.up = num(o.up); this.down = num(o.down); this.select = num(o.select); this.acpiIndex = num(o.acpiIndex);
  }
}
