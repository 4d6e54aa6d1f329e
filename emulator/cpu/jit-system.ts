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
  gen.line(`ev = ${BLOCK_EVENTFUL}; @DROP@ h${k}(c, i${k});`);
  if (last) return; // the block's fall-through exit follows (Gen.emit)
  gen.line('if (c.codeDirty) {');
  gen.exitTo(next, k + 1, gen.off);
  gen.line('}');
}

/**
 * CLI, STI, CLD, STD, CLC, STC, CMC (system.ts). CLI/STI: #GP(0) in protected mode (virtual-8086 mode too) when
 * CPL > IOPL, which the handler raises; else IF changes in place. STI with IF = 0 opens the interrupt shadow
 * (Cpu.shadowUntil: interrupts are recognized only after the next instruction, SDM STI) and, when an interrupt is
 * already waiting, ends the block after itself, as the interpreter's run loop ends its block at an instruction
 * that made an interrupt pending with IF set (the run loop then runs the next instruction alone and takes it). No
 * device code runs, so the block stays quiet: with no interrupt waiting none can become pending before a handler
 * call or slow path, which check again. CLI only masks. The flag instructions materialize the arithmetic flags.
 */
export function flagControl(gen: Gen, i: Insn, last: boolean): void {
  const k = gen.k;
  const next = gen.off + i.len;
  const op = i.op;
  if (op === 0xfa || op === 0xfb) {
    gen.line('if ((c.cr0 & 1) !== 0 && c.cpl > ((c.flags >>> 12) & 3)) {');
    gen.materializeCopy();
    gen.callHandler(next, true, true); // raises #GP(0)
    gen.line('}');
    if (op === 0xfa) { gen.line('c.flags &= -513;'); return; }
    gen.line(`if ((c.flags & 512) === 0) { c.flags |= 512; c.shadowUntil = ic + ${k + 2};`);
    if (!last) {
      gen.line('if (c.irqLine.pending) {');
      gen.exitTo(next, k + 1, gen.off);
      gen.line('}');
    }
    gen.line('}');
    return;
  }
  if (op === 0xfc) { gen.line('c.flags &= -1025;'); return; }
  if (op === 0xfd) { gen.line('c.flags |= 1024;'); return; }
  // CLC, STC, CMC: the arithmetic flags into RFLAGS (flags.ts getFlags), then CF.
  gen.materialize();
  gen.line(`c.flags = getFlags(c) ${op === 0xf8 ? '& -2' : op === 0xf9 ? '| 1' : '^ 1'};`);
}
