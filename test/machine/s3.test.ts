import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SLEEP_ENTRY_NS } from '../../emulator/devices/piix4-pm';
import { Machine } from '../../emulator/machine';
import { buildElf, concatBytes, multiboot1Header } from '../support/elf-builder';

/**
 * ACPI S3 (suspend to RAM) on the PIIX4 PM: SLP_TYP = 1 with SLP_EN suspends the machine a short while after
 * the write, the RTC alarm (AIE, with PM1_EN.RTC_EN) wakes it, and the wake-up is a system reset that keeps
 * RAM, the host bridge's PAM mapping and CMOS (shutdown status 0xFE for the firmware's resume path), as
 * QEMU's pc machine does. The full path through SeaBIOS to the FACS waking vector is kvm-unit-tests' s3
 * (test/conformance).
 */
const PM = 0x600; // where the direct load's PCI set-up (SeaBIOS's) puts PMBA
const NO_ALARM = 0x00; // an alarm at 00:00:00, far from where the RTC runs in this test

function guest(alarmByte: number, rtcWake: boolean): Uint8Array {
  const outCmos = (index: number, value: number) => [0xb0, index, 0xe6, 0x70, 0xb0, value, 0xe6, 0x71];
  const code = Uint8Array.from([
    0xc7, 0x05, 0x00, 0x05, 0x00, 0x00, 0x44, 0x33, 0x22, 0x11, // mov dword [0x500], 0x11223344
    ...outCmos(0x01, alarmByte), ...outCmos(0x03, alarmByte), ...outCmos(0x05, alarmByte), // alarm s/m/h
    ...outCmos(0x0b, 0x22), // register B: AIE, 24 h
    0x66, 0xba, (PM + 2) & 0xff, (PM + 2) >> 8, 0x66, 0xb8, 0x00, rtcWake ? 0x04 : 0x00, 0x66, 0xef, // PM1_EN
    0x66, 0xba, (PM + 4) & 0xff, (PM + 4) >> 8, 0x66, 0xb8, 0x00, 0x24, 0x66, 0xef, // PM1_CNT = SLP_EN | SLP_TYP 1
    0xff, 0x05, 0x04, 0x05, 0x00, 0x00, // 1: inc dword [0x504]
    0xeb, 0xf8, //    jmp 1b
  ]);
  const text = concatBytes(multiboot1Header(0x3), code);
  return buildElf({ class: 32, entry: 0x10000c, segments: [{ paddr: 0x100000, data: text, flags: 5 }] }).bytes;
}

function boot(alarmByte: number, rtcWake: boolean) {
  const m = Machine.create({ memoryMB: 32, onTripleFault: 'stop' });
  m.boot(guest(alarmByte, rtcWake));
  const resets: { cs: number; rip: number; marker: number; loops: number; shutdownByte: number; pam0: number }[] = [];
  m.on('reset', () => {
    m.bus.outPort(0x70, 1, 0x0f);
    resets.push({
      cs: m.cpu.segSel[1], rip: m.cpu.rip, marker: m.mem.read(0x500, 4), loops: m.mem.read(0x504, 4),
      shutdownByte: m.bus.inPort(0x71, 1), pam0: m.devices.board.i440fx.config[0x59],
    });
  });
  return { m, resets };
}

test('S3: the machine sleeps after SLP_EN, the RTC alarm wakes it with a reset that keeps RAM and tells the firmware to resume', () => {
  const { m, resets } = boot(0xc0, true); // alarm "don't care" in all three bytes: the next second
  // The guest runs on for the sleep-entry latency, then no instruction retires until the alarm (< 1 s).
  let stop = m.run(1_000_000);
  assert.equal(stop.reason, 'budget');
  assert.equal(resets.length, 0);
  const loops = m.mem.read(0x504, 4);
  assert.ok(loops > 0 && loops < SLEEP_ENTRY_NS, `the loop ran ${loops} times before the machine slept`);
  stop = m.run(1_100_000_000);
  assert.equal(resets.length, 1, 'the RTC alarm woke the machine');
  const r = resets[0];
  assert.equal(r.cs, 0xf000);
  assert.equal(r.rip, 0xfff0);
  assert.equal(r.marker, 0x11223344, 'RAM kept its contents');
  assert.equal(r.loops, loops, 'nothing ran while asleep');
  assert.equal(r.shutdownByte, 0xfe, 'CMOS shutdown status: S3 resume');
  assert.equal(r.pam0 & 0x30, 0x30, 'the host bridge still maps RAM at 0xF0000');
  assert.equal(m.devices.board.pm.rtcWakeEnabled, false, 'the reset cleared PM1_EN');
});

test('S3: a debugger step while asleep executes nothing', () => {
  const { m } = boot(NO_ALARM, true);
  m.run(1_000_000);
  const loops = m.mem.read(0x504, 4);
  const rip = m.cpu.rip;
  for (let i = 0; i < 5; i++) assert.equal(m.step().reason, 'step');
  assert.equal(m.mem.read(0x504, 4), loops);
  assert.equal(m.cpu.rip, rip);
});

test('S3 without a wake source: the machine stays asleep (RTC_EN clear, or an alarm that does not come)', () => {
  for (const [alarm, rtcWake] of [[0xc0, false], [NO_ALARM, true]] as const) {
    const { m, resets } = boot(alarm, rtcWake);
    m.run(1_000_000);
    const loops = m.mem.read(0x504, 4);
    m.run(3_000_000_000);
    assert.equal(resets.length, 0, `alarm ${alarm.toString(16)}, RTC_EN ${rtcWake}: no wake-up`);
    assert.equal(m.mem.read(0x504, 4), loops);
  }
});
