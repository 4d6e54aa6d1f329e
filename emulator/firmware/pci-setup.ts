import { IoBus } from '../devices/bus';
import { PCI, PciBus, PciFunction } from '../devices/pci';

/**
 * What SeaBIOS 1.16's PCI initialisation (src/fw/pciinit.c, pci_setup) leaves on QEMU's i440FX `pc` board, done
 * by the direct boot path so a kernel loaded with --kernel finds the board as under `qemu -kernel`, where
 * SeaBIOS runs before the kernel. In SeaBIOS's order:
 * 1. BARs (pci_bios_check_devices / pci_bios_map_devices): every function's BARs are sized by writing all 1s;
 *    memory BARs are at least 4 KiB; the expansion ROM counts as memory. Each region keeps its entries sorted
 *    by size, largest first (equal sizes in bus order). I/O starts at 0xC000; of the memory and prefetchable
 *    regions, the one with the larger alignment ends at 0xFEC00000 (the I/O APIC) and the other just below it.
 *    A ROM BAR gets its address with the enable bit clear.
 * 2. Devices (pci_bios_init_device), in bus order: INTERRUPT_LINE = PIRQ[(pin - 1 + slot - 1) & 3] for a
 *    function with an interrupt pin (PIIX routing, PIRQA-D = IRQ 10, 10, 11, 11); the PIIX3 ISA bridge routes
 *    PIRQA-D (0x60-0x63) and makes those IRQs level-triggered in the ELCR (ports 0x4D0/0x4D1); PIIX IDE enables
 *    both channels (IDETIM 0x40/0x42 = 0x8000); PIIX4 PM: INTERRUPT_LINE 9 (the SCI), PMBA 0x600 enabled by
 *    PMREGMISC, SMBus base 0x700 enabled by SMBHSTCFG; then COMMAND |= I/O, memory, SERR#.
 * Firmware boots (SeaBIOS itself running) do not use this; test/firmware/pci-setup.test.ts compares the two.
 */

/** Host IRQs for PIRQA-D (SeaBIOS pci_irqs). */
export const PIRQ_IRQS = [10, 10, 11, 11] as const;
/** SeaBIOS's acpi_pm_base on the i440FX board; the SMBus sits 0x100 above it. */
export const ACPI_PM_BASE = 0x600;
const PCIMEM_END = 0xfec00000;
const IO_BASE = 0xc000;
const MEM_MIN = 0x1000;
const ROM_SLOT = 6;
const COMMAND_IO = 0x1, COMMAND_MEMORY = 0x2, COMMAND_SERR = 0x100;

const enum Region { IO, MEM, PREFMEM }

interface Entry {
  f: PciFunction;
  bar: number;
  size: number;
}

/** PCI functions in bus order (bus 0: slot, then function), as SeaBIOS's foreachpci walks them. */
function inBusOrder(bus: PciBus): PciFunction[] {
  return [...bus.functions].sort((a, b) => (a.slot - b.slot) || (a.fn - b.fn));
}

function barOffset(bar: number): number {
  return bar === ROM_SLOT ? PCI.ROM_ADDRESS : PCI.BAR0 + 4 * bar;
}

/** pci_bios_get_bar: the region type and size of one BAR, by writing all 1s and reading back. */
function sizeBar(f: PciFunction, bar: number): { type: Region; size: number } {
  const at = barOffset(bar);
  const old = f.read(at, 4);
  let mask: number;
  let type = Region.MEM;
  if (bar === ROM_SLOT) {
    mask = 0xfffff800;
    f.write(at, 4, mask);
  } else {
    if (old & 1) {
      mask = 0xfffffffc;
      type = Region.IO;
    } else {
      mask = 0xfffffff0;
      if (old & 8) type = Region.PREFMEM;
    }
    f.write(at, 4, 0xffffffff);
  }
  const val = f.read(at, 4);
  f.write(at, 4, old);
  const size = ((~(val & mask)) + 1) >>> 0;
  return { type, size };
}

/** Insert keeping the list sorted by size, largest first; equal sizes after those already there. */
function insertSorted(list: Entry[], e: Entry): void {
  let k = 0;
  while (k < list.length && list[k].size >= e.size) k++;
  list.splice(k, 0, e);
}

const alignOf = (list: Entry[]): number => (list.length ? list[0].size : 1);
const sumOf = (list: Entry[]): number => list.reduce((s, e) => s + e.size, 0);
const alignDown = (v: number, a: number): number => Math.floor(v / a) * a;

function mapBars(bus: PciBus): void {
  const regions: Entry[][] = [[], [], []];
  for (const f of inBusOrder(bus)) {
    for (let bar = 0; bar <= ROM_SLOT; bar++) {
      let { type, size } = sizeBar(f, bar);
      if (size === 0) continue;
      if (type !== Region.IO && size < MEM_MIN) size = MEM_MIN;
      insertSorted(regions[type], { f, bar, size });
    }
  }
  const base = [IO_BASE, 0, 0];
  let end = Region.PREFMEM, start = Region.MEM;
  if (alignOf(regions[Region.MEM]) < alignOf(regions[Region.PREFMEM])) { end = Region.MEM; start = Region.PREFMEM; }
  base[end] = alignDown(PCIMEM_END - sumOf(regions[end]), alignOf(regions[end]));
  base[start] = alignDown(base[end] - sumOf(regions[start]), alignOf(regions[start]));
  for (const type of [Region.IO, Region.MEM, Region.PREFMEM]) {
    let at = base[type];
    for (const e of regions[type]) {
      e.f.write(barOffset(e.bar), 4, at);
      at += e.size;
    }
  }
}

function initDevice(f: PciFunction, io: IoBus): void {
  const pin = f.read(PCI.INTERRUPT_PIN, 1);
  if (pin !== 0) f.write(PCI.INTERRUPT_LINE, 1, PIRQ_IRQS[(pin - 1 + f.slot - 1) & 3]);
  const id = f.read(PCI.VENDOR_ID, 4);
  if (id === 0x70008086) {
    // PIIX3 ISA bridge: PIRQ routing and level-triggered PCI IRQs in the ELCR.
    const elcr = [0, 0];
    PIRQ_IRQS.forEach((irq, i) => {
      elcr[irq >> 3] |= 1 << (irq & 7);
      f.write(0x60 + i, 1, irq);
    });
    io.outPort(0x4d0, 1, elcr[0]);
    io.outPort(0x4d1, 1, elcr[1]);
  } else if (id === 0x70108086) {
    f.write(0x40, 2, 0x8000); // IDETIM primary: decode enable
    f.write(0x42, 2, 0x8000); // IDETIM secondary
  } else if (id === 0x71138086) {
    f.write(PCI.INTERRUPT_LINE, 1, 9); // the SCI is hardwired to IRQ 9
    f.write(0x40, 4, ACPI_PM_BASE | 1); // PMBA
    f.write(0x80, 1, 0x01); // PMREGMISC: PM I/O space on
    f.write(0x90, 4, (ACPI_PM_BASE + 0x100) | 1); // SMBBA
    f.write(0xd2, 1, 0x09); // SMBHSTCFG: SMBus host enable, interrupt select
  }
  f.write(PCI.COMMAND, 2, f.read(PCI.COMMAND, 2) | COMMAND_IO | COMMAND_MEMORY | COMMAND_SERR);
}

/** Configure the board's PCI functions (and the ELCR) as SeaBIOS's pci_setup does before it boots a kernel. */
export function seabiosPciSetup(bus: PciBus, io: IoBus): void {
  mapBars(bus);
  for (const f of inBusOrder(bus)) initDevice(f, io);
}
