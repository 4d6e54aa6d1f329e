import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cr0 } from '../../emulator/cpu/state';
import { Exit, makeCpu, peek, poke, reg, runCode, setReg } from '../support/cpu-harness';

const RAX = 0, RDX = 2, RSI = 6;

test('movq rax→mm0→memory and memory→mm1→rdx round-trip 64 bits; the x87 register exponent becomes all ones', () => {
  const cpu = makeCpu();
  setReg(cpu, RAX, 0x0102030405060708n);
  setReg(cpu, RSI, 0x2000n);
  // movq mm0, rax; movq [rsi], mm0; movq mm1, [rsi]; movq rdx, mm1
  const r = runCode(cpu, [0x48, 0x0f, 0x6e, 0xc0, 0x0f, 0x7f, 0x06, 0x0f, 0x6f, 0x0e, 0x48, 0x0f, 0x7e, 0xca], 4);
  assert.equal(r.exit, Exit.BUDGET);
  assert.deepEqual(peek(cpu, 0x2000, 8), [8, 7, 6, 5, 4, 3, 2, 1]);
  assert.equal(reg(cpu, RDX), 0x0102030405060708n);
  assert.deepEqual(Array.from(cpu.fpuRegs.subarray(0, 10)), [8, 7, 6, 5, 4, 3, 2, 1, 0xff, 0xff]);
});

test('an MMX instruction sets TOP to 0 (MMi becomes ST(i)) and tags every register valid; EMMS empties the tags', () => {
  const cpu = makeCpu();
  cpu.fsw = 3 << 11; // TOP = 3: MM0 is R0 = ST(5) (fpuRegs holds the physical registers R0-R7)
  cpu.fpuRegs[0] = 0x5a;
  setReg(cpu, RAX, 0n);
  runCode(cpu, [0x0f, 0x7e, 0xc0]); // movd eax, mm0
  assert.equal(reg(cpu, RAX), 0x5an);
  assert.equal((cpu.fsw >>> 11) & 7, 0);
  assert.equal(cpu.fpuRegs[0], 0x5a);
  assert.equal(cpu.ftw, 0xff);
  runCode(cpu, [0x0f, 0x77]); // emms
  assert.equal(cpu.ftw, 0);
});

test('paddd, punpckhbw and pxor on MMX registers work on 64 bits', () => {
  const cpu = makeCpu();
  poke(cpu, 0x2000, [1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7]);
  setReg(cpu, RSI, 0x2000n);
  // movq mm2, [rsi]; paddd mm2, [rsi]; movq rax, mm2
  runCode(cpu, [0x0f, 0x6f, 0x16, 0x0f, 0xfe, 0x16, 0x48, 0x0f, 0x7e, 0xd0], 3);
  assert.equal(reg(cpu, RAX), 0xfffffffe00000002n);
  // movq mm3, [rsi+8]; punpckhbw mm2, mm3; movq rax, mm2
  runCode(cpu, [0x0f, 0x6f, 0x5e, 0x08, 0x0f, 0x68, 0xd3, 0x48, 0x0f, 0x7e, 0xd0], 3);
  assert.equal(reg(cpu, RAX), 0xa7ffa6ffa5ffa4fen);
  runCode(cpu, [0x0f, 0xef, 0xd2, 0x48, 0x0f, 0x7e, 0xd0], 2); // pxor mm2, mm2; movq rax, mm2
  assert.equal(reg(cpu, RAX), 0n);
});

test('MMX raises #UD with CR0.EM=1, #NM with CR0.TS=1, #MF with an x87 exception pending', () => {
  const cpu = makeCpu();
  cpu.cr0 |= Cr0.EM;
  assert.equal(runCode(cpu, [0x0f, 0x6f, 0xc1]).vector, 6);
  cpu.cr0 &= ~Cr0.EM;
  cpu.cr0 |= Cr0.TS;
  assert.equal(runCode(cpu, [0x0f, 0x6f, 0xc1]).vector, 7);
  cpu.cr0 &= ~Cr0.TS;
  cpu.fsw = 0x81; // ES + IE
  assert.equal(runCode(cpu, [0x0f, 0x6f, 0xc1]).vector, 16);
  assert.equal(runCode(cpu, [0x0f, 0x6c, 0xc1]).vector, 6); // punpcklqdq has no MMX form
});
