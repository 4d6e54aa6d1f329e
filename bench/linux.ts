import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Machine } from '../emulator/machine';

/**
 * The Linux boot in `npm run bench`: Debian's kernel with the busybox initramfs (fixtures/linux/build.sh, in
 * $FAULTLINE_LINUX_CACHE or ~/.cache/faultline/linux; skipped when absent), `console=ttyS0 quiet`, 256 MiB, as the
 * bzImage (vmlinuz) and as the uncompressed vmlinux through the PVH protocol (no decompressor):
 * instructions and wall time to the init's first line and to the ACPI power-off, beside QEMU TCG's wall time
 * for the same files and command line. Ours runs in its own process:
 *   node out/bench/linux.js KERNEL INITRD     prints one JSON line (LinuxBootResult)
 */
export interface LinuxBootResult {
  initInstructions: number;
  initS: number;
  instructions: number;
  wholeS: number;
  stop: string;
}

const APPEND = 'console=ttyS0 quiet';
const MEMORY_MB = 256;
const INIT_LINE = 'faultline-init:';
const MAX = 30_000_000_000;

function runOurs(kernel: string, initrd: string): void {
  const t0 = process.hrtime.bigint();
  const m = Machine.create({ onTripleFault: 'stop', memoryMB: MEMORY_MB });
  let serial = '';
  let init: { n: number; t: bigint } | undefined;
  m.on('serial', (b: number) => {
    if (init) return;
    serial += String.fromCharCode(b);
    if (serial.includes(INIT_LINE)) init = { n: m.instructionCount, t: process.hrtime.bigint() };
    else if (serial.length > 4096) serial = serial.slice(-64);
  });
  m.boot(fs.readFileSync(kernel), { cmdline: APPEND, initrd: fs.readFileSync(initrd) });
  let stop = m.run(1);
  while (stop.reason === 'budget' && m.instructionCount < MAX) stop = m.run(1_000_000_000);
  const t1 = process.hrtime.bigint();
  const s = (t: bigint): number => Number(t - t0) / 1e9;
  const r: LinuxBootResult = {
    initInstructions: init?.n ?? -1, initS: init ? s(init.t) : -1, instructions: m.instructionCount, wholeS: s(t1),
    stop: stop.reason === 'exit' ? (stop.powerOff ? 'powered off' : `exit status ${stop.exitCode}`) : stop.reason,
  };
  console.log(JSON.stringify(r));
}

/** QEMU TCG: seconds to the init's first line on the serial console and to its exit (power-off). */
function qemuLinux(kernel: string, initrd: string): Promise<{ initS: number; wholeS: number; status: number | null } | undefined> {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    let initS = -1;
    let out = '';
    const p = spawn('qemu-system-x86_64', ['-machine', 'accel=tcg', '-m', String(MEMORY_MB), '-nographic', '-no-reboot',
      '-kernel', kernel, '-initrd', initrd, '-append', APPEND], { stdio: ['ignore', 'pipe', 'ignore'] });
    const timer = setTimeout(() => p.kill(), 600_000);
    p.stdout.on('data', (d: Buffer) => {
      if (initS >= 0) return;
      out += d.toString('latin1');
      if (out.includes(INIT_LINE)) initS = Number(process.hrtime.bigint() - t0) / 1e9;
    });
    p.on('error', () => { clearTimeout(timer); resolve(undefined); });
    p.on('exit', (status) => { clearTimeout(timer); resolve({ initS, wholeS: Number(process.hrtime.bigint() - t0) / 1e9, status }); });
  });
}

export async function benchLinux(): Promise<void> {
  const cache = process.env.FAULTLINE_LINUX_CACHE ?? path.join(os.homedir(), '.cache', 'faultline', 'linux');
  const initrd = path.join(cache, 'initramfs.cpio.gz');
  // The bzImage (its decompressor runs first), then the same kernel as vmlinux through the PVH protocol.
  for (const [file, how] of [['vmlinuz', 'bzImage'], ['vmlinux', 'vmlinux through PVH']]) {
    const kernel = path.join(cache, file);
    console.log(`Linux (${how}): Debian's kernel + busybox initramfs, "${APPEND}", ${MEMORY_MB} MiB, to the init's first line and to power-off`);
    if (!fs.existsSync(kernel) || !fs.existsSync(initrd)) { console.log(`  skipped: no ${file} in ${cache} (bash fixtures/linux/build.sh)`); continue; }
    await benchOne(kernel, initrd);
  }
}

async function benchOne(kernel: string, initrd: string): Promise<void> {
  const r = spawnSync(process.execPath, [__filename, kernel, initrd], { encoding: 'utf8', maxBuffer: 1 << 20 });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !line.startsWith('{')) { console.log(`  ours failed: ${r.stderr || r.stdout}`); return; }
  const o = JSON.parse(line) as LinuxBootResult;
  const mips = (n: number, s: number): string => (n / s / 1e6).toFixed(1);
  console.log(`  ours: init's first line after ${o.initInstructions.toLocaleString('en-US')} instructions, ${o.initS.toFixed(1)} s; ` +
    `${o.stop} after ${o.instructions.toLocaleString('en-US')} instructions, ${o.wholeS.toFixed(1)} s (${mips(o.instructions, o.wholeS)} MIPS)`);
  const q = await qemuLinux(kernel, initrd);
  console.log(q ? `  QEMU TCG: init's first line ${q.initS.toFixed(1)} s, exit (status ${q.status}) ${q.wholeS.toFixed(1)} s; ` +
    `ours/QEMU time = ${(o.wholeS / q.wholeS).toFixed(2)}×` : '  QEMU: not installed');
}

if (require.main === module) runOurs(process.argv[2], process.argv[3]);
