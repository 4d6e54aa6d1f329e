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
