import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Machine } from '../emulator/machine';

/**
 * Reverse debugging costs (issues 7 and 14), printed by `npm run bench` (alone: `npm run bench -- --only reverse`):
 *   - recording overhead on every bench kernel: guest MIPS with history off and on (default ring: 512 MiB,
 *     snapshots paced: ~20 ms of running apart, at least 500 000 instructions, see history.ts), goal <= 15%,
 *     measured in lockstep (see lockstep()). Each setting runs in a process of its own (this file with
 *     --lockstep), as a debug session is: the adapter runs one machine per process, recording from the launch
 *     on. Machines with and without recording run one after the other in one process share V8's type feedback
 *     for the code both run (the memory write paths, the run loop), so each would be measured in a state no
 *     session is in;
 *   - memory the history holds per million instructions recorded (pages still shared with RAM hold none);
 *   - stepBack latency at the end of 10 M and 50 M instructions of history (goal < 100 ms).
 */
/** Each kernel: instructions run (at most), the slice each process runs per turn, and the lockstep runs summed. */
const KERNELS = [
  // bench-loop runs 1.5e9 instructions; the first 300 M are the same loop, enough for a stable rate.
  { name: 'bench-loop', file: 'fixtures/bin/bench-loop.elf', max: 300_000_000, slice: 10_000_000, rounds: 3 },
  // bench-paging runs 28 M instructions (~0.3 s), and its passes change every few million.
  { name: 'bench-paging', file: 'fixtures/bin/bench-paging.elf', max: 2_000_000_000, slice: 1_000_000, rounds: 5 },
  // c-workload is short (~30 000 instructions, a few ms, one slice): its rate is mostly start-up, so more rounds.
  { name: 'c-workload', file: 'fixtures/bin/c-workload.elf', max: 2_000_000_000, slice: 2_000_000_000, rounds: 15 },
  // sieve runs 8e9 instructions; its first 400 M (memory tests with paging on and off) take ~2 s.
  // (kvm-unit-tests builds live beside the repository, in ../shared/kvm-unit-tests, as for bench/run.ts.)
  { name: 'sieve (first 400 M)', file: '../shared/kvm-unit-tests/sieve.flat', max: 400_000_000, slice: 10_000_000, rounds: 2, memoryMB: 256 },
];
const STEPS = 5;

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

/** How much slower recording made the run, from the times (ms) with it on and off: the MIPS lost, 1 - on/off in MIPS. */
const pct = (onTime: number, offTime: number): string => `${((1 - offTime / onTime) * 100).toFixed(1)}%`;

type HistoryStats = ReturnType<Machine['history']['stats']>;

/**
 * One slice's figures from a lockstep child: instructions retired so far, the slice's wall and process CPU
 * milliseconds, whether the guest stopped, and (once it has) the history's figures.
 */
interface SliceResult { instructions: number; ms: number; cpuMs: number; done: boolean; stats?: HistoryStats }

/**
 * A lockstep child: `node bench/reverse.js --lockstep FILE MAX MEMORY_MB JIT(0|1) HISTORY(0|1)` boots the
 * kernel, then for each line on stdin (an instruction count) runs that many more instructions (never past MAX)
 * and answers with one line of JSON (SliceResult). It reads stdin synchronously: it runs only when asked.
 */
function lockstepMain(args: string[]): void {
  const [file, max, memoryMB, jit, history] = args;
  const m = boot(file, jit === '1', history === '1', Number(memoryMB));
  const limit = Number(max);
  const buf = Buffer.alloc(64);
  let line = '';
  let done = false;
  for (;;) {
    const n = fs.readSync(0, buf, 0, buf.length, null);
    if (n === 0) return;
    line += buf.toString('latin1', 0, n);
    let nl: number;
    while ((nl = line.indexOf('\n')) >= 0) {
      const budget = Math.min(Number(line.slice(0, nl)), limit - m.instructionCount);
      line = line.slice(nl + 1);
      let t = { wall: 0, cpu: 0 };
      if (!done && budget > 0) {
        // The process's CPU time (every thread: V8 compiles and marks on threads of its own), exact where it is
        // read; this thread's alone (/proc/thread-self/schedstat) lags by up to a scheduler tick while it runs,
        // a bias a slice of a few ms does not average out.
        const c0 = process.cpuUsage();
        const t0 = process.hrtime.bigint();
        const stop = m.run(budget);
        const wall = Number(process.hrtime.bigint() - t0) / 1e6;
        const c = process.cpuUsage(c0);
        t = { wall, cpu: (c.user + c.system) / 1e3 };
        done = stop.reason !== 'budget';
      }
      done ||= m.instructionCount >= limit;
      const r: SliceResult = { instructions: m.instructionCount, ms: t.wall, cpuMs: t.cpu, done, stats: done ? m.history.stats() : undefined };
      fs.writeSync(1, JSON.stringify(r) + '\n');
    }
  }
}

/** A lockstep child's end of the conversation: ask for a slice, wait for its answer. */
class Stepper {
  private readonly proc: ChildProcessWithoutNullStreams;
  private pending = '';
  private waiting: ((r: SliceResult | undefined) => void) | undefined;
  wallMs = 0;
  cpuMs = 0;
  last: SliceResult | undefined;

  constructor(file: string, max: number, memoryMB: number | undefined, jit: boolean, history: boolean) {
    this.proc = spawn(process.execPath, [__filename, '--lockstep', file, String(max), String(memoryMB ?? 128), jit ? '1' : '0', history ? '1' : '0']);
    this.proc.stdout.setEncoding('latin1');
    this.proc.stdout.on('data', (d: string) => {
      this.pending += d;
      const nl = this.pending.indexOf('\n');
      if (nl < 0) return;
      const text = this.pending.slice(0, nl);
      this.pending = this.pending.slice(nl + 1);
      let r: SliceResult | undefined;
      try { r = JSON.parse(text) as SliceResult; } catch { r = undefined; }
      this.waiting?.(r);
    });
    this.proc.on('exit', () => { this.exited = true; this.waiting?.(undefined); });
    // A write to a child that died is reported by step(), not as an unhandled error.
    this.proc.stdin.on('error', () => {});
  }

  private exited = false;

  /** Run `n` more instructions; false if the child failed. */
  async step(n: number): Promise<boolean> {
    if (this.exited) return false;
    const r = await new Promise<SliceResult | undefined>((resolve) => {
      this.waiting = resolve;
      this.proc.stdin.write(`${n}\n`);
    });
    this.waiting = undefined;
    if (r === undefined) return false;
    this.last = r;
    this.wallMs += r.ms;
    this.cpuMs += r.cpuMs;
    return true;
  }

  get done(): boolean {
    return this.last?.done ?? false;
  }

  close(): void {
    this.proc.stdin.end();
    this.proc.kill();
  }
}

/**
 * Recording off and on, measured in lockstep: two processes, one per setting, run the same kernel in slices of
 * `slice` instructions, taking turns (off then on, then on then off, ...), so that a spell of host contention
 * (this machine's speed swings 1.5-2x for seconds at a time with no steal time reported; bench-loop's recording
 * off and on, measured as whole runs best of 3, once came out 16% apart and once -58%) falls on both
 * alike. Each slice's time is measured in its own process; the figures are their sums. Each process is a debug
 * session's: one machine, recording (or not) from the launch on.
 */
async function lockstep(file: string, max: number, slice: number, memoryMB: number | undefined, jit: boolean): Promise<{ off: Stepper; on: Stepper } | undefined> {
  const off = new Stepper(file, max, memoryMB, jit, false);
  const on = new Stepper(file, max, memoryMB, jit, true);
  try {
    // The first answer: both have booted (boot time is not measured).
    if (!(await off.step(0)) || !(await on.step(0))) return undefined;
    off.wallMs = off.cpuMs = on.wallMs = on.cpuMs = 0;
    for (let k = 0; !off.done || !on.done; k++) {
      const order = k % 2 === 0 ? [off, on] : [on, off];
      for (const s of order) if (!s.done && !(await s.step(slice))) return undefined;
    }
    if (off.last?.instructions !== on.last?.instructions) return undefined;
    return { off, on };
  } finally {
    off.close();
    on.close();
  }
}

export async function benchReverse(root: string, jit: boolean): Promise<void> {
  console.log('reverse debugging (history ring 512 MiB, snapshots paced: ~20 ms of running apart, at least 500,000 instructions)');
  console.log('  recording off and on in lockstep (two processes taking turns slice by slice; figures are sums over every round; goal <= 15%)');
  for (const k of KERNELS) {
    const file = path.resolve(root, k.file);
    if (!fs.existsSync(file)) { console.log(`  ${k.name}: skipped, ${file} is missing`); continue; }
    let offMs = 0, onMs = 0, offCpu = 0, onCpu = 0, n = 0;
    const each: number[] = [];
    let st: HistoryStats | undefined;
    for (let round = 0; round < k.rounds; round++) {
      const r = await lockstep(file, k.max, k.slice, k.memoryMB, jit);
      if (!r) { console.log(`  ${k.name}: a measuring process failed`); st = undefined; break; }
      offMs += r.off.wallMs; onMs += r.on.wallMs; offCpu += r.off.cpuMs; onCpu += r.on.cpuMs;
      n += r.on.last!.instructions;
      each.push(1 - r.off.wallMs / r.on.wallMs);
      st = r.on.last!.stats;
    }
    if (st === undefined) continue;
    const mips = (ms: number): string => (n / ms / 1e3).toFixed(1);
    const cpu = Number.isFinite(offCpu) && Number.isFinite(onCpu) && offCpu > 0 ? `; by process CPU time ${mips(offCpu)} -> ${mips(onCpu)} MIPS (${pct(onCpu, offCpu)} slower)` : '';
    const spread = each.map((x) => `${(x * 100).toFixed(1)}%`).join(', ');
    const per = n / k.rounds;
    console.log(`  ${k.name}: recording off ${mips(offMs)} MIPS, on ${mips(onMs)} MIPS (${pct(onMs, offMs)} slower${cpu}) over ${k.rounds} rounds of ` +
      `${(per / 1e6).toFixed(1)} M instructions in slices of ${(k.slice / 1e6).toFixed(1)} M (each round: ${spread}); ` +
      `history holds ${(st.bytes / 2 ** 20).toFixed(1)} MiB in ${st.snapshots} snapshots = ${(st.bytes / 2 ** 20 / (per / 1e6)).toFixed(3)} MiB per million instructions`);
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

if (require.main === module && process.argv[2] === '--lockstep') lockstepMain(process.argv.slice(3));
