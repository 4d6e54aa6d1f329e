import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cpu, Exit } from '../../emulator/cpu/cpu';
import { CODE, runSnippet, sameWithAndWithoutTranslation } from '../support/cpu-harness';

/**
 * Loop bodies longer than a block's 64 instructions (Cpu.buildBlock, MAX_LOOP_BLOCK): when a branch back to the
 * block's start follows on the same page within 192 instructions, the whole body is one loop block, iterated in
 * place by its translation (the Linux decompressor's BCJ filter is such a loop: 75 instructions). Otherwise a
 * block still ends at 64 instructions.
 */
const rel32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];

/**
 * add rax, 1; test al, 1; jnz tail (over the adds); n x add rax, rcx; tail: dec rdi; jnz start; pushf; hlt.
 * The loop is n + 5 instructions; the early branch is taken every other iteration, as a filter skips bytes.
 */
function loopOf(n: number): number[] {
  const tail = 12 + 3 * n;
  const code = [0x48, 0x83, 0xc0, 0x01, 0xa8, 0x01, 0x0f, 0x85, ...rel32(tail - 12)];
  for (let k = 0; k < n; k++) code.push(0x48, 0x01, 0xc8);
  code.push(0x48, 0xff, 0xcf, 0x0f, 0x85, ...rel32(-(tail + 9)), 0x9c, 0xf4);
  return code;
}

const setup = (c: Cpu): void => {
  c.setReg64(1, 0x1234567, 0x89); // rcx
  c.setReg64(7, 5_000, 0); // rdi: iterations
};

interface BlockView { insns: unknown[]; loops: boolean; fn: unknown; lo: number }
const blocks = (c: Cpu): BlockView[] => [...(c as unknown as { blocks: Map<number, BlockView> }).blocks.values()];
const blockAt = (c: Cpu, phys: number): BlockView | undefined => blocks(c).find((b) => b.lo === phys);

describe('loop bodies longer than 64 instructions', () => {
  it('a 75-instruction loop is one loop block, translated, iterating in place', () => {
    const { c, exits } = runSnippet(loopOf(70), true, 1_000_000, setup);
    assert.equal(exits[exits.length - 1], Exit.HALT);
    const b = blockAt(c, CODE);
    assert.ok(b, 'a block at the loop start');
    assert.equal(b.insns.length, 75);
    assert.equal(b.loops, true);
    assert.equal(typeof b.fn, 'function', 'translated');
    assert.equal(String(b.fn).includes('for (;;)'), true, 'the translation loops in place');
  });

  it('runs as interpreted: registers, flags, RIP, count; timers and budgets anywhere in the body', () => {
    sameWithAndWithoutTranslation(loopOf(70), 1_000_000, setup);
    for (const budget of [999, 100_003, 250_071]) sameWithAndWithoutTranslation(loopOf(70), budget, setup);
    for (const first of [1_001, 37_777, 123_456]) {
      const logs: string[][] = [];
      for (const jit of [false, true]) {
        const log: string[] = [];
        runSnippet(loopOf(70), jit, 1_000_000, (c) => {
          setup(c);
          const fire = (): void => {
            log.push(`${c.clock.instructions}@${c.rip.toString(16)}:${c.r[0]}:${c.r[14]}`);
            if (log.length < 12) c.clock.schedule(c.clock.instructions + 5_003, fire, 0);
          };
          c.clock.schedule(first, fire, 0);
        });
        logs.push(log);
      }
      assert.equal(logs[1].length, 12);
      assert.deepEqual(logs[1], logs[0], `timers from ${first}`);
    }
  });

  it('a loop longer than 192 instructions, and straight-line code, still end a block at 64', () => {
    const { c } = runSnippet(loopOf(200), true, 1_000_000, setup);
    const b = blockAt(c, CODE);
    assert.ok(b);
    assert.equal(b.insns.length, 64);
    assert.equal(b.loops, false);
    sameWithAndWithoutTranslation(loopOf(200), 1_000_000, setup);
    const straight: number[] = [];
    for (let k = 0; k < 100; k++) straight.push(0x48, 0x01, 0xc8);
    straight.push(0xf4);
    const s = runSnippet(straight, false, 1_000, setup);
    assert.equal(blockAt(s.c, CODE)?.insns.length, 64);
  });

  it('a loop whose back edge lies on the next page is not extended', () => {
    // jmp to 0xf80 bytes in (near the page's end), where the 75-instruction loop starts and runs into the next page.
    const at = 0xf80;
    const code = [0xe9, ...rel32(at - 5)];
    while (code.length < at) code.push(0x90);
    code.push(...loopOf(70));
    const { c } = runSnippet(code, true, 1_000_000, setup);
    const b = blockAt(c, CODE + at);
    assert.ok(b);
    assert.ok(b.insns.length < 75, `${b.insns.length} instructions`);
    assert.equal(b.loops, false);
    sameWithAndWithoutTranslation(code, 1_000_000, setup);
  });
});
