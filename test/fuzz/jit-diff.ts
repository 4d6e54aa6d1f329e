/**
 * The translator against the interpreter on fuzz streams: every stream (rig.ts) runs twice from the same
 * power-on state, once interpreted and once with every block translated on its first execution
 * (Cpu.jitThreshold = 1), and must end alike: same stop, same retired-instruction count, same exception
 * events (name, phase, RIP, count), same CPU state (every field, with RFLAGS as the guest sees it instead of
 * the lazy-flag record behind it, as Runtime.stateHash does) and the same bytes in all of RAM. Each index also
 * runs a structured program (structured-program.ts: hot multi-block code with forward and backward branches) both
 * ways. Used by jit-diff.test.ts (a fixed slice in `npm test`) and jit-diff-run.ts (`npm run fuzz`).
 */
import { ExceptionEvent } from '../../emulator/api';
import { getFlags } from '../../emulator/cpu/flags';
import { Machine } from '../../emulator/machine';
import { captureCpu, cpuFields } from '../../emulator/snapshot';
import { FuzzRig, hex, Program } from './rig';
import { structuredProgram } from './structured-program';

export interface ModeDiff { index: number; mode: string; what: string; code: string }

export interface ModeDiffSummary { streams: number; translatedBlocks: number; diffs: ModeDiff[] }

/** Instructions a structured program runs (enough for its blocks to be translated, chained and looped). */
const PROGRAM_BUDGET = 1500;

function eventKey(e: ExceptionEvent): string {
  return `${e.phase} ${e.name} rip=${e.rip.toString(16)} n=${e.instructionCount}`;
}

class Side {
  readonly rig = new FuzzRig();
  events: string[] = [];
  constructor(jit: boolean) {
    this.rig.machine.cpu.jit = jit;
    this.rig.machine.cpu.jitThreshold = 1;
    this.rig.machine.on('exception', (e) => this.events.push(eventKey(e)));
  }
  run(seed: number, index: number, budget: number, program?: Program) {
    this.events = [];
    const r = this.rig.run(seed, index, budget, false, program, true);
    const m = this.rig.machine;
    return { r, n: m.instructionCount, cpu: cpuState(m), events: this.events };
  }
}

/** Streams start..start+count-1 of `seed`, both ways; at most `maxDiffs` differences are kept. */
export function compareModes(seed: number, start: number, count: number, budget = 100, maxDiffs = 20): ModeDiffSummary {
  const off = new Side(false);
  const on = new Side(true);
  const diffs: ModeDiff[] = [];
  let translatedBlocks = 0;
  for (let k = 0; k < 2 * count; k++) {
    const index = start + (k >> 1);
    const program = (k & 1) === 1 ? structuredProgram : undefined;
    const runBudget = program ? PROGRAM_BUDGET : budget;
    const a = off.run(seed, index, runBudget, program);
    const b = on.run(seed, index, runBudget, program);
    translatedBlocks += countTranslated(on.rig);
    const what: string[] = [];
    if (a.r.outcome !== b.r.outcome) what.push(`outcome ${a.r.outcome} / ${b.r.outcome}`);
    if (a.r.error !== b.r.error) what.push(`host error ${a.r.error} / ${b.r.error}`);
    if (a.n !== b.n) what.push(`instructions ${a.n} / ${b.n}`);
    if (a.events.join('|') !== b.events.join('|')) what.push(`events ${a.events.join(', ')} / ${b.events.join(', ')}`);
    if (a.cpu !== b.cpu) what.push(`CPU state ${a.cpu} / ${b.cpu}`);
    if (!ramBytes(off.rig.machine.mem.u8).equals(ramBytes(on.rig.machine.mem.u8))) what.push('RAM differs');
    if (what.length && diffs.length < maxDiffs) diffs.push({ index, mode: `${a.r.mode}${a.r.variant ? `, ${a.r.variant}` : ''}${program ? ' program' : ''}`, what: what.join('; '), code: hex(a.r.code) });
  }
  return { streams: count, translatedBlocks, diffs };
}

/** RAM's bytes, as one Buffer to compare. */
function ramBytes(u8: Uint8Array): Buffer {
  return Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
}

function cpuState(m: Machine): string {
  const s = cpuFields(captureCpu(m.cpu));
  for (const k of ['lfOp', 'lfSize', 'lfRes', 'lfResHi', 'lfA', 'lfAHi', 'lfB', 'lfBHi', 'lfAux']) delete s[k];
  s.flags = getFlags(m.cpu);
  return JSON.stringify(s, (_k, v) => (ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v instanceof Map ? [...v] : v));
}

function countTranslated(rig: FuzzRig): number {
  const blocks = (rig.machine.cpu as unknown as { blocks: Map<number, { fn: unknown }> }).blocks;
  let n = 0;
  for (const b of blocks.values()) if (b.fn) n++;
  return n;
}
