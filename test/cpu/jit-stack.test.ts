import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cpu, Exit } from '../../emulator/cpu/cpu';
import { enablePaging, sameWithAndWithoutTranslation } from '../support/cpu-harness';

/**
 * PUSH r64, POP r64 (RSP included), CALL rel32 and RET (with and without REP) as the translator emits them
 * inline (jit.ts Gen.stack) against their handlers: every block translated on first sight and interpreted
 * must stop with the same registers, RIP, RFLAGS, count, insnStart and exits. The stack is placed where the
 * inline path applies (RAM, aligned), where it must fall back to the handler (8 bytes across a page end,
 * beyond RAM), and where the instruction faults: a non-canonical RSP (#SS), a non-canonical return address
 * (#GP on the RET, RSP unchanged) and an unmapped stack page (#PF, RSP unchanged).
 */
function program(retPatch: boolean, repRet: boolean): number[] {
  const body: number[] = [];
  body.push(0x50, 0x41, 0x52, 0x54, 0x5b, 0x59, 0x5a); //  push rax ; push r10 ; push rsp ; pop rbx ; pop rcx ; pop rdx
  body.push(0x48, 0x01, 0xd8, 0x48, 0x01, 0xc8); //          add rax, rbx ; add rax, rcx
  body.push(0x54, 0x5c); //                                  push rsp ; pop rsp
  const call = body.length;
  body.push(0xe8, 0, 0, 0, 0); //                            call sub
  body.push(0x48, 0x01, 0xd0); //                            add rax, rdx
  body.push(0x49, 0xff, 0xc9); //                            dec r9
  const back = -(body.length + 6);
  body.push(0x0f, 0x85, back & 0xff, (back >> 8) & 0xff, (back >> 16) & 0xff, (back >> 24) & 0xff); // jnz loop
  body.push(0x9c, 0xf4); //                                  pushfq ; hlt
  const sub = body.length;
  body.push(0x55, 0x48, 0x89, 0xe5, 0x48, 0x01, 0xe8); //    push rbp ; mov rbp, rsp ; add rax, rbp
  body.push(0x41, 0x57, 0x41, 0x5f); //                      push r15 ; pop r15
  if (retPatch) body.push(0x48, 0x89, 0x7c, 0x24, 0x08); //  mov [rsp+8], rdi (the return address)
  body.push(0x5d); //                                        pop rbp
  body.push(...(repRet ? [0xf3, 0xc3] : [0xc3])); //         ret / rep ret
  const rel = sub - (call + 5);
  body.splice(call + 1, 4, rel & 0xff, (rel >> 8) & 0xff, (rel >> 16) & 0xff, (rel >> 24) & 0xff);
  return body;
}

interface Case { name: string; rsp: [number, number]; retPatch?: boolean; paging?: boolean; exit: Exit }

const CASES: Case[] = [
  { name: 'aligned stack in RAM', rsp: [0x80000, 0], exit: Exit.HALT },
  { name: '8 bytes across a page end', rsp: [0x80004, 0], exit: Exit.HALT },
  // Writes beyond RAM are dropped and reads give all ones: the first RET leaves for 0xffff_ffff_ffff_ffff.
  { name: 'stack beyond RAM', rsp: [0x600000, 0], exit: Exit.FAULT },
  { name: 'non-canonical RSP', rsp: [0x1000, 0x10000], exit: Exit.FAULT },
  { name: 'non-canonical return address', rsp: [0x80000, 0], retPatch: true, exit: Exit.FAULT },
  { name: 'unmapped stack page', rsp: [0x500000, 0], paging: true, exit: Exit.FAULT },
];

describe('PUSH/POP r64, CALL rel32 and RET translated inline', () => {
  for (const k of CASES) {
    it(`${k.name}: the interpreter's state at every stop`, () => {
      for (const repRet of [false, true]) {
        const code = program(k.retPatch === true, repRet);
        const setup = (c: Cpu): void => {
          c.jitThreshold = 1;
          if (k.paging) enablePaging(c);
          c.setReg64(4, k.rsp[0], k.rsp[1]);
          c.setReg64(0, 0x12345678, 0x9abc);
          c.setReg64(10, -0x1000, -1);
          c.setReg64(15, 0x0badf00d, 0x7fff);
          c.setReg64(7, 0x1000, 0x00120000); // rdi: a non-canonical address
          c.setReg64(9, 50, 0); // r9: iterations
        };
        for (const budget of [5, 17, 60, 333, 100_000]) {
          const { on } = sameWithAndWithoutTranslation(code, budget, setup);
          if (budget === 100_000) assert.equal(on.exits[on.exits.length - 1], k.exit, `${k.name} ends in ${k.exit}`);
        }
      }
    });
  }
});
