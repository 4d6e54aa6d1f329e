import { IoBus } from './bus';
import { Device } from './device';
import { num } from './ports';

/**
 * QEMU's ACPI CPU hotplug controller for `pc` (PIIX4 PM at I/O 0xAF00), in its two interfaces:
 * - legacy (hw/acpi/cpu_hotplug.c), from power-on: 32 bytes, a bitmap of the present CPUs by APIC ID; writing 0
 *   to byte 0 switches to the modern interface for good (the DSDT's \_SB.PCI0.PRES._INI does, as QEMU's
 *   acpi_switch_to_modern_cphp; a reset does not switch back);
 * - modern (hw/acpi/cpu.c), 12 bytes: +0 selector (write; read: command data 2, always 0 here), +4 flags of
 *   the selected CPU (bit 0 enabled, 1 inserting, 2 removing; writing 2 or 4 clears an event), +5 command
 *   (0: select the next CPU with an event, 1/2: _OST event/status follow, 3: CPU ID follows), +8 command data.
 * Every CPU is present from power-on and none is ever plugged or unplugged, so no CPU has an event and the
 * eject request (flags bit 3) has nothing it may remove (QEMU refuses to unplug the boot CPU; this board's CPUs
 * are all cold-plugged). _OST event and status are stored, as QEMU does, for nobody to read.
 */
export const CPU_HOTPLUG_BASE = 0xaf00;
const LEGACY_LENGTH = 32;

const CMD_NEXT_WITH_EVENT = 0;
const CMD_OST_EVENT = 1;
const CMD_OST_STATUS = 2;
const CMD_CPU_ID = 3;

export class CpuHotplug implements Device {
  readonly name = 'acpi-cpu-hotplug';
  private modern = false;
  private selector = 0;
  private command = 0;
  private ostEvent = 0;
  private ostStatus = 0;

  constructor(private readonly cpuCount: number) {}

  attach(bus: IoBus): void {
    bus.registerPorts(CPU_HOTPLUG_BASE, LEGACY_LENGTH, {
      read: (port, size) => {
        let v = 0;
        for (let i = size - 1; i >= 0; i--) v = v * 256 + this.readByte(port - CPU_HOTPLUG_BASE + i);
        return v >>> 0;
      },
      write: (port, size, value) => this.write(port - CPU_HOTPLUG_BASE, size, value),
    });
  }

  private readByte(off: number): number {
    if (!this.modern) {
      // The present-CPU bitmap (CPU i has APIC ID i).
      let bits = 0;
      for (let b = 0; b < 8; b++) if (off * 8 + b < this.cpuCount) bits |= 1 << b;
      return bits;
    }
    if (off >= 12 || this.selector >= this.cpuCount) return off >= 12 ? 0xff : 0;
    if (off === 4) return 1; // enabled; never inserting or removing
    if (off >= 8) {
      const data = this.command === CMD_NEXT_WITH_EVENT ? this.selector : this.command === CMD_CPU_ID ? this.selector : 0;
      return (data >>> (8 * (off - 8))) & 0xff;
    }
    return 0;
  }

  private write(off: number, size: number, value: number): void {
    if (!this.modern) {
      if (off === 0 && value === 0) this.modern = true;
      return;
    }
    if (off === 0) this.selector = size === 4 ? value >>> 0 : (this.selector & ~0xff) | (value & 0xff);
    else if (off === 5 && this.selector < this.cpuCount) {
      // "next CPU with an event": none has one, so the selector stays where it is.
      this.command = value & 0xff;
    } else if (off === 8) {
      if (this.command === CMD_OST_EVENT) this.ostEvent = value >>> 0;
      else if (this.command === CMD_OST_STATUS) this.ostStatus = value >>> 0;
    }
  }

  reset(): void {
    this.selector = this.command = this.ostEvent = this.ostStatus = 0;
  }

  saveState(): unknown {
    return { modern: this.modern, selector: this.selector, command: this.command, ostEvent: this.ostEvent, ostStatus: this.ostStatus };
  }

  loadState(state: unknown): void {
    const o = (state ?? {}) as Record<string, unknown>;
    this.modern = o.modern === true;
    this.selector = num(o.selector); this.command = num(o.command); this.ostEvent = num(o.ostEvent); this.ostStatus = num(o.ostStatus);
  }
}
