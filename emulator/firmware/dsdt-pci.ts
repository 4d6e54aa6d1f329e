import { PCI_HOTPLUG_BASE } from '../devices/pci-hotplug';
import * as aml from './aml';
import { Platform } from './platform';

/**
 * The PCI parts of QEMU 7.2's `pc` DSDT (hw/i386/acpi-build.c, hw/acpi/pcihp.c), in the order and encoding
 * QEMU generates them:
 * - pciHotplugRegisters: the acpi-pci-hotplug register block at 0xAE00 (PCIU/PCID, B0EJ, BNUM/PIDX; devices/
 *   pci-hotplug.ts) with the lock BLCK and the helpers PCEJ (eject), AIDX (acpi-index) and PDSM (the slots' _DSM).
 * - pciInterruptRouting: build_prt's _PRT (a method computing 128 entries: slot s, pin p -> link
 *   LNK[D,A,B,C][(s + p) & 3], slot 1 pin A -> LNKS), and build_piix4_pci0_int's IQST/IQCR and the PCI
 *   interrupt links LNKA-LNKD (PNP0C0F, on PIIX3's PIRQ route registers PRQ0-3 = config 0x60-0x63 of 00:01.0,
 *   _PRS IRQ 5, 10, 11) and LNKS (the SCI, IRQ 9).
 * - pciSlots: build_append_pci_bus_devices for bus 0: one Sxx device per slot (xx = devfn), the ISA bridge with
 *   the ISA devices, the VGA with _S1D-_S3D, every empty or hotpluggable slot with _SUN and _EJ0; DVNT and PCNT,
 *   which \_GPE._E01 (pciHotplugGpe) runs when the hotplug controller raises GPE 1.
 */

/** QEMU's acpi-index _DSM UUID (PCI Firmware Specification 3.3 §4.6.7, "Device Labeling Interface"). */
const DEVICE_LABELING_UUID = 'e5c937d0-3553-4d7a-9117-ea4d19c3434d';
const ONES = 0xffffffff;
const CLASS_ISA_BRIDGE = 0x0601;
const CLASS_VGA = 0x0300;

const { arg, local, integer, ref, store } = aml;
const zero = integer(0);
const one = integer(1);

/** Scope (_SB.PCI0) with the hotplug registers and helpers (build_acpi_pci_hotplug). */
export function pciHotplugRegisters(): number[] {
  const lock = (...body: number[][]) => [aml.acquire('BLCK', 0xffff), ...body, aml.release('BLCK')];
  const aidx = aml.call('AIDX', aml.derefOf(aml.index(arg(4), zero)), aml.derefOf(aml.index(arg(4), one)));
  const noIndex = aml.lor(aml.lequal(local(2), zero), aml.lequal(local(2), integer(ONES)));
  const pdsm = aml.method('PDSM', 5, true,
    aml.ifThen(aml.lequal(arg(2), zero),
      store(aml.buffer([0]), local(0)),
      store(zero, local(1)),
      aml.ifThen(aml.lnot(aml.lequal(arg(0), aml.uuid(DEVICE_LABELING_UUID))), aml.ret(local(0))),
      aml.ifThen(aml.lless(arg(1), integer(2)), aml.ret(local(0))),
      store(aidx, local(2)),
      // QEMU writes this one with Or, not LOr (both are true for the same values).
      aml.ifThen(aml.lnot(aml.or(aml.lequal(local(2), zero), aml.lequal(local(2), integer(ONES)))),
        aml.or(local(1), one, local(1)),
        aml.or(local(1), aml.shiftLeft(one, integer(7)), local(1))),
      store(local(1), aml.index(local(0), zero)),
      aml.ret(local(0))),
    aml.ifThen(aml.lequal(arg(2), integer(7)),
      store(aidx, local(2)),
      store(aml.sizedPkg(2), local(0)),
      aml.ifThen(aml.lnot(noIndex),
        store(local(2), aml.index(local(0), zero)),
        store(aml.string(''), aml.index(local(0), one))),
      aml.ret(local(0))));
  const dword = (n: string): aml.FieldUnit => [n, 32];
  return aml.scope('_SB.PCI0',
    aml.operationRegion('PCST', aml.RegionSpace.SystemIO, PCI_HOTPLUG_BASE, 8),
    aml.field('PCST', aml.FieldAccess.DWord, false, aml.FieldUpdate.WriteAsZeros, [dword('PCIU'), dword('PCID')]),
    aml.operationRegion('SEJ', aml.RegionSpace.SystemIO, PCI_HOTPLUG_BASE + 8, 4),
    aml.field('SEJ', aml.FieldAccess.DWord, false, aml.FieldUpdate.WriteAsZeros, [dword('B0EJ')]),
    aml.operationRegion('BNMR', aml.RegionSpace.SystemIO, PCI_HOTPLUG_BASE + 0x10, 8),
    aml.field('BNMR', aml.FieldAccess.DWord, false, aml.FieldUpdate.WriteAsZeros, [dword('BNUM'), dword('PIDX')]),
    aml.mutex('BLCK', 0),
    aml.method('PCEJ', 2, false, ...lock(store(arg(0), ref('BNUM')), store(aml.shiftLeft(one, arg(1)), ref('B0EJ'))), aml.ret(zero)),
    aml.method('AIDX', 2, false, ...lock(store(arg(0), ref('BNUM')), store(aml.shiftLeft(one, arg(1)), ref('PIDX')), store(ref('PIDX'), local(0))),
      aml.ret(local(0))),
    pdsm);
}

/** Scope (_SB) { Scope (PCI0) { _PRT }, IQST, IQCR, LNKA-LNKD, LNKS } (build_prt, build_piix4_pci0_int). */
export function pciInterruptRouting(p: Platform): number[] {
  const [pin, slot, link, route] = [local(1), local(2), local(3), local(4)];
  const entry = (lnk: string) => store(aml.pkg(zero, zero, ref(lnk), zero), route);
  const prt = aml.method('_PRT', 0, false,
    store(aml.sizedPkg(128), local(0)),
    store(zero, pin),
    aml.whileDo(aml.lless(pin, integer(128)),
      store(aml.shiftRight(pin, integer(2)), slot),
      store(aml.and(aml.add(pin, slot), integer(3)), link),
      aml.ifThen(aml.lequal(link, zero), entry('LNKD')),
      // Slot 1 pin A (00:01.x INTA: PIIX4 PM's SCI) goes to LNKS; every other (s + p) & 3 == 1 to LNKA.
      aml.ifThen(aml.lequal(link, one), aml.ifThen(aml.lequal(pin, integer(4)), entry('LNKS')), aml.orElse(entry('LNKA'))),
      aml.ifThen(aml.lequal(link, integer(2)), entry('LNKB')),
      aml.ifThen(aml.lequal(link, integer(3)), entry('LNKC')),
      store(aml.or(aml.shiftLeft(slot, integer(16)), integer(0xffff)), aml.index(route, zero)),
      store(aml.and(pin, integer(3)), aml.index(route, one)),
      store(route, aml.index(local(0), pin)),
      aml.increment(pin)),
    aml.ret(local(0)));
  // IQST: a PIRQ route register with bit 7 set is a disabled link (present, not enabled: 0x09), else 0x0B.
  const iqst = aml.method('IQST', 1, false, aml.ifThen(aml.and(integer(0x80), arg(0)), aml.ret(integer(0x09))), aml.ret(integer(0x0b)));
  // IQCR: the current IRQ as an Interrupt descriptor (none, 0, while bit 7 disables the route).
  const iqcr = aml.method('IQCR', 1, true,
    aml.name('PRR0', aml.resourceTemplate(aml.interruptLevelShared([0]))),
    aml.createDWordField(ref('PRR0'), integer(5), 'PRRI'),
    aml.ifThen(aml.lless(arg(0), integer(0x80)), store(arg(0), ref('PRRI'))),
    aml.ret(ref('PRR0')));
  const possible = aml.resourceTemplate(aml.interruptLevelShared(p.pciIrqs.filter((irq) => irq !== p.pm.sciIrq)));
  const links = ['LNKA', 'LNKB', 'LNKC', 'LNKD'].map((n, i) => aml.device(n,
    aml.name('_HID', aml.eisaId('PNP0C0F')),
    aml.name('_UID', integer(i)),
    aml.name('_PRS', possible),
    aml.method('_STA', 0, false, aml.ret(aml.call('IQST', ref(`PRQ${i}`)))),
    aml.method('_DIS', 0, false, aml.or(ref(`PRQ${i}`), integer(0x80), ref(`PRQ${i}`))),
    aml.method('_CRS', 0, false, aml.ret(aml.call('IQCR', ref(`PRQ${i}`)))),
    aml.method('_SRS', 1, false, aml.createDWordField(arg(0), integer(5), 'PRRI'), store(ref('PRRI'), ref(`PRQ${i}`)))));
  const sci = aml.device('LNKS',
    aml.name('_HID', aml.eisaId('PNP0C0F')),
    aml.name('_UID', integer(4)),
    aml.name('_PRS', aml.resourceTemplate(aml.interruptLevelShared([p.pm.sciIrq]))),
    aml.method('_STA', 0, false, aml.ret(integer(0x0b))),
    aml.method('_DIS', 0, false),
    aml.method('_CRS', 0, false, aml.ret(ref('_PRS'))),
    aml.method('_SRS', 1, false));
  return aml.scope('_SB', aml.scope('PCI0', prt), iqst, iqcr, ...links, sci);
}

/** QEMU's name for the device at `slot` function 0: "S" and the devfn in two hex digits. */
const slotName = (slot: number): string => `S${(slot << 3).toString(16).toUpperCase().padStart(2, '0')}`;

/**
 * Scope (\_SB) { Scope (PCI0) { BSEL, S00-SF8, DVNT, PCNT } } (build_append_pci_bus_devices for bus 0, hotplug
 * selector 0). `isaBridgeBody`: what the ISA bridge's device holds (the PIRQ fields and the ISA devices).
 */
export function pciSlots(p: Platform, isaBridgeBody: number[][]): number[] {
  const devices: number[][] = [];
  const hotplug: number[] = [];
  for (let slot = 0; slot < 32; slot++) {
    const present = p.pciSlots.find((d) => d.slot === slot);
    const body: number[][] = [
      aml.name('_ADR', integer(slot << 16)),
      aml.name('ASUN', integer(slot)),
      aml.method('_DSM', 4, true, store(aml.pkg(ref('BSEL'), ref('ASUN')), local(0)),
        aml.ret(aml.call('PDSM', arg(0), arg(1), arg(2), arg(3), local(0)))),
    ];
    const cls = present ? present.classCode >>> 8 : -1;
    if (cls === CLASS_ISA_BRIDGE) body.push(...isaBridgeBody);
    // A VGA stays powered in S1-S3 (its _SxD: D0), so the guest need not re-POST it on resume.
    if (cls === CLASS_VGA) for (const s of ['_S1D', '_S2D', '_S3D']) body.push(aml.method(s, 0, false, aml.ret(zero)));
    if (!present || present.hotpluggable) {
      body.push(aml.name('_SUN', integer(slot)), aml.method('_EJ0', 1, false, aml.call('PCEJ', ref('BSEL'), ref('_SUN'))));
      hotplug.push(slot);
    }
    devices.push(aml.device(slotName(slot), ...body));
  }
  // DVNT(bits, event): Notify each hotplug slot whose bit is set (1: device check, 3: eject request).
  const dvnt = aml.method('DVNT', 2, false,
    ...hotplug.map((slot) => aml.ifThen(aml.and(arg(0), integer(2 ** slot)), aml.notify(ref(slotName(slot)), arg(1)))));
  const pcnt = aml.method('PCNT', 0, false,
    store(zero, ref('BNUM')),
    aml.call('DVNT', ref('PCIU'), one),
    aml.call('DVNT', ref('PCID'), integer(3)));
  return aml.scope('\\_SB', aml.scope('PCI0', aml.name('BSEL', zero), ...devices, dvnt, pcnt));
}

/** The PIIX3 PIRQ route registers as AML fields: OperationRegion P40C in the ISA bridge's config space. */
export function pirqFields(isaBridgeSlot: number): number[][] {
  return [
    aml.operationRegion('P40C', aml.RegionSpace.PciConfig, 0x60, 4),
    aml.scope('\\_SB', aml.field(`PCI0.${slotName(isaBridgeSlot)}.P40C`, aml.FieldAccess.Byte, false, aml.FieldUpdate.Preserve,
      [['PRQ0', 8], ['PRQ1', 8], ['PRQ2', 8], ['PRQ3', 8]])),
  ];
}

/** Scope (_GPE) { _E01: the PCI hotplug event, under the hotplug lock } (hw/acpi/pcihp.c). */
export function pciHotplugGpe(): number[] {
  return aml.scope('_GPE', aml.method('_E01', 0, false,
    aml.acquire('\\_SB.PCI0.BLCK', 0xffff), aml.call('\\_SB.PCI0.PCNT'), aml.release('\\_SB.PCI0.BLCK')));
}
