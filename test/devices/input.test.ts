import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Machine } from '../../emulator/machine';
import { decodePng } from '../../emulator/png';
import { keyBytes, textToKeys } from '../../emulator/devices/keymap';
import { loadVgaFont } from '../../emulator/devices/vga-font';
import { compareWithRecording, makeRecording, PlannedInput, runSession } from '../../emulator/recording';

const ROOT = path.resolve(__dirname, '../../..');
const kernel = (name: string) => new Uint8Array(fs.readFileSync(path.join(ROOT, 'fixtures/bin', `${name}.elf`)));

function bootWithOutput(name: string): { m: Machine; out: () => string } {
  const m = Machine.create({ memoryMB: 32, onTripleFault: 'stop' });
  let s = '';
  m.on('serial', (b) => { s += String.fromCharCode(b); });
  m.boot(kernel(name));
  return { m, out: () => s };
}

test('scan codes: set 1 when the 8042 translates, set 2 (F0 break) when not, E0 for extended keys', () => {
  assert.deepEqual(keyBytes('KeyA', true, true), [0x1e]);
  assert.deepEqual(keyBytes('KeyA', false, true), [0x9e]);
  assert.deepEqual(keyBytes('KeyA', true, false), [0x1c]);
  assert.deepEqual(keyBytes('KeyA', false, false), [0xf0, 0x1c]);
  assert.deepEqual(keyBytes('ArrowUp', true, true), [0xe0, 0x48]);
  assert.deepEqual(keyBytes('ArrowUp', false, true), [0xe0, 0xc8]);
  assert.deepEqual(keyBytes('ArrowUp', false, false), [0xe0, 0xf0, 0x75]);
  assert.deepEqual(keyBytes('NoSuchKey', true, true), []);
  assert.deepEqual(textToKeys('A').map((k) => `${k.code}${k.down ? '+' : '-'}`), ['ShiftLeft+', 'KeyA+', 'KeyA-', 'ShiftLeft-']);
});

test('the 8042 gives set 2 once the guest turns translation off (command byte bit 6)', () => {
  const m = Machine.create({ memoryMB: 16 });
  const bus = m.bus;
  bus.outPort(0x64, 1, 0x60);
  bus.outPort(0x60, 1, 0x05); // keyboard interrupt + system flag, translation off
  m.sendKey('KeyA', false);
  assert.equal(bus.inPort(0x60, 1), 0xf0);
  assert.equal(bus.inPort(0x60, 1), 0x1c);
});

test('keyboard fixture: "Hi, QEMU!" typed on the PS/2 keyboard echoes on COM1 and the screen matches QEMU screendump', (t) => {
  const { m, out } = bootWithOutput('keyboard');
  const inputs: PlannedInput[] = [{ instructions: 2_000_000, kind: 'keyboard', bytes: [], keys: textToKeys('Hi, QEMU!\n') }];
  const s = runSession(m, 20_000_000, inputs);
  assert.equal(out(), fs.readFileSync(path.join(ROOT, 'fixtures/golden/keyboard.serial.txt'), 'latin1'));
  assert.equal(s.inputs.length, 1);
  assert.equal(s.inputs[0].bytes[0], 0x2a, 'left shift make code, set 1 (translated)');
  assert.ok(m.inputStatus().keyboardInterrupt && m.inputStatus().irq1Unmasked);
  const font = loadVgaFont();
  if (!font) { t.skip('no VGA BIOS image (seabios package) for the text font'); return; }
  const f = m.frame()!;
  const q = decodePng(fs.readFileSync(path.join(ROOT, 'fixtures/golden/keyboard.screen.png')));
  assert.deepEqual([f.width, f.height], [q.width, q.height]);
  let diff = 0;
  for (let i = 0; i < q.width * q.height * 4; i += 4) if (f.rgba[i] !== q.rgba[i] || f.rgba[i + 1] !== q.rgba[i + 1] || f.rgba[i + 2] !== q.rgba[i + 2]) diff++;
  assert.equal(diff, 0, 'pixels that differ from QEMU');
});

test('before the guest enables IRQ1, inputStatus says typed keys do not interrupt', () => {
  const { m } = bootWithOutput('serial-shell');
  m.run(2_000_000);
  const st = m.inputStatus();
  assert.equal(st.irq1Unmasked, false, 'serial-shell masks everything but IRQ4');
});

test('serial shell: commands typed on COM1 are answered through the receive interrupt; the session replays exactly', () => {
  const { m, out } = bootWithOutput('serial-shell');
  const bytes = (s: string) => [...Buffer.from(s)];
  const inputs: PlannedInput[] = [
    { instructions: 1_000_000, kind: 'serial', bytes: bytes('ver\r') },
    { instructions: 2_000_000, kind: 'serial', bytes: bytes('echo typed\r') },
    { instructions: 3_000_000, kind: 'serial', bytes: bytes('quit\r') },
  ];
  const s = runSession(m, 50_000_000, inputs);
  assert.equal(s.stop.reason, 'exit');
  assert.equal(s.stop.exitCode, 33);
  assert.match(out(), /> \x1b\[0mver\r\nserial-shell 1\.0\r\n/);
  assert.match(out(), /echo typed\r\ntyped\r\n/);
  assert.match(out(), /quit\r\nbye\r\n$/);
  const rec = makeRecording(m, { path: 'serial-shell.elf', bytes: kernel('serial-shell') }, undefined, 50_000_000, s);
  const { m: again } = bootWithOutput('serial-shell');
  const s2 = runSession(again, 50_000_000, rec.inputs);
  assert.deepEqual(compareWithRecording(rec, makeRecording(again, { path: 'serial-shell.elf', bytes: kernel('serial-shell') }, undefined, 50_000_000, s2)), []);
});

test('PS/2 mouse on the aux port: reset, IntelliMouse ID, reporting, packets with IRQ12', () => {
  const m = Machine.create({ memoryMB: 16 });
  const bus = m.bus;
  const toMouse = (v: number) => { bus.outPort(0x64, 1, 0xd4); bus.outPort(0x60, 1, v); };
  const read = () => { const st = bus.inPort(0x64, 1); assert.ok(st & 0x01, 'output buffer full'); return [bus.inPort(0x60, 1), st & 0x20]; };
  bus.outPort(0x64, 1, 0xa8); // enable aux
  bus.outPort(0x64, 1, 0x60);
  bus.outPort(0x60, 1, 0x47); // kbd + aux interrupts, translation
  toMouse(0xff);
  assert.deepEqual([read(), read(), read()].map((r) => r[0]), [0xfa, 0xaa, 0x00]);
  for (const rate of [200, 100, 80]) { toMouse(0xf3); read(); toMouse(rate); read(); }
  toMouse(0xf2);
  assert.deepEqual([read()[0], read()[0]], [0xfa, 3]);
  m.sendMouse(5, 5, 0, 1);
  assert.equal(bus.inPort(0x64, 1) & 1, 0, 'no packet before reporting is enabled');
  toMouse(0xf4);
  assert.deepEqual(read(), [0xfa, 0x20]);
  assert.equal(m.inputStatus().mouseReporting, true);
  m.sendMouse(-3, 200, 1, 1);
  const packet = [read(), read(), read(), read()];
  assert.deepEqual(packet.map((r) => r[0]), [0x08 | 0x01 | 0x10, 0xfd, 127, 1]);
  assert.ok(packet.every((r) => r[1] === 0x20), 'aux output buffer bit on every byte');
});
