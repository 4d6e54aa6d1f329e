import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cpu, Exit } from '../../emulator/cpu/cpu';
import { Attr, Seg } from '../../emulator/cpu/state';
import { CODE, sameWithAndWithoutTranslation } from '../support/cpu-harness';

/**
 * PUSH r32, POP r32 (ESP included), PUSHFD, LEAVE, CALL rel32 and RET as the translator emits them inline outside 64-bit mode
 * (jit-stack.ts stack32) against their handlers: every block translated on first sight and interpreted must stop
 * with the same registers, EIP, EFLAGS, count, insnStart and exits. The stack is flat and aligned, 16-bit (SP
 * wrapping), based, or where it must fall back to the handler (4 bytes across a page end) or fault (ESP beyond
 * the SS limit: #SS); RAM must hold the same bytes after both runs. jit-stack16.test.ts has 16-bit code.
 */
const PROGRAM = [
  // Through DS (flat): put linear pages 0x7000 and 0x1f000 in the write TLB, where ESP - 4 would land if the
  // stack segment's base, or the 16-bit stack's wrap of SP, were ignored.
  0x89, 0x0d, 0xf8, 0x7f, 0x00, 0x00, //    mov [0x7ff8], ecx
  0x89, 0x0d, 0xf8, 0xff, 0x01, 0x00, //    mov [0x1fff8], ecx
  0x50, 0x51, 0x54, 0x5b, 0x5a, 0x5e, //    loop: push eax ; push ecx ; push esp ; pop ebx ; pop edx ; pop esi
  0x01, 0xd8, 0x01, 0xd0, 0x01, 0xf0, //    add eax, ebx ; add eax, edx ; add eax, esi
  0x54, 0x5c, //                            push esp ; pop esp
  0xe8, 0x0d, 0x00, 0x00, 0x00, //          call sub (+13)
  0x4f, //                                  dec edi
  0x0f, 0x85, 0xe6, 0xff, 0xff, 0xff, //    jnz loop (back 26 bytes)
  0x9c, 0xf4, //                            pushfd ; hlt
  0x90, 0x90, 0x90, 0x90, //                (padding)
  0x03, 0x04, 0x24, //                      sub: add eax, [esp] (the return address pushed)
  0x01, 0x2c, 0x24, //                      add [esp], ebp (0 but in one case)
  0x55, //                                  push ebp
  0x89, 0xe5, //                            mov ebp, esp
  0x39, 0xc8, //                            cmp eax, ecx
  0x9c, //                                  pushfd (the CMP's flags)
  0x03, 0x04, 0x24, //                      add eax, [esp]
  0xc9, //                                  leave
  0x31, 0xe0, //                            xor eax, esp
  0xf3, 0xc3, //                            rep ret (REP is ignored)
];
/** Offset of `sub` in PROGRAM: a CS limit below it makes the CALL fault (#GP after the push, as the handler does). */
const SUB = PROGRAM.length - 20;

interface Case { name: string; esp: number; ss?: { base?: number; limit?: number; attr?: number }; csLimit?: number; ebp?: number; exit: Exit }

const DATA32 = 0x3 | Attr.S | Attr.P | Attr.DB | Attr.G;
const CASES: Case[] = [
  { name: 'flat 32-bit stack, aligned', esp: 0x80000, exit: Exit.HALT },
  { name: '4 bytes across a page end', esp: 0x80002, exit: Exit.HALT },
  { name: '16-bit stack (SS.B = 0), SP wrapping', esp: 0x10002, ss: { attr: DATA32 & ~Attr.DB }, exit: Exit.HALT },
  { name: 'stack segment with a base', esp: 0x8000, ss: { base: 0x70000 }, exit: Exit.HALT },
  { name: 'ESP beyond the SS limit', esp: 0x2000, ss: { limit: 0xfff, attr: DATA32 & ~Attr.G }, exit: Exit.FAULT },
  // CS not flat: RET checks the popped EIP against the limit (its handler); a CALL beyond the limit faults.
  { name: 'CS with a limit (RET through its handler)', esp: 0x80000, csLimit: 0xfffff, exit: Exit.HALT },
  { name: 'CALL target beyond the CS limit', esp: 0x80000, csLimit: CODE + SUB - 1, exit: Exit.FAULT },
  { name: 'RET to an EIP beyond the CS limit', esp: 0x80000, csLimit: 0xfffff, ebp: 0x100000, exit: Exit.FAULT },
];

function protected32(c: Cpu, k: Case): void {
  c.efer = 0;
  c.segAttr[Seg.CS] = 0xb | Attr.S | Attr.P | Attr.DB | Attr.G;
  c.segLimit[Seg.CS] = k.csLimit ?? 0xffffffff;
  c.segBase[Seg.SS] = k.ss?.base ?? 0;
  c.segLimit[Seg.SS] = k.ss?.limit ?? 0xffffffff;
  c.segAttr[Seg.SS] = k.ss?.attr ?? DATA32;
  c.updateMode();
  c.flushTlb();
}

describe('PUSH/POP r32, PUSHFD, LEAVE, CALL rel32 and RET translated inline', () => {
  for (const k of CASES) {
    it(`${k.name}: the interpreter's state at every stop`, () => {
      const setup = (c: Cpu): void => {
        protected32(c, k);
        c.jitThreshold = 1;
        c.setReg64(4, k.esp, 0);
        c.setReg64(0, 0x12345678, 0);
        c.setReg64(1, -0x1000, 0);
        c.setReg64(7, 40, 0); // edi: iterations
        c.setReg64(5, k.ebp ?? 0, 0);
      };
      for (const budget of [4, 13, 61, 300, 100_000]) {
        const { on, off } = sameWithAndWithoutTranslation(PROGRAM, budget, setup);
        // What was pushed, and where (the stack segment's base and SP's wrap decide the linear address).
        assert.deepEqual(on.c.mem.u8.subarray(0, 0x100000), off.c.mem.u8.subarray(0, 0x100000), `${k.name}: memory after ${budget}`);
        if (budget === 100_000) assert.equal(on.exits[on.exits.length - 1], k.exit, `${k.name} ends in ${k.exit}`);
      }
    });
  }
});
