import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reg, runSnippet, sameWithAndWithoutTranslation, setReg } from '../support/cpu-harness';

/**
 * LEA with 64-bit addressing is 64-bit arithmetic: base + index × scale + displacement modulo 2^64 for every
 * register value, not only canonical addresses. Linux's word-at-a-time string code (strscpy, strlen) computes
 * `lea r8, [rsi + r11]` with r11 = 0xfefefefefefefeff; a wrong sum there made strscpy_pad pad past the buffer.
 */

const M64 = (1n << 64n) - 1n;
const RBX = 3, RCX = 1, RAX = 0;

// lea rax, [rbx + rcx*8 + 0x12345678]; lea rdx, [rbx + rcx*1 - 1]; lea esi, [rbx + rcx*2 + 5]; lea rdi, [ecx + ebx*4 - 8] (67 prefix)
const CODE = [
  0x48, 0x8d, 0x84, 0xcb, 0x78, 0x56, 0x34, 0x12,
  0x48, 0x8d, 0x54, 0x0b, 0xff,
  0x8d, 0x74, 0x4b, 0x05,
  0x67, 0x48, 0x8d, 0x7c, 0x99, 0xf8,
];

function expected(b: bigint, x: bigint) {
  return {
    rax: (b + x * 8n + 0x12345678n) & M64,
    rdx: (b + x - 1n) & M64,
    rsi: (b + x * 2n + 5n) & 0xffffffffn,
    rdi: (((x & 0xffffffffn) + (b & 0xffffffffn) * 4n - 8n) & 0xffffffffn),
  };
}

const VALUES = [0n, 1n, 0x7fffffffn, 0xfefefefefefefeffn, 0x8080808080808080n, 0xffff888004400000n, 0x0000800000000000n,
  0xffffffffffffffffn, 0x1234_5678_9abc_def0n, 0x0010_0000_0000_0000n, 0x7fff_ffff_ffff_fff0n, 0xfff0_0000_0000_0001n];

test('LEA r64 computes base + index*scale + disp modulo 2^64 for any register values, interpreted and translated', () => {
  for (const b of VALUES) {
    for (const x of VALUES) {
      const setup = (c: Parameters<typeof setReg>[0]) => { setReg(c, RBX, b); setReg(c, RCX, x); };
      const { off } = sameWithAndWithoutTranslation(CODE, 4, setup);
      const e = expected(b, x);
      const what = `rbx=${b.toString(16)} rcx=${x.toString(16)}`;
      assert.equal(reg(off.c, RAX), e.rax, `rax ${what}`);
      assert.equal(reg(off.c, 2), e.rdx, `rdx ${what}`);
      assert.equal(reg(off.c, 6), e.rsi, `esi ${what}`);
      assert.equal(reg(off.c, 7), e.rdi, `edi (32-bit addressing) ${what}`);
    }
  }
});

test("Linux's word-at-a-time zero-byte index (strscpy's find_zero) is the position of the first NUL byte", () => {
  // mov r11, 0xfefefefefefefeff; mov rdi, 0x8080808080808080; mov rcx, rsi; lea r8, [rsi+r11]; not rcx;
  // and rcx, r8; and rcx, rdi; lea rdx, [rcx-1]; not rcx; and rdx, rcx; mov rcx, 0x1020304050608;
  // shr rdx, 7; and rsi, rdx; imul rdx, rcx; shr rdx, 56
  const code = [0x49, 0xbb, 0xff, 0xfe, 0xfe, 0xfe, 0xfe, 0xfe, 0xfe, 0xfe, 0x48, 0xbf, 0x80, 0x80, 0x80, 0x80, 0x80,
    0x80, 0x80, 0x80, 0x48, 0x89, 0xf1, 0x4e, 0x8d, 0x04, 0x1e, 0x48, 0xf7, 0xd1, 0x4c, 0x21, 0xc1, 0x48, 0x21, 0xf9,
    0x48, 0x8d, 0x51, 0xff, 0x48, 0xf7, 0xd1, 0x48, 0x21, 0xca, 0x48, 0xb9, 0x08, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,
    0x00, 0x48, 0xc1, 0xea, 0x07, 0x48, 0x21, 0xd6, 0x48, 0x0f, 0xaf, 0xd1, 0x48, 0xc1, 0xea, 0x38];
  for (const jit of [false, true]) {
    for (let nul = 0; nul < 8; nul++) {
      let word = 0n;
      for (let k = 7; k >= 0; k--) word = (word << 8n) | BigInt(k < nul ? 0x61 + k : 0);
      const r = runSnippet(code, jit, 15, (c) => setReg(c, 6, word));
      assert.equal(reg(r.c, 2), BigInt(nul), `first NUL at byte ${nul} (${jit ? 'translated' : 'interpreted'})`);
    }
  }
});
