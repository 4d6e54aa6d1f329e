import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makePc } from './harness';

/**
 * The ACPI registers QEMU's PIIX4 PM adds for the DSDT's GPE and hotplug methods: the GPE0 block (0xAFE0),
 * the PCI hotplug controller (0xAE00, hw/acpi/pcihp.c) and the CPU hotplug controller (0xAF00, hw/acpi/cpu.c and
 * cpu_hotplug.c). Read and written through the I/O ports as the AML does.
 */

test('GPE0: status bytes are write-one-to-clear, enable bytes read back, SCI (IRQ 9) while status & enable', () => {
  const pc = makePc();
  const sci = () => { pc.outb(0xa0, 0x0a); return (pc.inb(0xa0) & 0x02) !== 0; }; // slave IRR bit 1 = IRQ 9
  pc.outb(0x4d1, 0x02); // IRQ 9 level, as SeaBIOS sets the SCI
  assert.equal(pc.bus.inPort(0xafe0, 4), 0);
  pc.outb(0xafe2, 0x06); // enable GPE 1 and 2
  assert.equal(pc.inb(0xafe2), 0x06);
  pc.devices.board.pm.raiseGpe(1); // what the PCI hotplug controller would do
  assert.equal(pc.inb(0xafe0), 0x02);
  assert.equal(sci(), true);
  pc.outb(0xafe0, 0x02);
  assert.equal(pc.inb(0xafe0), 0);
  assert.equal(sci(), false);
  pc.outb(0xafe2, 0);
  pc.devices.board.pm.raiseGpe(2);
  assert.equal(sci(), false, 'a disabled GPE does not raise the SCI');
  pc.outb(0xafe2, 0x04);
  assert.equal(sci(), true);
});

test('PCI hotplug: nothing inserted or to eject, RMV marks the slots without a built-in device, selector and eject as QEMU', () => {
  const pc = makePc();
  const inl = (p: number) => pc.bus.inPort(p, 4) >>> 0;
  assert.equal(inl(0xae00), 0, 'PCIU');
  assert.equal(inl(0xae04), 0, 'PCID');
  // Slots 0 (i440FX), 1 (PIIX3/IDE/PM) and 2 (VGA) hold built-in devices; the e1000 in slot 3 is hot-pluggable, as QEMU's.
  assert.equal(inl(0xae0c), 0xfffffff8, 'RMV');
  pc.outl(0xae08, 1 << 5); // eject slot 5 (empty): nothing happens
  assert.equal(inl(0xae04), 0);
  pc.outl(0xae14, 1 << 1);
  assert.equal(inl(0xae14), 0, 'no acpi-index');
  pc.outl(0xae10, 3);
  assert.equal(inl(0xae10), 3);
  assert.equal(inl(0xae0c), 0, 'a bus without hotplug reads 0');
});

test('CPU hotplug: the legacy bitmap until the DSDT\'s _INI writes 0, then the modern selector/flags/command interface', () => {
  const pc = makePc({ cpuCount: 2 });
  assert.equal(pc.inb(0xaf00), 0x03, 'legacy: CPUs 0 and 1 present');
  pc.outl(0xaf00, 0); // \_SB.PCI0.PRES._INI: CSEL = Zero switches to the modern interface
  assert.equal(pc.inb(0xaf04), 0x01, 'CPU 0: enabled, no event');
  pc.outl(0xaf00, 1);
  assert.equal(pc.inb(0xaf04), 0x01, 'CPU 1 enabled');
  pc.outb(0xaf05, 0); // command 0: next CPU with an event (none: the selector stays)
  assert.equal(pc.bus.inPort(0xaf08, 4), 1);
  pc.outl(0xaf00, 2);
  assert.equal(pc.inb(0xaf04), 0, 'no CPU 2');
  pc.devices.board.cpuHotplug.reset();
  pc.outl(0xaf00, 0);
  assert.equal(pc.inb(0xaf04), 0x01, 'a reset keeps the modern interface (as QEMU)');
});
