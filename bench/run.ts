import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Machine } from '../emulator/machine';

/**
 * `npm run bench`: guest MIPS for each workload kernel, beside QEMU TCG's wall time for the same kernel
 * measured in the same run when qemu-system-x86_64 is installed. Never a timed unit test.
 */
const root = path.resolve(__dirname, '..', '..');

interface Workload { name: string; file: string; cmdline?: string; max: number }

const workloads: Workload[] = [
  { name: 'c-workload (C kernel: formatting, struct copies, loops)', file: 'fixtures/bin/c-workload.elf', max: 2_000_000_000 },
  { name: 'stack-overflow-no-ist (paging-heavy recursion into a guard page)', file: 'fixtures/bin/stack-overflow-no-ist.elf', max: 2_000_000_000 },
];

function qemuSeconds(file: string): number | undefined {
  try { execFileSync('which', ['qemu-system-x86_64'], { stdio: 'ignore' }); } catch { return undefined; }
  const t0 = process.hrtime.bigint();
  const r = spawnSync('qemu-system-x86_64', ['-nodefaults', '-display', 'none', '-no-reboot', '-machine', 'accel=tcg', '-m', '128',
    '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04', '-serial', 'null', '-kernel', file], { timeout: 120_000 });
  if (r.error) return undefined;
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

for (const w of workloads) {
  const file = path.join(root, w.file);
  if (!fs.existsSync(file)) continue;
  const m = Machine.create({ onTripleFault: 'stop' });
  m.boot(fs.readFileSync(file));
  const t0 = process.hrtime.bigint();
  const stop = m.run(w.max);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const n = m.instructionCount;
  const q = qemuSeconds(file);
  console.log(`${w.name}\n  ${n} instructions in ${s.toFixed(3)} s = ${(n / s / 1e6).toFixed(1)} MIPS (stopped: ${stop.reason})` +
    (q !== undefined ? `; QEMU TCG whole run ${q.toFixed(3)} s (ratio ${(s / q).toFixed(2)}×)` : '; QEMU not installed'));
}
