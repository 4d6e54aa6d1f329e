import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Machine } from '../emulator/machine';

/**
 * Reverse debugging costs (issues 7 and 14), printed by `npm run bench` (alone: `npm run bench -- --only reverse`):
 *   - recording overhead on every bench kernel: guest MIPS with history off and on (default ring: 512 MiB,
 *     snapshots paced: ~20 ms of running apart, at least 500 000 instructions, see history.ts), goal <= 15%.
 *     Each run is a process of its own (this file with --child), as a debug session is: the adapter runs one
 *     machine per process, recording from the launch on. Machines with and without recording run one after the
 *     other in one process share V8's type feedback for the code both run (the memory write paths, the run
 *     loop), so each would be measured in a state no session is in;
 *   - memory the history holds per million instructions recorded (pages still shared with RAM hold none);
 *   - stepBack latency at the end of 10 M and 50 M instructions of history (goal < 100 ms).
 */
const KERNELS = [
  // bench-loop runs 1.5e9 instructions; the first 300 M are the same loop, enough for a stable rate.
  { name: 'bench-loop', file: 'fixtures/bin/bench-loop.elf', max: 300_000_000 },
  // bench-paging runs 28 M instructions (~0.2 s): best of 3 swung 10-23% from run to run on a shared machine, so more rounds.
  { name: 'bench-paging', file: 'fixtures/bin/bench-paging.elf', max: 2_000_000_000, rounds: 6 },
  // c-workload is short (~30 000 instructions, a few ms): its rate is mostly start-up, so more rounds.
  { name: 'c-workload', file: 'fixtures/bin/c-workload.elf', max: 2_000_000_000, rounds: 15 },
  // sieve runs 8e9 instructions; its first 400 M (memory tests with paging on and off) take ~2 s.
  // (kvm-unit-tests builds live beside the repository, in ../shared/kvm-unit-tests, as for bench/run.ts.)
  { name: 'sieve (first 400 M)', file: '../shared/kvm-unit-tests/sieve.flat', max: 400_000_000, memoryMB: 256 },
];
const STEPS = 5;
/** Off and on alternate this many times and the best of each is kept: single runs are at the mercy of GC and load. */
const ROUNDS = 3;

function boot(file: string, jit: boolean, history: boolean, memoryMB = 128): Machine {
  const m = Machine.create({ onTripleFault: 'stop', memoryMB });
  m.cpu.jit = jit;
  m.boot(fs.readFileSync(file));
  if (history) m.enableHistory();
  return m;
}

function seconds(f: () => void): number {
  const t0 = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/**
 * Nanoseconds this thread has spent on a CPU (Linux: /proc/thread-self/schedstat), or undefined. On a shared
 * machine wall time also counts the time other processes held the CPU; this does not (GC on the main thread
 * counts, helper threads do not).
 */
function onCpuNs(): number | undefined {
  try {
    return Number(fs.readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);
  } catch {
    return undefined;
  }
}

/**
 * Wall and on-CPU seconds of f. On-CPU is NaN where the platform does not report it, and for runs under
 * 0.1 s: the kernel updates the figure at scheduler ticks, so a short run may not see it move.
 */
function timed(f: () => void): { wall: number; cpu: number } {
  const c0 = onCpuNs();
  const wall = seconds(f);
  const c1 = onCpuNs();
  return { wall, cpu: c0 !== undefined && c1 !== undefined && wall >= 0.1 ? (c1 - c0) / 1e9 : NaN };
}

const pct = (off: number, on: number): string => `${((1 - on / off) * 100).toFixed(1)}%`;

type HistoryStats = ReturnType<Machine['history']['stats']>;
interface ChildResult { instructions: number; wall: number; cpu: number; stats: HistoryStats }

/** One measured run in a process of its own: `node bench/reverse.js --child FILE MAX MEMORY_MB JIT(0|1) HISTORY(0|1)`. */
function child(file: string, max: number, memoryMB: number | undefined, jit: boolean, history: boolean): ChildResult | undefined {
  const r = spawnSync(process.execPath, [__filename, '--child', file, String(max), String(memoryMB ?? 128), jit ? '1' : '0', history ? '1' : '0'],
    { encoding: 'utf8', maxBuffer: 1 << 20 });
  const line = r.stdout?.trim().split('\n').pop();
  try { return line ? JSON.parse(line) as ChildResult : undefined; } catch { return undefined; }
}

function childMain(args: string[]): void {
  const [file, max, memoryMB, jit, history] = args;
  const m = boot(file, jit === '1', history === '1', Number(memoryMB));
  const t = timed(() => m.run(Number(max)));
  const r: ChildResult = { instructions: m.instructionCount, wall: t.wall, cpu: t.cpu, stats: m.history.stats() };
  console.log(JSON.stringify(r));
}

export function benchReverse(root: string, jit: boolean): void {
  console.log('reverse debugging (history ring 512 MiB, snapshots paced: ~20 ms of running apart, at least 500,000 instructions)');
  for (const k of KERNELS) {
    const file = path.resolve(root, k.file);
    if (!fs.existsSync(file)) { console.log(`  ${k.name}: skipped, ${file} is missing`); continue; }
    let mipsOff = 0, mipsOn = 0, cpuOff = 0, cpuOn = 0, n = 0;
    let st: HistoryStats | undefined;
    for (let round = 0; round < (k.rounds ?? ROUNDS); round++) {
      const off = child(file, k.max, k.memoryMB, jit, false);
      const on = child(file, k.max, k.memoryMB, jit, true);
      if (!off || !on) { console.log(`  ${k.name}: the measuring process failed`); break; }
      mipsOff = Math.max(mipsOff, off.instructions / off.wall / 1e6);
      cpuOff = Math.max(cpuOff, off.instructions / off.cpu / 1e6);
      n = on.instructions;
      mipsOn = Math.max(mipsOn, n / on.wall / 1e6);
      cpuOn = Math.max(cpuOn, n / on.cpu / 1e6);
      st = on.stats;
    }
    if (st === undefined) continue;
    const onCpu = cpuOff > 0 && cpuOn > 0 && Number.isFinite(cpuOff) && Number.isFinite(cpuOn) ? `; on-CPU ${cpuOff.toFixed(1)} -> ${cpuOn.toFixed(1)} MIPS (${pct(cpuOff, cpuOn)} slower)` : '';
    console.log(`  ${k.name}: recording off ${mipsOff.toFixed(1)} MIPS, on ${mipsOn.toFixed(1)} MIPS (${pct(mipsOff, mipsOn)} slower${onCpu}) over ${(n / 1e6).toFixed(1)} M instructions; ` +
      `history holds ${(st.bytes / 2 ** 20).toFixed(1)} MiB in ${st.snapshots} snapshots = ${(st.bytes / 2 ** 20 / (n / 1e6)).toFixed(3)} MiB per million instructions`);
  }
  for (const [name, history] of [['bench-loop', 10_000_000], ['bench-loop', 50_000_000], ['bench-paging', 10_000_000]] as const) {
    const file = path.join(root, 'fixtures', 'bin', `${name}.elf`);
    if (!fs.existsSync(file)) continue;
    const m = boot(file, jit, true);
    m.run(history);
    const times: number[] = [];
    for (let i = 0; i < STEPS; i++) times.push(seconds(() => m.stepBack()) * 1000);
    times.sort((a, b) => a - b);
    const ok = m.instructionCount === history - STEPS;
    console.log(`  stepBack after ${history / 1e6} M instructions of ${name}: median ${times[STEPS >> 1].toFixed(1)} ms, max ${times[STEPS - 1].toFixed(1)} ms over ${STEPS} ` +
      `(goal < 100 ms)${ok ? '' : ` — landed at ${m.instructionCount}, expected ${history - STEPS}`}`);
  }
}

if (require.main === module && process.argv[2] === '--child') childMain(process.argv.slice(3));
