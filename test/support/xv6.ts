import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './firmware';

/**
 * Where unmodified xv6 (mit-pdos/xv6-public) disk images are looked for: built locally from upstream and never
 * committed (see fixtures/README.md), in $FAULTLINE_XV6_DIR, ../shared/xv6 or /work/cache/xv6(/src). Used by
 * test/board/xv6.test.ts and bench/xv6.ts.
 */
export const XV6_CANDIDATES = [process.env.FAULTLINE_XV6_DIR, path.join(ROOT, '..', 'shared', 'xv6'), '/work/cache/xv6', '/work/cache/xv6/src']
  .filter((d): d is string => !!d);

/** The first candidate holding both xv6.img and fs.img, or undefined. */
export function xv6Dir(): string | undefined {
  return XV6_CANDIDATES.find((d) => fs.existsSync(path.join(d, 'xv6.img')) && fs.existsSync(path.join(d, 'fs.img')));
}

/** QEMU's command line for xv6 as its Makefile runs it (one CPU, 512 MiB, serial on stdio; disks not written). */
export function xv6QemuArgs(dir: string): string[] {
  return ['-display', 'none', '-machine', 'accel=tcg', '-m', '512', '-smp', '1', '-serial', 'stdio',
    '-drive', `file=${path.join(dir, 'xv6.img')},index=0,media=disk,format=raw,snapshot=on`,
    '-drive', `file=${path.join(dir, 'fs.img')},index=1,media=disk,format=raw,snapshot=on`];
}
