import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Block, Exit } from '../../emulator/cpu/cpu';
import { CODE, makeCpu, poke } from '../support/cpu-harness';

/**
 * A loop block is translated once it has iterated 64 times in a row (cpu.ts LOOP_JIT_THRESHOLD): a short loop
 * entered again and again waits for the threshold of any block, so its translation (a new Function V8 compiles)
 * is not made for a loop that never runs long.
 */
// outer: mov ecx, N ; inner: dec ecx ; jnz inner ; dec edx ; jnz outer ; hlt. The inner loop is a block of its own.
const code = (n: number) => [0xb9, n & 0xff, (n >>> 8) & 0xff, 0, 0, 0xff, 0xc9, 0x75, 0xfc, 0xff, 0xca, 0x75, 0xf3, 0xf4];
const INNER = (CODE + 5) * 4 + 2; // block key: physical address * 4 + mode (2: 64-bit)

function inner(n: number, rounds: number): Block {
  const c = makeCpu();
  poke(c, CODE, code(n));
  c.rip = CODE;
  c.r[4] = rounds;
  assert.equal(c.run(1_000_000), Exit.HALT);
  assert.equal(c.rip, CODE + 14, 'after HLT');
  return (c as unknown as { blocks: Map<number, Block> }).blocks.get(INNER)!;
}

test('a loop entered 40 times for 10 iterations each stays interpreted', () => {
  const b = inner(10, 40);
  assert.ok(b.loops, 'the inner block branches back to its start');
  assert.equal(b.hits, 40 * 9, 'every run counted (the first iteration of each entry is part of the outer block)');
  assert.equal(b.fn, null, 'not translated: never 64 iterations in a row');
});

test('a loop that iterates 64 times in a row is translated', () => {
  const b = inner(100, 1);
  assert.ok(b.fn !== null, 'translated during its first entry');
  assert.equal(b.hits, 64, 'at its 64th run in a row');
});
