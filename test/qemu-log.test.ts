import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ExceptionEvent, exceptionChain, parseQemuIntLog } from './support/qemu-log';

const ROOT = path.resolve(__dirname, '..', '..');

interface ManifestKernel {
  name: string;
  file: string;
  boot: string;
  cmdline: string | null;
  expectedExit: number;
  golden: { log: string; serial: string; exit: string };
  chain: string[];
}

const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'fixtures', 'manifest.json'), 'utf8')) as {
  kernels: ManifestKernel[];
  /** Disk and CD images booted by the firmware. */
  images?: ManifestKernel[];
  /** Kernels recorded with their own drives (qemuArgs), compared by their own tests. */
  deviceKernels?: ManifestKernel[];
  /** System firmware images of one's own run in place of SeaBIOS (qemu -bios). */
  firmwareImages?: ManifestKernel[];
};

function read(rel: string): string {
  return fs.readFileSync(path.join(ROOT, rel), 'utf8');
}

function exceptions(name: string): ExceptionEvent[] {
  const k = manifest.kernels.find((x) => x.name === name);
  assert.ok(k, `${name} is in fixtures/manifest.json`);
  return parseQemuIntLog(read(k.golden.log)).filter((e): e is ExceptionEvent => e.kind === 'exception');
}

test('a v= line is parsed into vector, error code, selectors and hex addresses', () => {
  const log = [
    'check_exception old: 0xffffffff new 0xe',
    '     0: v=0e e=0002 i=0 cpl=0 IP=0008:000000000010013e pc=000000000010013e SP=0000:0000000000109ff0 CR2=00000000deadbeaf',
    'check_exception old: 0xe new 0xb',
    '     1: v=08 e=0000 i=0 cpl=0 IP=0008:000000000010013e pc=000000000010013e SP=0000:0000000000109ff0 env->regs[R_EAX]=00000000deadbeaf',
    'CR0=80010013 CR2=00000000deadbeaf CR3=0000000000101000 CR4=00000620',
    'check_exception old: 0x8 new 0xb',
    'Triple fault',
    'CPU Reset (CPU 0)',
  ].join('\n');
  const events = parseQemuIntLog(log);
  assert.deepEqual(
    events.map((e) => e.kind),
    ['check-exception', 'exception', 'check-exception', 'exception', 'check-exception', 'triple-fault', 'reset'],
  );
  assert.deepEqual(events[0], { kind: 'check-exception', old: null, new: 0xe, line: 1 });
  assert.deepEqual(events[1], {
    kind: 'exception', count: 0, vector: 0xe, errorCode: 2, softwareInt: false, cpl: 0, cs: 8,
    ip: '0x10013e', pc: '0x10013e', ss: 0, sp: '0x109ff0', cr2: '0xdeadbeaf', line: 2,
  });
  const df = events[3] as ExceptionEvent;
  assert.equal(df.errorCode, 0);
  assert.equal(df.cr2, '0xdeadbeaf', 'CR2 of a non-#PF delivery comes from the register dump');
  assert.deepEqual(exceptionChain(events), ['#PF', '#NP', '#DF', '#NP', 'triple fault']);
});

test('INT3 is a software interrupt without an error code and without check_exception', () => {
  const events = parseQemuIntLog(
    '     0: v=03 e=0000 i=1 cpl=0 IP=0008:0000000000100165 pc=0000000000100165 SP=0000:0000000000109ff0 env->regs[R_EAX]=000000000000000a\n',
  );
  const bp = events[0] as ExceptionEvent;
  assert.equal(bp.softwareInt, true);
  assert.equal(bp.errorCode, undefined);
  assert.deepEqual(exceptionChain(events), ['#BP']);
});

for (const k of [...manifest.kernels, ...(manifest.images ?? []), ...(manifest.deviceKernels ?? []), ...(manifest.firmwareImages ?? [])]) {
  test(`${k.name}: QEMU's recorded exception chain is ${k.chain.join(' -> ') || '(none)'}`, () => {
    assert.ok(fs.existsSync(path.join(ROOT, k.file)), `${k.file} exists (run bash fixtures/build.sh)`);
    assert.deepEqual(exceptionChain(parseQemuIntLog(read(k.golden.log))), k.chain);
  });
  test(`${k.name}: QEMU exits with status ${k.expectedExit}`, () => {
    assert.equal(Number(read(k.golden.exit).trim()), k.expectedExit);
    assert.ok(read(k.golden.serial).length > 0, 'the kernel printed something on COM1');
  });
}

test('the page fault on 0xdeadbeaf is a not-present write (error code 2) with CR2 = 0xdeadbeaf', () => {
  const [pf] = exceptions('pf-missing-idt');
  assert.equal(pf.vector, 14);
  assert.equal(pf.errorCode, 2);
  assert.equal(pf.cr2, '0xdeadbeaf');
});

test('the stack overflow faults on the call pushing into the guard page just below the stack', () => {
  for (const name of ['stack-overflow-no-ist', 'stack-overflow-seed', 'ist-double-fault']) {
    const [pf] = exceptions(name);
    assert.equal(pf.vector, 14);
    assert.equal(pf.errorCode, 2, `${name}: not-present write`);
    assert.equal(BigInt(pf.cr2 ?? '0'), BigInt(pf.sp) - 8n, `${name}: CR2 is the pushed return address slot`);
    assert.equal(BigInt(pf.sp) % 4096n, 0n, `${name}: RSP is at the bottom of the mapped stack`);
  }
});

test('the #DF and #BP handlers print the blog_os frame', () => {
  assert.match(read('fixtures/golden/df-handler.serial.txt'), /EXCEPTION: DOUBLE FAULT\nExceptionStackFrame \{\n    instruction_pointer: 0x/);
  assert.match(read('fixtures/golden/ist-double-fault.serial.txt'), /EXCEPTION: DOUBLE FAULT/);
  assert.match(read('fixtures/golden/breakpoint.serial.txt'), /EXCEPTION: BREAKPOINT[\s\S]*It did not crash!/);
});

test('QEMU 7.2 pushes vector*16+2 for a bad or missing 64-bit IDT gate (SDM: vector*8+2)', () => {
  assert.match(read('fixtures/golden/fault-table-bp-np-serial.serial.txt'), /SEGMENT NOT PRESENT[\s\S]*error code: 0x32\n/);
  assert.match(read('fixtures/golden/fault-table-bp-gp-serial.serial.txt'), /GENERAL PROTECTION FAULT[\s\S]*error code: 0x32\n/);
});

test('a #DE whose IST stack is unmapped is followed by a #PF, not a #DF (SDM Table 6-5)', () => {
  const [de, pf] = exceptions('fault-table-de-pf-serial');
  assert.equal(de.vector, 0);
  assert.equal(pf.vector, 14);
  assert.equal(pf.errorCode, 2);
  assert.equal(BigInt(pf.cr2 ?? '0') % 4096n, 4096n - 8n, 'the first push (SS) goes to the top slot of the unmapped page');
});

test('GRUB hands the multiboot2-only kernel its command line, name, memory map and ELF sections', () => {
  const serial = read('fixtures/golden/mb2-info.serial.txt');
  assert.match(serial, /magic 0x36d76289/);
  assert.match(serial, /cmdline: "mb2 test=1"/);
  assert.match(serial, /boot loader name: "GRUB /);
  assert.match(serial, /mmap base 0x100000 length 0x[0-9a-f]+ type 1/);
  assert.match(serial, /elf sections tag present: yes/);
});

test('the Rust port prints the frames with {:#?} like blog_os', () => {
  assert.match(
    read('fixtures/golden/rust-ist.serial.txt'),
    /EXCEPTION: BREAKPOINT\nExceptionStackFrame \{\n    instruction_pointer: \d+,[\s\S]*EXCEPTION: DOUBLE FAULT\n/,
  );
});
