import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cr0, Cr4 } from '../../emulator/cpu/state';
import { Exit, makeCpu, peek, poke, reg, rflags, runCode, setReg } from '../support/cpu-harness';

const RSI = 6, RDI = 7, RAX = 0;

function xmm(cpu: ReturnType<typeof makeCpu>, r: number): number[] {
  return Array.from(cpu.xmm.subarray(r * 4, r * 4 + 4), (v) => v >>> 0);
}

test('movdqu load and movaps store copy 16 bytes (struct copy idiom)', () => {
  const cpu = makeCpu();
  const bytes = Array.from({ length: 16 }, (_, k) => k * 3);
  poke(cpu, 0x2003, bytes);
  setReg(cpu, RSI, 0x2003n); setReg(cpu, RDI, 0x3000n);
  // movdqu xmm1, [rsi]; movaps [rdi], xmm1
  const r = runCode(cpu, [0xf3, 0x0f, 0x6f, 0x0e, 0x0f, 0x29, 0x0f], 2);
  assert.equal(r.exit, Exit.BUDGET);
  assert.deepEqual(peek(cpu, 0x3000, 16), bytes);
});

test('movaps from a misaligned address raises #GP(0)', () => {
  const cpu = makeCpu();
  setReg(cpu, RSI, 0x2008n);
  const r = runCode(cpu, [0x0f, 0x28, 0x06]);
  assert.equal(r.exit, Exit.FAULT);
  assert.equal(r.vector, 13);
  assert.equal(r.errorCode, 0);
});

test('SSE raises #UD with CR4.OSFXSR=0 or CR0.EM=1, and #NM with CR0.TS=1', () => {
  const cpu = makeCpu();
  cpu.cr4 &= ~Cr4.OSFXSR;
  assert.equal(runCode(cpu, [0x66, 0x0f, 0xef, 0xc0]).vector, 6);
  cpu.cr4 |= Cr4.OSFXSR;
  cpu.cr0 |= Cr0.EM;
  assert.equal(runCode(cpu, [0x66, 0x0f, 0xef, 0xc0]).vector, 6);
  cpu.cr0 &= ~Cr0.EM;
  cpu.cr0 |= Cr0.TS;
  assert.equal(runCode(cpu, [0x66, 0x0f, 0xef, 0xc0]).vector, 7);
});

test('movq/movd between GPRs and XMM, pxor zeroes, paddq carries', () => {
  const cpu = makeCpu();
  setReg(cpu, RAX, 0x00000001ffffffffn);
  // movq xmm0, rax; movq xmm1, rax; paddq xmm0, xmm1; movq rdx, xmm0
  runCode(cpu, [0x66, 0x48, 0x0f, 0x6e, 0xc0, 0x66, 0x48, 0x0f, 0x6e, 0xc8, 0x66, 0x0f, 0xd4, 0xc1, 0x66, 0x48, 0x0f, 0x7e, 0xc2], 4);
  assert.equal(reg(cpu, 2), 0x00000003fffffffen);
  runCode(cpu, [0x66, 0x0f, 0xef, 0xc0]);
  assert.deepEqual(xmm(cpu, 0), [0, 0, 0, 0]);
});

test('pshufd broadcasts, punpcklbw interleaves, pcmpeqb + pmovmskb finds a zero byte', () => {
  const cpu = makeCpu();
  cpu.xmm.set([0x11111111, 0x22222222, 0x33333333, 0x44444444], 16);
  runCode(cpu, [0x66, 0x0f, 0x70, 0xcc, 0x00]); // pshufd xmm1, xmm4, 0
  assert.deepEqual(xmm(cpu, 1), [0x11111111, 0x11111111, 0x11111111, 0x11111111]);
  cpu.xmm.set([0x04030201, 0, 0, 0], 8);
  cpu.xmm.set([0x0d0c0b0a, 0, 0, 0], 12);
  runCode(cpu, [0x66, 0x0f, 0x60, 0xd3]); // punpcklbw xmm2, xmm3
  assert.deepEqual(xmm(cpu, 2), [0x0b020a01, 0x0d040c03, 0, 0]);
  poke(cpu, 0x2000, [...Buffer.from('abcdefg'), 0, ...Buffer.from('12345678')]);
  setReg(cpu, RSI, 0x2000n);
  // pxor xmm0,xmm0; pcmpeqb xmm0,[rsi]; pmovmskb eax,xmm0
  runCode(cpu, [0x66, 0x0f, 0xef, 0xc0, 0x66, 0x0f, 0x74, 0x06, 0x66, 0x0f, 0xd7, 0xc0], 3);
  assert.equal(reg(cpu, RAX), 0x80n);
});

test('psrldq/pslldq shift bytes; psrlq by immediate shifts qwords', () => {
  const cpu = makeCpu();
  cpu.xmm.set([0x04030201, 0x08070605, 0x0c0b0a09, 0x100f0e0d], 0);
  runCode(cpu, [0x66, 0x0f, 0x73, 0xd8, 0x04]); // psrldq xmm0, 4
  assert.deepEqual(xmm(cpu, 0), [0x08070605, 0x0c0b0a09, 0x100f0e0d, 0]);
  runCode(cpu, [0x66, 0x0f, 0x73, 0xf8, 0x08]); // pslldq xmm0, 8
  assert.deepEqual(xmm(cpu, 0), [0, 0, 0x08070605, 0x0c0b0a09]);
  runCode(cpu, [0x66, 0x0f, 0x73, 0xd0, 0x24]); // psrlq xmm0, 36
  assert.deepEqual(xmm(cpu, 0), [0, 0, 0x00c0b0a0, 0]);
});

test('movss load zeroes the upper lanes, register form merges; addss/ucomiss compute in single precision', () => {
  const cpu = makeCpu();
  const f = new Float32Array([1.5, 2.25]);
  poke(cpu, 0x2000, new Uint8Array(f.buffer));
  cpu.xmm.set([1, 2, 3, 4], 0);
  setReg(cpu, RSI, 0x2000n);
  runCode(cpu, [0xf3, 0x0f, 0x10, 0x06]); // movss xmm0, [rsi]
  assert.deepEqual(xmm(cpu, 0).slice(1), [0, 0, 0]);
  runCode(cpu, [0xf3, 0x0f, 0x58, 0x46, 0x04]); // addss xmm0, [rsi+4]
  assert.equal(new Float32Array(cpu.xmm.buffer, 0, 1)[0], 3.75);
  runCode(cpu, [0x0f, 0x2e, 0x06]); // ucomiss xmm0, [rsi]
  assert.equal(rflags(cpu) & 0x45, 0, 'greater: ZF=PF=CF=0');
});

test('stmxcsr stores the reset MXCSR and ldmxcsr with reserved bits raises #GP', () => {
  const cpu = makeCpu();
  setReg(cpu, RSI, 0x2000n);
  runCode(cpu, [0x0f, 0xae, 0x1e]);
  assert.deepEqual(peek(cpu, 0x2000, 4), [0x80, 0x1f, 0, 0]);
  poke(cpu, 0x2000, [0, 0, 1, 0]);
  assert.equal(runCode(cpu, [0x0f, 0xae, 0x16]).vector, 13);
});

test('MXCSR in the arithmetic: RC rounds 1/3 down and up, and the flags ZE (1/0), IE (0/0), PE, OE and UE (with FTZ) are set', () => {
  const cpu = makeCpu();
  const f32 = (r: number): number => new Float32Array(cpu.xmm.buffer, r * 16, 1)[0];
  const div = (a: number, b: number, mxcsr: number): number => {
    cpu.mxcsr = mxcsr;
    new Float32Array(cpu.xmm.buffer, 0, 1)[0] = a;
    new Float32Array(cpu.xmm.buffer, 16, 1)[0] = b;
    runCode(cpu, [0xf3, 0x0f, 0x5e, 0xc1]); // divss xmm0, xmm1
    return cpu.mxcsr & 0x3f;
  };
  assert.equal(div(1, 3, 0x1f80 | (1 << 13)), 0x20, 'inexact');
  const down = f32(0);
  assert.equal(div(1, 3, 0x1f80 | (2 << 13)), 0x20);
  const up = f32(0);
  assert.equal(new Int32Array(new Float32Array([up]).buffer)[0] - new Int32Array(new Float32Array([down]).buffer)[0], 1, 'one ulp apart');
  assert.ok(down < 1 / 3 && up > 1 / 3);
  assert.equal(div(1, 0, 0x1f80), 0x04, 'ZE');
  assert.equal(f32(0), Infinity);
  assert.equal(div(0, 0, 0x1f80), 0x01, 'IE');
  assert.equal(div(3e38, 0.5, 0x1f80), 0x28, 'OE|PE');
  assert.equal(f32(0), Infinity);
  assert.equal(div(3e38, 0.5, 0x1f80 | (3 << 13)), 0x28, 'OE|PE toward zero');
  assert.equal(f32(0), 3.4028234663852886e38, 'the largest finite value');
  assert.equal(div(1e-37, 1e3, 0x1f80 | 0x8000), 0x30, 'UE|PE with FTZ');
  assert.equal(f32(0), 0);
  assert.equal(div(6, 3, 0x1f80 | 0x3f), 0x3f, 'flags are sticky');
});

test('ADDSD and DPPD round a denormal beside a huge addend in the MXCSR direction (found by the host-CPU fuzzer)', () => {
  const cpu = makeCpu();
  const bits = (r: number): string => (BigInt(cpu.xmm[r * 4 + 1] >>> 0) << 32n | BigInt(cpu.xmm[r * 4] >>> 0)).toString(16);
  const put = (r: number, lane: number, v: bigint): void => { cpu.xmm[r * 4 + 2 * lane] = Number(v & 0xffffffffn) | 0; cpu.xmm[r * 4 + 2 * lane + 1] = Number(v >> 32n) | 0; };
  const addsd = (a: bigint, b: bigint, rc: number): string => {
    cpu.mxcsr = 0x1f80 | (rc << 13);
    put(0, 0, a); put(1, 0, b);
    runCode(cpu, [0xf2, 0x0f, 0x58, 0xc1]); // addsd xmm0, xmm1
    return bits(0);
  };
  const NEG_MAX = 0xffefffffffffffffn, MAX = 0x7fefffffffffffffn, DENORM = 1n, NEG_DENORM = 0x8000000000000001n;
  // -DBL_MAX + 2^-1074: rounded up (toward +inf) it is one ulp less negative; to nearest or down it stays -DBL_MAX
  assert.equal(addsd(NEG_MAX, DENORM, 2), 'ffeffffffffffffe');
  assert.equal(addsd(NEG_MAX, DENORM, 0), 'ffefffffffffffff');
  assert.equal(addsd(NEG_MAX, DENORM, 1), 'ffefffffffffffff');
  assert.equal(addsd(NEG_MAX, DENORM, 3), 'ffeffffffffffffe', 'toward zero');
  assert.equal(addsd(MAX, NEG_DENORM, 1), '7feffffffffffffe');
  assert.equal(addsd(MAX, NEG_DENORM, 2), '7fefffffffffffff');
  assert.equal(cpu.mxcsr & 0x3f, 0x22, 'DE (a denormal operand) and PE, no overflow');
  // The fuzzer's case: DPPD xmm0, xmm1, 0x31 under round-up. Lane 0's product overflows negatively (-DBL_MAX when
  // rounding up), lane 1's underflows to +2^-1074 (rounding up); their sum rounds up to -DBL_MAX + 1 ulp.
  cpu.mxcsr = 0x1f80 | (2 << 13);
  put(0, 0, 0x7fea48684ea1aa50n); put(0, 1, 0x83504ffc00000000n);
  put(1, 0, 0xc1110eb900000000n); put(1, 1, 0x803e873000000000n);
  runCode(cpu, [0x66, 0x0f, 0x3a, 0x41, 0xc1, 0x31]);
  assert.equal(bits(0), 'ffeffffffffffffe');
});
