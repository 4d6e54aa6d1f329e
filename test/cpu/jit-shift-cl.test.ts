import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cpu, Exit } from '../../emulator/cpu/cpu';
import { sameWithAndWithoutTranslation } from '../support/cpu-harness';

/**
 * SHL/SHR/SAL/SAR r32/r64 by CL as the translator emits them (jit.ts Gen.shiftCl: shift.ts's shiftOp on the
 * register locals) against the handler: counts that mask to 0 (flags kept, a 32-bit register still
 * zero-extended), 1, and up to the operand size and past it, each followed by a reader of the flags; every
 * block translated on first sight and interpreted must stop with the same registers, RIP, RFLAGS and count.
 */
const COUNTS = [0, 1, 2, 7, 31, 32, 33, 63, 64, 65, 255];

function program(seed: number): number[] {
  let s = seed;
  const pick = (n: number): number => { s = (s * 1103515245 + 12345) >>> 0; return (s >>> 8) % n; };
  const body: number[] = [];
  for (let k = 0; k < 6; k++) {
    body.push(0x48, 0x01, 0xf8, 0x4d, 0x01, 0xfa); //                  add rax, rdi ; add r10, r15
    const count = COUNTS[pick(COUNTS.length)];
    body.push(0xb9, count & 0xff, 0, 0, 0); //                          mov ecx, count
    const kind = [4, 5, 6, 7][pick(4)];
    const w = pick(2) === 1;
    const r10 = pick(2) === 1;
    const rex = (w ? 0x48 : 0) | (r10 ? 0x41 : 0);
    body.push(...(rex ? [rex] : []), 0xd3, 0xc0 | (kind << 3) | (r10 ? 2 : 0)); // shl/shr/sal/sar eax|rax|r10d|r10, cl
    if (pick(2) === 0) body.push(0x9c, 0x5a, 0x81, 0xe2, 0xd5, 0x08, 0x00, 0x00, 0x48, 0x01, 0xd3); // pushfq ; pop rdx ; and edx, 0x8d5 ; add rbx, rdx
    else body.push(0x0f, 0x92, 0xc1, 0x0f, 0x90, 0xc5, 0x48, 0x01, 0xcb); //                            setc cl ; seto ch ; add rbx, rcx
  }
  body.push(0x48, 0x01, 0xc3, 0x4c, 0x01, 0xd3, 0x49, 0xff, 0xc9); // add rbx, rax ; add rbx, r10 ; dec r9
  const back = -(body.length + 6);
  body.push(0x0f, 0x85, back & 0xff, (back >> 8) & 0xff, (back >> 16) & 0xff, (back >> 24) & 0xff); // jnz loop
  body.push(0x9c, 0xf4); //                                          pushfq ; hlt
  return body;
}

describe('SHL/SHR/SAL/SAR by CL translated inline', () => {
  it('32- and 64-bit registers, every count class, give the interpreter\'s registers and RFLAGS at every stop', () => {
    for (let seed = 1; seed <= 120; seed++) {
      const setup = (c: Cpu): void => {
        c.jitThreshold = 1;
        c.setReg64(0, 0x9abcdef1 ^ seed, seed * 0x10001);
        c.setReg64(7, 0x10203041 * seed, -seed);
        c.setReg64(10, -0x12345, 0x7fff0000 + seed);
        c.setReg64(15, 0x01000193, seed << 20);
        c.setReg64(9, 40, 0);
      };
      for (const budget of [9, 50, 100_000]) {
        const { on } = sameWithAndWithoutTranslation(program(seed), budget, setup);
        if (budget === 100_000) assert.equal(on.exits[on.exits.length - 1], Exit.HALT);
      }
    }
  });
});
