import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Attr, Cr0, Cr4, Seg } from '../../emulator/cpu/state';
import { enablePaging, Exit, makeCpu, makeRealModeCpu, peek, poke, reg, runCode, setReg } from '../support/cpu-harness';

/**
 * AVX state and the VEX rules (SDM Vol. 2 §2.3, Table 2-18; Vol. 1 §13-14): what the host-CPU differential test
 * (avx-diff.test.ts) cannot provoke from user mode: CR0/CR4/XCR0 conditions, prefixes before VEX, real mode,
 * 32-bit LES/LDS, faults in the second half of a 256-bit operand, XSAVE/XRSTOR of the YMM state.
 */
type Cpu = ReturnType<typeof makeCpu>;
const RAX = 0, RCX = 1, RDX = 2, RSI = 6;
const MEM = 0x2000;

function avxCpu(): Cpu {
  const c = makeCpu();
  c.xcr0 = 7;
  setReg(c, RSI, BigInt(MEM));
  return c;
}
function vector(code: number[], setup?: (c: Cpu) => void): number {
  const c = avxCpu();
  setup?.(c);
  const r = runCode(c, code);
  return r.exit === Exit.FAULT ? r.vector : -1;
}
const VADDPS_YMM = [0xc5, 0xf4, 0x58, 0xc2]; // vaddps ymm0, ymm1, ymm2

test('VEX: #UD without CR4.OSXSAVE or with XCR0.YMM/SSE clear, #NM with CR0.TS; CR0.EM is not checked (SDM Table 2-18: legacy SSE only)', () => {
  assert.equal(vector(VADDPS_YMM), -1);
  assert.equal(vector(VADDPS_YMM, (c) => { c.cr4 &= ~Cr4.OSXSAVE; }), 6);
  assert.equal(vector(VADDPS_YMM, (c) => { c.xcr0 = 3; }), 6);
  assert.equal(vector(VADDPS_YMM, (c) => { c.xcr0 = 1; }), 6);
  assert.equal(vector(VADDPS_YMM, (c) => { c.cr0 |= Cr0.TS; }), 7);
  assert.equal(vector(VADDPS_YMM, (c) => { c.cr0 |= Cr0.EM; }), -1);
  assert.equal(vector(VADDPS_YMM, (c) => { c.cr4 &= ~Cr4.OSFXSR; }), -1, 'CR4.OSFXSR governs legacy SSE only');
});

test('VEX: a 66/F2/F3/LOCK or REX prefix before VEX, map 0 or 4, vvvv != 1111b without a vvvv operand, VEX.W1 where W0 is required, VEX.256 integer forms (AVX2) are #UD', () => {
  for (const p of [0x66, 0xf2, 0xf3, 0xf0, 0x40, 0x48]) assert.equal(vector([p, ...VADDPS_YMM]), 6, `prefix ${p.toString(16)}`);
  assert.equal(vector([0xc4, 0xe0, 0x74, 0x58, 0xc2]), 6, 'map 0');
  assert.equal(vector([0xc4, 0xe4, 0x74, 0x58, 0xc2]), 6, 'map 4');
  assert.equal(vector([0xc5, 0xf8, 0x51, 0xc1]), -1, 'vsqrtps xmm0, xmm1');
  assert.equal(vector([0xc5, 0xf0, 0x51, 0xc1]), 6, 'vsqrtps with vvvv = 1');
  assert.equal(vector([0xc4, 0xe2, 0x79, 0x0c, 0xc1]), -1, 'vpermilps W0');
  assert.equal(vector([0xc4, 0xe2, 0xf9, 0x0c, 0xc1]), 6, 'vpermilps W1');
  assert.equal(vector([0xc5, 0xf9, 0xfc, 0xc2]), -1, 'vpaddb xmm');
  assert.equal(vector([0xc5, 0xfd, 0xfc, 0xc2]), 6, 'vpaddb ymm is AVX2');
  assert.equal(vector([0xc4, 0xe2, 0x7d, 0x18, 0xc1]), 6, 'vbroadcastss from a register is AVX2');
  assert.equal(vector([0xc4, 0xe3, 0x75, 0x18, 0xc2, 0x01]), -1, 'vinsertf128');
  assert.equal(vector([0xc4, 0xe3, 0x71, 0x18, 0xc2, 0x01]), 6, 'vinsertf128 with VEX.L=0');
  assert.equal(vector([0xc5, 0xf8, 0x58, 0xc2]), -1, 'vaddps xmm0, xmm0, xmm2 (NP)');
  assert.equal(vector([0xc5, 0xf8, 0xfc, 0xc2]), 6, 'vpaddb without 66 (no MMX form under VEX)');
});

test('VEX is #UD in real-address mode; in 32-bit mode C4/C5 with ModRM.mod != 11b are LES/LDS', () => {
  const rm = makeRealModeCpu();
  rm.cr4 |= Cr4.OSXSAVE; rm.xcr0 = 7;
  assert.equal(runCode(rm, [0xc5, 0xf8, 0x57, 0xc0]).vector, 6);
  const c = avxCpu();
  c.efer = 0;
  c.segAttr[Seg.CS] = 0xb | Attr.S | Attr.P | Attr.DB | Attr.G;
  c.updateMode();
  c.flushTlb();
  c.ymmHi.fill(-1);
  // vxorps ymm0, ymm0, ymm0 (mod = 11b: VEX) clears YMM0; only YMM0-7 exist, VZEROUPPER clears those
  assert.equal(runCode(c, [0xc5, 0xfc, 0x57, 0xc0]).exit, Exit.BUDGET);
  assert.deepEqual([...c.xmm.subarray(0, 4), ...c.ymmHi.subarray(0, 4)], [0, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal(runCode(c, [0xc5, 0xf8, 0x77]).exit, Exit.BUDGET);
  assert.ok(c.ymmHi.subarray(0, 32).every((v) => v === 0) && c.ymmHi.subarray(32).every((v) => v === -1), 'YMM8-15 untouched');
  // lds eax, [esi]: the far pointer 0000:12345678 (a null selector loads into DS)
  poke(c, MEM, [0x78, 0x56, 0x34, 0x12, 0x00, 0x00]);
  setReg(c, RSI, BigInt(MEM));
  assert.equal(runCode(c, [0xc5, 0x06]).exit, Exit.BUDGET);
  assert.equal(reg(c, RAX) & 0xffffffffn, 0x12345678n);
  assert.equal(c.segSel[Seg.DS], 0);
});

test('VEX.128 zeroes bits 255:128 of the destination, legacy SSE leaves them; VZEROUPPER/VZEROALL', () => {
  const c = avxCpu();
  c.ymmHi.fill(0x11);
  c.xmm.set([0x3f800000, 0x3f800000, 0x3f800000, 0x3f800000], 4); // xmm1 = 1.0
  assert.equal(runCode(c, [0x0f, 0x58, 0xc1]).exit, Exit.BUDGET); // addps xmm0, xmm1
  assert.deepEqual([...c.ymmHi.subarray(0, 4)], [0x11, 0x11, 0x11, 0x11]);
  assert.equal(runCode(c, [0xc5, 0xe8, 0x58, 0xc1]).exit, Exit.BUDGET); // vaddps xmm0, xmm2, xmm1
  assert.deepEqual([...c.ymmHi.subarray(0, 8)], [0, 0, 0, 0, 0x11, 0x11, 0x11, 0x11]);
  // vaddss xmm3, xmm2, xmm1 with VEX.L=1 (LIG): a scalar result, the upper half still zeroed
  assert.equal(runCode(c, [0xc5, 0xee, 0x58, 0xd9]).exit, Exit.BUDGET);
  assert.deepEqual([...c.ymmHi.subarray(12, 16)], [0, 0, 0, 0]);
  c.xmm.fill(5);
  assert.equal(runCode(c, [0xc5, 0xf8, 0x77]).exit, Exit.BUDGET); // vzeroupper
  assert.ok(c.ymmHi.every((v) => v === 0) && c.xmm.every((v) => v === 5));
  c.ymmHi.fill(3);
  assert.equal(runCode(c, [0xc5, 0xfc, 0x77]).exit, Exit.BUDGET); // vzeroall
  assert.ok(c.ymmHi.every((v) => v === 0) && c.xmm.every((v) => v === 0));
});

test('VEX alignment: only VMOVAPS/APD/DQA/NTxx check it, on the whole 32-byte operand; other memory operands may be misaligned', () => {
  const at = (off: number) => (c: Cpu): void => { setReg(c, RSI, BigInt(MEM + off)); };
  assert.equal(vector([0xc5, 0xfc, 0x28, 0x06], at(0)), -1, 'vmovaps ymm0, [rsi] aligned');
  assert.equal(vector([0xc5, 0xfc, 0x28, 0x06], at(16)), 13, 'vmovaps ymm 16-byte aligned only');
  assert.equal(vector([0xc5, 0xf8, 0x28, 0x06], at(16)), -1, 'vmovaps xmm 16-byte aligned');
  assert.equal(vector([0xc5, 0xf4, 0x58, 0x06], at(4)), -1, 'vaddps ymm0, ymm1, [rsi+4]');
  assert.equal(vector([0xc4, 0xe3, 0x79, 0x0f, 0x06, 0x03], at(3)), -1, 'vpalignr xmm m128 misaligned');
  assert.equal(vector([0xc5, 0xfd, 0xe7, 0x06], at(8)), 13, 'vmovntdq misaligned');
});

test('a fault in the second half of a 256-bit operand changes neither the destination register nor memory', () => {
  const c = avxCpu();
  const map = enablePaging(c);
  map(0x40000000n, 0x300000); // la 0x40001000 stays unmapped
  const la = 0x40000ff0;
  c.xmm.fill(7); c.ymmHi.fill(7);
  setReg(c, RSI, BigInt(la));
  for (const code of [[0xc5, 0xfc, 0x10, 0x06], [0xc5, 0xf4, 0x58, 0x06], [0xc5, 0xf5, 0xc6, 0x06, 0x1b], [0xc4, 0xe2, 0x7d, 0x17, 0x06]]) {
    const r = runCode(c, code);
    assert.equal(r.vector, 14, code.map((b) => b.toString(16)).join(' '));
    assert.ok(c.xmm.every((v) => v === 7) && c.ymmHi.every((v) => v === 7), 'registers unchanged');
  }
  c.mem.u8.fill(0xaa, 0x300ff0, 0x301000);
  assert.equal(runCode(c, [0xc5, 0xfc, 0x11, 0x06]).vector, 14, 'vmovups [rsi], ymm0');
  assert.ok(peek(c, 0x300ff0, 16).every((b) => b === 0xaa), 'nothing written');
  // VMASKMOVPS: masked-off elements in the unmapped page do not fault
  c.xmm.fill(-1); c.ymmHi.fill(0);
  assert.equal(runCode(c, [0xc4, 0xe2, 0x7d, 0x2c, 0x06]).exit, Exit.BUDGET, 'vmaskmovps ymm0, ymm0, [rsi]');
});

test('XSAVE/XRSTOR save and restore the YMM upper halves (component 2 at offset 576); XRSTOR with XSTATE_BV[2]=0 initialises them', () => {
  const c = avxCpu();
  for (let k = 0; k < 64; k++) c.ymmHi[k] = k * 0x01010101;
  setReg(c, RAX, 7n); setReg(c, RDX, 0n);
  c.mem.u8.fill(0, MEM, MEM + 1024);
  assert.equal(runCode(c, [0x0f, 0xae, 0x26]).exit, Exit.BUDGET); // xsave [rsi]
  assert.deepEqual(peek(c, MEM + 576 + 16, 4), [4, 4, 4, 4], 'YMM1 bits 159:128');
  assert.equal(peek(c, MEM + 512, 1)[0] & 4, 4, 'XSTATE_BV[2]');
  c.ymmHi.fill(0);
  assert.equal(runCode(c, [0x0f, 0xae, 0x2e]).exit, Exit.BUDGET); // xrstor [rsi]
  assert.equal(c.ymmHi[63], 63 * 0x01010101);
  c.mem.u8[MEM + 512] &= ~4;
  assert.equal(runCode(c, [0x0f, 0xae, 0x2e]).exit, Exit.BUDGET);
  assert.ok(c.ymmHi.every((v) => v === 0));
});

test('XCR0: XSETBV accepts x87|SSE|AVX, rejects AVX without SSE; CPUID.01H:ECX.OSXSAVE mirrors CR4.OSXSAVE and AVX is reported', () => {
  const c = avxCpu();
  c.xcr0 = 1;
  setReg(c, RCX, 0n); setReg(c, RDX, 0n); setReg(c, RAX, 5n);
  assert.equal(runCode(c, [0x0f, 0x01, 0xd1]).vector, 13, 'XCR0 = x87|AVX');
  setReg(c, RAX, 7n);
  assert.equal(runCode(c, [0x0f, 0x01, 0xd1]).exit, Exit.BUDGET);
  assert.equal(c.xcr0, 7);
  setReg(c, RAX, 1n);
  assert.equal(runCode(c, [0x0f, 0xa2]).exit, Exit.BUDGET);
  assert.equal((reg(c, RCX) >> 27n) & 1n, 1n, 'OSXSAVE');
  assert.equal((reg(c, RCX) >> 28n) & 1n, 1n, 'AVX');
  c.cr4 &= ~Cr4.OSXSAVE;
  setReg(c, RAX, 1n);
  runCode(c, [0x0f, 0xa2]);
  assert.equal((reg(c, RCX) >> 27n) & 1n, 0n, 'OSXSAVE clear with CR4.OSXSAVE clear');
});
