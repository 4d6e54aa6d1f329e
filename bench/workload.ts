import * as fs from 'node:fs';
import { Machine } from '../emulator/machine';

/**
 * One bench workload in its own process (bench/run.ts spawns it), so its peak resident memory is its own:
 *   node out/bench/workload.js FILE MAX_INSTRUCTIONS MEMORY_MB JIT(0|1)
 * Prints one JSON line: instructions, stop, seconds (machine creation + boot, first instruction, run,
 * whole) and peak RSS in MiB.
 */
export interface WorkloadResult {
  instructions: number;
  stop: string;
  /** Machine.create + boot (kernel loaded, CPU at the entry point). */
  bootS: number;
  /** Process start of the measurement to the first kernel instruction retired (create + boot + run(1)). */
  firstInstructionS: number;
  runS: number;
  wholeS: number;
  peakRssMiB: number;
}

function main(): void {
  const [file, max, memoryMB, jit] = process.argv.slice(2);
  const t0 = process.hrtime.bigint();
  const m = Machine.create({ onTripleFault: 'stop', memoryMB: Number(memoryMB) });
  m.cpu.jit = jit === '1';
  m.boot(fs.readFileSync(file));
  const t1 = process.hrtime.bigint();
  let stop = m.run(1);
  const t2 = process.hrtime.bigint();
  if (stop.reason === 'budget') stop = m.run(Number(max) - 1);
  const t3 = process.hrtime.bigint();
  const s = (a: bigint, b: bigint): number => Number(b - a) / 1e9;
  const r: WorkloadResult = {
    instructions: m.instructionCount,
    stop: stop.reason === 'exit' ? `exit status ${stop.exitCode}` : stop.reason,
    bootS: s(t0, t1), firstInstructionS: s(t0, t2), runS: s(t1, t3), wholeS: s(t0, t3),
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
  console.log(JSON.stringify(r));
}

if (require.main === module) main();
