import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makePc } from './harness';

const IOAPIC = 0xfec00000;

function pc() {
  const p = makePc();
  const sel = (r: number) => p.phys.write(IOAPIC, 4, r);
  const rd = (r: number) => (sel(r), p.phys.read(IOAPIC + 0x10, 4));
  const wr = (r: number, v: number) => (sel(r), p.phys.write(IOAPIC + 0x10, 4, v));
  p.phys.write(0xfee000f0, 4, 0x1ff); // software-enable the local APIC
  p.outb(0x21, 0xff); // mask the 8259s, as kvm-unit-tests' mask_pic_interrupts() does
  p.outb(0xa1, 0xff);
  return { ...p, rd, wr, lapic: p.devices.lapic, router: p.devices.router };
}

test('version 0x170020 (QEMU pc) and masked redirection entries at reset', () => {
  const { rd } = pc();
  assert.equal(rd(1), 0x170020);
  assert.equal(rd(0x10), 0x10000);
  assert.equal(rd(0x10 + 2 * 23 + 1), 0);
});

test('an ISA edge IRQ is routed to the local APIC as a fixed interrupt (IRQ0 on pin 2)', () => {
  const { wr, router, phys } = pc();
  wr(0x10 + 2 * 2, 0x30);
  wr(0x10 + 2 * 2 + 1, 0);
  wr(0x10 + 2 * 4, 0x34);
  router.setIrq(0, true);
  router.setIrq(0, false);
  assert.equal(router.pending, true);
  assert.equal(router.acknowledge(), 0x30);
  phys.write(0xfee000b0, 4, 0);
  router.setIrq(4, true);
  assert.equal(router.acknowledge(), 0x34);
});

test('a level-triggered entry sets Remote IRR until EOI and re-fires while the line is still high', () => {
  const { wr, rd, router, phys } = pc();
  wr(0x10 + 2 * 11, 0x8041); // level, vector 0x41
  router.setIrq(11, true);
  assert.equal(rd(0x10 + 2 * 11) & 0x4000, 0x4000);
  assert.equal(router.acknowledge(), 0x41);
  phys.write(0xfee000b0, 4, 0);
  assert.equal(router.pending, true, 'still asserted: delivered again after EOI');
  assert.equal(router.acknowledge(), 0x41);
  router.setIrq(11, false);
  phys.write(0xfee000b0, 4, 0);
  assert.equal(rd(0x10 + 2 * 11) & 0x4000, 0);
  assert.equal(router.pending, false);
});

test('messages for another APIC ID are not delivered', () => {
  const { wr, router } = pc();
  wr(0x10 + 2 * 3, 0x33);
  wr(0x10 + 2 * 3 + 1, 0x05000000);
  router.setIrq(3, true);
  assert.equal(router.pending, false);
});

test('the version-0x20 EOI register (0x40) clears Remote IRR of level entries with that vector and re-delivers', () => {
  const { wr, rd, router, phys } = pc();
  wr(0x10 + 2 * 10, 0x8042); // level, vector 0x42
  router.setIrq(10, true);
  assert.equal(router.acknowledge(), 0x42);
  assert.equal(rd(0x10 + 2 * 10) & 0x4000, 0x4000);
  phys.write(IOAPIC + 0x40, 4, 0x41); // another vector: no effect
  assert.equal(rd(0x10 + 2 * 10) & 0x4000, 0x4000);
  router.setIrq(10, false);
  phys.write(IOAPIC + 0x40, 4, 0x42);
  assert.equal(rd(0x10 + 2 * 10) & 0x4000, 0);
  router.setIrq(10, true);
  assert.equal(rd(0x10 + 2 * 10) & 0x4000, 0x4000, 'delivered again once Remote IRR is clear');
});
