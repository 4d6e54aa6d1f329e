import * as aml from './aml';
import { PCI_HOTPLUG_BASE, PCI_HOTPLUG_LENGTH } from '../devices/pci-hotplug';
import { cpuHotplug } from './dsdt-cpu';
import { pciHotplugGpe, pciHotplugRegisters, pciInterruptRouting, pciSlots, pirqFields } from './dsdt-pci';
import { lowRamTop } from './e820';
import { Platform } from './platform';

/**
 * The DSDT's AML as QEMU 7.2's build_dsdt generates it for the `pc` machine, object for object in QEMU's order
 * and encoding (compare: dump QEMU's with a guest or the monitor's pmemsave, decompile both with `iasl -d`):
 *  1. \DBUG, which prints a value on the debug console port 0x402;
 *  2. \_SB.PCI0 (PNP0A03), the PCI hotplug registers and helpers, _PRT and the interrupt links (dsdt-pci.ts);
 *  3. \_SB.HPET when the platform has one; \_GPE's _HID (ACPI0006);
 *  4. the CPU hotplug objects and \_GPE._E02 (dsdt-cpu.ts);
 *  5. PCI0's _CRS (bus numbers, I/O and MMIO windows) and the GPE0 and PCI hotplug register blocks' resources;
 *  6. \_S3, \_S4, \_S5; the fw_cfg device (QEMU0002);
 *  7. the PCI slots S00-SF8, the ISA bridge's holding the PIRQ fields and the ISA devices, DVNT and PCNT; \_GPE._E01.
 * The one difference: QEMU's pc also has a floppy controller (\_SB.PCI0.S08.FDC0); this board has none.
 */
export function dsdtBody(p: Platform): number[] {
  return [
    ...debugMethod(),
    ...aml.scope('_SB', aml.device('PCI0', aml.name('_HID', aml.eisaId('PNP0A03')), aml.name('_ADR', aml.integer(0)), aml.name('_UID', aml.integer(0)))),
    ...pciHotplugRegisters(),
    ...pciInterruptRouting(p),
    ...(p.hpet ? hpetDevice(p.hpet.address) : []),
    ...aml.scope('_GPE', aml.name('_HID', aml.string('ACPI0006'))),
    ...cpuHotplug(p),
    ...aml.scope('\\_SB.PCI0', aml.name('_CRS', pciRootResources(p)),
      resourceContainer('GPE0', 'GPE0 resources', p.pm.gpe0, p.pm.gpe0Length),
      resourceContainer('PHPR', 'PCI Hotplug resources', PCI_HOTPLUG_BASE, PCI_HOTPLUG_LENGTH)),
    // The sleep states as QEMU's DSDT declares them for PIIX4 (SLP_TYPa, SLP_TYPb, reserved, reserved): S3 is
    // SLP_TYP 1 (suspend to RAM), S4 SLP_TYP 2 (QEMU's s4_val: the PM device powers off), S5 SLP_TYP 0 (soft off);
    // piix4-pm.ts implements all three.
    ...aml.scope('\\',
      aml.name('_S3', aml.pkg(aml.integer(1), aml.integer(1), aml.integer(0), aml.integer(0))),
      aml.name('_S4', aml.pkg(aml.integer(2), aml.integer(2), aml.integer(0), aml.integer(0))),
      aml.name('_S5', aml.pkg(aml.integer(0), aml.integer(0), aml.integer(0), aml.integer(0)))),
    ...aml.scope('\\_SB.PCI0', aml.device('FWCF', aml.name('_HID', aml.string('QEMU0002')), aml.name('_STA', aml.integer(0x0b)),
      aml.name('_CRS', aml.resourceTemplate(aml.io(0x510, 0x510, 1, 0x0c))))),
    ...pciSlots(p, [...pirqFields(1), ...isaDevices(p)]),
    ...pciHotplugGpe(),
  ];
}

/** Scope (\) { DBG region and field at port 0x402, DBUG(value): its hex string, byte by byte, and a newline }. */
function debugMethod(): number[] {
  const { local, arg, integer, store } = aml;
  return aml.scope('\\',
    aml.operationRegion('DBG', aml.RegionSpace.SystemIO, 0x402, 1),
    aml.field('DBG', aml.FieldAccess.Byte, false, aml.FieldUpdate.Preserve, [['DBGB', 8]]),
    aml.method('DBUG', 1, false,
      aml.toHexString(arg(0), local(0)),
      aml.toBuffer(local(0), local(0)),
      aml.subtract(aml.sizeOf(local(0)), integer(1), local(1)),
      store(integer(0), local(2)),
      aml.whileDo(aml.lless(local(2), local(1)),
        store(aml.derefOf(aml.index(local(0), local(2))), aml.ref('DBGB')),
        aml.increment(local(2))),
      store(integer(0x0a), aml.ref('DBGB'))));
}

/** A PNP0A06 container that claims an I/O register block (_UID names it; _STA 0x0B: present, not shown). */
function resourceContainer(n: string, uid: string, base: number, length: number): number[] {
  return aml.device(n, aml.name('_HID', aml.string('PNP0A06')), aml.name('_UID', aml.string(uid)), aml.name('_STA', aml.integer(0x0b)),
    aml.name('_CRS', aml.resourceTemplate(aml.io(base, base, 1, length))));
}

/**
 * QEMU's \_SB.HPET (build_hpet_aml): _HID PNP0103, _UID 0, the register block as OperationRegion HPTM with its
 * vendor (VEND) and period (PRD) fields, a _STA that reports the device absent when those read as no HPET
 * (vendor 0 or 0xffff, period 0 or above 100 ns), and a _CRS of the 1 KiB block, read-only.
 */
function hpetDevice(address: number): number[] {
  const zero = aml.integer(0);
  const id = aml.local(0);
  const period = aml.local(1);
  return aml.scope('_SB', aml.device('HPET',
    aml.name('_HID', aml.eisaId('PNP0103')),
    aml.name('_UID', zero),
    aml.operationRegion('HPTM', aml.RegionSpace.SystemMemory, address, 0x400),
    aml.field('HPTM', aml.FieldAccess.DWord, true, aml.FieldUpdate.Preserve, [['VEND', 32], ['PRD', 32]]),
    aml.method('_STA', 0, false,
      aml.store(aml.ref('VEND'), id),
      aml.store(aml.ref('PRD'), period),
      aml.shiftRight(id, aml.integer(16), id),
      aml.ifThen(aml.lor(aml.lequal(id, zero), aml.lequal(id, aml.integer(0xffff))), aml.ret(zero)),
      aml.ifThen(aml.lor(aml.lequal(period, zero), aml.lgreater(period, aml.integer(100_000_000))), aml.ret(zero)),
      aml.ret(aml.integer(0x0f))),
    aml.name('_CRS', aml.resourceTemplate(aml.memory32Fixed(false, address, 0x400)))));
}

/** The PCI host bridge's 64-bit MMIO window: 2 GiB from 4 GiB when no RAM is above 4 GiB (QEMU's pci_hole64_size). */
const PCI_HOLE64 = { start: 2 ** 32, size: 2 ** 31 };
/** The 32-bit PCI MMIO window ends below the IOAPIC (QEMU: IO_APIC_DEFAULT_ADDRESS - 1). */
const PCI_HOLE_END = 0xfebfffff;

/**
 * \_SB.PCI0._CRS as QEMU's build_dsdt gives the i440FX host bridge: bus numbers 0-255, the configuration ports
 * CF8-CFF (consumed), the I/O windows 0-CF7 and D00-FFFF, the VGA window A0000-BFFFF and the 64-bit hole above
 * 4 GiB (both cacheable), the 32-bit MMIO hole from the top of low RAM to below the IOAPIC. Linux prints them as
 * the root bus resources and claims the devices' BARs and the PIIX4 PM/SMBus ranges against them.
 */
function pciRootResources(p: Platform): number[] {
  return aml.resourceTemplate(
    aml.wordBusNumber(0x00, 0xff),
    aml.io(0x0cf8, 0x0cf8, 0x01, 0x08),
    aml.wordIo(0x0000, 0x0cf7),
    aml.wordIo(0x0d00, 0xffff),
    aml.memoryRange(0x000a0000, 0x000bffff, true),
    aml.memoryRange(lowRamTop(p.ramSize), PCI_HOLE_END, false),
    aml.memoryRange(PCI_HOLE64.start, PCI_HOLE64.start + PCI_HOLE64.size - 1, true),
  );
}

/**
 * The ISA devices in the ISA bridge's slot device, as QEMU's isa_build_aml describes the ones this board has,
 * in QEMU's order (Linux numbers the PnP devices by it): the 8042's keyboard (PNP0303) and mouse (PNP0F13)
 * ports, the parallel port (PNP0400), the COM ports (PNP0501, _UID 1 and 2), the RTC (PNP0B00). Kernels bind
 * drivers to them through ACPI PnP ("i8042: PNP: PS/2 Controller [PNP0303:KBD,PNP0f13:MOU]", "00:03: ttyS0").
 */
function isaDevices(p: Platform): number[][] {
  const sta = aml.name('_STA', aml.integer(0x0f));
  const lpt = p.lptPorts.slice(0, 1).map((port) => aml.device('LPT1', aml.name('_HID', aml.eisaId('PNP0400')), aml.name('_UID', aml.integer(1)), sta,
    aml.name('_CRS', aml.resourceTemplate(aml.io(port, port, 0x08, 0x08), aml.irqNoFlags(7)))));
  const com = p.comPorts.map((port, i) => aml.device(`COM${i + 1}`, aml.name('_HID', aml.eisaId('PNP0501')), aml.name('_UID', aml.integer(i + 1)), sta,
    aml.name('_CRS', aml.resourceTemplate(aml.io(port, port, 0x00, 0x08), aml.irqNoFlags(port === 0x3f8 ? 4 : 3)))));
  return [
    aml.device('KBD', aml.name('_HID', aml.eisaId('PNP0303')), sta,
      aml.name('_CRS', aml.resourceTemplate(aml.io(0x60, 0x60, 0x01, 0x01), aml.io(0x64, 0x64, 0x01, 0x01), aml.irqNoFlags(1)))),
    aml.device('MOU', aml.name('_HID', aml.eisaId('PNP0F13')), sta, aml.name('_CRS', aml.resourceTemplate(aml.irqNoFlags(12)))),
    // QEMU's floppy controller FDC0 (PNP0700, with FLPA per drive and _FDE) goes here when the board has one;
    // with it the DSDT is QEMU's byte for byte (scripts/dsdt-diff.sh).
    ...lpt,
    ...com,
    aml.device('RTC', aml.name('_HID', aml.eisaId('PNP0B00')), aml.name('_CRS', aml.resourceTemplate(aml.io(0x70, 0x70, 0x01, 0x08), aml.irqNoFlags(8)))),
  ];
}
