import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makePc, runTo } from './harness';
import { parseRtcBase } from '../../emulator/devices/cmos';

const SEC = 1_000_000_000;

function reg(pc: ReturnType<typeof makePc>, i: number): number {
  pc.outb(0x70, i);
  return pc.inb(0x71);
}

test('the RTC starts at 2026-01-01 00:00:00 and reads BCD by default', () => {
  const pc = makePc();
  assert.deepEqual([0, 2, 4, 6, 7, 8, 9, 0x32].map((i) => reg(pc, i)), [0, 0, 0, 0x05, 0x01, 0x01, 0x26, 0x20]);
});

test('QEMU\'s -rtc base=: utc and localtime from the host clock, a date or date and time as the RTC\'s own; one sentence for anything else', () => {
  const now = Date.UTC(2026, 11, 2, 5, 56, 1, 900);
  assert.equal(parseRtcBase('base=utc', now, -60), now / 1000 - 0.9);
  assert.equal(parseRtcBase('localtime', now, -60), Date.UTC(2026, 11, 2, 6, 56, 1) / 1000, 'UTC+1: an hour ahead');
  assert.equal(parseRtcBase('base=2006-06-17T16:01:21', now, 0), Date.UTC(2006, 5, 17, 16, 1, 21) / 1000);
  assert.equal(parseRtcBase('2000-02-29', now, 0), Date.UTC(2000, 1, 29) / 1000);
  for (const bad of ['2026-02-30', '2026-13-01', '2026-01-01T24:00:00', '1969-12-31', 'now', '2026-1-1', '']) {
    assert.throws(() => parseRtcBase(bad, now, 0), /the RTC base must be utc, localtime or a date 1970-2099/, bad);
  }
});

test('a machine started at another time reads it (BCD): 2006-06-17 16:01:21, a Saturday', () => {
  const pc = makePc({ rtcStart: Date.UTC(2006, 5, 17, 16, 1, 21) / 1000 });
  assert.deepEqual([0, 2, 4, 6, 7, 8, 9, 0x32].map((i) => reg(pc, i)), [0x21, 0x01, 0x16, 0x07, 0x17, 0x06, 0x06, 0x20]);
  pc.devices.cmos.reset();
  assert.equal(reg(pc, 0), 0x21, 'a power-on reset starts there again');
});

test('virtual time advances it: BCD after 3725 virtual seconds, binary and 12 h per register B', () => {
  const pc = makePc();
  pc.clock.instructions = 3725 * SEC + 5;
  assert.equal(reg(pc, 0), 0x05);
  assert.equal(reg(pc, 2), 0x02);
  assert.equal(reg(pc, 4), 0x01);
  pc.outb(0x70, 0x0b);
  pc.outb(0x71, 0x04); // binary, 12 h
  assert.equal(reg(pc, 0), 5);
  assert.equal(reg(pc, 4), 1);
  pc.clock.instructions = 13 * 3600 * SEC;
  assert.equal(reg(pc, 4), 0x81, '1 PM');
});

test('setting the time with SET, then it runs on from there', () => {
  const pc = makePc();
  pc.outb(0x70, 0x0b);
  pc.outb(0x71, 0x82); // SET, BCD, 24 h
  pc.outb(0x70, 0x04);
  pc.outb(0x71, 0x23);
  pc.outb(0x70, 0x02);
  pc.outb(0x71, 0x59);
  pc.outb(0x70, 0x00);
  pc.outb(0x71, 0x58);
  pc.clock.instructions = 10 * SEC;
  assert.equal(reg(pc, 0), 0x58, 'frozen while SET');
  pc.outb(0x70, 0x0b);
  pc.outb(0x71, 0x02);
  pc.clock.instructions = 13 * SEC;
  assert.deepEqual([reg(pc, 4), reg(pc, 2), reg(pc, 0), reg(pc, 7)], [0x00, 0x00, 0x01, 0x02]);
});

test('update-in-progress is set only in the last 244 us of each virtual second', () => {
  const pc = makePc();
  pc.clock.instructions = SEC - 300_000;
  assert.equal(reg(pc, 0x0a) & 0x80, 0);
  pc.clock.instructions = SEC - 200_000;
  assert.equal(reg(pc, 0x0a) & 0x80, 0x80);
  pc.clock.instructions = SEC + 1;
  assert.equal(reg(pc, 0x0a), 0x26);
});

test('register C: update-ended flag and IRQ8 with UIE; reading C clears it', () => {
  const pc = makePc();
  const { pic } = pc.devices;
  pc.outb(0x70, 0x0b);
  pc.outb(0x71, 0x12); // UIE
  pc.outb(0x20, 0x11); pc.outb(0x21, 0x20); pc.outb(0x21, 0x04); pc.outb(0x21, 0x01);
  pc.outb(0xa0, 0x11); pc.outb(0xa1, 0x28); pc.outb(0xa1, 0x02); pc.outb(0xa1, 0x01);
  pc.outb(0x21, 0xfb);
  pc.outb(0xa1, 0xfe);
  runTo(pc.clock, SEC - 1);
  assert.equal(pic.hasInterrupt(), false);
  runTo(pc.clock, SEC);
  assert.equal(pic.acknowledge(), 0x28);
  assert.equal(reg(pc, 0x0c) & 0x90, 0x90, 'IRQF and UF (PF runs too, at the default 1024 Hz)');
  assert.equal(reg(pc, 0x0c), 0x00);
});

test('periodic interrupt flag at the programmed rate', () => {
  const pc = makePc();
  pc.outb(0x70, 0x0c);
  pc.inb(0x71);
  pc.clock.instructions = 900_000; // < 1/1024 s
  assert.equal(reg(pc, 0x0c) & 0x40, 0);
  pc.clock.instructions = 1_000_000;
  assert.equal(reg(pc, 0x0c) & 0x40, 0x40);
});

test('memory size bytes follow QEMU (8 MiB and 256 MiB) and NMI mask comes from port 0x70 bit 7', () => {
  const small = makePc({ memoryBytes: 8 << 20 });
  assert.equal(reg(small, 0x17) | (reg(small, 0x18) << 8), 7 * 1024);
  assert.equal(reg(small, 0x34) | (reg(small, 0x35) << 8), 0);
  const pc = makePc({ memoryBytes: 256 << 20 });
  assert.equal(reg(pc, 0x15) | (reg(pc, 0x16) << 8), 640);
  assert.equal(reg(pc, 0x17) | (reg(pc, 0x18) << 8), 0xffff, 'extended KiB capped at 65535');
  assert.equal(reg(pc, 0x30) | (reg(pc, 0x31) << 8), 0xffff);
  assert.equal(reg(pc, 0x34) | (reg(pc, 0x35) << 8), (240 << 20) / 65536);
  assert.equal(reg(pc, 0x5b) | reg(pc, 0x5c) | reg(pc, 0x5d), 0);
  assert.equal(reg(pc, 0x0d), 0x80);
  pc.outb(0x70, 0x8f);
  assert.equal(pc.devices.cmos.nmiMasked, true);
  pc.outb(0x71, 0x0a);
  pc.outb(0x70, 0x0f);
  assert.equal(pc.inb(0x71), 0x0a, 'plain CMOS RAM');
  assert.equal(pc.devices.cmos.nmiMasked, false);
});

test('state round-trips through JSON', () => {
  const a = makePc();
  a.clock.instructions = 42 * SEC;
  a.outb(0x70, 0x20);
  a.outb(0x71, 0x77);
  const b = makePc();
  b.clock.instructions = 50 * SEC;
  b.devices.cmos.loadState(JSON.parse(JSON.stringify(a.devices.cmos.saveState())));
  assert.equal(reg(b, 0), 0x50);
  assert.equal(reg(b, 0x20), 0x77);
});

test('stableUntil promises no more than the registers keep: reads until then equal, and a time register or UIP changes right then', () => {
  const pc = makePc();
  const UIP = 244_000;
  const read = (i: number, at: number): number => { pc.clock.instructions = at; return reg(pc, i); };
  for (const i of [0x00, 0x02, 0x09, 0x0a, 0x0b, 0x0d, 0x0e]) {
    for (const t of [0, 1, SEC - UIP - 1, SEC - UIP, SEC - 1, SEC, 3 * SEC + 12_345, 59 * SEC + 7]) {
      const v = read(i, t);
      pc.clock.instructions = t;
      const until = pc.bus.portStableUntil(0x71, t);
      assert.ok(until > t, `register ${i} at ${t}: stable for a while`);
      const end = Math.min(until, t + 2 * SEC);
      for (const at of [t + 1, Math.floor((t + end) / 2), end - 1].filter((a) => a < end)) assert.equal(read(i, at), v, `register ${i}: read at ${at} (stable from ${t} until ${until})`);
      // The seconds and UIP change right then (the minutes and year may not: their bound is the next second).
      if (i === 0x00 || i === 0x0a) assert.notEqual(read(i, until), v, `register ${i} changes at ${until}`);
      if (until === Infinity) assert.ok([0x0b, 0x0d, 0x0e].includes(i), `register ${i} never changes`);
    }
  }
  // Register C: a read clears its flags, so never stable; the index port always is.
  pc.outb(0x70, 0x0c);
  assert.equal(pc.bus.portStableUntil(0x71, pc.clock.instructions), pc.clock.instructions);
  assert.equal(pc.bus.portStableUntil(0x70, pc.clock.instructions), Infinity);
});

test('0x37, the IBM PS/2 century byte, is the century register as in QEMU 7.2: reads it, writes it, and leaves the index at 0x32', () => {
  // What GRUB's outb/inb showed under qemu-system-x86_64 7.2 (-rtc base=2026-01-01): 37 reads 20; 0x19 written
  // through 37 reads back at 32; 0x21 written at 32 reads back through 37.
  const pc = makePc();
  pc.outb(0x70, 0x37);
  assert.deepEqual([pc.inb(0x71), pc.inb(0x71)], [0x20, 0x20]);
  pc.outb(0x70, 0x37);
  pc.outb(0x71, 0x19);
  assert.equal(reg(pc, 0x32), 0x19);
  pc.outb(0x70, 0x32);
  pc.outb(0x71, 0x21);
  assert.equal(reg(pc, 0x37), 0x21);
  pc.outb(0x70, 0x37);
  pc.inb(0x71);
  pc.outb(0x71, 0x20); // the access through 0x37 moved the index to 0x32: this write is the century's
  assert.equal(reg(pc, 0x32), 0x20);
  assert.equal(reg(pc, 9), 0x26, 'the year itself is untouched');
});
