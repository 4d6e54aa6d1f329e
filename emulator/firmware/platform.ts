import { CpuModel } from '../cpu/cpuid';
import type { FloppyType } from '../devices/floppy-drive';
import { LPT1_BASE } from '../devices/parallel';

/**
 * What the firmware tables describe: the board as a plain value, so the table builders (ACPI, MP table, BDA,
 * e820) are pure functions of it. `pcPlatform()` is QEMU's `pc` machine (i440FX + PIIX) as Faultline models
 * it; the direct boot path (`--firmware none`) writes tables built from it, and the SeaBIOS path can hand
 * the same builders' output to the firmware through fw_cfg.
 */
export interface Platform {
  /** Guest RAM in bytes (one block from address 0; Faultline has no RAM above 4 GiB). */
  ramSize: number;
  cpuCount: number;
  /** CPUID leaf 1 EAX and EDX of the boot CPU (the MP table's processor entries carry them). */
  cpuSignature: number;
  cpuFeatures: number;
  /** AMD vendor with >= 40 physical address bits: QEMU reserves the HyperTransport range below 1 TiB. */
  amdHtHole: boolean;
  lapicAddress: number;
  /** The local APIC version register's low byte (0x14 for QEMU's and Faultline's APIC). */
  lapicVersion: number;
  ioapic: { id: number; address: number; version: number; gsiBase: number };
  /** ISA IRQ 0 (the PIT) arrives on IOAPIC input 2 (QEMU's irq0 override, fw_cfg "etc/irq0-override"). */
  irq0Override: boolean;
  /** ISA IRQs wired to PCI interrupt links (level-triggered, active high on QEMU's pc): 5, 9, 10, 11. */
  pciIrqs: number[];
  /** PCI devices on bus 0 with an interrupt pin, as SeaBIOS's MP table lists them. */
  pciInterrupts: { device: number; pin: number; irq: number }[];
  /** PIIX4 ACPI power management (QEMU pc: PM base 0x600, SCI on IRQ 9, APM control port 0xb2, GPE0 0xafe0). */
  pm: { base: number; sciIrq: number; smiCmd: number; acpiEnable: number; acpiDisable: number; gpe0: number; gpe0Length: number };
  /** An HPET at this address (ACPI HPET table, DSDT device PNP0103), or undefined (neither). QEMU's pc: 0xfed00000. */
  hpet?: { address: number };
  /** COM ports and LPT ports present (BDA 0x400, 0x408; the DSDT's COMn and LPT1). */
  comPorts: number[];
  lptPorts: number[];
  /**
   * The devices at function 0 of PCI bus 0 (the DSDT describes each slot: occupied ones by what they are, the
   * empty ones as hotplug slots). `hotpluggable`: QEMU's DeviceClass.hotpluggable for the device.
   */
  pciSlots: { slot: number; classCode: number; hotpluggable: boolean }[];
  /** A VGA in 80x25 colour text mode at 0xb8000. */
  vgaText: boolean;
  /**
   * The floppy drives with a diskette, by unit (drive A:, B:), as their CMOS types: the DSDT's FDC0 lists them
   * (FLPx, _FDE) and the BDA's equipment word counts them. The controller itself is always there (QEMU pc).
   */
  floppies: FloppyType[];
}

export const PCI_IRQS_QEMU_PC = [5, 9, 10, 11];

/** What varies between `pc` machines: a second COM port; QEMU -nodefaults (no VGA, no parallel port); floppies. */
export interface PcPlatformOptions {
  com2?: boolean;
  nodefaults?: boolean;
  /** The drive types of the floppy drives holding a diskette (Platform.floppies). */
  floppies?: FloppyType[];
}

/** QEMU's `pc` machine as Faultline models it, for a CPU model, RAM size and CPU count. */
export function pcPlatform(ramSize: number, cpu: CpuModel, cpuCount = 1, o: PcPlatformOptions = {}): Platform {
  return {
    ramSize,
    cpuCount,
    cpuSignature: cpu.signature,
    cpuFeatures: cpu.leaf1Edx,
    // Both CPU models report AuthenticAMD and 40 physical address bits (CPUID 0x80000008).
    amdHtHole: cpu.vendor === 'AuthenticAMD',
    lapicAddress: 0xfee00000,
    lapicVersion: 0x14,
    ioapic: { id: 0, address: 0xfec00000, version: 0x11, gsiBase: 0 },
    irq0Override: true,
    pciIrqs: PCI_IRQS_QEMU_PC,
    // PIIX4 ACPI function 00:01.3, interrupt pin A, routed to the SCI (IRQ 9).
    pciInterrupts: [{ device: 1, pin: 1, irq: 9 }],
    pm: { base: 0x600, sciIrq: 9, smiCmd: 0xb2, acpiEnable: 0xf1, acpiDisable: 0xf0, gpe0: 0xafe0, gpe0Length: 4 },
    hpet: { address: 0xfed00000 },
    comPorts: o.com2 ? [0x3f8, 0x2f8] : [0x3f8],
    lptPorts: o.nodefaults ? [] : [LPT1_BASE],
    pciSlots: [
      { slot: 0, classCode: 0x060000, hotpluggable: false }, // i440FX host bridge
      { slot: 1, classCode: 0x060100, hotpluggable: false }, // PIIX3 ISA bridge
      ...(o.nodefaults ? [] : [{ slot: 2, classCode: 0x030000, hotpluggable: false }]), // VGA
    ],
    vgaText: true,
    floppies: o.floppies ?? [],
  };
}
