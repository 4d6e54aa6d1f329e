import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cpu, Exit } from '../../emulator/cpu/cpu';
import { interruptAndStopAt, runSnippet, sameWithAndWithoutTranslation } from '../support/cpu-harness';

/**
 * Forward branches inside a translated block (Gen.inner in jit.ts): a taken Jcc whose target is a later
 * instruction of its own block continues there inside the function. The retired count, timers, interrupts,
 * stops and budgets must stay exactly the interpreter's, and the flags at the target must be the ones of the
 * path that reached it (the record goes through the loop-carried locals, or nowhere when it is dead there).
 */
const BODY = [
  0x48, 0x83, 0xc0, 0x03, //       0: add rax, 3
  0xa8, 0x04, //                      4: test al, 4
  0x74, 0x06, //                      6: jz 14 (inside the block)
  0x48, 0x89, 0x03, //                8: mov [rbx], rax
  0x48, 0x01, 0xc1, //               11: add rcx, rax
  0x48, 0x31, 0xca, //               14: xor rdx, rcx (the flags are dead here: set without being read)
  0x48, 0x39, 0xc2, //               17: cmp rdx, rax
  0x77, 0x03, //                     20: ja 25 (inside the block)
  0x48, 0xff, 0xc6, //               22: inc rsi (keeps CMP's CF)
  0x48, 0x11, 0xc6, //               25: adc rsi, rax (reads CF from whichever path got here)
];
/** The body as one block that loops in place (dec rdi; jnz back to its start) … */
const LOOP = [...BODY, 0x48, 0xff, 0xcf, 0x75, 0x100 - (BODY.length + 5), 0x9c, 0xf4];
/** … and as a block that ends in a jump to a second one (dec rdi; jnz back), so the two chain. */
const CHAIN = [...BODY, 0xeb, 0x00, 0x48, 0xff, 0xcf, 0x75, 0x100 - (BODY.length + 7), 0x9c, 0xf4];

const MMIO = 0x300000;

const setup = (c: Cpu): void => {
  c.setReg64(3, 0x20000, 0); // rbx: where the MOV stores
  c.setReg64(7, 20_000, 0); // rdi: iterations
  c.setReg64(1, 0x1234567, 0x89);
};

describe('forward branches inside a translated block', () => {
  it('the translation branches inside itself: both targets are labelled, the dead one carries no record', () => {
    const { c } = runSnippet(LOOP, true, 10_000, setup);
    const blocks = [...(c as unknown as { blocks: Map<number, { fn: unknown; insns: unknown[] }> }).blocks.values()];
    const loop = blocks.find((b) => b.insns.length === 12);
    assert.ok(loop !== undefined && typeof loop.fn === 'function', 'the loop block is translated');
    const src = String(loop.fn);
    // JZ (instruction 2) branches to the XOR (5), over 2 instructions, JA (7) to the ADC (9), over 1: the count
    // of the instructions skipped comes off ic. The flags are dead at the XOR, live at the ADC.
    assert.match(src, /shadowUntil\) \{\nic -= 2; break T5;/);
    assert.match(src, /fX = 0;\nic -= 1; break T9;/);
  });

  it('ends with the interpreter\'s registers, flags and count, looping in place and chained', () => {
    for (const code of [LOOP, CHAIN]) {
      const r = sameWithAndWithoutTranslation(code, 1_000_000, setup);
      assert.equal(r.on.exits[r.on.exits.length - 1], Exit.HALT);
      assert.deepEqual(r.on.c.mem.u8.subarray(0x20000, 0x20008), r.off.c.mem.u8.subarray(0x20000, 0x20008));
    }
  });

  it('a timer fires at the same count and RIP as interpreted, wherever it falls', () => {
    for (const code of [LOOP, CHAIN]) {
      for (let first = 300; first < 323; first++) {
        const logs: string[][] = [];
        for (const jit of [false, true]) {
          const log: string[] = [];
          runSnippet(code, jit, 100_000, (c) => {
            setup(c);
            const fire = (): void => {
              log.push(`${c.clock.instructions}@${c.rip.toString(16)}:${c.r[0]}:${c.r[12]}`);
              if (log.length < 30) c.clock.schedule(c.clock.instructions + 1013, fire, 0);
            };
            c.clock.schedule(first, fire, 0);
          });
          logs.push(log);
        }
        assert.equal(logs[1].length, 30);
        assert.deepEqual(logs[1], logs[0], `timers from ${first}`);
      }
    }
  });

  it('interrupts, stop requests and budgets end the run at the interpreter\'s count', () => {
    for (const code of [LOOP, CHAIN]) {
      for (let at = 5_000; at < 5_023; at++) {
        interruptAndStopAt(code, at, setup);
        sameWithAndWithoutTranslation(code, at * 3, setup);
      }
    }
  });

  it('after device code raised an NMI in the block, a taken branch leaves it: the NMI is taken where interpreted', () => {
    // The MOV stores to a device page (r8 = MMIO) instead of RAM; from the 3000th instruction on (translated by then) a store raises
    // an NMI, which the run loop takes at the block's next boundary: the interpreter's next taken branch.
    const code = LOOP.slice();
    code.splice(8, 3, 0x49, 0x89, 0x00); // mov [r8], rax
    for (const from of [3_000, 3_001, 3_002, 3_003, 3_004, 3_005, 3_006, 3_007, 3_008, 3_009]) {
      const r = sameWithAndWithoutTranslation(code, 100_000, (c) => {
        setup(c);
        c.setReg64(8, MMIO, 0);
        c.bus.registerMmio('test', MMIO, 0x1000, {
          read: () => 0,
          write: () => { if (c.clock.instructions >= from) c.irqLine.nmiPending = true; },
        });
      });
      assert.equal(r.on.exits[r.on.exits.length - 1], Exit.NMI, `NMI from ${from}`);
    }
  });

  it('after device code ran in the block, a taken branch leaves it: a timer the device arms fires on time', () => {
    // The MOV stores to a device page (r8 = MMIO) instead of RAM: its slow path runs device code.
    const code = LOOP.slice();
    code.splice(8, 3, 0x49, 0x89, 0x00); // mov [r8], rax
    for (const delay of [1, 2, 3, 4, 5, 6, 7, 8, 9]) {
      const r = sameWithAndWithoutTranslation(code, 100_000, (c) => {
        setup(c);
        c.setReg64(8, MMIO, 0);
        let armed = false;
        c.bus.registerMmio('test', MMIO, 0x1000, {
          read: () => 0,
          write: () => {
            if (armed || c.clock.instructions < 2_000) return;
            armed = true;
            c.clock.schedule(c.clock.instructions + delay, () => { c.stopRequested = true; }, 0);
          },
        });
      });
      assert.equal(r.on.exits[r.on.exits.length - 1], Exit.STOP, `${delay} ahead: stopped`);
    }
  });
});
