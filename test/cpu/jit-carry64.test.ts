import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Cpu } from '../../emulator/cpu/cpu';
import { enablePaging, sameWithAndWithoutTranslation } from '../support/cpu-harness';

/**
 * The carry (borrow) between the two 32-bit halves of a 64-bit value, as the translator computes it branch-free
 * (jit-flags.ts carryBit/borrowBit): ADD, SUB, CMP, INC, DEC, NEG, LEA with a base and a scaled index, PUSH and
 * POP moving RSP across a 4 GiB line, ADC/SBB and an INC/DEC keeping the ADD's or SUB's CF. Each operation runs on
 * the values where the carries change (0, ±1, the 32-bit and 63-bit edges), pushing RFLAGS and the result, and
 * must leave the interpreter's registers, flags and stack at every budget.
 */
const EDGES = [0n, 1n, 2n, 0x7fffffffn, 0x80000000n, 0xfffffffen, 0xffffffffn, 0x100000000n, 0x1ffffffffn,
  0x7fffffffffffffffn, 0x8000000000000000n, 0xffffffff00000000n, 0xfffffffffffffffen, 0xffffffffffffffffn];

const imm64 = (v: bigint): number[] => Array.from({ length: 8 }, (_, b) => Number((v >> BigInt(8 * b)) & 0xffn));
const movRax = (v: bigint): number[] => [0x48, 0xb8, ...imm64(v)];
const movRbx = (v: bigint): number[] => [0x48, 0xbb, ...imm64(v)];
const movRcx = (v: bigint): number[] => [0x48, 0xb9, ...imm64(v)];
const PUSHF_RAX = [0x9c, 0x50];

/** Binary operations on RAX, RBX (and RCX for LEA), each followed by PUSHFQ; PUSH RAX. */
const BINARY: Record<string, number[]> = {
  'add rax, rbx': [0x48, 0x01, 0xd8],
  'sub rax, rbx': [0x48, 0x29, 0xd8],
  'cmp rax, rbx (then setc al)': [0x48, 0x39, 0xd8, 0x0f, 0x92, 0xc0],
  'add rax, rbx; inc rbx (CF kept)': [0x48, 0x01, 0xd8, 0x48, 0xff, 0xc3],
  'sub rax, rbx; dec rbx (CF kept)': [0x48, 0x29, 0xd8, 0x48, 0xff, 0xcb],
  'add rax, rbx; adc rax, rbx': [0x48, 0x01, 0xd8, 0x48, 0x11, 0xd8],
  'sub rax, rbx; sbb rax, rbx': [0x48, 0x29, 0xd8, 0x48, 0x19, 0xd8],
  'lea rax, [rax + rbx*4 + 0x7ffffff0]': [0x48, 0x8d, 0x84, 0x98, 0xf0, 0xff, 0xff, 0x7f],
  'lea rax, [rax + rbx - 1]': [0x48, 0x8d, 0x44, 0x18, 0xff],
  'add rax, -2 (imm8)': [0x48, 0x83, 0xc0, 0xfe],
  'sub rax, 0x7fffffff (imm32)': [0x48, 0x2d, 0xff, 0xff, 0xff, 0x7f],
};
const UNARY: Record<string, number[]> = {
  'inc rax': [0x48, 0xff, 0xc0],
  'dec rax': [0x48, 0xff, 0xc8],
  'neg rax': [0x48, 0xf7, 0xd8],
  'not rax; neg rax': [0x48, 0xf7, 0xd0, 0x48, 0xf7, 0xd8],
};

function program(op: number[], pairs: boolean): number[] {
  const code: number[] = [];
  for (const x of EDGES) {
    for (const y of pairs ? EDGES : [0n]) code.push(...movRax(x), ...movRbx(y), ...op, ...PUSHF_RAX);
  }
  return [...code, 0xf4];
}

function flat(c: Cpu): void {
  c.jitThreshold = 1;
  c.setReg64(4, 0x3f0000, 0);
}

describe('64-bit carries between the halves, translated branch-free', () => {
  const ops = [...Object.entries(BINARY).map(([n, o]) => [n, o, true] as const), ...Object.entries(UNARY).map(([n, o]) => [n, o, false] as const)];
  for (const [name, op, pairs] of ops) {
    it(`${name}: the interpreter's registers, flags and pushed results at every budget`, () => {
      const code = program(op, pairs);
      for (const budget of [5, 17, 100, 1_000_000]) {
        const { on, off } = sameWithAndWithoutTranslation(code, budget, flat);
        assert.deepEqual(on.c.mem.u8.subarray(0x3e0000, 0x3f0000), off.c.mem.u8.subarray(0x3e0000, 0x3f0000), `${name}: stack after ${budget}`);
      }
    });
  }

  it('a loop adding with carries into the high half, and one counting a 64-bit register down across 2^32', () => {
    // mov rcx, 0x100000003; loop: add rax, rcx; adc rdx, 0; dec rcx; jnz loop (stopped by the budget)
    const code = [...movRcx(0x100000003n), ...movRax(0xfffffff0fffffff0n),
      0x48, 0x01, 0xc8, 0x48, 0x83, 0xd2, 0x00, 0x48, 0xff, 0xc9, 0x75, 0xf4, 0x9c, 0xf4];
    for (const budget of [3, 40, 1000, 100_000]) sameWithAndWithoutTranslation(code, budget, flat);
  });

  it('PUSH and POP moving RSP across a 4 GiB line (the borrow and carry into RSP\'s high half)', () => {
    const code = [0x48, 0xbc, ...imm64(0x100000010n), // mov rsp, 0x1_0000_0010
      ...movRax(0x1122334455667788n), 0x50, 0x50, 0x50, 0x53, 0x59, 0x5a, 0x5e, 0x5f, 0x50, 0x5b, 0x9c, 0xf4];
    const setup = (c: Cpu): void => {
      c.jitThreshold = 1;
      const map = enablePaging(c);
      map(0xfffff000n, 0x300000);
      map(0x100000000n, 0x301000);
    };
    for (const budget of [2, 4, 6, 9, 100]) {
      const { on, off } = sameWithAndWithoutTranslation(code, budget, setup);
      assert.deepEqual(on.c.mem.u8.subarray(0x300000, 0x302000), off.c.mem.u8.subarray(0x300000, 0x302000), `stack pages after ${budget}`);
      if (budget === 100) {
        assert.equal(on.c.r[8], 0x8, 'RSP above the line after the final PUSHFQ: low half');
        assert.equal(on.c.r[9], 1, 'RSP above the line after the final PUSHFQ: high half');
      }
    }
  });
});
