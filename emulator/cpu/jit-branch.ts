import type { Insn } from './insn';
import type { Gen } from './jit';
import { CARRIED, CARRY_LOAD, ccExpr, ROT } from './jit-flags';

/**
 * Translation (jit.ts): Jcc/JMP rel. A taken branch leaves the block through its epilogue (Cpu.relTarget there
 * checks the target); one back to the block's start loops inside the function (backEdge), checking exactly what
 * the run loop checks between blocks.
 */

/** The back edge of a loop: continue while the run loop would enter this block again right away. */
export function backEdge(gen: Gen): void {
  const n = gen.n;
  gen.line(`ic += ${gen.k + 1};`);
  gen.line('if (ic <= lim) continue;');
  const tests = '!c.stopRequested && !(c.irqLine.nmiPending && !c.nmiBlocked && ic >= c.shadowUntil) && ((c.flags & 512) === 0 || ic < c.shadowUntil || !c.irqPending())';
  // A loop with slow paths or handler calls (which set lim = -1) comes here after them with the count well inside
  // the limit: the count goes last, so the warm-up calls (Gen.emit), which end here on the count, run the other
  // tests first and V8 has their type feedback before it optimizes the loop (else it deoptimizes at the first
  // optimized pass through them: bench-paging's fill, sum and remap loops). A loop without any comes here only at
  // its limit: the count first, and V8 compiles the tests it never ran as a deoptimization exit, which leaves the
  // loop itself tighter (bench-loop: ~10% slower with them compiled).
  const slow = gen.out.some((l) => l.includes('@SLOW@') || l.includes('@Q@'));
  gen.line(`{ const l = clock.nextDeadline < end ? clock.nextDeadline : end; if (${slow ? `${tests} && ic + ${n} <= l` : `ic + ${n} <= l && ${tests}`}) { lim = ic < c.shadowUntil ? -1 : l - ${n}; continue; } }`);
}

/**
 * A taken forward branch to instruction t of this block (Gen.inner) continues there, where the run loop would
 * chain straight into the block translated at t: only while the block is quiet (nothing but inline code ran, so
 * none of the run loop's checks between blocks can have changed: see BLOCK_QUIET) and outside an interrupt
 * shadow (where the run loop could deliver an NMI at the block boundary); outside 64-bit mode only to a target
 * inside CS's limit (else the branch raises #GP). The instructions skipped come off ic, so every count
 * computed from it (ic + index) stays exact. Otherwise the branch leaves the block as any other.
 */
function innerBranch(gen: Gen, t: number, targetOff: number): void {
  const skip = t - gen.k - 1;
  const limit = gen.long ? '' : ` && base + ${targetOff} <= c.segLimit[1]`;
  const p = gen.p;
  gen.line(`if (${gen.quiet()} && ic >= c.shadowUntil${limit}) {`);
  gen.joinFlags(t);
  gen.line(`${skip !== 0 ? `ic -= ${skip}; ` : ''}break T${t};`);
  gen.line('}');
  gen.p = p;
}

export function jcc(gen: Gen, i: Insn, last: boolean): void {
  const k = gen.k;
  const next = gen.off + i.len;
  const uncond = i.op === 0xeb || i.op === 0xe9;
  const cond = uncond ? 'true' : ccExpr(gen, i.op & 0xf);
  const toStart = next + i.imm === 0;
  gen.line(`if (${cond}) {`);
  if (toStart && gen.deferLoopFlags) {
    backEdge(gen);
    gen.exitTo(0, 0, gen.off);
    gen.line('}');
    if (last) gen.exitTo(next, k + 1, gen.off);
    return;
  }
  if (toStart && gen.rematAtTop) {
    // The next iteration recomputes this record from the registers (rematAtTop), which the Jcc leaves as the
    // CMP/TEST/INC/DEC left them; the first iteration's record was the CPU's. INC/DEC's CF goes round in fX.
    const p = gen.p;
    gen.line(`fk = 1;${gen.rematAtTop.aux === 'fX' ? ` fX = ${p !== null ? p.aux : 'c.lfAux'};` : ''}`);
    backEdge(gen);
    gen.exitTo(0, 0, gen.off);
    gen.line('}');
    if (last) gen.exitTo(next, k + 1, gen.off);
    return;
  }
  if (toStart) {
    // The record goes round to the next iteration in locals (CARRIED); written to the CPU if the loop leaves.
    // A rotate's record is materialized on the taken path only: the fall-through keeps it pending.
    const outer = gen.p;
    if (gen.p !== null && gen.p.op === ROT) gen.materialize();
    const p = gen.p;
    if (p === null) gen.line(CARRY_LOAD);
    else if (p !== CARRIED) gen.line(`fOp = ${p.op}; fSize = ${p.size}; fR = ${p.res}; fRh = ${p.resHi}; fA = ${p.a}; fAh = ${p.aHi}; fB = ${p.b}; fBh = ${p.bHi}; fX = ${p.aux};`);
    backEdge(gen);
    const saved = gen.p;
    gen.p = CARRIED;
    gen.exitTo(0, 0, gen.off);
    gen.p = saved === null ? outer : saved;
  } else {
    const t = gen.inner.get(k);
    if (t !== undefined) innerBranch(gen, t, next + i.imm);
    gen.exitTo(next, k, gen.off, ` xj = ${i.osz}; xr = ${i.imm};`);
  }
  gen.line('}');
  if (last) gen.exitTo(next, k + 1, gen.off);
}
