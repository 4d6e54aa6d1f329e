import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cpu, Exit } from '../../emulator/cpu/cpu';
import { FAULT } from '../../emulator/cpu/fault';
import { Flag } from '../../emulator/cpu/state';
import { sameWithAndWithoutTranslation } from '../support/cpu-harness';

/**
 * CLI, STI, CLD, STD, CLC, STC and CMC as the translator emits them inline (jit-system.ts flagControl) against
 * their handlers (system.ts): an interrupt raised at every instruction boundary of a loop that masks and unmasks
 * (it must be taken where the interpreter takes it: at once with IF = 1, after the instruction following STI when
 * it was raised with IF = 0 or in STI's shadow), STI before HLT, STI with IF already set (no shadow), #GP(0) at
 * CPL 3 with IOPL 0 and none with IOPL 3,
 * and the flag instructions before readers of CF and DF. Every block translated on first sight and interpreted
 * must stop with the same registers, RIP, RFLAGS, count, insnStart and exits.
 */

/** cli; inc eax; inc eax; sti; inc edx; inc ecx; cmp ecx, 200; jne loop; hlt: 8 instructions an iteration. */
const MASKING = [0xfa, 0xff, 0xc0, 0xff, 0xc0, 0xfb, 0xff, 0xc2, 0xff, 0xc1, 0x81, 0xf9, 200, 0, 0, 0, 0x75, 0xee, 0xf4];

/** Setup raising the interrupt line at instruction `at` (a timer callback), with IF = 1 at the start. */
function raiseAt(at: number) {
  return (c: Cpu): void => {
    c.jitThreshold = 1;
    c.flags |= Flag.IF;
    let raised = false;
    c.clock.schedule(at, () => { raised = true; c.irqLine.pending = true; }, 0);
    c.irqPending = () => raised;
  };
}

describe('CLI/STI and the flag instructions translated inline', () => {
  it('an interrupt raised anywhere in a CLI ... STI loop is taken where the interpreter takes it', () => {
    for (let at = 80; at <= 97; at++) {
      const { on } = sameWithAndWithoutTranslation(MASKING, 100_000, raiseAt(at));
      // After t instructions of an iteration: IF = 0 after CLI (t = 1..3), STI's shadow at t = 4; deliverable else.
      const t = at % 8;
      const expect = t >= 1 && t <= 4 ? at - t + 5 : at;
      assert.deepEqual([on.exits[on.exits.length - 1], on.n], [Exit.IRQ, expect], `raised at ${at}`);
    }
  });

  it('STI; HLT with an interrupt waiting: taken after the HLT', () => {
    // loop: cli; inc eax; sti; hlt; jmp loop
    const code = [0xfa, 0xff, 0xc0, 0xfb, 0xf4, 0xeb, 0xf9];
    for (const at of [1, 2, 3]) {
      const { on } = sameWithAndWithoutTranslation(code, 100_000, raiseAt(at));
      assert.deepEqual([on.exits[on.exits.length - 1], on.n], [Exit.IRQ, 4], `raised at ${at}`);
    }
  });

  it('STI with IF already set opens no shadow: the interrupt is taken at once', () => {
    // loop: sti; inc ecx; cmp ecx, 200; jne loop; hlt
    const code = [0xfb, 0xff, 0xc1, 0x81, 0xf9, 200, 0, 0, 0, 0x75, 0xf5, 0xf4];
    for (let at = 60; at <= 64; at++) {
      const { on } = sameWithAndWithoutTranslation(code, 100_000, raiseAt(at));
      assert.deepEqual([on.exits[on.exits.length - 1], on.n], [Exit.IRQ, at], `raised at ${at}`);
    }
  });

  for (const iopl of [0, 3]) {
    it(`CLI and STI at CPL 3 with IOPL ${iopl}: ${iopl === 0 ? '#GP(0) at the same instruction' : 'no fault'}`, () => {
      // loop: inc ecx; cmp ecx, 50; jne +2; sti; cli; cmp ecx, 100; jne loop; hlt
      const code = [0xff, 0xc1, 0x83, 0xf9, 50, 0x75, 0x02, 0xfb, 0xfa, 0x83, 0xf9, 100, 0x75, 0xf2, 0xf4];
      const { on } = sameWithAndWithoutTranslation(code, 100_000, (c) => {
        c.jitThreshold = 1;
        c.setCpl(3);
        c.flags = (c.flags & ~Flag.IOPL) | (iopl << 12);
      });
      // IOPL 0: STI faults at ECX = 50; IOPL 3: the loop runs on to HLT, which faults at CPL 3.
      assert.deepEqual([on.exits[on.exits.length - 1], FAULT.vector, on.c.r[2]], [Exit.FAULT, 13, iopl === 0 ? 50 : 100]);
      if (iopl === 3) assert.equal(on.flags & Flag.IF, 0);
    });
  }

  it('CLC, STC, CMC, CLD and STD before readers of CF and DF', () => {
    // loop: add eax, ebx; cmc; adc edx, 0; stc; sbb esi, ecx; clc; rcl edi, 1; std; pushfq; pop rbp; cld;
    //       add ebp, edx; lodsb; dec ecx; jnz loop; hlt
    const code = [0x01, 0xd8, 0xf5, 0x83, 0xd2, 0x00, 0xf9, 0x19, 0xce, 0xf8, 0xd1, 0xd7, 0xfd, 0x9c, 0x5d, 0xfc,
      0x01, 0xd5, 0xac, 0xff, 0xc9, 0x75, 0xe9, 0xf4];
    for (const budget of [5, 17, 100, 100_000]) {
      const { on } = sameWithAndWithoutTranslation(code, budget, (c) => {
        c.jitThreshold = 1;
        c.setReg64(0, 0x9abcdef0 | 0, 0);
        c.setReg64(3, 0x87654321 | 0, 0);
        c.setReg64(1, 300, 0);
        c.setReg64(6, 0x20000, 0);
      });
      if (budget === 100_000) assert.equal(on.exits[on.exits.length - 1], Exit.HALT);
    }
  });
});
