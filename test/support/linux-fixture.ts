/**
 * The Linux fixture (fixtures/linux/build.sh): Debian's kernel and our busybox initramfs live in a cache dir,
 * never in the repository. Tests that need them skip with this message when they are absent.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';

export const LINUX_CACHE = process.env.FAULTLINE_LINUX_CACHE ?? path.join(os.homedir(), '.cache', 'faultline', 'linux');
export const LINUX_KERNEL = path.join(LINUX_CACHE, 'vmlinuz');
export const LINUX_INITRD = path.join(LINUX_CACHE, 'initramfs.cpio.gz');

/** false when the fixture is there, else why the test skips. */
export function linuxFixtureMissing(): false | string {
  if (fs.existsSync(LINUX_KERNEL) && fs.existsSync(LINUX_INITRD)) return false;
  return `the Linux fixture is not in ${LINUX_CACHE}; run bash fixtures/linux/build.sh (or set FAULTLINE_LINUX_CACHE)`;
}

/** The decompressed kernel (vmlinux ELF) inside the bzImage's XZ payload (followed by its 4-byte size), by the xz tool. */
export function extractVmlinux(bzImage: Uint8Array): Uint8Array | undefined {
  const v = new DataView(bzImage.buffer, bzImage.byteOffset, bzImage.byteLength);
  const setupBytes = ((bzImage[0x1f1] || 4) + 1) * 512;
  const payload = bzImage.subarray(setupBytes + v.getUint32(0x248, true), setupBytes + v.getUint32(0x248, true) + v.getUint32(0x24c, true));
  try {
    return new Uint8Array(execFileSync('xz', ['-dc', '--single-stream'], { input: payload, maxBuffer: 1 << 28 }));
  } catch {
    return undefined;
  }
}

/** The command line the golden was recorded with (fixtures/linux/build.sh --golden) and the RAM it needs. */
export const LINUX_APPEND = 'console=ttyS0 quiet';
export const LINUX_MEMORY_MB = 256;
export const LINUX_GOLDEN = path.join(__dirname, '..', '..', '..', 'fixtures', 'golden', 'linux', 'serial-quiet.txt');

/**
 * The serial console as build.sh records QEMU's: carriage returns and escape sequences dropped, each kernel
 * message without its "[    1.234567] " timestamp.
 */
export function normalizeConsole(text: string): string {
  return text.replace(/\r/g, '').replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, '').replace(/\x1bc/g, '')
    .split('\n').map((l) => l.replace(/^\[ *[0-9]+\.[0-9]+\] /, '')).join('\n');
}

/**
 * Kernel messages whose presence depends on how fast the host runs QEMU, not on the machine: check_timer's
 * timer_irq_works() waits a TSC-timed ~10 ms for PIT ticks through the I/O APIC; QEMU TCG on a loaded host can
 * miss them and prints this (the first golden, recorded on a busy machine, had it; re-recorded runs do not).
 * Faultline's clock is the instruction count, so its PIT ticks always arrive and the line never appears.
 */
export const HOST_TIMING_LINES = [/^\.\.MP-BIOS bug: 8254 timer not connected to IO-APIC$/];

/** The console without the host-timing lines, for comparing runs with QEMU's. */
export function comparableConsole(text: string): string {
  return normalizeConsole(text).split('\n').filter((l) => !HOST_TIMING_LINES.some((re) => re.test(l))).join('\n');
}

/**
 * Whether the long Linux boot tests run: they need the fixture and take minutes (about 5 billion guest
 * instructions to power-off), so `npm test` runs them only with FAULTLINE_LINUX_BOOT=1. false, or why they skip.
 */
export function linuxBootSkipped(): false | string {
  const missing = linuxFixtureMissing();
  if (missing) return missing;
  if (!process.env.FAULTLINE_LINUX_BOOT) return 'booting Debian\'s kernel to power-off takes minutes; set FAULTLINE_LINUX_BOOT=1 to run it';
  return false;
}
