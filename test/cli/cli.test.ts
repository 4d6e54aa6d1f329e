import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { buildElf, concatBytes, multiboot1Header } from '../support/elf-builder';
import { kernelEntryCount } from '../support/firmware';

/**
 * The bundled CLI (dist/cli.js, built by `node scripts/bundle.js`) on bad input: every mistake gives one
 * sentence on stderr and exit status 2, never a stack trace; and on the seed fixtures, the --trace, --screen
 * and fault-chain text.
 */
const root = path.resolve(__dirname, '..', '..', '..');
const cli = path.join(root, 'dist', 'cli.js');
const fixture = (name: string) => path.join(root, 'fixtures', 'bin', name);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-cli-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function file(name: string, bytes: Uint8Array | string): string {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, bytes);
  return p;
}

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: tmp, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Status 2, nothing on stdout, and a first stderr line that is one sentence matching `re` (usage may follow). */
function refuses(r: ReturnType<typeof run>, re: RegExp): void {
  assert.equal(r.status, 2, `exit status (stderr: ${r.stderr})`);
  assert.equal(r.stdout, '');
  const first = r.stderr.split('\n')[0];
  assert.match(first, /^faultline: /);
  assert.match(first, re);
  assert.doesNotMatch(r.stderr, /^\s+at .*\(.*:\d+:\d+\)$/m, 'no stack trace');
  assert.doesNotMatch(r.stderr, /Error:|TypeError|RangeError/, 'no JS error names');
}

/** A multiboot1 ELF32 whose code is `code`, loaded at 1 MiB. */
function kernel(code: number[]): Uint8Array {
  const text = concatBytes(multiboot1Header(0), Uint8Array.from(code));
  return buildElf({ class: 32, entry: 0x100000 + 12, segments: [{ paddr: 0x100000, data: text }] }).bytes;
}

describe('faultline run: bad kernels', { skip: !fs.existsSync(cli) && 'dist/cli.js is missing (run node scripts/bundle.js)' }, () => {
  it('a missing file', () => refuses(run('run', 'nope.elf'), /nope\.elf does not exist/));
  it('a directory', () => refuses(run('run', tmp), /is a directory/));
  it('a text file', () => refuses(run('run', file('notes.txt', 'hello, kernel\n')), /not an ELF file/));
  it('an ELF without a multiboot header', () => {
    const bytes = buildElf({ class: 64, entry: 0x100000, segments: [{ paddr: 0x100000, data: Uint8Array.from([0xf4]) }] }).bytes;
    refuses(run('run', file('nomb.elf', bytes)), /has no multiboot header in its first 32 KiB/);
  });
  it('a truncated ELF', () => {
    const whole = fs.readFileSync(fixture('pf-missing-idt.elf'));
    refuses(run('run', file('trunc.elf', whole.subarray(0, 200))), /truncated/);
  });
  it('an empty file', () => refuses(run('run', file('empty.elf', new Uint8Array(0))), /empty|not an ELF/));
  it('random bytes', () => {
    let s = 12345;
    const bytes = new Uint8Array(4096).map(() => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s >>> 24; });
    refuses(run('run', file('random.bin', bytes)), /not an ELF file/);
  });
  it('an ELF whose segment does not fit in guest RAM', () => {
    const text = concatBytes(multiboot1Header(0), Uint8Array.from([0xf4]));
    const bytes = buildElf({ class: 32, entry: 0x100000, segments: [{ paddr: 0x100000, data: text, memsz: 64 << 20 }] }).bytes;
    refuses(run('run', file('big.elf', bytes), '--memory', '16'), /MiB|RAM|memory/);
  });
});

describe('faultline run: guests that never stop', { skip: !fs.existsSync(cli) && 'dist/cli.js is missing' }, () => {
  it('a kernel printing without end stops at --max-instructions with all its output, and the run ends normally', () => {
    // loop: mov dx, 0x3f8 ; mov al, 'x' ; out dx, al ; jmp loop  (4 instructions a byte)
    const k = file('chatty.elf', kernel([0x66, 0xba, 0xf8, 0x03, 0xb0, 0x78, 0xee, 0xeb, 0xf7]));
    const r = spawnSync(process.execPath, [cli, 'run', k, '--max-instructions', '20000000'], { encoding: 'utf8', cwd: tmp, timeout: 120_000, maxBuffer: 64 << 20 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    const serial = r.stdout.slice(0, r.stdout.indexOf('\n'));
    // SeaBIOS's POST runs first; the kernel's own instructions write a byte every fourth (the OUT is the third).
    const own = 20_000_000 - kernelEntryCount(k);
    assert.equal(serial.length, Math.floor((own + 1) / 4), 'every byte the guest wrote, once');
    assert.match(serial, /^x+$/);
    assert.match(r.stdout, /\[faultline\] stopped after 20000000 instructions \(budget\)\n$/);
  });
});

describe('faultline run: bad options', { skip: !fs.existsSync(cli) && 'dist/cli.js is missing' }, () => {
  const k = fixture('pf-missing-idt.elf');
  it('no command prints usage with status 2', () => {
    const r = run();
    assert.equal(r.status, 2);
    assert.match(r.stdout, /^faultline — boot an x86_64 multiboot kernel/);
  });
  it('`run --help` prints the usage with status 0', () => {
    for (const args of [['run', '--help'], ['run', k, '-h'], ['replay', '--help']]) {
      const r = run(...args);
      assert.equal(r.status, 0, args.join(' '));
      assert.match(r.stdout, /^faultline — boot an x86_64 multiboot kernel/);
      assert.equal(r.stderr, '');
    }
  });
  it('an unknown command', () => refuses(run('frobnicate'), /unknown command 'frobnicate'/));
  it('no kernel', () => refuses(run('run'), /no kernel given/));
  it('two kernels', () => refuses(run('run', k, k), /more than one kernel/));
  it('an unknown option', () => refuses(run('run', k, '--turbo'), /unknown option --turbo$/));
  it('QEMU\'s spelling of an option names ours', () => {
    refuses(run('run', '-kernel', k), /unknown option -kernel: Faultline's options take two dashes \(QEMU's -kernel is --kernel here\)/);
    refuses(run('run', k, '-no-reboot'), /\(QEMU's -no-reboot is --no-reboot here\)/);
    refuses(run('run', k, '-m', '256'), /unknown option -m: QEMU's -m is --memory MB here/);
    refuses(run('run', k, '-s'), /QEMU's -s is --gdb 1234 here/);
  });
  it('an option one or two letters off names the one meant', () => {
    refuses(run('run', '--kernal', k), /unknown option --kernal \(did you mean --kernel\?\)/);
    refuses(run('run', k, '--memroy', '64'), /\(did you mean --memory\?\)/);
  });
  it('an option without its value', () => refuses(run('run', k, '--max-instructions'), /--max-instructions needs a value/));
  for (const v of ['abc', '-5', '0', '1.5', '1e400']) {
    it(`--max-instructions ${v}`, () => refuses(run('run', k, '--max-instructions', v), /--max-instructions takes a positive whole number/));
  }
  for (const v of ['abc', '0', '1', '5000']) {
    it(`--memory ${v}`, () => refuses(run('run', k, '--memory', v), /--memory/));
  }
  it('an unknown CPU model', () => refuses(run('run', k, '--cpu', 'pentium'), /unknown CPU model 'pentium'; choose one of: faultline, max, qemu64/));
});

describe('faultline run: output on fixture kernels', { skip: !fs.existsSync(cli) && 'dist/cli.js is missing' }, () => {
  it('an endless loop stops at --max-instructions with status 0', () => {
    const r = run('run', file('loop.elf', kernel([0xeb, 0xfe])), '--max-instructions', '100000');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /\[faultline\] stopped after 100000 instructions \(budget\)/);
  });

  it('--trace prints each exception event of pf-missing-idt as it happens, then the chain in words', () => {
    const r = run('run', fixture('pf-missing-idt.elf'), '--no-reboot', '--trace');
    assert.equal(r.status, 0, r.stderr);
    const trace = r.stdout.split('\n').filter((l) => /^\[faultline\] (raised|delivered|escalated|tripleFault) /.test(l));
    assert.deepEqual(trace.map((l) => l.split(' ').slice(1, 5).join(' ')), [
      'raised #PF error 0x2', 'raised #NP error 0x73', 'escalated #DF error 0x0', 'raised #NP error 0x43', 'tripleFault #NP error 0x43',
    ]);
    assert.match(trace[0], /cr2=0xdeadbeaf: PDPT entry 3 is not present$/);
    assert.match(r.stdout, /\[faultline\] fault chain: #PF\(0x2\) at 0x[0-9a-f]+ <kmain\+0x[0-9a-f]+> writing 0xdeadbeaf \(PDPT entry 3 is not present\) → #NP\(0x73\) delivering #PF: IDT gate 14 \(#PF\) is not present → #DF \(#PF then #NP\) → #NP\(0x43\) delivering #DF: IDT gate 8 \(#DF\) is not present → triple fault\n/);
    assert.match(r.stdout, /\[faultline\] triple fault: CPU shut down after \d+ instructions/);
  });

  it('without --no-reboot a triple-faulting kernel is reported as a boot loop', () => {
    // Every reset runs SeaBIOS's POST again (about 8 million instructions) before the kernel faults.
    const r = run('run', fixture('pf-missing-idt.elf'), '--max-instructions', '60000000');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /the machine reset \d+ time\(s\) \(triple faults or the guest's reset requests: a boot loop; use --no-reboot to stop at the first\)/);
  });

  it('the #DF handler kernel exits through isa-debug-exit with its status and the chain ends at the handler', () => {
    const r = run('run', fixture('df-handler.elf'), '--no-reboot');
    assert.equal(r.status, 33);
    assert.match(r.stdout, /EXCEPTION: DOUBLE FAULT/);
    assert.match(r.stdout, /→ #DF \(#PF then #NP\) → #DF handler at 0x[0-9a-f]+ <double_fault_handler>/);
  });

  it('the guest\'s serial bytes reach stdout unchanged (a guest printing UTF-8 shows its characters), as under QEMU -serial stdio', () => {
    // mov dx, 0x3f8; then out dx, al for C3 A9 ("é" in UTF-8), AE (a lone byte), 0A; cli; hlt
    const code = [0x66, 0xba, 0xf8, 0x03];
    for (const b of [0xc3, 0xa9, 0xae, 0x0a]) code.push(0xb0, b, 0xee);
    const r = spawnSync(process.execPath, [cli, 'run', file('bytes.elf', kernel([...code, 0xfa, 0xf4])), '--firmware', 'none'], { cwd: tmp, timeout: 60_000 });
    assert.equal(r.status, 0, String(r.stderr));
    const out = r.stdout as Buffer;
    assert.ok(out.subarray(0, 4).equals(Buffer.from([0xc3, 0xa9, 0xae, 0x0a])), out.subarray(0, 16).toString('hex'));
    assert.match(out.toString('utf8'), /\[faultline\]/, 'our own messages follow as text');
  });

  it('--screen prints the VGA text the kernel wrote', () => {
    // mov dword [0xb8000], 0x2f4b2f4f ("OK", white on green); cli; hlt
    const r = run('run', file('vga.elf', kernel([0xc7, 0x05, 0x00, 0x80, 0x0b, 0x00, 0x4f, 0x2f, 0x4b, 0x2f, 0xfa, 0xf4])), '--screen');
    assert.equal(r.status, 0, r.stderr);
    const screen = r.stdout.split('[faultline] screen:\n')[1];
    assert.ok(screen, r.stdout);
    // Over SeaBIOS's banner, as on QEMU's screen.
    assert.match(screen.split('\n')[0], /^OKaBIOS \(version /);
    assert.match(r.stdout, /halted \(HLT with interrupts off\)/);
  });
});

describe('faultline run --com2', { skip: !fs.existsSync(cli) && 'dist/cli.js is missing' }, () => {
  it('COM2 output goes to the file, --input N:com2: types into it; COM1 and the exit status are QEMU\'s', () => {
    const out = path.join(tmp, 'com2.txt');
    const r = run('run', fixture('com2-echo.elf'), '--com2', out, '--input', '3000000:com2:abc q');
    assert.equal(r.status, 33, r.stderr);
    assert.ok(r.stdout.startsWith(fs.readFileSync(path.join(root, 'fixtures/golden/com2-echo.serial.txt'), 'latin1')), r.stdout);
    assert.equal(fs.readFileSync(out, 'latin1'), fs.readFileSync(path.join(root, 'fixtures/golden/com2-echo.com2.txt'), 'latin1'));
  });
  it('--input N:com2: without --com2', () => refuses(run('run', fixture('com2-echo.elf'), '--input', '5:com2:x'), /--input N:com2:TEXT needs --com2 FILE/));
  it('--com2 into a folder that does not exist', () => refuses(run('run', fixture('com2-echo.elf'), '--com2', path.join(tmp, 'no', 'such', 'dir', 'x.txt')), /--com2: cannot write .*x\.txt \(ENOENT\)/));
});

describe('faultline demo (npm start)', () => {
  it('boots each demo kernel, prints its fault chain, and the exit status QEMU gives it', () => {
    const r = run('demo');
    assert.equal(r.status, 0, r.stderr);
    const manifest = JSON.parse(fs.readFileSync(path.join(root, 'fixtures', 'manifest.json'), 'utf8')) as { kernels: { name: string; expectedExit: number }[] };
    const sections = r.stdout.split('\n=== ').slice(1);
    assert.ok(sections.length >= 8, `${sections.length} demo kernels`);
    for (const s of sections) {
      const name = s.slice(0, s.indexOf(':'));
      const k = manifest.kernels.find((x) => x.name === name);
      assert.ok(k, `${name} is a manifest kernel`);
      assert.match(s, new RegExp(`\\[faultline\\] exit status ${k.expectedExit}\\n`), `${name} exits with ${k.expectedExit}`);
    }
    assert.match(r.stdout, /=== stack-overflow-no-ist:[^]*fault chain: #PF\(0x2\)[^]*→ triple fault/);
    assert.match(r.stdout, /=== task-gate-df:[^]*DOUBLE FAULT in its own task[^]*#DF handler at 0x[0-9a-f]+ <df_entry>/);
    const higherHalf = sections.find((s) => s.startsWith('higher-half:'));
    assert.ok(higherHalf, 'the higher-half kernel is in the demo');
    assert.match(higherHalf, /TSS at 0xffffffff8[0-9a-f]{7}/);
    assert.match(higherHalf, /→ #DF \(#PF then #NP\) → #DF handler at 0xffffffff8[0-9a-f]{7} <double_fault_handler>/);
  });
});
