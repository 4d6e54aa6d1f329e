import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { Machine } from '../../emulator/machine';
import { makeRecording, Recording, runSession } from '../../emulator/recording';
import { buildElf, concatBytes, multiboot1Header } from '../support/elf-builder';
import { firmwareMissing, kernelEntryCount } from '../support/firmware';

/**
 * `faultline run --record` / `faultline replay` through the bundled CLI (dist/cli.js): the stack-overflow and
 * IST-fix fixtures and a kernel that reads COM1 replay to the same serial output, fault chain and final state;
 * a recording whose input or state hash was changed is caught. Plus the same input log replayed in-process
 * through the history (Machine.sendSerial, goto).
 */
const root = path.resolve(__dirname, '..', '..', '..');
const cli = path.join(root, 'dist', 'cli.js');
const fixture = (name: string) => path.join(root, 'fixtures', 'bin', name);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-replay-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: tmp, timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * A 32-bit multiboot kernel that reads COM1: polls LSR.DR, echoes each byte with bit 5 flipped (case), and on
 * 'q' writes it to isa-debug-exit (status (0x71 << 1) | 1 = 227).
 */
function echoKernel(): Uint8Array {
  const code = [
    0x66, 0xba, 0xfd, 0x03, //       start: mov dx, 0x3fd (LSR)
    0xec, 0xa8, 0x01, 0x74, 0xfb, // poll:  in al, dx; test al, 1; jz poll
    0x66, 0xba, 0xf8, 0x03, 0xec, //        mov dx, 0x3f8; in al, dx (RBR)
    0x3c, 0x71, 0x74, 0x05, //              cmp al, 'q'; je quit
    0x34, 0x20, 0xee, 0xeb, 0xe9, //        xor al, 0x20; out dx, al (THR); jmp start
    0x66, 0xba, 0xf4, 0x00, 0xee, 0xf4, // quit: mov dx, 0xf4; out dx, al; hlt
  ];
  const text = concatBytes(multiboot1Header(0), Uint8Array.from(code));
  return buildElf({ class: 32, entry: 0x100000 + 12, segments: [{ paddr: 0x100000, data: text }] }).bytes;
}

const echoPath = path.join(tmp, 'echo.elf');
fs.writeFileSync(echoPath, echoKernel());

function readRec(file: string): Recording {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Recording;
}

function writeRec(name: string, rec: Recording): string {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, JSON.stringify(rec));
  return p;
}

/** Serial output as the CLI prints it: everything before the first [faultline] report line. */
function serialPart(stdout: string): string {
  return stdout.slice(0, stdout.indexOf('\n[faultline]'));
}

describe('faultline run --record / replay', { skip: (!fs.existsSync(cli) && 'dist/cli.js is missing (run node scripts/bundle.js)') || firmwareMissing() }, () => {
  // Kernels boot through SeaBIOS (the default): inputs are timed from the kernel's first instruction.
  const at = (kernel: string, n: number) => kernelEntryCount(kernel) + n;
  const cases = [
    { name: 'stack-overflow-no-ist', args: ['--no-reboot'], last: 'tripleFault', status: 0 },
    { name: 'stack-overflow-seed', args: ['--no-reboot'], last: 'tripleFault', status: 0 },
    // The IST fix survives the overflow: its #DF handler reports and exits through isa-debug-exit (16 → 33).
    { name: 'ist-double-fault', args: ['--no-reboot'], last: 'delivered', status: 33 },
  ];
  // After serial_init (which clears the FIFOs) and before the overflow in all three kernels; they never read it.
  for (const c of cases) {
    it(`${c.name}: the replay reproduces serial output, fault chain and final state`, () => {
      const input = `${at(fixture(`${c.name}.elf`), 15000)}:boot\\n`;
      const file = path.join(tmp, `${c.name}.json`);
      const rec = run('run', fixture(`${c.name}.elf`), ...c.args, '--input', input, '--record', file);
      assert.equal(rec.status, c.status, rec.stderr);
      const r = readRec(file);
      assert.equal(r.format, 1);
      assert.equal(r.kernel.path, fixture(`${c.name}.elf`));
      assert.match(r.kernel.sha256, /^[0-9a-f]{64}$/);
      assert.deepEqual(r.inputs, [{ instructions: at(fixture(`${c.name}.elf`), 15000), resets: 0, kind: 'serial', bytes: [98, 111, 111, 116, 10] }]);
      assert.equal(r.firmware?.name, 'seabios', 'the kernel booted through SeaBIOS');
      assert.match(r.firmware.sha256, /^[0-9a-f]{64}$/);
      assert.ok(r.faultChain.length >= 3, 'a fault chain was recorded');
      assert.equal(r.faultChain[r.faultChain.length - 1].phase, c.last);
      assert.match(r.stateHash, /^[0-9a-f]{16}$/);

      const again = run('replay', file);
      assert.equal(again.status, 0, again.stdout + again.stderr);
      assert.match(again.stdout, /replay identical to/);
      assert.equal(serialPart(again.stdout), serialPart(rec.stdout));
      const chainLine = (s: string) => s.split('\n').find((l) => l.startsWith('[faultline] fault chain:'));
      assert.ok(chainLine(rec.stdout));
      assert.equal(chainLine(again.stdout), chainLine(rec.stdout));

      // Recording twice gives the same file: nothing in a run depends on the host.
      const file2 = path.join(tmp, `${c.name}-2.json`);
      assert.equal(run('run', fixture(`${c.name}.elf`), ...c.args, '--input', input, '--record', file2).status, c.status);
      assert.equal(fs.readFileSync(file2, 'utf8'), fs.readFileSync(file, 'utf8'));
    });
  }

  it('the e1000 fixture: its DHCP, ARP and ping traffic replays; --nic none is recorded and replayed without the card', () => {
    for (const nic of [[], ['--nic', 'none']]) {
      const file = path.join(tmp, `e1000${nic.length ? '-none' : ''}.json`);
      const first = run('run', fixture('e1000.elf'), '--firmware', 'none', ...nic, '--record', file);
      assert.equal(first.status, nic.length ? 35 : 33, first.stderr);
      assert.equal(readRec(file).nic, nic.length ? 'none' : undefined);
      if (!nic.length) assert.match(first.stdout, /^address 10\.0\.2\.15$/m);
      const again = run('replay', file);
      assert.equal(again.status, 0, again.stdout + again.stderr);
      assert.equal(serialPart(again.stdout), serialPart(first.stdout));
    }
  });

  it('a kernel that reads COM1: inputs land at their instruction counts and the echo is replayed', () => {
    const file = path.join(tmp, 'echo.json');
    const t = [20000, 60000, 90000].map((n) => at(echoPath, n));
    const rec = run('run', echoPath, '--no-reboot', '--input', `${t[0]}:Hello`, '--input', `${t[1]}:World`, '--input', `${t[2]}:q`, '--record', file);
    assert.equal(rec.status, 227, rec.stderr);
    assert.equal(serialPart(rec.stdout), 'hELLOwORLD');
    const r = readRec(file);
    assert.deepEqual(r.inputs.map((i) => i.instructions), t);
    assert.equal(r.end.stop, 'exit');
    const again = run('replay', file);
    assert.equal(again.status, 0, again.stdout);
    assert.equal(serialPart(again.stdout), 'hELLOwORLD');
  });

  it('a recording whose input text was changed is caught: the echo differs, status 1', () => {
    const r = readRec(path.join(tmp, 'echo.json'));
    r.inputs[1].bytes = [...Buffer.from('Wirld')];
    const out = run('replay', writeRec('echo-text.json', r));
    assert.equal(out.status, 1, out.stdout);
    assert.equal(serialPart(out.stdout), 'hELLOwIRLD');
    assert.match(out.stdout, /replay differs from .*\n {2}serial output: recorded 10 bytes/);
  });

  it('a recording whose input was moved to a later instruction is caught: the run ends elsewhere', () => {
    const r = readRec(path.join(tmp, 'echo.json'));
    r.inputs[2].instructions = at(echoPath, 120000);
    const out = run('replay', writeRec('echo-moved.json', r));
    assert.equal(out.status, 1, out.stdout);
    assert.match(out.stdout, /end: recorded exit after \d+ instructions, replayed exit after \d+ instructions/);
  });

  it('unread input changed on a fixture is caught by the device state hash', () => {
    const r = readRec(path.join(tmp, 'stack-overflow-no-ist.json'));
    r.inputs[0].bytes = [...Buffer.from('bOot\n')];
    const out = run('replay', writeRec('so-input.json', r));
    assert.equal(out.status, 1, out.stdout);
    assert.match(out.stdout, /final device state hash: recorded/);
    assert.doesNotMatch(out.stdout, /serial output:|fault chain link/);
  });

  it('a recording whose state hash was changed is caught', () => {
    const r = readRec(path.join(tmp, 'ist-double-fault.json'));
    const real = r.stateHash;
    r.stateHash = real.replace(/^./, (ch) => (ch === '0' ? '1' : '0'));
    const out = run('replay', writeRec('ist-hash.json', r));
    assert.equal(out.status, 1, out.stdout);
    assert.match(out.stdout, new RegExp(`final state \\(CPU \\+ RAM\\) hash: recorded ${r.stateHash}, replayed ${real}`));
  });

  it('the kernel must be the recorded one: moved (--kernel finds it), missing, or different', () => {
    const file = path.join(tmp, 'echo.json');
    const copy = path.join(tmp, 'moved-echo.elf');
    fs.copyFileSync(echoPath, copy);
    assert.equal(run('replay', file, '--kernel', copy).status, 0);
    const r = readRec(file);
    r.kernel.path = path.join(tmp, 'gone.elf');
    const missing = run('replay', writeRec('gone.json', r));
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /^faultline: the recorded kernel .*gone\.elf does not exist any more; pass --kernel PATH/);
    const other = run('replay', file, '--kernel', fixture('breakpoint.elf'));
    assert.equal(other.status, 2);
    assert.match(other.stderr, /^faultline: .*breakpoint\.elf is not the recorded kernel \(its SHA-256 is [0-9a-f]{64}, the recording's is [0-9a-f]{64}\)/);
  });

  it('the BIOS must be the recorded one', () => {
    const r = readRec(path.join(tmp, 'echo.json'));
    r.firmware!.sha256 = '0'.repeat(64);
    const out = run('replay', writeRec('other-bios.json', r));
    assert.equal(out.status, 2);
    assert.match(out.stderr, /^faultline: .*bios-256k\.bin is not the BIOS the recording booted through \(its SHA-256 is [0-9a-f]{64}, the recording's is 0{64}\)/);
  });

  it('a file that is not a recording is refused with status 2', () => {
    const p = path.join(tmp, 'notes.json');
    fs.writeFileSync(p, '{"hello": 1}');
    const out = run('replay', p);
    assert.equal(out.status, 2);
    assert.match(out.stderr, /^faultline: .*notes\.json is not a faultline recording/);
    assert.equal(run('replay', path.join(tmp, 'nope.json')).status, 2);
  });
});

describe('recorded input in-process', () => {
  it('Machine.sendSerial input replays through the history: going back and forward again ends in the same state', () => {
    const boot = (): Machine => {
      const m = Machine.create({ onTripleFault: 'stop' });
      m.boot(echoKernel());
      return m;
    };
    const inputs = [
      { instructions: 3000, kind: 'serial' as const, bytes: [...Buffer.from('ab')] },
      { instructions: 3000, kind: 'serial' as const, bytes: [...Buffer.from('cd')] },
      { instructions: 9000, kind: 'serial' as const, bytes: [...Buffer.from('q')] },
    ];
    const plain = boot();
    const s1 = runSession(plain, 1_000_000, inputs);
    assert.equal(s1.serial.bytes, 4);
    assert.equal(s1.serial.sha256(), createHash('sha256').update('ABCD').digest('hex'));
    assert.equal(s1.stop.reason, 'exit');
    const first = makeRecording(plain, { path: 'echo.elf', bytes: echoKernel() }, undefined, 1_000_000, s1);

    const m = boot();
    m.enableHistory({ snapshotInterval: 1000 });
    const s2 = runSession(m, 1_000_000, inputs);
    assert.equal(makeRecording(m, { path: 'echo.elf', bytes: echoKernel() }, undefined, 1_000_000, s2).stateHash, first.stateHash);
    const end = m.instructionCount;
    m.goto(2500); // before both inputs: they come back from the input log
    m.goto(end);
    assert.equal(m.stateHash(), first.stateHash);
    assert.equal(m.instructionCount, first.end.instructions);
  });
});

/** A 32-bit multiboot kernel that writes the RTC's year, month, day, hour, minute and second (BCD) to COM1, then exits. */
function rtcKernel(): Uint8Array {
  const code: number[] = [];
  for (const r of [9, 8, 7, 4, 2, 0]) code.push(0xb0, r, 0xe6, 0x70, 0xe4, 0x71, 0x66, 0xba, 0xf8, 0x03, 0xee);
  code.push(0x66, 0xba, 0xf4, 0x00, 0xb0, 0x00, 0xee, 0xf4);
  const text = concatBytes(multiboot1Header(0), Uint8Array.from(code));
  return buildElf({ class: 32, entry: 0x100000 + 12, segments: [{ paddr: 0x100000, data: text }] }).bytes;
}

describe('faultline run --rtc base=', { skip: !fs.existsSync(cli) && 'dist/cli.js is missing (run node scripts/bundle.js)' }, () => {
  const kernel = path.join(tmp, 'rtc.elf');
  fs.writeFileSync(kernel, rtcKernel());
  const bytes = (stdout: string) => [...Buffer.from(serialPart(stdout), 'latin1')];

  it('sets what the RTC reads at power-on; the recording keeps it and the replay is identical', () => {
    assert.deepEqual(bytes(run('run', kernel, '--firmware', 'none').stdout), [0x26, 0x01, 0x01, 0x00, 0x00, 0x00], 'default: 2026-01-01 00:00:00');
    const file = path.join(tmp, 'rtc.json');
    const r = run('run', kernel, '--firmware', 'none', '--rtc', 'base=2006-06-17T16:01:21', '--record', file);
    assert.deepEqual(bytes(r.stdout), [0x06, 0x06, 0x17, 0x16, 0x01, 0x21]);
    assert.equal(readRec(file).machine.rtcStart, Date.UTC(2006, 5, 17, 16, 1, 21) / 1000);
    const rep = run('replay', file);
    assert.equal(rep.status, 0, rep.stdout + rep.stderr);
    assert.deepEqual(bytes(rep.stdout), [0x06, 0x06, 0x17, 0x16, 0x01, 0x21]);
  });

  it('utc reads the host clock; a bad value is one sentence and status 2', () => {
    const before = Date.now();
    const [yy, mo, dd] = bytes(run('run', kernel, '--firmware', 'none', '--rtc', 'base=utc').stdout);
    const host = new Date(before);
    const bcd = (v: number) => ((Math.floor(v / 10) << 4) | (v % 10));
    assert.deepEqual([yy, mo], [bcd(host.getUTCFullYear() % 100), bcd(host.getUTCMonth() + 1)]);
    assert.ok(dd === bcd(host.getUTCDate()) || dd === bcd(new Date(Date.now()).getUTCDate()));
    const bad = run('run', kernel, '--rtc', 'tomorrow');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /^faultline: --rtc: the RTC base must be utc, localtime or a date 1970-2099 as YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS \(QEMU's -rtc base=\), not 'tomorrow'\n/);
  });
});
