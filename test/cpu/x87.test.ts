import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cr0, Seg } from '../../emulator/cpu/state';
import { FpuErrorLine } from '../../emulator/devices/ferr';
import { CODE, Exit, makeCpu, peek, poke, reg, runCode, setReg } from '../support/cpu-harness';

const RAX = 0, RSI = 6;
const MEM = 0x2000;

/** The 80-bit value at a memory address as [sign+exponent, significand hex]. */
function f80At(cpu: ReturnType<typeof makeCpu>, a: number): string {
  const b = peek(cpu, a, 10);
  const h = (k: number): string => b[k].toString(16).padStart(2, '0');
  return `${h(9)}${h(8)}:${[7, 6, 5, 4, 3, 2, 1, 0].map(h).join('')}`;
}

test('fld1, fldpi, faddp and fstp m80 compute 1 + pi in extended precision', () => {
  const cpu = makeCpu();
  setReg(cpu, RSI, BigInt(MEM));
  // fld1; fldpi; faddp; fstp tword [rsi]
  const r = runCode(cpu, [0xd9, 0xe8, 0xd9, 0xeb, 0xde, 0xc1, 0xdb, 0x3e], 4);
  assert.equal(r.exit, Exit.BUDGET);
  // pi = 4000:c90fdaa22168c235; 1 + pi = 4001:8487ed5110b4611a (rounded to nearest-even)
  assert.equal(f80At(cpu, MEM), '4001:8487ed5110b4611a');
  assert.equal(cpu.ftw, 0, 'every register popped');
});

test('CR0.TS=1 or CR0.EM=1 makes an x87 instruction raise #NM; FWAIT raises #NM only with MP=1 and TS=1', () => {
  const cpu = makeCpu();
  cpu.cr0 |= Cr0.TS;
  assert.equal(runCode(cpu, [0xd9, 0xe8]).vector, 7);
  cpu.cr0 = (cpu.cr0 & ~Cr0.TS) | Cr0.EM;
  assert.equal(runCode(cpu, [0xd9, 0xe8]).vector, 7);
  cpu.cr0 = (cpu.cr0 & ~(Cr0.EM | Cr0.MP)) | Cr0.TS;
  assert.equal(runCode(cpu, [0x9b]).exit, Exit.BUDGET, 'FWAIT with MP=0');
  cpu.cr0 |= Cr0.MP;
  assert.equal(runCode(cpu, [0x9b]).vector, 7);
});

test('an unmasked divide-by-zero sets ES and B; the next waiting instruction raises #MF with CR0.NE=1, FNSTSW does not', () => {
  const cpu = makeCpu();
  setReg(cpu, RSI, BigInt(MEM));
  poke(cpu, MEM, [0x7b, 0x03]); // FCW 037B: ZE unmasked
  // fldcw [rsi]; fldz; fld1; fdivrp (1/0 → ZE, result not stored)
  let r = runCode(cpu, [0xd9, 0x2e, 0xd9, 0xee, 0xd9, 0xe8, 0xde, 0xf1], 4);
  assert.equal(r.exit, Exit.BUDGET);
  assert.equal(cpu.fsw & 0x80ff, 0x8084, 'ZE, ES and B');
  r = runCode(cpu, [0xdf, 0xe0]); // fnstsw ax
  assert.equal(r.exit, Exit.BUDGET);
  assert.equal(Number(reg(cpu, RAX) & 0xffffn), cpu.fsw);
  r = runCode(cpu, [0xd9, 0xd0]); // fnop (waiting)
  assert.equal(r.vector, 16);
  assert.equal(cpu.rip, CODE, '#MF is a fault on the waiting instruction');
  assert.equal(runCode(cpu, [0x9b]).vector, 16, 'FWAIT too');
  runCode(cpu, [0xdb, 0xe2]); // fnclex
  assert.equal(cpu.fsw & 0x80ff, 0);
  assert.equal(runCode(cpu, [0x9b]).exit, Exit.BUDGET);
});

test('with CR0.NE=0 a pending x87 error raises IRQ 13 (FERR#) and the instruction proceeds; port F0h drops it (IGNNE#)', () => {
  const cpu = makeCpu();
  cpu.cr0 &= ~Cr0.NE;
  const irq: [number, boolean][] = [];
  const ferr = new FpuErrorLine({ setIrq: (line, level) => irq.push([line, level]) });
  ferr.attach(cpu.bus);
  cpu.ferr = (a) => ferr.ferr(a);
  setReg(cpu, RSI, BigInt(MEM));
  poke(cpu, MEM, [0x7b, 0x03]);
  runCode(cpu, [0xd9, 0x2e, 0xd9, 0xee, 0xd9, 0xe8, 0xde, 0xf1], 4);
  const r = runCode(cpu, [0xd9, 0xe8]); // fld1 (waiting)
  assert.equal(r.exit, Exit.BUDGET);
  assert.deepEqual(irq, [[13, true]]);
  assert.equal((cpu.fsw >>> 11) & 7, 5, 'FLD1 ran (the blocked FDIVRP did not pop)');
  runCode(cpu, [0xb0, 0x00, 0xe6, 0xf0], 2); // mov al, 0; out 0xf0, al
  assert.deepEqual(irq, [[13, true], [13, false]]);
  runCode(cpu, [0x9b]);
  assert.equal(irq.length, 2, 'IGNNE#: no new IRQ 13 until FNCLEX');
  runCode(cpu, [0xdb, 0xe2, 0xd9, 0x2e, 0xd9, 0xe8, 0xd9, 0xee, 0xde, 0xf9, 0x9b], 6); // fnclex … fdivp; fwait
  assert.deepEqual(irq, [[13, true], [13, false], [13, true]]);
});

test('FNSTENV stores the 28-byte (32-bit) and 14-byte (16-bit) protected-mode images and masks exceptions; FLDENV loads them', () => {
  const cpu = makeCpu();
  setReg(cpu, RSI, BigInt(MEM));
  // fld1; fldz; fnstenv [rsi]
  runCode(cpu, [0xd9, 0xe8, 0xd9, 0xee, 0xd9, 0x36], 3);
  const env = peek(cpu, MEM, 28);
  assert.deepEqual(env.slice(0, 12), [0x7f, 0x03, 0xff, 0xff, 0x00, 0x30, 0xff, 0xff, 0xff, 0x1f, 0xff, 0xff], 'FCW, FSW (TOP=6), tags: R6 zero, R7 valid, others empty');
  assert.equal(env[18] | (env[19] << 8), 0x1ee, 'FOP of FLDZ (D9 EE)');
  // 16-bit image: 66 D9 /6
  runCode(cpu, [0x66, 0xd9, 0x36]);
  assert.deepEqual(peek(cpu, MEM, 6), [0x7f, 0x03, 0x00, 0x30, 0xff, 0x1f]);
  // FLDENV from a crafted image: FCW 027F, FSW with TOP=2, all empty
  poke(cpu, MEM, [0x7f, 0x02, 0xff, 0xff, 0x00, 0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  runCode(cpu, [0xd9, 0x26]);
  assert.equal(cpu.fcw, 0x27f);
  assert.equal((cpu.fsw >>> 11) & 7, 2);
  assert.equal(cpu.ftw, 0);
});

test('FNSAVE stores the registers in stack order and reinitialises; FRSTOR restores; FXSAVE agrees on the stack order', () => {
  const cpu = makeCpu();
  setReg(cpu, RSI, BigInt(MEM));
  // fld1; fldpi; fnsave [rsi]; frstor [rsi]; fxsave [rsi+0x100]
  runCode(cpu, [0xd9, 0xe8, 0xd9, 0xeb, 0xdd, 0x36], 3);
  assert.equal(f80At(cpu, MEM + 28), '4000:c90fdaa22168c235', 'ST(0) = pi');
  assert.equal(f80At(cpu, MEM + 38), '3fff:8000000000000000', 'ST(1) = 1');
  assert.equal(cpu.fcw, 0x37f); assert.equal(cpu.ftw, 0); assert.equal(cpu.fsw, 0);
  runCode(cpu, [0xdd, 0x26, 0x0f, 0xae, 0x86, 0x00, 0x01, 0x00, 0x00], 2);
  assert.equal((cpu.fsw >>> 11) & 7, 6);
  assert.equal(f80At(cpu, MEM + 0x100 + 32), '4000:c90fdaa22168c235', 'FXSAVE ST0');
  assert.equal(f80At(cpu, MEM + 0x100 + 48), '3fff:8000000000000000', 'FXSAVE ST1');
  assert.equal(peek(cpu, MEM + 0x100 + 4, 1)[0], 0xc0, 'abridged tags: R6 and R7');
});

test('FNSTENV in real mode stores the real-mode image (20-bit FIP/FDP split, FOP beside FIP[19:16])', () => {
  const cpu = makeCpu();
  cpu.efer = 0; cpu.cr0 = Cr0.ET | Cr0.NE;
  for (let s = 0; s < 6; s++) { cpu.segBase[s] = 0; cpu.segLimit[s] = 0xffff; cpu.segAttr[s] = 0x93; cpu.segSel[s] = 0; }
  cpu.segAttr[Seg.CS] = 0x9b;
  cpu.updateMode();
  cpu.flushTlb();
  setReg(cpu, RSI, BigInt(MEM));
  // fldz; db 66: fnstenv [si] (32-bit image in 16-bit code)
  runCode(cpu, [0xd9, 0xee, 0x66, 0xd9, 0x34], 2);
  const env = peek(cpu, MEM, 28);
  assert.equal(env[12] | (env[13] << 8), CODE, 'FIP[15:0]');
  assert.equal((env[16] | (env[17] << 8)) & 0x7ff, 0x1ee, 'FOP');
});
