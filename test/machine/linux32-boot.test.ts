import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { loadFirmware } from '../../emulator/firmware/seabios';
import { Machine } from '../../emulator/machine';
import { StopInfo } from '../../emulator/api';
import {
  LINUX32_INITRD, LINUX32_SELFTEST_INITRD, Linux32Flavour, comparableConsole, linux32BootSkipped, linux32Golden, linux32Kernel, normalizeConsole, verboseComparable32,
} from '../support/linux-fixture';

/**
 * Debian bookworm's i386 kernels (fixtures/linux32/build.sh: 686-pae with PAE paging, 686 with 2-level paging)
 * with an i386 busybox initramfs boot to the init's output, run its shell loop and power off through ACPI,
 * printing on ttyS0 what QEMU TCG prints for the same files and command line (fixtures/golden/linux32/;
 * timestamps, host timing and the lines linux-fixture.ts names aside). About 6.8 billion instructions each,
 * about a CPU-minute. Gated: FAULTLINE_LINUX_BOOT=1 and the cached fixture.
 */

const skip = linux32BootSkipped();
const BUDGET = 20_000_000_000;
const MEMORY_MB = 256;

interface Boot { flavour: Linux32Flavour; cpu: 'faultline' | 'qemu64'; append: string; firmware?: boolean; smp?: number; initrd?: string }

function boot(b: Boot): { serial: string; stop: StopInfo; instructions: number } {
  const fw = b.firmware ? loadFirmware() : undefined;
  const m = Machine.create({
    memoryMB: MEMORY_MB, onTripleFault: 'stop', cpu: b.cpu, smp: b.smp ?? 1, board: fw ? { bios: fw.bios, vgaBios: fw.vgaBios } : undefined,
  });
  let serial = '';
  m.on('serial', (c: number) => { serial += String.fromCharCode(c); });
  m.boot(new Uint8Array(fs.readFileSync(linux32Kernel(b.flavour))), { cmdline: b.append, initrd: new Uint8Array(fs.readFileSync(b.initrd ?? LINUX32_INITRD)) });
  let stop: StopInfo = { reason: 'budget' };
  while (m.instructionCount < BUDGET) {
    stop = m.run(500_000_000);
    if (stop.reason !== 'budget') break;
  }
  return { serial, stop, instructions: m.instructionCount };
}

function assertPoweredOff(r: ReturnType<typeof boot>): void {
  assert.equal(r.stop.reason, 'exit', `the run ended with ${r.stop.reason} after ${r.instructions} instructions; console:\n${normalizeConsole(r.serial)}`);
  assert.equal(r.stop.powerOff, true, 'ACPI soft-off');
}

// With "quiet" the console does not depend on the CPU count: QEMU's -smp 2 run prints the -smp 1 golden's lines.
const quiet: Boot[] = [
  { flavour: 'pae', cpu: 'faultline', append: 'console=ttyS0 quiet' },
  { flavour: '686', cpu: 'qemu64', append: 'console=ttyS0 quiet', firmware: true },
  { flavour: 'pae', cpu: 'faultline', append: 'console=ttyS0 quiet', smp: 2 },
];
for (const b of quiet) {
  const how = `${b.firmware ? 'through SeaBIOS and the linuxboot ROM' : 'loaded directly'}, --cpu ${b.cpu}${b.smp ? `, --smp ${b.smp}` : ''}`;
  test(`Debian's i386 ${b.flavour} kernel boots to the busybox init and powers off with QEMU's console (${how})`, { skip, timeout: 3_600_000 }, () => {
    const r = boot(b);
    assertPoweredOff(r);
    assert.match(r.serial, /faultline-init: hello from busybox\r?\nloop 1\r?\nloop 2\r?\nloop 3\r?\n/);
    assert.equal(comparableConsole(r.serial), comparableConsole(fs.readFileSync(linux32Golden(b.flavour, 'quiet'), 'utf8')));
  });
}

for (const flavour of ['pae', '686'] as const) {
  test(`without "quiet" (${flavour}, --cpu qemu64, loaded directly): every kernel message is QEMU's, in order, but for host timing and the lines linux-fixture.ts names`, { skip, timeout: 3_600_000 }, () => {
    const r = boot({ flavour, cpu: 'qemu64', append: 'console=ttyS0' });
    assertPoweredOff(r);
    const ours = verboseComparable32(r.serial, 'ours');
    const qemu = verboseComparable32(fs.readFileSync(linux32Golden(flavour, 'verbose'), 'utf8'), 'qemu');
    assert.ok(qemu.lines.length > 300, `QEMU's console has ${qemu.lines.length} comparable lines`);
    assert.deepEqual(ours.lines, qemu.lines);
    assert.deepEqual(ours.async, qemu.async);
    // The 686 kernel (no PAE) asks the BIOS32 directory for the PCI BIOS: the direct boot has it where SeaBIOS does.
    if (flavour === '686') assert.ok(ours.lines.includes('PCI: PCI BIOS revision 2.10 entry at 0xfd1ca, last bus=0'));
  });
}

test('the kernel package\'s self-test modules (test_user_copy: user-copy faults and their fixups; test_static_keys: code patched through INT3) pass as under QEMU', { skip, timeout: 3_600_000 }, () => {
  const r = boot({ flavour: 'pae', cpu: 'faultline', append: 'console=ttyS0 quiet', initrd: LINUX32_SELFTEST_INITRD });
  assertPoweredOff(r);
  assert.match(r.serial, /test_user_copy: tests passed\./);
  assert.equal(comparableConsole(r.serial), comparableConsole(fs.readFileSync(linux32Golden('pae', 'selftest'), 'utf8')));
});
