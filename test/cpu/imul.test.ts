import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reg, rflags, runSnippet, setReg } from '../support/cpu-harness';

/**
 * Two-operand IMUL r32/r64 (0F AF): the product truncated to the operand size, CF = OF = 1 exactly when the
 * truncation lost significant bits (SDM IMUL). The 32-bit form and the 64-bit form with sign-extended 32-bit
 * operands take BigInt-free paths; every case is checked against BigInt arithmetic.
 */

const VALUES: bigint[] = [0n, 1n, -1n, 2n, 3n, -7n, 0x7fffffffn, -0x80000000n, 0xffffn, 0x10000n, -0x10000n, 46340n, 46341n,
  -46341n, 0x12345678n, -0x12345678n, 0x7fffffffffffffffn, -0x8000000000000000n, 0x100000000n, 0x1020304050608n,
  0x0001010101010101n, 0xfefefefefefefeffn - (1n << 64n), 3037000499n, 3037000500n, -3037000500n];

test('IMUL r32, r/m32 and r64, r/m64: truncated product and CF/OF match exact arithmetic', () => {
  for (const size of [4, 8]) {
    const bits = BigInt(size * 8);
    // imul eax, ebx | imul rax, rbx
    const code = size === 4 ? [0x0f, 0xaf, 0xc3] : [0x48, 0x0f, 0xaf, 0xc3];
    for (const a0 of VALUES) {
      for (const b0 of VALUES) {
        const a = BigInt.asIntN(Number(bits), a0), b = BigInt.asIntN(Number(bits), b0);
        const p = a * b;
        const t = BigInt.asIntN(Number(bits), p);
        for (const jit of [false, true]) {
          const r = runSnippet(code, jit, 1, (c) => { setReg(c, 0, BigInt.asUintN(64, a)); setReg(c, 3, BigInt.asUintN(64, b)); });
          const what = `${size * 8}-bit ${a} * ${b} (${jit ? 'translated' : 'interpreted'})`;
          assert.equal(reg(r.c, 0), BigInt.asUintN(size === 4 ? 32 : 64, t), what);
          const ovf = t !== p;
          assert.equal((rflags(r.c) & 0x801) !== 0, ovf, `CF/OF ${what}`);
          assert.equal(rflags(r.c) & 0x801, ovf ? 0x801 : 0, `CF = OF ${what}`);
        }
      }
    }
  }
});
