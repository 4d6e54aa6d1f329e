import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DiskImage } from '../../emulator/devices/disk-image';
import { loadFirmware } from '../../emulator/firmware/seabios';
import { Machine } from '../../emulator/machine';
import { StopInfo } from '../../emulator/api';
import {
  LINUX_APPEND, LINUX_GOLDEN, LINUX_INITRD, LINUX_KERNEL, LINUX_MEMORY_MB, LINUX_PVH_GOLDEN, LINUX_VERBOSE_GOLDEN, LINUX_VMLINUX, comparableConsole,
  extractVmlinux, linuxBootSkipped, normalizeConsole, verboseComparable,
} from '../support/linux-fixture';

/**
 * Debian bookworm's stock kernel with the busybox initramfs (fixtures/linux/build.sh) boots to the init's output,
 * runs its shell loop and powers off through ACPI, printing on ttyS0 what QEMU TCG prints for the same files and
 * command line (fixtures/golden/linux/serial-quiet.txt, timestamps and host-timing lines aside:
 * linux-fixture.ts HOST_TIMING_LINES). About 6 billion instructions, 3.5 CPU-minutes. Gated: FAULTLINE_LINUX_BOOT=1 and
 * the cached fixture (about 5 billion instructions; minutes of wall time).
 */

const skip = linuxBootSkipped();
const BUDGET = 20_000_000_000;

function boot(cpu: 'faultline' | 'qemu64', firmware = false, append = LINUX_APPEND, kernel?: Uint8Array): { serial: string; stop: StopInfo; instructions: number } {
  const fw = firmware ? loadFirmware() : undefined;
  const m = Machine.create({ memoryMB: LINUX_MEMORY_MB, onTripleFault: 'stop', cpu, board: fw ? { bios: fw.bios, vgaBios: fw.vgaBios } : undefined });
  let serial = '';
  m.on('serial', (b: number) => { serial += String.fromCharCode(b); });
  m.boot(kernel ?? new Uint8Array(fs.readFileSync(LINUX_KERNEL)), { cmdline: append, initrd: new Uint8Array(fs.readFileSync(LINUX_INITRD)) });
  let stop: StopInfo = { reason: 'budget' };
  while (m.instructionCount < BUDGET) {
    stop = m.run(500_000_000);
    if (stop.reason !== 'budget') break;
  }
  return { serial, stop, instructions: m.instructionCount };
}

for (const cpu of ['faultline', 'qemu64'] as const) {
  test(`Linux boots to the busybox init and powers off with QEMU's console (--cpu ${cpu})`, { skip, timeout: 3_600_000 }, () => {
    const r = boot(cpu);
    const console = normalizeConsole(r.serial);
    assert.equal(r.stop.reason, 'exit', `the run ended with ${r.stop.reason} after ${r.instructions} instructions; console:\n${console}`);
    assert.equal(r.stop.powerOff, true, 'ACPI soft-off');
    assert.equal(comparableConsole(r.serial), comparableConsole(fs.readFileSync(LINUX_GOLDEN, 'utf8')));
  });
}

test('Linux through SeaBIOS and the linuxboot ROM (--firmware seabios) boots to the same console and powers off', { skip, timeout: 3_600_000 }, () => {
  const r = boot('qemu64', true);
  assert.equal(r.stop.reason, 'exit', `the run ended with ${r.stop.reason} after ${r.instructions} instructions; console:\n${normalizeConsole(r.serial)}`);
  assert.equal(r.stop.powerOff, true, 'ACPI soft-off');
  assert.equal(comparableConsole(r.serial), comparableConsole(fs.readFileSync(LINUX_GOLDEN, 'utf8')));
});

test('without "quiet" (--cpu qemu64): every kernel message is QEMU\'s, in order, but for host timing and the board differences linux-fixture.ts names', { skip, timeout: 3_600_000 }, () => {
  const r = boot('qemu64', false, 'console=ttyS0');
  assert.equal(r.stop.reason, 'exit', `the run ended with ${r.stop.reason} after ${r.instructions} instructions`);
  const ours = verboseComparable(r.serial, 'ours');
  const qemu = verboseComparable(fs.readFileSync(LINUX_VERBOSE_GOLDEN, 'utf8'), 'qemu');
  assert.ok(qemu.length > 250, `QEMU's console has ${qemu.length} comparable lines`);
  assert.deepEqual(ours, qemu);
});

test('vmlinux through the PVH protocol (qemu -kernel vmlinux): every kernel message is QEMU\'s, in order, but for host timing; no decompressor runs', { skip, timeout: 3_600_000 }, () => {
  const vmlinux = fs.existsSync(LINUX_VMLINUX) ? new Uint8Array(fs.readFileSync(LINUX_VMLINUX)) : extractVmlinux(new Uint8Array(fs.readFileSync(LINUX_KERNEL)));
  assert.ok(vmlinux, 'the vmlinux (build.sh extracts it; the xz tool extracts it here otherwise)');
  const r = boot('qemu64', false, 'console=ttyS0', vmlinux);
  assert.equal(r.stop.reason, 'exit', `the run ended with ${r.stop.reason} after ${r.instructions} instructions`);
  assert.equal(r.stop.powerOff, true, 'ACPI soft-off');
  // Debian's kernel: about 1.5e9 instructions to power-off this way, 6e9 through the bzImage's decompressor.
  assert.ok(r.instructions < 3_000_000_000, `${r.instructions} instructions`);
  const ours = verboseComparable(r.serial, 'ours');
  const qemu = verboseComparable(fs.readFileSync(LINUX_PVH_GOLDEN, 'utf8'), 'qemu');
  assert.ok(qemu.length > 250, `QEMU's console has ${qemu.length} comparable lines`);
  assert.deepEqual(ours, qemu);
});

test('Linux from a GRUB ISO (grub-mkrescue, -cdrom): GRUB\'s linux/initrd commands boot it to the same console and power-off', { skip, timeout: 3_600_000 }, (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linux-iso-'));
  try {
    fs.mkdirSync(path.join(dir, 'tree', 'boot', 'grub'), { recursive: true });
    fs.copyFileSync(LINUX_KERNEL, path.join(dir, 'tree', 'boot', 'vmlinuz'));
    fs.copyFileSync(LINUX_INITRD, path.join(dir, 'tree', 'boot', 'initrd.gz'));
    fs.writeFileSync(path.join(dir, 'tree', 'boot', 'grub', 'grub.cfg'),
      `set timeout=0\nmenuentry linux {\n  linux /boot/vmlinuz ${LINUX_APPEND}\n  initrd /boot/initrd.gz\n}\n`);
    const iso = path.join(dir, 'linux.iso');
    const r = spawnSync('grub-mkrescue', ['-o', iso, path.join(dir, 'tree')], { encoding: 'utf8' });
    if (r.error || r.status !== 0) { t.skip(`grub-mkrescue could not build the ISO: ${r.error?.message ?? r.stderr.trim().split('\n').pop()}`); return; }
    const fw = loadFirmware();
    const m = Machine.create({ memoryMB: LINUX_MEMORY_MB, onTripleFault: 'stop', cpu: 'qemu64', board: { bios: fw.bios, vgaBios: fw.vgaBios, cdrom: DiskImage.open(iso), bootOrder: 'd' } });
    let serial = '';
    m.on('serial', (b: number) => { serial += String.fromCharCode(b); });
    m.bootFirmware();
    let stop: StopInfo = { reason: 'budget' };
    while (m.instructionCount < BUDGET) {
      stop = m.run(500_000_000);
      if (stop.reason !== 'budget') break;
    }
    assert.equal(stop.reason, 'exit', `the run ended with ${stop.reason}; console:\n${normalizeConsole(serial)}`);
    assert.equal(stop.powerOff, true, 'ACPI soft-off');
    assert.equal(comparableConsole(serial), comparableConsole(fs.readFileSync(LINUX_GOLDEN, 'utf8')));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
