// Real-address mode and 16-bit code at the CPU level: the reset state, IVT delivery and IRET, interrupt
// shadows, HLT, A20, big real mode, 16-bit addressing and the prefixes that switch sizes, BCD ops. Expected
// values come from the SDM's pseudocode (section named in each test); the realmode-ops fixture checks the same
// behaviours end to end against QEMU's serial output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Cpu } from '../../emulator/cpu/cpu';
import { EventKind, deliver } from '../../emulator/cpu/exceptions';
import { resetCpu } from '../../emulator/cpu/reset';
import { Seg } from '../../emulator/cpu/state';
import { cpuModel } from '../../emulator/cpu/system';
import { CODE, Exit, makeCpu, makeRealModeCpu, peek, poke, reg, rflags, runCode, sameWithAndWithoutTranslation, setFlags, setReg } from '../support/cpu-harness';

const AX = 0, CX = 1, DX = 2, BX = 3, SP = 4, BP = 5, SI = 6;

test('RESET: CS=F000h with base FFFF0000h and IP=FFF0h, so the first fetch is at FFFFFFF0h (SDM §9.1.4)', () => {
  const c = makeCpu();
  resetCpu(c);
  assert.equal(c.modeName(), 'real');
  assert.equal(c.segSel[Seg.CS], 0xf000);
  assert.equal(c.segBase[Seg.CS], 0xffff0000);
  assert.equal(c.rip, 0xfff0);
  assert.equal(c.codeLinear(), 0xfffffff0);
  assert.equal(c.codeSize, 2);
  assert.equal(c.stackSize, 2);
  assert.equal(c.idtrLimit, 0xffff);
  assert.equal(c.cr0 >>> 0, 0x60000010);
  assert.equal(reg(c, DX), BigInt(cpuModel.current.signature), 'EDX holds the CPUID signature');
  assert.equal(c.a20, true);
});

test('INT n in real mode: FLAGS, CS, IP pushed as words, CS:IP from the IVT, IF/TF cleared (SDM INT n, real-address mode)', () => {
  const c = makeRealModeCpu();
  poke(c, 0x21 * 4, [0x34, 0x12, 0x00, 0x20]); // IVT[21h] = 2000:1234
  c.segSel[Seg.CS] = 0x0100; c.segBase[Seg.CS] = 0x1000; c.rip = 0x0042;
  setFlags(c, 0x0202 | 0x100);
  deliver(c, 0x21, -1, EventKind.SOFTWARE);
  assert.equal(c.segSel[Seg.CS], 0x2000);
  assert.equal(c.segBase[Seg.CS], 0x20000);
  assert.equal(c.rip, 0x1234);
  assert.equal(reg(c, SP), 0x8000n - 6n);
  assert.deepEqual(peek(c, 0x8000 - 6, 6), [0x42, 0x00, 0x00, 0x01, 0x02, 0x03], 'IP, CS, FLAGS');
  assert.equal(rflags(c) & 0x300, 0, 'IF and TF cleared');
});

test('real-mode delivery wraps SP at 64 KiB and keeps the upper half of ESP; an exception pushes no error code', () => {
  const c = makeRealModeCpu();
  poke(c, 13 * 4, [0x00, 0x30, 0x00, 0x00]);
  setReg(c, SP, 0x12340002n);
  deliver(c, 13, 0, EventKind.EXCEPTION);
  assert.equal(reg(c, SP), 0x1234fffcn);
  assert.equal(c.rip, 0x3000);
});

test('an IVT shorter than the vector raises #GP during delivery (IDTR.limit applies in real mode)', () => {
  const c = makeRealModeCpu();
  c.idtrLimit = 0x3f; // vectors 0-15
  assert.throws(() => deliver(c, 0x10, -1, EventKind.SOFTWARE), (e: { vector: number }) => e.vector === 13);
  assert.equal(reg(c, SP), 0x8000n, 'nothing pushed');
});

test('IRET in real mode pops IP, CS and FLAGS; IRETD keeps VM/VIF/VIP (SDM IRET, real-address mode)', () => {
  const c = makeRealModeCpu();
  poke(c, 0x8000, [0x10, 0x00, 0x00, 0x05, 0x03, 0x08]); // IP 0010, CS 0500, FLAGS 0803 (OF, CF)
  const r = runCode(c, [0xcf]);
  assert.equal(r.exit, Exit.BUDGET);
  assert.equal(c.segSel[Seg.CS], 0x500);
  assert.equal(c.segBase[Seg.CS], 0x5000);
  assert.equal(c.rip, 0x10);
  assert.equal(rflags(c) & 0xfff, 0x803);
  assert.equal(reg(c, SP), 0x8006n);
});

test('far JMP in real mode loads CS = selector with base selector × 16 and keeps the 16-bit cache', () => {
  const c = makeRealModeCpu();
  runCode(c, [0xea, 0x00, 0x01, 0x00, 0x07]); // jmp 0700:0100
  assert.equal(c.segSel[Seg.CS], 0x700);
  assert.equal(c.segBase[Seg.CS], 0x7000);
  assert.equal(c.codeLinear(), 0x7100);
  assert.equal(c.codeSize, 2);
});

test('STI and MOV SS hold off a pending interrupt for one instruction; HLT then wakes on it (SDM §6.8.3)', () => {
  for (const [name, code] of [['sti', [0xfb, 0x90, 0x90]], ['mov ss', [0x8e, 0xd0, 0x90, 0x90]]] as const) {
    const c = makeRealModeCpu();
    // With IF=1 (MOV SS case) the request arrives while MOV SS executes; for STI, IF=0 keeps it waiting.
    if (name === 'mov ss') setFlags(c, 0x202);
    c.irqPending = () => c.clock.instructions >= 1;
    c.irqLine.pending = true;
    poke(c, CODE, code);
    c.flushCode();
    const exit = c.run(10);
    assert.equal(exit, Exit.IRQ, name);
    assert.equal(c.clock.instructions, 2, `${name}: the interrupt comes after the instruction that follows`);
  }
  const c = makeRealModeCpu();
  c.irqPending = () => false;
  poke(c, CODE, [0xfb, 0xf4]); // sti; hlt
  c.flushCode();
  assert.equal(c.run(10), Exit.HALT);
  assert.equal(c.halted, true);
  c.irqPending = () => true;
  c.irqLine.pending = true;
  assert.equal(c.run(10), Exit.IRQ, 'a halted CPU with IF=1 leaves HLT for the interrupt');
  assert.equal(c.halted, false);
  assert.equal(c.rip, CODE + 2, 'the return address is after HLT');
});

test('A20 off wraps physical addresses at 1 MiB (FFFF:0010 is 0:0000); on, it reaches 100000h', () => {
  const c = makeRealModeCpu();
  c.mem.u8[0x000000] = 0x11;
  c.mem.u8[0x100000] = 0x22;
  c.segSel[Seg.ES] = 0xffff; c.segBase[Seg.ES] = 0xffff0;
  runCode(c, [0x26, 0xa0, 0x10, 0x00]); // mov al, [es:0010]
  assert.equal(reg(c, AX) & 0xffn, 0x22n);
  c.setA20(false);
  runCode(c, [0x26, 0xa0, 0x10, 0x00]);
  assert.equal(reg(c, AX) & 0xffn, 0x11n, 'A20 masked');
  runCode(c, [0x26, 0xc6, 0x06, 0x10, 0x00, 0x33]); // mov byte [es:0010], 33h
  assert.equal(c.mem.u8[0], 0x33);
  assert.equal(c.mem.u8[0x100000], 0x22);
  c.setA20(true);
  runCode(c, [0x26, 0xa0, 0x10, 0x00]);
  assert.equal(reg(c, AX) & 0xffn, 0x22n, 'A20 back on');
});

test('big real mode: a limit loaded in protected mode survives CR0.PE=0; a real-mode load changes only selector and base', () => {
  const c = makeRealModeCpu();
  c.segLimit[Seg.FS] = 0xffffffff;
  c.mem.u8[0x200000] = 0x5a;
  setReg(c, SI, 0x200000n);
  const r = runCode(c, [0x67, 0x64, 0x8a, 0x06]); // mov al, [fs:esi]
  assert.equal(r.exit, Exit.BUDGET);
  assert.equal(reg(c, AX) & 0xffn, 0x5an);
  setReg(c, AX, 0n);
  runCode(c, [0x8e, 0xe0]); // mov fs, ax
  assert.equal(c.segLimit[Seg.FS], 0xffffffff, 'the 4 GiB limit is still cached');
  const d = makeRealModeCpu();
  setReg(d, SI, 0x10000n);
  const f = runCode(d, [0x67, 0x8a, 0x06]); // mov al, [esi] with DS limit FFFFh
  assert.equal(f.vector, 13, 'an offset beyond a real-mode limit is #GP');
});

test('16-bit addressing: [bp+si] uses SS and wraps at 64 KiB; 66h and 67h switch to 32-bit operands and addresses', () => {
  const c = makeRealModeCpu();
  c.segSel[Seg.SS] = 0x3000; c.segBase[Seg.SS] = 0x30000;
  c.mem.u8[0x30001] = 0x77;
  setReg(c, BP, 0xffffn); setReg(c, SI, 2n);
  runCode(c, [0x8a, 0x02]); // mov al, [bp+si]
  assert.equal(reg(c, AX) & 0xffn, 0x77n);
  runCode(c, [0x66, 0xb8, 0x78, 0x56, 0x34, 0x12]); // mov eax, 12345678h
  assert.equal(reg(c, AX), 0x12345678n);
  runCode(c, [0xb8, 0xcd, 0xab]); // mov ax, abcdh keeps the upper half
  assert.equal(reg(c, AX), 0x1234abcdn);
  setReg(c, CX, 0x10002n);
  runCode(c, [0x67, 0xe2, 0xfe], 1); // loop with ECX (67h)
  assert.equal(reg(c, CX), 0x10001n);
  runCode(c, [0xe2, 0xfe], 1); // loop with CX
  assert.equal(reg(c, CX), 0x10000n);
});

test('BCD: DAA/DAS/AAA/AAS/AAD per the SDM pseudocode; AAM 0 is #DE', () => {
  const c = makeRealModeCpu();
  setReg(c, AX, 0xaen); setFlags(c, 0x2);
  runCode(c, [0x27]); // daa
  assert.equal(reg(c, AX), 0x14n);
  assert.equal(rflags(c) & 0x11, 0x11, 'CF and AF');
  setReg(c, AX, 0xeen); setFlags(c, 0x3); // CF=1 from 35h - 47h
  runCode(c, [0x2f]); // das
  assert.equal(reg(c, AX), 0x88n);
  setReg(c, AX, 0x010dn); setFlags(c, 0x2);
  runCode(c, [0x37]); // aaa
  assert.equal(reg(c, AX), 0x0203n);
  setReg(c, AX, 0x02fen); setFlags(c, 0x2);
  runCode(c, [0x3f]); // aas
  assert.equal(reg(c, AX), 0x0108n);
  setReg(c, AX, 0x0907n);
  runCode(c, [0xd5, 0x0a]); // aad
  assert.equal(reg(c, AX), 0x61n);
  setReg(c, AX, 0x0063n);
  runCode(c, [0xd4, 0x0a]); // aam
  assert.equal(reg(c, AX), 0x0909n);
  const r = runCode(c, [0xd4, 0x00]);
  assert.equal(r.vector, 0);
  assert.equal(c.rip, CODE, '#DE is a fault: IP at the AAM');
});

test('LES/LDS load a far pointer; LSS too; BOUND raises #BR outside the bounds', () => {
  const c = makeRealModeCpu();
  poke(c, 0x500, [0x78, 0x56, 0x34, 0x12]);
  runCode(c, [0xc4, 0x1e, 0x00, 0x05]); // les bx, [0500]
  assert.equal(reg(c, BX), 0x5678n);
  assert.equal(c.segSel[Seg.ES], 0x1234);
  assert.equal(c.segBase[Seg.ES], 0x12340);
  runCode(c, [0x0f, 0xb2, 0x26, 0x00, 0x05]); // lss sp, [0500]
  assert.equal(c.segSel[Seg.SS], 0x1234);
  assert.equal(reg(c, SP) & 0xffffn, 0x5678n);
  poke(c, 0x600, [0x02, 0x00, 0x09, 0x00]);
  setReg(c, AX, 9n);
  assert.equal(runCode(c, [0x62, 0x06, 0x00, 0x06]).exit, Exit.BUDGET);
  setReg(c, AX, 0xffffn); // -1 < 2
  assert.equal(runCode(c, [0x62, 0x06, 0x00, 0x06]).vector, 5);
});

test('breakpoints are linear addresses: one at 7100h stops 0700:0100, before the instruction runs', () => {
  const c = makeRealModeCpu();
  poke(c, 0x7100, [0x40, 0x40]); // inc ax; inc ax
  c.segSel[Seg.CS] = 0x700; c.segBase[Seg.CS] = 0x7000; c.rip = 0x100;
  c.breakpoints.add(0x7101);
  c.bpGen++;
  assert.equal(c.run(10), Exit.STOP);
  assert.equal(c.breakpointHit, true);
  assert.equal(c.rip, 0x101, 'stopped at IP 0101h = linear 7101h, after the first INC');
  assert.equal(reg(c, AX), 1n);
});

test('16-bit code runs the same translated and interpreted: a real-mode loop with LOOP, 16-bit ALU, [bx+si] and REP STOSW', () => {
  const toReal = (c: Cpu): void => {
    resetCpu(c);
    c.segSel[Seg.CS] = 0; c.segBase[Seg.CS] = 0; c.rip = CODE;
    c.setReg32(SP, 0x8000);
    c.updateMode();
  };
  const code = [
    0xb9, 0x00, 0x40,             // mov cx, 4000h
    0xbb, 0x00, 0x30,             // mov bx, 3000h
    0x31, 0xf6,                   // xor si, si
    0x01, 0xc8,                   // l: add ax, cx
    0x83, 0xd2, 0x00,             // adc dx, 0
    0x00, 0x00,                   // add [bx+si], al
    0x46,                         // inc si
    0x81, 0xe6, 0xff, 0x00,       // and si, 00FFh
    0x66, 0x43,                   // inc ebx (66h: 32-bit in 16-bit code)
    0x66, 0x4b,                   // dec ebx
    0xe2, 0xf0,                   // loop l
    0xbf, 0x00, 0x40,             // mov di, 4000h
    0xb9, 0x10, 0x00,             // mov cx, 10h
    0xf3, 0xab,                   // rep stosw
    0xf4,                         // hlt
  ];
  const { on } = sameWithAndWithoutTranslation(code, 200_000, toReal);
  assert.equal(on.exits[on.exits.length - 1], Exit.HALT);
  assert.equal(on.regs[2 * CX] & 0xffff, 0);
});
