import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Block, Exit } from '../../emulator/cpu/cpu';
import { CODE, makeCpu, poke, sameWithAndWithoutTranslation } from '../support/cpu-harness';

/**
 * A store into decoded code drops the blocks whose bytes it overlaps, not every block of its page (QEMU also
 * invalidates by range): data kept beside code (GRUB's real-mode switch stores its variables next to its code
 * on every BIOS call) does not cost the page's other blocks their decoding, hit counts and translations.
 */
function blocksOf(cpu: ReturnType<typeof makeCpu>): Map<number, Block> {
  return (cpu as unknown as { blocks: Map<number, Block> }).blocks;
}

// At CODE: jmp CODE+0x80 (block A, bytes CODE..CODE+1). At CODE+0x80: loop: mov [rdi], eax ; dec ecx ; jnz loop
// (block B) ; hlt (block C). The loop stores EAX 1000 times at RDI.
const A = [0xeb, 0x7e];
const B = [0x89, 0x07, 0xff, 0xc9, 0x75, 0xfa, 0xf4];
const KEY = (phys: number) => phys * 4 + 2; // 64-bit code

function run(target: number, eax: number) {
  const cpu = makeCpu();
  poke(cpu, CODE, A);
  poke(cpu, CODE + 0x80, B);
  cpu.rip = CODE;
  cpu.r[0] = eax; cpu.r[2] = 1000; cpu.r[14] = target;
  assert.equal(cpu.run(1), Exit.BUDGET);
  const a = blocksOf(cpu).get(KEY(CODE))!;
  assert.ok(a && a.valid, 'block A decoded');
  assert.equal(cpu.run(10_000), Exit.HALT);
  assert.equal(cpu.r[2], 0, 'RCX');
  assert.equal(cpu.rip, CODE + 0x87, 'after HLT');
  const b = blocksOf(cpu).get(KEY(CODE + 0x80))!;
  return { cpu, a, b };
}

test('a store into a chunk of decoded code beside the blocks keeps them', () => {
  // CODE+0x10 shares block A's 64-byte chunk but none of its bytes.
  const { cpu, a, b } = run(CODE + 0x10, 0x12345678);
  assert.equal(cpu.mem.read(CODE + 0x10, 4), 0x12345678);
  assert.ok(a.valid, 'block A still decoded');
  assert.equal(blocksOf(cpu).get(KEY(CODE)), a, 'the same block, not decoded again');
  assert.ok(b && b.valid && b.hits >= 64, 'the loop block kept its hit count (translated after 64 iterations)');
});

test('a store that changes a block\'s bytes drops that block and only it', () => {
  // First the whole loop with RDI on data, so A, B and C are decoded; then again from CODE with RDI = CODE, storing
  // eb 7c 00 00 over A: A becomes jmp CODE+0x7e (add [rax], al, then the loop) and must be decoded again; B and C
  // stay as they are.
  const { cpu, a, b } = run(0x3000, 0x7ceb);
  assert.ok(a.valid && b && b.valid);
  const c = blocksOf(cpu).get(KEY(CODE + 0x86))!;
  cpu.rip = CODE; cpu.halted = false; cpu.r[2] = 5; cpu.r[14] = CODE;
  assert.equal(cpu.run(100), Exit.HALT);
  assert.equal(cpu.rip, CODE + 0x87);
  assert.equal(a.valid, false, 'block A dropped');
  assert.equal(blocksOf(cpu).has(KEY(CODE)), false);
  assert.ok(b.valid && blocksOf(cpu).get(KEY(CODE + 0x80)) === b, 'the loop block on the same page kept its decoding');
  assert.ok(c.valid && blocksOf(cpu).get(KEY(CODE + 0x86)) === c, 'so did the HLT after it');
  // Run again from CODE: A is decoded afresh, as the new jump (add [rax], al at CODE+0x7e adds AL to [0x7ceb]).
  const before = cpu.mem.read(0x7ceb, 1);
  cpu.rip = CODE; cpu.halted = false; cpu.r[2] = 5; cpu.r[14] = 0x3000;
  assert.equal(cpu.run(100), Exit.HALT);
  assert.equal(cpu.rip, CODE + 0x87);
  assert.equal(blocksOf(cpu).get(KEY(CODE))!.insns[0].imm, 0x7c, 'A decoded again: jmp +0x7c');
  assert.equal(cpu.mem.read(0x7ceb, 1), (before + 0xeb) & 0xff, 'the new target ran');
});

test('a store of the bytes a block already holds keeps it (its decoding is still exact)', () => {
  const { cpu, a, b } = run(0x3000, 0x7eeb);
  cpu.rip = CODE; cpu.halted = false; cpu.r[2] = 5; cpu.r[14] = CODE;
  assert.equal(cpu.run(100), Exit.HALT);
  assert.equal(cpu.rip, CODE + 0x87);
  assert.ok(a.valid && blocksOf(cpu).get(KEY(CODE)) === a, 'block A kept');
  assert.ok(b.valid && blocksOf(cpu).get(KEY(CODE + 0x80)) === b);
});

test('a store onto the instruction that follows it in the running block takes effect at once', () => {
  // mov byte [rip+1], 0x02 patches the immediate of the next instruction (mov eax, 1 → mov eax, 2) ; hlt.
  const cpu = makeCpu();
  poke(cpu, CODE, [0xc6, 0x05, 0x01, 0x00, 0x00, 0x00, 0x02, 0xb8, 0x01, 0x00, 0x00, 0x00, 0xf4]);
  cpu.rip = CODE;
  assert.equal(cpu.run(100), Exit.HALT);
  assert.equal(cpu.r[0], 2);
});

// CODE: call F ; mov ecx, 2000 ; L: mov [rdi], ecx ; dec ecx ; jnz L ; call F ; hlt.  F (0x5000): inc eax ; ret.
// RDI = 0x5800: the loop stores 2000 times beside F's decoded bytes, on F's page.
const BESIDE = [0xe8, 0xfb, 0x3f, 0x00, 0x00, 0xb9, 0xd0, 0x07, 0x00, 0x00, 0x89, 0x0f, 0xff, 0xc9, 0x75, 0xfa, 0xe8, 0xeb, 0x3f, 0x00, 0x00, 0xf4];
const F = 0x5000;
/** call F, inc, ret, mov ecx: then the loop's 2000 x 3: RIP at the second call. */
const AFTER_LOOP = 4 + 3 * 2000;

function beside(threshold?: number) {
  const cpu = makeCpu();
  if (threshold !== undefined) cpu.jitThreshold = threshold;
  poke(cpu, CODE, BESIDE);
  poke(cpu, F, [0xff, 0xc0, 0xc3]);
  cpu.rip = CODE;
  cpu.r[14] = 0x5800;
  return cpu;
}

test('stores beside code that is not translated give its page back to the write TLB; the code is decoded again when it runs', () => {
  const cpu = beside();
  assert.equal(cpu.run(3), Exit.BUDGET);
  const f = blocksOf(cpu).get(KEY(F))!;
  assert.ok(f && f.valid && f.fn === null && cpu.mem.codePages[F >>> 12] === 1, 'F decoded, interpreted, its page a code page');
  assert.equal(cpu.run(AFTER_LOOP - 3), Exit.BUDGET);
  assert.equal(cpu.rip, CODE + 16, 'at the second call');
  assert.equal(cpu.mem.read(0x5800, 4), 1, 'the last store');
  assert.equal(f.valid, false, 'F\'s block dropped after 256 stores beside it');
  assert.equal(cpu.mem.codePages[F >>> 12], 0, 'its page no longer a code page');
  assert.equal(cpu.run(100), Exit.HALT);
  assert.equal(cpu.r[0], 2, 'F ran twice');
  assert.ok(blocksOf(cpu).get(KEY(F))!.valid && cpu.mem.codePages[F >>> 12] === 1, 'decoded again');
});

test('a translated block keeps its page a code page, whatever is stored beside it', () => {
  const cpu = beside(1);
  assert.equal(cpu.run(AFTER_LOOP), Exit.BUDGET);
  const f = blocksOf(cpu).get(KEY(F))!;
  assert.ok(f.valid && f.fn !== null, 'F translated and kept');
  assert.equal(cpu.mem.codePages[F >>> 12], 1);
  assert.equal(cpu.run(100), Exit.HALT);
  assert.equal(cpu.r[0], 2);
});

test('giving a page back changes nothing the guest sees: the same state with translation on and off at every stop', () => {
  for (const budget of [5, 300, 1000, AFTER_LOOP, AFTER_LOOP + 2, 100_000]) {
    const { on, off } = sameWithAndWithoutTranslation(BESIDE, budget, (c) => { poke(c, F, [0xff, 0xc0, 0xc3]); c.r[14] = 0x5800; });
    assert.equal(on.c.mem.read(0x5800, 4), off.c.mem.read(0x5800, 4));
  }
});
