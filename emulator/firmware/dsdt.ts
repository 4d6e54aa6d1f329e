import * as aml from './aml';
import { PCI_HOTPLUG_BASE, PCI_HOTPLUG_LENGTH } from '../devices/pci-hotplug';
import { cpuHotplug } from './dsdt-cpu';
import { pciHotplugGpe, pciHotplugRegisters, pciInterruptRouting, pciSlots, pirqFields } from './dsdt-pci';
import { lowRamTop } from './e820';
import { Platform } from './platform';
import { cmosFloppyType, FD_FORMATS } from '../devices/floppy-drive';

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
 * The ISA devices include QEMU's floppy controller \_SB.PCI0.S08.FDC0 (fdcDevice), so the whole DSDT is QEMU's
 * byte for byte (scripts/dsdt-diff.sh).
 */
export function dsdtBody(p: Platform): number[] {
  return aml.join(
    debugMethod(),
    aml.scope('_SB', aml.device('PCI0', aml.name('_HID', aml.eisaId('PNP0A03')), aml.name('_ADR', aml.integer(0)), aml.name('_UID', aml.integer(0)))),
    pciHotplugRegisters(),
    pciInterruptRouting(p),
    p.hpet ? hpetDevice(p.hpet.address) : [],
    aml.scope('_GPE', aml.name('_HID', aml.string('ACPI0006'))),
    cpuHotplug(p),
    aml.scope('\\_SB.PCI0', aml.name('_CRS', pciRootResources(p)),
      resourceContainer('GPE0', 'GPE0 resources', p.pm.gpe0, p.pm.gpe0Length),
      resourceContainer('PHPR', 'PCI Hotplug resources', PCI_HOTPLUG_BASE, PCI_HOTPLUG_LENGTH)),
    // The sleep states as QEMU's DSDT declares them for PIIX4 (SLP_TYPa, SLP_TYPb, reserved, reserved): S3 is
    // SLP_TYP 1 (suspend to RAM), S4 SLP_TYP 2 (QEMU's s4_val: the PM device powers off), S5 SLP_TYP 0 (soft off);
    // piix4-pm.ts implements all three.
    aml.scope('\\',
      aml.name('_S3', aml.pkg(aml.integer(1), aml.integer(1), aml.integer(0), aml.integer(0))),
      aml.name('_S4', aml.pkg(aml.integer(2), aml.integer(2), aml.integer(0), aml.integer(0))),
      aml.name('_S5', aml.pkg(aml.integer(0), aml.integer(0), aml.integer(0), aml.integer(0)))),
    aml.scope('\\_SB.PCI0', aml.device('FWCF', aml.name('_HID', aml.string('QEMU0002')), aml.name('_STA', aml.integer(0x0b)),
      aml.name('_CRS', aml.resourceTemplate(aml.io(0x510, 0x510, 1, 0x0c))))),
    pciSlots(p, [...pirqFields(1), ...isaDevices(p)]),
    pciHotplugGpe(),
  );
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
 * ports, the floppy controller (PNP0700), the parallel port (PNP0400), the COM ports (PNP0501, _UID 1 and 2), the RTC (PNP0B00). Kernels bind
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
    fdcDevice(p),
    ...lpt,
    ...com,
    aml.device('RTC', aml.name('_HID', aml.eisaId('PNP0B00')), aml.name('_CRS', aml.resourceTemplate(aml.io(0x70, 0x70, 0x01, 0x08), aml.irqNoFlags(8)))),
  ];
}

/**
 * \_SB.PCI0.ISA.FDC0 as QEMU 7.2's fdc_isa_build_aml: PNP0700 with ports 0x3F2-0x3F5 and 0x3F7, IRQ 6 and DMA
 * channel 2 (compatibility timing, not a bus master, 8-bit), a FLPx device for each drive with a diskette
 * (_ADR = unit, _FDI = ACPI's 16-integer drive information: the drive type's largest cylinder, sector and
 * head over all of QEMU's formats for it, then the disk parameters SeaBIOS's INT 13h AH=08h returns), and _FDE
 * (drives 0-3 present, then 2: "no tape"). QEMU describes the controller whether or not a drive is attached.
 */
function fdcDevice(p: Platform): number[] {
  const drives = p.floppies.slice(0, 2).map((type, unit) => {
    const formats = FD_FORMATS.filter((f) => f.drive === type);
    const maxc = Math.max(...formats.map((f) => f.tracks)) - 1;
    const maxs = Math.max(...formats.map((f) => f.sectors));
    const maxh = Math.max(...formats.map((f) => f.maxHead));
    const fdi = [unit, cmosFloppyType(type), maxc, maxs, maxh, 0xaf, 0x02, 0x25, 0x02, 0x12, 0x1b, 0xff, 0x6c, 0xf6, 0x0f, 0x08];
    return aml.device(`FLP${'AB'[unit]}`, aml.name('_ADR', aml.integer(unit)), aml.name('_FDI', aml.pkg(...fdi.map((v) => aml.integer(v)))));
  });
  const fde = [0, 0, 0, 0, 2].map((v, i) => (i < p.floppies.length && i < 2 ? 1 : v));
  // DMA descriptor (ACPI 6.4 §6.4.2.2): tag 0x2A, channel mask (channel 2), flags 0 (compatibility, 8-bit).
  const dma2 = [0x2a, 1 << 2, 0x00];
  return aml.device('FDC0', aml.name('_HID', aml.eisaId('PNP0700')),
    aml.name('_CRS', aml.resourceTemplate(aml.io(0x3f2, 0x3f2, 0x00, 0x04), aml.io(0x3f7, 0x3f7, 0x00, 0x01), aml.irqNoFlags(6), dma2)),
    ...drives,
    aml.name('_FDE', aml.buffer(fde.flatMap((v) => [v, 0, 0, 0]))));
}
