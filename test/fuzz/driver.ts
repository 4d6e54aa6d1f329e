/**
 * Runs fuzz streams on worker threads with a wall-clock watchdog: each worker reports progress through a
 * SharedArrayBuffer; a worker whose stream makes no progress for `hangMs` is terminated and the stream is
 * reported as a hang (with the seed and index that reproduce it). Used by run.ts (`npm run fuzz`) and by
 * fuzz.test.ts (the fixed-seed slice in `npm test`).
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { FuzzRig, hex, StreamResult } from './rig';

export interface FuzzOptions {
  seed: number;
  count: number;
  /** First stream index (streams start..start+count-1). */
  start?: number;
  workers?: number;
  /** Instruction budget per stream. */
  budget?: number;
  /** Wall-clock limit for one stream before it counts as a hang. */
  hangMs?: number;
  /** Also run the debugger's decoders (fault chain text, GDT/IDT/TSS, page walk) every Nth stream. */
  inspectEvery?: number;
  /** Called about once a second with the number of streams done. */
  onProgress?: (done: number) => void;
}

export interface Failure {
  seed: number;
  index: number;
  kind: 'host error' | 'hang';
  mode?: string;
  code?: string;
  error?: string;
}

export interface FuzzSummary {
  count: number;
  ms: number;
  outcomes: Record<string, number>;
  firstExceptions: Record<string, number>;
  modes: Record<string, number>;
  exceptions: number;
  failures: Failure[];
}

export interface WorkerTask { seed: number; start: number; count: number; stride: number; offset: number; budget: number; inspectEvery: number; slot: number; progress: SharedArrayBuffer }
export interface WorkerReport { outcomes: Record<string, number>; firstExceptions: Record<string, number>; modes: Record<string, number>; exceptions: number; failures: Failure[] }

const MAX_FAILURES = 20;

/** Run the streams of one task on this thread (the body of a worker). */
export function runTask(t: WorkerTask): WorkerReport {
  const rig = new FuzzRig();
  const prog = new Int32Array(t.progress);
  const rep: WorkerReport = { outcomes: {}, firstExceptions: {}, modes: {}, exceptions: 0, failures: [] };
  let done = 0;
  for (let index = t.start + t.offset; index < t.start + t.count; index += t.stride) {
    Atomics.store(prog, 2 * t.slot + 1, index);
    const r = rig.run(t.seed, index, t.budget, t.inspectEvery > 0 && index % t.inspectEvery === 0);
    tally(rep, r);
    if (r.error !== undefined && rep.failures.length < MAX_FAILURES) {
      rep.failures.push({ seed: t.seed, index, kind: 'host error', mode: r.mode, code: hex(r.code), error: r.error });
    }
    Atomics.store(prog, 2 * t.slot, ++done);
  }
  return rep;
}

function tally(rep: WorkerReport, r: StreamResult): void {
  rep.outcomes[r.outcome] = (rep.outcomes[r.outcome] ?? 0) + 1;
  rep.firstExceptions[r.firstException] = (rep.firstExceptions[r.firstException] ?? 0) + 1;
  const m = `${r.mode}${r.hostilePaging ? '+hostile-paging' : ''}${r.hostileTables ? '+hostile-tables' : ''}`;
  rep.modes[m] = (rep.modes[m] ?? 0) + 1;
  rep.exceptions += r.exceptions;
}

function merge(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

export function runFuzz(o: FuzzOptions): Promise<FuzzSummary> {
  const workers = Math.max(1, o.workers ?? 2);
  const start = o.start ?? 0;
  const hangMs = o.hangMs ?? 60_000;
  const progress = new SharedArrayBuffer(8 * workers);
  const prog = new Int32Array(progress);
  const sum: FuzzSummary = { count: 0, ms: 0, outcomes: {}, firstExceptions: {}, modes: {}, exceptions: 0, failures: [] };
  const t0 = Date.now();
  return new Promise((resolve) => {
    let live = workers;
    const last = new Array<number>(workers).fill(-1);
    const lastChange = new Array<number>(workers).fill(Date.now());
    const alive = new Array<boolean>(workers).fill(true);
    const list: Worker[] = [];
    const finish = (w: number): void => {
      if (!alive[w]) return;
      alive[w] = false;
      if (--live === 0) {
        clearInterval(timer);
        sum.count = prog.filter((_, k) => k % 2 === 0).reduce((a, b) => a + b, 0);
        sum.ms = Date.now() - t0;
        resolve(sum);
      }
    };
    const timer = setInterval(() => {
      const now = Date.now();
      let done = 0;
      for (let w = 0; w < workers; w++) {
        const d = Atomics.load(prog, 2 * w);
        done += d;
        if (!alive[w]) continue;
        if (d !== last[w]) { last[w] = d; lastChange[w] = now; continue; }
        if (now - lastChange[w] > hangMs) {
          const index = Atomics.load(prog, 2 * w + 1);
          sum.failures.push({ seed: o.seed, index, kind: 'hang', error: `stream made no progress for ${hangMs} ms (wall clock)` });
          void list[w].terminate();
          finish(w);
        }
      }
      o.onProgress?.(done);
    }, 250);
    for (let w = 0; w < workers; w++) {
      const task: WorkerTask = { seed: o.seed, start, count: o.count, stride: workers, offset: w, budget: o.budget ?? 100, inspectEvery: o.inspectEvery ?? 64, slot: w, progress };
      const worker = new Worker(path.join(__dirname, 'worker.js'), { workerData: task });
      list.push(worker);
      worker.on('message', (rep: WorkerReport) => {
        merge(sum.outcomes, rep.outcomes);
        merge(sum.firstExceptions, rep.firstExceptions);
        merge(sum.modes, rep.modes);
        sum.exceptions += rep.exceptions;
        sum.failures.push(...rep.failures);
        finish(w);
      });
      worker.on('error', (e) => {
        sum.failures.push({ seed: o.seed, index: Atomics.load(prog, 2 * w + 1), kind: 'host error', error: `worker died: ${e.stack ?? e.message}` });
        finish(w);
      });
      worker.on('exit', () => finish(w));
    }
  });
}
