import { CPU_HOTPLUG_BASE } from '../devices/cpu-hotplug';
import * as aml from './aml';
import { Platform } from './platform';

/**
 * QEMU 7.2's CPU hotplug AML for `pc` (hw/acpi/cpu.c build_cpus_aml, register block at 0xAF00; the device is
 * devices/cpu-hotplug.ts): \_SB.PCI0.PRES (the register block's resources, its fields and lock, and an _INI that
 * switches the block from the legacy to the modern interface), \_SB.CPUS (ACPI0010) with its helpers CTFY
 * (notify a CPU), CSTA (its _STA), CEJ0, CSCN (scan for insert/remove events), COST (_OST), one Processor per
 * CPU (C000, ...: _STA, _MAT with its MADT local APIC entry, _OST), and \_GPE._E02, which runs CSCN.
 */

const CPU_HOTPLUG_LENGTH = 0x0c;

const { arg, local, integer, ref, store } = aml;
const zero = integer(0);
const one = integer(1);
const PRES = '\\_SB.PCI0.PRES';
const r = (n: string) => ref(`${PRES}.${n}`);

const cpuName = (i: number): string => `C${i.toString(16).toUpperCase().padStart(3, '0')}`;

/** Scope (_SB) { Device (\_SB.PCI0.PRES), Device (\_SB.CPUS) }, then Method (\_GPE._E02). */
export function cpuHotplug(p: Platform): number[] {
  const pres = aml.device(PRES,
    aml.name('_HID', aml.eisaId('PNP0A06')),
    aml.name('_UID', aml.string('CPU Hotplug resources')),
    aml.mutex('CPLK', 0),
    aml.name('_CRS', aml.resourceTemplate(aml.io(CPU_HOTPLUG_BASE, CPU_HOTPLUG_BASE, 1, CPU_HOTPLUG_LENGTH))),
    aml.operationRegion('PRST', aml.RegionSpace.SystemIO, CPU_HOTPLUG_BASE, CPU_HOTPLUG_LENGTH),
    // Byte 4: enabled, inserting, removing, eject request, eject failed; byte 5: the command.
    aml.field('PRST', aml.FieldAccess.Byte, false, aml.FieldUpdate.WriteAsZeros,
      [['', 32], ['CPEN', 1], ['CINS', 1], ['CRMV', 1], ['CEJ0', 1], ['CEJF', 1], ['', 3], ['CCMD', 8]]),
    aml.field('PRST', aml.FieldAccess.DWord, false, aml.FieldUpdate.Preserve, [['CSEL', 32], ['', 32], ['CDAT', 32]]),
    aml.method('_INI', 0, true, store(zero, ref('CSEL'))));

  const locked = (...body: number[][]) => [aml.acquire(`${PRES}.CPLK`, 0xffff), ...body, aml.release(`${PRES}.CPLK`)];
  const n = p.cpuCount;
  const ctfy = aml.method('CTFY', 2, false,
    ...Array.from({ length: n }, (_, i) => aml.ifThen(aml.lequal(arg(0), integer(i)), aml.notify(ref(cpuName(i)), arg(1)))));
  const csta = aml.method('CSTA', 1, true, ...locked(
    store(arg(0), r('CSEL')),
    store(zero, local(0)),
    aml.ifThen(aml.lequal(r('CPEN'), one), store(integer(0x0f), local(0)))), aml.ret(local(0)));
  const cej0 = aml.method('CEJ0', 1, true, ...locked(store(arg(0), r('CSEL')), store(one, r('CEJ0'))));
  // CSCN: walk the CPUs with pending events (command 0 finds the next); notify inserted ones after the walk.
  const [more, found, count, uid, again] = [local(0), local(1), local(2), local(3), local(4)];
  const cscn = aml.method('CSCN', 0, true, ...locked(
    aml.name('CNEW', aml.sizedPkg(0xff)),
    store(zero, uid),
    store(one, again),
    aml.whileDo(aml.lequal(again, one),
      store(zero, again),
      store(one, more),
      store(zero, found),
      aml.whileDo(aml.land(aml.lequal(more, one), aml.lless(uid, integer(n))),
        store(zero, more),
        store(uid, r('CSEL')),
        store(zero, r('CCMD')),
        aml.ifThen(aml.lless(r('CDAT'), uid), aml.breakOut),
        aml.ifThen(aml.lequal(found, integer(0xff)), store(one, again), aml.breakOut),
        store(r('CDAT'), uid),
        aml.ifThen(aml.lequal(r('CINS'), one), store(uid, aml.index(ref('CNEW'), found)), aml.increment(found), store(one, more)),
        aml.orElse(aml.ifThen(aml.lequal(r('CRMV'), one), aml.call('CTFY', uid, integer(3)), store(one, r('CRMV')), store(one, more))),
        aml.increment(uid)),
      store(zero, count),
      aml.whileDo(aml.lless(count, found),
        store(aml.derefOf(aml.index(ref('CNEW'), count)), uid),
        aml.call('CTFY', uid, one),
        store(uid, aml.debugObj),
        store(uid, r('CSEL')),
        store(one, r('CINS')),
        aml.increment(count)))));
  const cost = aml.method('COST', 4, true, ...locked(
    store(arg(0), r('CSEL')),
    store(one, r('CCMD')),
    store(arg(1), r('CDAT')),
    store(integer(2), r('CCMD')),
    store(arg(2), r('CDAT'))));
  const cpus = Array.from({ length: n }, (_, i) => aml.processor(cpuName(i), i, 0, 0,
    aml.method('_STA', 0, true, aml.ret(aml.call('CSTA', integer(i)))),
    // The MADT's Processor Local APIC entry: type 0, length 8, ACPI ID, APIC ID, flags (enabled).
    aml.name('_MAT', aml.buffer([0, 8, i, i, 1, 0, 0, 0])),
    // Every CPU but the boot CPU may be unplugged (QEMU: opts.unplug for CPUs other than the first).
    ...(i > 0 ? [aml.method('_EJ0', 1, false, aml.call('CEJ0', integer(i)))] : []),
    aml.method('_OST', 3, true, aml.call('COST', integer(i), arg(0), arg(1), arg(2)))));
  const container = aml.device('\\_SB.CPUS',
    aml.name('_HID', aml.string('ACPI0010')),
    aml.name('_CID', aml.eisaId('PNP0A05')),
    ctfy, csta, cej0, cscn, cost, ...cpus);
  return aml.join(
    aml.scope('_SB', pres, container),
    aml.method('\\_GPE._E02', 0, false, aml.call('\\_SB.CPUS.CSCN')),
  );
}
