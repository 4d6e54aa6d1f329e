import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cpu, Exit, TLB_MASK } from '../../emulator/cpu/cpu';
import type { Insn } from '../../emulator/cpu/insn';
import { BLOCK_EVENTFUL, BLOCK_QUIET, translateBlock } from '../../emulator/cpu/jit';
import { CODE, interruptAndStopAt, runSnippet, sameWithAndWithoutTranslation } from '../support/cpu-harness';

/**
 * Block chaining (Cpu.runChain): a translated block that ran inline code only (BLOCK_QUIET) enters its translated
 * successor without the run loop's full checks. Timers must still fire, interrupts be taken and stop requests
 * honoured at exactly the interpreter's instruction count and RIP, so a loop of three blocks that only chain
 * to each other is run against the interpreter with timers due at every offset inside an iteration.
 */
const PROGRAM = [
  // 64-bit code (the harness's default mode). Three blocks, each ending in a direct branch to the next:
  0x48, 0x83, 0xc0, 0x03, //       a: add rax, 3
  0x48, 0x89, 0x03, //                mov [rbx], rax (RAM through the TLB: still a quiet block)
  0xeb, 0x00, //                      jmp b
  0x48, 0x01, 0xc1, //             b: add rcx, rax
  0x48, 0x31, 0xca, //                xor rdx, rcx
  0xeb, 0x00, //                      jmp c
  0x48, 0xff, 0xcf, //             c: dec rdi
  0x75, 0xe8, //                      jnz a (back 24 bytes)
  0x9c, 0xf4, //                      pushfq ; hlt
];

/** A device page for the tests that write to one. */
const MMIO = 0x300000;

const setup = (c: Cpu): void => {
  c.jitThreshold = 1;
  c.setReg64(3, 0x20000, 0); // rbx: where the MOV stores
  c.setReg64(7, 30_000, 0); // rdi: iterations
};

describe('chained translated blocks', () => {
  it('a timer fires at the same count and RIP as interpreted, wherever it falls in the chain', () => {
    for (const first of [200, 201, 202, 203, 204, 205, 206, 207, 208, 5_003, 40_001]) {
      const logs: string[][] = [];
      const ends: unknown[] = [];
      for (const jit of [false, true]) {
        const log: string[] = [];
        const r = runSnippet(PROGRAM, jit, 100_000, (c) => {
          setup(c);
          // Re-armed from its own callback at a period that is not a multiple of the iteration's 8 instructions.
          const fire = (): void => {
            log.push(`${c.clock.instructions}@${c.rip.toString(16)}:${c.r[0]}`);
            if (log.length < 40) c.clock.schedule(c.clock.instructions + 997, fire, 0);
          };
          c.clock.schedule(first, fire, 0);
        });
        logs.push(log);
        ends.push({ regs: r.regs, rip: r.rip, flags: r.flags, n: r.n, exits: r.exits });
      }
      assert.equal(logs[1].length, 40, `timers from ${first} all fired`);
      assert.deepEqual(logs[1], logs[0], `timers from ${first}: same counts, RIPs and RAX`);
      assert.deepEqual(ends[1], ends[0], `timers from ${first}: same final state`);
    }
  });

  it('an interrupt raised by a timer and a stop requested by one end the run at the interpreter\'s count', () => {
    for (const at of [300, 301, 302, 303, 304, 305, 306, 307, 12_345]) {
      interruptAndStopAt(PROGRAM, at, setup);
    }
  });

  it('a block that ran device code ends the chain: a timer the device arms fires on time', () => {
    // a: add rax, 3 ; jmp b ; b: <device access> ; add rcx, rax ; jmp c ; c: dec rdi ; jnz a ; hlt
    const accesses: [string, number[]][] = [
      ['OUT (its handler ends the block)', [0xe6, 0x80]],
      ['MOV to MMIO in the middle of a block (the inline store\'s slow path)', [0x41, 0x89, 0x00]],
      ['XCHG with MMIO in the middle of a block (a handler call)', [0x41, 0x87, 0x00]],
    ];
    for (const [name, insn] of accesses) {
      const code = [0x48, 0x83, 0xc0, 0x03, 0xeb, 0x00, ...insn, 0x48, 0x01, 0xc1, 0xeb, 0x00, 0x48, 0xff, 0xcf, 0x75, 0xec - insn.length, 0xf4];
      for (const armAt of [1_000, 5_000]) {
        for (const delay of [1, 2, 3, 4, 5, 6, 7]) {
          const r = sameWithAndWithoutTranslation(code, 100_000, (c) => {
            setup(c);
            c.setReg64(8, MMIO, 0);
            let armed = false;
            // A write arms a timer `delay` instructions ahead (inside the next blocks), once, after armAt.
            const write = (): void => {
              if (armed || c.clock.instructions < armAt) return;
              armed = true;
              c.clock.schedule(c.clock.instructions + delay, () => { c.stopRequested = true; }, 0);
            };
            c.bus.registerPorts(0x80, 1, { read: () => 0xff, write });
            c.bus.registerMmio('test', MMIO, 0x1000, { read: () => 0, write });
          });
          assert.equal(r.on.exits[r.on.exits.length - 1], Exit.STOP, `${name}: armed after ${armAt}, ${delay} ahead: stopped`);
        }
      }
    }
  });

  it('an MMIO read stays quiet unless its device code moved a timer or an interrupt line: each lands on time', () => {
    // a: add rax, 3 ; jmp b ; b: mov edx, [r8] (MMIO: the inline load's slow path) ; add rcx, rax ; jmp c ;
    // c: dec rdi ; jnz a ; hlt. The read, once after armAt, arms a timer, raises the interrupt line (IF = 1) or
    // raises an NMI: the translation must stop, take the interrupt or take the NMI at the interpreter's count.
    const code = [0x48, 0x83, 0xc0, 0x03, 0xeb, 0x00, 0x41, 0x8b, 0x10, 0x48, 0x01, 0xc1, 0xeb, 0x00, 0x48, 0xff, 0xcf, 0x75, 0xed, 0xf4];
    const effects: [string, Exit, (c: Cpu, delay: number) => void][] = [
      ['arms a timer', Exit.STOP, (c, delay) => c.clock.schedule(c.clock.instructions + delay, () => { c.stopRequested = true; }, 0)],
      ['raises the interrupt line', Exit.IRQ, (c) => { c.irqLine.pending = true; }],
      ['raises an NMI', Exit.NMI, (c) => { c.irqLine.nmiPending = true; }],
    ];
    for (const [name, exit, effect] of effects) {
      for (const armAt of [1_000, 5_001, 5_003]) {
        for (const delay of [1, 3, 6]) {
          const r = sameWithAndWithoutTranslation(code, 100_000, (c) => {
            setup(c);
            c.flags |= 1 << 9;
            c.irqPending = () => c.irqLine.pending;
            c.setReg64(8, MMIO, 0);
            let done = false;
            c.bus.registerMmio('test', MMIO, 0x1000, { read: () => { if (!done && c.clock.instructions >= armAt) { done = true; effect(c, delay); } return 7; }, write: () => {} });
          });
          assert.equal(r.on.exits[r.on.exits.length - 1], exit, `${name} after ${armAt} (${delay}): ${exit}`);
        }
      }
    }
  });

  it('a block whose only slow path is a side-effect-free MMIO read returns BLOCK_QUIET (its successor chains)', () => {
    // b: mov edx, [r8] ; add rcx, rax ; jmp c — translated on its own and called directly.
    const code = [0x41, 0x8b, 0x10, 0x48, 0x01, 0xc1, 0xeb, 0x00, 0xf4];
    const r = runSnippet(code, true, 1, (c) => {
      setup(c);
      c.setReg64(8, MMIO, 0);
      c.bus.registerMmio('test', MMIO, 0x1000, { read: () => 7, write: () => {} });
    });
    const c = r.c;
    c.rip = CODE;
    const b = (c as unknown as { findBlock(mode: number): { insns: Insn[] } }).findBlock(2);
    const fn = translateBlock(b.insns, true, TLB_MASK);
    c.flatMask = c.flatSegments();
    assert.equal(fn(c, c.clock, c.clock.instructions + 100), BLOCK_QUIET);
    assert.equal(c.r[4], 7, 'EDX read from the device');
    // The same read raising the interrupt line (IF = 0: nothing to deliver, but the line the run loop checks moved).
    c.rip = CODE;
    c.bus.registerMmio('test2', MMIO + 0x1000, 0x1000, { read: () => { c.irqLine.pending = true; return 8; }, write: () => {} });
    c.setReg64(8, MMIO + 0x1000, 0);
    assert.equal(fn(c, c.clock, c.clock.instructions + 100), BLOCK_EVENTFUL);
  });

  it('with breakpoints set, the chain stops at one inside a later block at the interpreter\'s count', () => {
    // A breakpoint outside the program keeps chaining on (the chain checks each successor for breakpoints);
    // one set midway, after the blocks were translated, on b's second instruction (xor rdx, rcx) or on c's first,
    // must stop the run before that instruction, exactly where the interpreter stops.
    for (const at of [CODE + 12, CODE + 17]) {
      const r = sameWithAndWithoutTranslation(PROGRAM, 100_000, (c) => {
        setup(c);
        c.breakpoints.add(0x50000);
        c.bpGen++;
      }, (c) => {
        c.breakpoints.add(at);
        c.bpGen++;
      });
      assert.equal(r.on.exits[r.on.exits.length - 1], Exit.STOP, `breakpoint at ${at.toString(16)}: stopped`);
      assert.equal(r.on.c.breakpointHit, true, `breakpoint at ${at.toString(16)}: reported as a breakpoint`);
      assert.equal(r.on.rip, at, `breakpoint at ${at.toString(16)}: RIP at it`);
      assert.ok(r.on.n > 5_000, `breakpoint at ${at.toString(16)}: hit after the blocks were translated`);
    }
  });

  it('budgets that end inside the chain stop where the interpreter stops', () => {
    for (const budget of [1, 2, 3, 7, 8, 9, 1_001, 1_003, 1_005, 1_007, 239_999, 240_000, 240_003]) {
      const r = sameWithAndWithoutTranslation(PROGRAM, budget, setup);
      assert.deepEqual(r.on.c.mem.u8.subarray(0x20000, 0x20008), r.off.c.mem.u8.subarray(0x20000, 0x20008), `RAM after ${budget}`);
    }
  });
});
