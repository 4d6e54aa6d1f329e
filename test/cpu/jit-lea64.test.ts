import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Exit } from '../../emulator/cpu/cpu';
import { CODE as AT, sameWithAndWithoutTranslation } from '../support/cpu-harness';

/**
 * LEA with 64-bit addressing, which the translator computes in 32-bit halves (jit-integer.ts lea): carries out
 * of the low half, negative displacements, scaled indexes whose high bits shift into the high half, and 32-bit
 * destinations (zero-extended), for register values at the edges of both halves. Each result is checked against
 * a BigInt computation of the SDM's definition and against the interpreter.
 */
const CODE = [
  0x48, 0x8d, 0x44, 0xcb, 0xff, //             lea rax, [rbx + rcx*8 - 1]
  0x48, 0x8d, 0x93, 0xff, 0xff, 0xff, 0x7f, // lea rdx, [rbx + 0x7fffffff]
  0x8d, 0x74, 0x8b, 0x10, //                   lea esi, [rbx + rcx*4 + 0x10]
  0x48, 0x8d, 0x3c, 0x4d, 0x00, 0x00, 0x00, 0x80, // lea rdi, [rcx*2 - 0x80000000]
  0x4c, 0x8d, 0x04, 0x0b, //                   lea r8, [rbx + rcx]
  0x44, 0x8d, 0x49, 0xfb, //                   lea r9d, [rcx - 5]
  0x4c, 0x8d, 0x54, 0x0b, 0xf0, //             lea r10, [rbx + rcx - 0x10]
  0xf4, //                                      hlt
];

const M64 = (1n << 64n) - 1n;
const VALUES = [0n, 1n, 0xffffffffn, 0x100000000n, 0x7fffffffn, 0x80000000n, 0xfffffffffffffff0n, M64, 0x8000000000000000n,
  0x7fffffffffffffffn, 0x1fffffffn, 0xe0000000n, 0x123456789abcdef0n, 0xffff800000000000n];

function reg64(r: Int32Array, g: number): bigint {
  return (BigInt(r[2 * g + 1] >>> 0) << 32n) | BigInt(r[2 * g] >>> 0);
}

describe('LEA with 64-bit addressing in translated code', () => {
  it('gives the SDM\'s 64-bit (or zero-extended 32-bit) effective address and the interpreter\'s registers for edge values', () => {
    let cases = 0;
    for (const rbx of VALUES) {
      for (const rcx of VALUES) {
        const setup = (c: Parameters<NonNullable<Parameters<typeof sameWithAndWithoutTranslation>[2]>>[0]): void => {
          c.jitThreshold = 1;
          c.setReg64(3, Number(rbx & 0xffffffffn) | 0, Number(rbx >> 32n) | 0);
          c.setReg64(1, Number(rcx & 0xffffffffn) | 0, Number(rcx >> 32n) | 0);
        };
        const { on } = sameWithAndWithoutTranslation(CODE, 100, setup);
        assert.equal(on.exits[on.exits.length - 1], Exit.HALT);
        const r = on.c.r;
        const at = `rbx=${rbx.toString(16)} rcx=${rcx.toString(16)}`;
        assert.equal(reg64(r, 0), (rbx + rcx * 8n - 1n) & M64, `lea rax ${at}`);
        assert.equal(reg64(r, 2), (rbx + 0x7fffffffn) & M64, `lea rdx ${at}`);
        assert.equal(reg64(r, 6), (rbx + rcx * 4n + 0x10n) & 0xffffffffn, `lea esi ${at}`);
        assert.equal(reg64(r, 7), (rcx * 2n - 0x80000000n) & M64, `lea rdi ${at}`);
        assert.equal(reg64(r, 8), (rbx + rcx) & M64, `lea r8 ${at}`);
        assert.equal(reg64(r, 9), (rcx - 5n) & 0xffffffffn, `lea r9d ${at}`);
        assert.equal(reg64(r, 10), (rbx + rcx - 0x10n) & M64, `lea r10 ${at}`);
        cases++;
      }
    }
    assert.equal(cases, VALUES.length ** 2);
  });

  it('RIP-relative: RIP plus a signed 32-bit displacement, wrapping below 0 to the top of the 64-bit space', () => {
    const code = [
      0x4c, 0x8d, 0x1d, 0x00, 0x00, 0x00, 0x80, // lea r11, [rip - 0x80000000]
      0x44, 0x8d, 0x25, 0xf0, 0xff, 0xff, 0x7f, // lea r12d, [rip + 0x7ffffff0]
      0x4c, 0x8d, 0x2d, 0xf0, 0xff, 0xff, 0xff, // lea r13, [rip - 0x10]
      0xf4, //                                    hlt
    ];
    const { on } = sameWithAndWithoutTranslation(code, 100, (c) => { c.jitThreshold = 1; });
    assert.equal(on.exits[on.exits.length - 1], Exit.HALT);
    const rip = (k: number): bigint => BigInt(AT + 7 * (k + 1));
    assert.equal(reg64(on.c.r, 11), (rip(0) - 0x80000000n) & M64);
    assert.equal(reg64(on.c.r, 12), (rip(1) + 0x7ffffff0n) & 0xffffffffn);
    assert.equal(reg64(on.c.r, 13), rip(2) - 0x10n);
  });
});
