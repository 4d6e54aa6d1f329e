import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { Machine } from '../../emulator/machine';
import { StopInfo } from '../../emulator/api';
import {
  LINUX_INITRD, LINUX_KERNEL, LINUX_SMP2_2G_GOLDEN, LINUX_SMP4_GOLDEN, linuxBootSkipped, normalizeConsole, verboseComparableSmp,
} from '../support/linux-fixture';

/**
 * Debian's 64-bit kernel on the machine shapes people boot it on: several CPUs and more RAM. Every kernel message
 * is QEMU TCG's for the same files, RAM, CPU count and command line (fixtures/golden/linux/serial-smp4.txt and
 * serial-smp2-2g.txt, recorded by fixtures/linux/build.sh --golden-smp), in order, but for host timing and QEMU's
 * INIT clearing the APs' MTRRs (linux-fixture.ts), and for the lines of asynchronous work, whose place changes from
 * one QEMU run to the next: those are compared as a set. --cpu qemu64, QEMU's default model, so CPUID is QEMU's.
 * Gated: FAULTLINE_LINUX_BOOT=1 and the cached fixture (about 6 billion instructions each; minutes of wall time).
 */

const skip = linuxBootSkipped();
const BUDGET = 20_000_000_000;

function boot(memoryMB: number, smp: number, append: string): { serial: string; stop: StopInfo; instructions: number } {
  const m = Machine.create({ memoryMB, onTripleFault: 'stop', cpu: 'qemu64', smp });
  let serial = '';
  m.on('serial', (b: number) => { serial += String.fromCharCode(b); });
  m.boot(new Uint8Array(fs.readFileSync(LINUX_KERNEL)), { cmdline: append, initrd: new Uint8Array(fs.readFileSync(LINUX_INITRD)) });
  let stop: StopInfo = { reason: 'budget' };
  while (m.instructionCount < BUDGET) {
    stop = m.run(500_000_000);
    if (stop.reason !== 'budget') break;
  }
  return { serial, stop, instructions: m.instructionCount };
}

const cases = [
  { memoryMB: 256, smp: 4, append: 'console=ttyS0', golden: LINUX_SMP4_GOLDEN },
  { memoryMB: 2048, smp: 2, append: 'console=ttyS0 nokaslr', golden: LINUX_SMP2_2G_GOLDEN },
];

for (const c of cases) {
  test(`--smp ${c.smp} --memory ${c.memoryMB} "${c.append}": every CPU comes up, the init runs and powers off, every kernel message is QEMU's`, { skip, timeout: 3_600_000 }, () => {
    const r = boot(c.memoryMB, c.smp, c.append);
    const console = normalizeConsole(r.serial);
    assert.equal(r.stop.reason, 'exit', `the run ended with ${r.stop.reason} after ${r.instructions} instructions; console:\n${console}`);
    assert.equal(r.stop.powerOff, true, 'ACPI soft-off');
    assert.match(console, new RegExp(`^smp: Brought up 1 node, ${c.smp} CPUs$`, 'm'));
    assert.match(console, new RegExp(`^smpboot: Total of ${c.smp} processors activated`, 'm'));
    assert.match(console, /^faultline-init: hello from busybox$/m);
    const ours = verboseComparableSmp(r.serial, 'ours');
    const qemu = verboseComparableSmp(fs.readFileSync(c.golden, 'utf8'), 'qemu');
    assert.ok(qemu.lines.length > 250, `QEMU's console has ${qemu.lines.length} comparable lines`);
    assert.deepEqual(ours.lines, qemu.lines);
    assert.deepEqual(ours.async, qemu.async);
  });
}

// The comparison itself (no boot, not gated): QEMU's -smp 4 console, whose "CPUs: #1 #2 #3" line host-timed
// calibration messages interrupt and whose APs' MTRRs QEMU's INIT cleared, against a Faultline-shaped version of it.
test('the SMP comparison joins the interrupted CPUs line, drops QEMU\'s MTRR complaint and rejects it from Faultline', () => {
  const golden = fs.readFileSync(LINUX_SMP4_GOLDEN, 'utf8');
  const qemu = verboseComparableSmp(golden, 'qemu');
  assert.ok(qemu.lines.includes('.... node  #0, CPUs:      #1 #2 #3'), 'the joined CPUs line');
  assert.ok(!qemu.lines.some((l) => l.startsWith('mtrr:') || l.startsWith(' #') || l.startsWith('calibrate_delay_direct')));
  assert.deepEqual(qemu.async.length, 5);
  // Faultline's shape: no MTRR complaint, the CPUs on one line, the asynchronous lines elsewhere.
  const lines = normalizeConsole(golden).split('\n').filter((l) => !l.startsWith('mtrr:') && !l.startsWith('calibrate_delay_direct') && !l.startsWith('Probably due'));
  const cpus = lines.findIndex((l) => l.startsWith('.... node  #0, CPUs:'));
  lines.splice(cpus, 3, '.... node  #0, CPUs:      #1 #2 #3');
  const unpack = lines.indexOf('Trying to unpack rootfs image as initramfs...');
  lines.splice(unpack + 3, 0, ...lines.splice(unpack, 1));
  const ours = verboseComparableSmp(lines.join('\n'), 'ours');
  assert.deepEqual(ours.lines, qemu.lines);
  assert.deepEqual(ours.async, qemu.async);
  assert.throws(() => verboseComparableSmp(golden, 'ours'), /only QEMU's board should/);
});
