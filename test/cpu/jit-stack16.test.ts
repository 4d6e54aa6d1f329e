import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cpu, Exit } from '../../emulator/cpu/cpu';
import { resetCpu } from '../../emulator/cpu/reset';
import { Attr, Cr0, Seg } from '../../emulator/cpu/state';
import { CODE, sameWithAndWithoutTranslation } from '../support/cpu-harness';

/**
 * PUSH/POP r16 and r32, CALL rel16/rel32, RET and LEAVE at both operand sizes in 16-bit code on a 16-bit stack
 * (SS.B = 0), as the translator emits them inline (jit-stack.ts stack32: SS base + SP wrapped at 64 KiB, the
 * limit checked, only SP moved), against their handlers: every block translated and interpreted must stop with
 * the same registers (ESP's upper half kept: the stack moves SP alone), IP, FLAGS, count and exits, and RAM
 * must hold the same bytes. In real mode with SS at 0 and with a base, SP wrapping through 0 (and a 4-byte
 * push straddling the wrap: #SS), and in 16-bit
 * protected mode with an SS limit SP runs past (#SS) and a CS limit the call target is beyond (#GP).
 */
const SUB = 32, SUB32 = 50;
const PROGRAM = [
  0x50, 0x51, 0x54, 0x5b, 0x5a, 0x5e, //       loop: push ax ; push cx ; push sp ; pop bx ; pop dx ; pop si
  0x01, 0xd8, 0x01, 0xd0, 0x01, 0xf0, //       add ax, bx ; add ax, dx ; add ax, si
  0x54, 0x5c, //                               push sp ; pop sp
  0x66, 0x50, 0x66, 0x5e, //                   push eax ; pop esi
  0xe8, SUB - 21, 0x00, //                     call sub (rel16)
  0x66, 0xe8, SUB32 - 27, 0x00, 0x00, 0x00, // call sub32 (rel32: pushes EIP)
  0x4f, //                                     dec di
  0x75, 0x100 - 30, //                         jnz loop
  0x9c, 0xf4, //                               pushf ; hlt
  // sub (offset 32): the return address (from [bp+2]) into AX, LEAVE at 16 bits
  0x55, //                                     push bp
  0x89, 0xe5, //                               mov bp, sp
  0x39, 0xc8, //                               cmp ax, cx
  0x03, 0x46, 0x02, //                         add ax, [bp+2]
  0xc9, //                                     leave
  0x31, 0xe0, //                               xor ax, sp
  0xc3, //                                     ret
  0x90, 0x90, 0x90, 0x90, 0x90, 0x90, //       (padding to 50)
  // sub32 (offset 50): a 32-bit frame on the 16-bit stack
  0x66, 0x55, //                               push ebp
  0x89, 0xe5, //                               mov bp, sp
  0x66, 0x03, 0x46, 0x04, //                   add eax, [bp+4] (the pushed EIP)
  0x66, 0xc9, //                               leave (pops EBP)
  0x66, 0xc3, //                               ret (pops EIP)
];
assert.equal(PROGRAM[SUB], 0x55);
assert.equal(PROGRAM[SUB32 + 1], 0x55);

/**
 * POPs creeping up to the top of the stack (translated after their first run): from an even SP they read the
 * segment's last word and wrap to offset 0; from an odd one the last POP straddles the limit (#SS). SS at
 * 20010h keeps that word inside a page (a page end would take the handler anyway).
 */
const POPS = [0x58, 0x4f, 0x75, 0x100 - 4, 0xf4]; // loop: pop ax ; dec di ; jnz loop ; hlt

interface Case { name: string; sp: number; ss?: { base?: number; limit?: number }; protectedMode?: boolean; csLimit?: number; exit: Exit; program?: number[] }

const CASES: Case[] = [
  { name: 'real mode, SS at 0', sp: 0x8000, exit: Exit.HALT },
  { name: 'real mode, SS with a base', sp: 0x8000, ss: { base: 0x70000 }, exit: Exit.HALT },
  { name: 'real mode, SP wrapping through 0', sp: 0x0004, ss: { base: 0x20000 }, exit: Exit.HALT },
  // PUSH EBP at SP = 2: offset FFFEh, its 4 bytes past the limit (#SS, as the SDM has it for real mode too).
  { name: 'real mode, 4 bytes across the 64 KiB wrap', sp: 0x0006, ss: { base: 0x20000 }, exit: Exit.FAULT },
  { name: 'real mode, POPs through the last word and the wrap', sp: 0xfff0, ss: { base: 0x20010 }, program: POPS, exit: Exit.HALT },
  { name: 'real mode, a POP across the limit', sp: 0xfff1, ss: { base: 0x20010 }, program: POPS, exit: Exit.FAULT },
  { name: '16-bit protected mode, SP beyond the SS limit', sp: 0x8000, ss: { base: 0x20000, limit: 0x7f00 }, protectedMode: true, exit: Exit.FAULT },
  { name: '16-bit protected mode, call target beyond the CS limit', sp: 0x8000, protectedMode: true, csLimit: CODE + SUB - 1, exit: Exit.FAULT },
];

function mode16(c: Cpu, k: Case): void {
  resetCpu(c);
  const data16 = 0x3 | Attr.S | Attr.P;
  for (let s = 0; s < 6; s++) { c.segSel[s] = 0; c.segBase[s] = 0; c.segLimit[s] = 0xffff; c.segAttr[s] = data16; }
  c.segAttr[Seg.CS] = 0xb | Attr.S | Attr.P;
  c.segLimit[Seg.CS] = k.csLimit ?? 0xffff;
  c.segBase[Seg.SS] = k.ss?.base ?? 0;
  c.segSel[Seg.SS] = (k.ss?.base ?? 0) >>> 4;
  c.segLimit[Seg.SS] = k.ss?.limit ?? 0xffff;
  if (k.protectedMode) c.cr0 |= Cr0.PE;
  c.rip = CODE;
  c.updateMode();
  c.flushTlb();
}

describe('16-bit stack operations translated inline', () => {
  for (const k of CASES) {
    it(`${k.name}: the interpreter's state at every stop`, () => {
      const setup = (c: Cpu): void => {
        mode16(c, k);
        c.jitThreshold = 1;
        c.setReg32(4, 0x12340000 | k.sp); // ESP's upper half stays: a 16-bit stack moves SP alone
        c.setReg32(0, 0x5678);
        c.setReg32(1, 0xf000);
        c.setReg32(7, 40); // di: iterations
        c.setReg32(5, 0xabcd0000);
      };
      for (const budget of [4, 13, 61, 300, 100_000]) {
        const { on, off } = sameWithAndWithoutTranslation(k.program ?? PROGRAM, budget, setup);
        assert.deepEqual(on.c.mem.u8.subarray(0, 0x100000), off.c.mem.u8.subarray(0, 0x100000), `${k.name}: memory after ${budget}`);
        if (budget === 100_000) {
          assert.equal(on.exits[on.exits.length - 1], k.exit, `${k.name} ends in ${k.exit}`);
          if (k.exit === Exit.HALT) assert.equal(on.c.r[8] >>> 16, 0x1234, 'ESP\'s upper half');
        }
      }
    });
  }
});
