import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initPicLikeLinux, makePc, runTo } from './harness';

test('with the APIC software-disabled, PIC interrupts reach the CPU as ExtINT through LINT0', () => {
  const { outb, devices, clock } = makePc();
  const { router } = devices;
  initPicLikeLinux(outb);
  outb(0x21, 0xfa);
  outb(0x43, 0x34);
  outb(0x40, 0xa9);
  outb(0x40, 0x04); // 1193: 1 kHz
  assert.equal(router.pending, false);
  runTo(clock, 1_000_000);
  assert.equal(router.pending, true);
  assert.equal(router.acknowledge(), 0x20);
  assert.equal(router.pending, false);
  outb(0x20, 0x20);
});

test('masking LINT0 cuts the PIC off', () => {
  const { outb, devices, phys } = makePc();
  initPicLikeLinux(outb);
  outb(0x21, 0xf8);
  phys.write(0xfee000f0, 4, 0x1ff);
  phys.write(0xfee00350, 4, 0x10700);
  devices.router.setIrq(1, true);
  assert.equal(devices.router.pending, false);
  phys.write(0xfee00350, 4, 0x700);
  assert.equal(devices.router.pending, true);
  assert.equal(devices.router.acknowledge(), 0x21);
});

test('the local APIC is served before the PIC', () => {
  const { outb, devices, phys } = makePc();
  initPicLikeLinux(outb);
  outb(0x21, 0xf8);
  phys.write(0xfee000f0, 4, 0x1ff);
  devices.router.setIrq(1, true);
  phys.write(0xfee00300, 4, 0x40050);
  assert.equal(devices.router.acknowledge(), 0x50);
  assert.equal(devices.router.acknowledge(), 0x21);
});

test('an NMI IPI sets nmiPending', () => {
  const { devices, phys } = makePc();
  phys.write(0xfee00300, 4, 0x40400);
  assert.equal(devices.router.nmiPending, true);
  devices.router.takeNmi();
  assert.equal(devices.router.nmiPending, false);
});

test('every device state survives a JSON round trip in createPcDevices order', () => {
  const a = makePc();
  initPicLikeLinux(a.outb);
  a.outb(0x21, 0xfa);
  a.outb(0x43, 0x34);
  a.outb(0x40, 0xa9);
  a.outb(0x40, 0x04);
  runTo(a.clock, 1_500_000);
  const saved = JSON.parse(JSON.stringify(a.devices.all.map((d) => d.saveState())));
  const b = makePc();
  b.clock.instructions = a.clock.instructions;
  b.devices.all.forEach((d, i) => d.loadState(saved[i]));
  assert.equal(b.devices.router.pending, a.devices.router.pending);
  assert.equal(b.devices.router.acknowledge(), 0x20);
});
