import type { Insn } from './insn';
import { BLOCK_EVENTFUL, Gen } from './jit';

/**
 * Translation (jit.ts): system instructions a kernel runs in its hot loops, without the full register write-back
 * and reload of a handler call.
 */

/**
 * INVLPG m: its handler (system.ts) reads only the operand's base and index registers and RIP, writes no
 * register, reaches no device and faults only at CPL > 0 (#GP(0)), so only the address registers are written
 * back, and the flag record only where it faults. It changes the TLB: the block's one-page TLB caches are
 * dropped, and it returns BLOCK_EVENTFUL (the run loop looks the next block up under the new TLB epoch). When it
 * dropped the translation the rest of the block is fetched through (Cpu.invalidatePage sets codeDirty), the block
 * ends after it, as the interpreter's does.
 */
export function invlpg(gen: Gen, i: Insn, last: boolean): void {
  const k = gen.k;
  const next = gen.off + i.len;
  gen.line('if (c.cpl !== 0) {');
  gen.materializeCopy();
  gen.line('}');
  gen.line(`${gen.syncAddrRegs(i)}c.insnStart = base + ${gen.off}; c.rip = base + ${next}; clock.instructions = ic + ${k};`);
  gen.line(`ev = ${BLOCK_EVENTFUL}; rP = -65536; wP = -65536; h${k}(c, i${k});`);
  if (last) return; // the block's fall-through exit follows (Gen.emit)
  gen.line('if (c.codeDirty) {');
  gen.exitTo(next, k + 1, gen.off);
  gen.line('}');
}
