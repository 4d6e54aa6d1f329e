import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { decodePng } from '../../emulator/png';
import { kernelEntryCount } from '../support/firmware';

/** The CLI's screen and keyboard options: --screenshot against QEMU's screendump, --input N:kbd:TEXT, bad values. */
const root = path.resolve(__dirname, '..', '..', '..');
const cli = path.join(root, 'dist', 'cli.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-screens-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const fixture = (name: string) => path.join(root, 'fixtures', 'bin', `${name}.elf`);
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: tmp, timeout: 60_000 });

test('--screenshot writes the multiboot2 framebuffer as a PNG equal to QEMU screendump', () => {
  const png = path.join(tmp, 'fb.png');
  const r = run('run', fixture('mb2-framebuffer'), '--screenshot', png);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /screenshot written to .*fb\.png: 640x480, vbe/);
  const ours = decodePng(fs.readFileSync(png));
  const qemu = decodePng(fs.readFileSync(path.join(root, 'fixtures', 'golden', 'mb2-framebuffer.screen.png')));
  assert.deepEqual([ours.width, ours.height], [qemu.width, qemu.height]);
  assert.ok(Buffer.from(ours.rgba).equals(Buffer.from(qemu.rgba)), 'same pixels');
});

test('--screen on a graphics display says so in one sentence instead of printing the stale text buffer', () => {
  const r = run('run', fixture('mb2-framebuffer'), '--screen');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /\[faultline\] screen: the display shows VBE graphics, not text; --screenshot FILE\.png saves it/);
});

test('--input N:kbd:TEXT types on the PS/2 keyboard; the keyboard fixture echoes it on COM1 and the screen', () => {
  // Typed once the kernel runs (after SeaBIOS's POST): its own keyboard set-up comes first.
  const k = kernelEntryCount(fixture('keyboard'));
  const r = run('run', fixture('keyboard'), '--input', `${k + 2_000_000}:kbd:Typed Keys!\\n`, '--input', `${k + 4_000_000}:kbd:\\n`, '--screen');
  assert.equal(r.status, 33, r.stderr);
  assert.match(r.stdout, /keyboard ready\r\nTyped Keys!\r\nbye/);
  assert.match(r.stdout, /screen:\n.*\n\nTyped Keys!/);
});

test('bad --serial and --input kbd values get one sentence and status 2', () => {
  let r = run('run', fixture('keyboard'), '--serial', 'tcp:1234');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--serial takes 'stdio'/);
  r = run('run', fixture('keyboard'), '--input', '5:kbd:caf\u00e9');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /cannot type 'é'/);
  r = run('run', fixture('keyboard'), '--screenshot', path.join(tmp, 'no', 'such', 'dir.png'), '--max-instructions', '1000');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /cannot write the screenshot/);
});
