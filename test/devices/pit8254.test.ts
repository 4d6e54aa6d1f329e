import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../../emulator/clock';
import { IoBus } from '../../emulator/devices/bus';
import { Pit8254 } from '../../emulator/devices/pit8254';
import { IrqRecorder, runTo } from './harness';

function setup() {
  const bus = new IoBus();
  const clock = new VirtualClock();
  const irq = new IrqRecorder(clock);
  const pit = new Pit8254(clock, irq);
  pit.attach(bus);
  return { bus, clock, irq, pit, outb: (p: number, v: number) => bus.outPort(p, 1, v), inb: (p: number) => bus.inPort(p, 1) };
}

/** ns at which `ticks` PIT ticks have elapsed. */
const ns = (ticks: number) => Math.ceil((ticks * 1e9) / 1_193_182);

test('mode 2 rate generator raises IRQ0 once per period, at the right virtual instruction', () => {
  const { clock, irq, outb } = setup();
  clock.instructions = 1000;
  outb(0x43, 0x34); // counter 0, lo/hi, mode 2
  outb(0x40, 1193 & 0xff); // ~1 kHz
  outb(0x40, 1193 >> 8);
  runTo(clock, 1000 + 5_000_000);
  const rises = irq.rises(0);
  assert.equal(rises.length, 5);
  assert.deepEqual(rises, [1, 2, 3, 4, 5].map((k) => 1000 + ns(k * 1193)));
});

test('mode 0 interrupts once at terminal count', () => {
  const { clock, irq, outb, pit } = setup();
  outb(0x43, 0x30);
  outb(0x40, 0x00);
  outb(0x40, 0x10); // 4096
  assert.equal(pit.out(0), false);
  runTo(clock, 10_000_000);
  assert.deepEqual(irq.rises(0), [ns(4096)]);
  assert.equal(pit.out(0), true);
});

test('the counter counts down from virtual time and can be latched', () => {
  const { clock, outb, inb } = setup();
  outb(0x43, 0x34);
  outb(0x40, 0x00);
  outb(0x40, 0x00); // 65536
  clock.instructions = ns(1000);
  outb(0x43, 0x00); // latch counter 0
  clock.instructions = ns(2000);
  const v = inb(0x40) | (inb(0x40) << 8);
  assert.equal(v, 65536 - 1000);
  const live = inb(0x40) | (inb(0x40) << 8);
  assert.equal(live, 65536 - 2000);
});

test('read-back latches status with OUT, access mode and mode', () => {
  const { outb, inb } = setup();
  outb(0x43, 0xb6); // counter 2, lo/hi, mode 3
  outb(0x42, 0x10);
  outb(0x42, 0x00);
  outb(0x43, 0xe8); // read-back: latch status only, counter 2
  assert.equal(inb(0x42) & 0x3f, 0x36);
});

test('lobyte-only access mode', () => {
  const { clock, outb, inb } = setup();
  outb(0x43, 0x50); // counter 1, LSB only, mode 0
  outb(0x41, 100);
  clock.instructions = ns(30);
  assert.equal(inb(0x41), 70);
});

test('port 0x61: gate 2 and OUT2, and the refresh bit toggles with virtual time', () => {
  const { clock, outb, inb } = setup();
  outb(0x61, 0x00);
  outb(0x43, 0xb0); // counter 2 mode 0
  outb(0x42, 100);
  outb(0x42, 0);
  outb(0x61, 0x01);
  assert.equal(inb(0x61) & 0x21, 0x01);
  clock.instructions = ns(150);
  assert.equal(inb(0x61) & 0x20, 0x20, 'OUT2 high after terminal count');
  const seen = new Set<number>();
  for (let t = 0; t < 60_000; t += 5000) {
    clock.instructions = t;
    seen.add(inb(0x61) & 0x10);
  }
  assert.deepEqual([...seen].sort(), [0, 0x10]);
});

test('reprogramming cancels the old IRQ0 schedule', () => {
  const { clock, irq, outb } = setup();
  outb(0x43, 0x34);
  outb(0x40, 0xff);
  outb(0x40, 0xff);
  outb(0x43, 0x30); // mode 0, no count yet: counter stopped
  runTo(clock, 200_000_000);
  assert.deepEqual(irq.rises(0), []);
});

test('a snapshot restores the count and re-arms IRQ0 on the same schedule', () => {
  const a = setup();
  a.outb(0x43, 0x34);
  a.outb(0x40, 0x9c);
  a.outb(0x40, 0x2e); // 11932: 100 Hz
  runTo(a.clock, 25_000_000);
  const saved = JSON.parse(JSON.stringify(a.pit.saveState()));
  runTo(a.clock, 100_000_000);
  const b = setup();
  b.clock.instructions = 25_000_000;
  b.pit.loadState(saved);
  runTo(b.clock, 100_000_000);
  assert.deepEqual(b.irq.rises(0), a.irq.rises(0).filter((t) => t > 25_000_000));
});
