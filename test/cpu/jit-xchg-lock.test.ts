import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cpu, Exit } from '../../emulator/cpu/cpu';
import { Attr, Seg } from '../../emulator/cpu/state';
import { sameWithAndWithoutTranslation } from '../support/cpu-harness';
import { rng } from '../support/rng';

/**
 * XCHG r/m, r (86/87, with and without LOCK), LOCKed read-modify-writes of memory (ALU, INC/DEC, NOT/NEG) and
 * PUSH imm outside 64-bit mode, as the translator emits them inline (jit-integer.ts xchg, jit-classify.ts
 * lockedRmw, jit-stack.ts stack32) against their handlers: random programs of these, each followed by a reader of
 * the flags, in a loop whose memory operands walk across a page end. Every block translated on first sight and
 * interpreted must stop with the same registers, RIP, RFLAGS, count, insnStart and exits, and the same RAM. LOCK on a
 * register destination or on CMP stays with the handler.
 */

/** ModRM with reg and [rsi + disp8] (memory) or a register r/m (rax, rdx, rbp; AH/DH/CH for byte forms without REX). */
function modrm(pick: (n: number) => number, reg: number, mem: boolean): number[] {
  return mem ? [0x40 | (reg << 3) | 6, pick(8) * 3] : [0xc0 | (reg << 3) | [0, 2, 5, 4][pick(4)]];
}

function insn(pick: (n: number) => number, long: boolean): number[] {
  const reg = [0, 1, 2, 3, 5, 7][pick(6)];
  const size = pick(4); // 0: byte, 1: 16, 2: 32, 3: 64
  const pre = size === 1 ? [0x66] : size === 3 && long ? [0x48] : [];
  const w = size === 0 ? 0 : 1;
  switch (pick(6)) {
    case 0: case 1: { // XCHG r/m, r: LOCK now and then (with memory)
      const mem = pick(3) !== 0;
      return [...(mem && pick(2) === 0 ? [0xf0] : []), ...pre, 0x86 + w, ...modrm(pick, reg, mem)];
    }
    case 2: // LOCK ADD/OR/ADC/SBB/AND/SUB/XOR m, r (and, now and then, LOCK CMP or a register destination: #UD-free handler path)
      return [0xf0, ...pre, ((pick(8) === 0 ? 7 : pick(7)) << 3) + w, ...modrm(pick, reg, pick(8) !== 0)];
    case 3: { // LOCK 80/81/83 /0-6 m, imm
      const op = size === 0 ? 0x80 : [0x81, 0x83][pick(2)];
      const imm = op === 0x81 ? (size === 1 ? [pick(256), pick(256)] : [pick(256), pick(256), pick(256), pick(256)]) : [pick(256)];
      return [0xf0, ...pre, op, ...modrm(pick, pick(7), true), ...imm];
    }
    case 4: // LOCK INC/DEC/NOT/NEG m
      return pick(2) === 0 ? [0xf0, ...pre, 0xfe + w, ...modrm(pick, pick(2), true)] : [0xf0, ...pre, 0xf6 + w, ...modrm(pick, 2 + pick(2), true)];
    default: // a flag reader: ADC edx, ecx or SETcc bl
      return pick(2) === 0 ? [0x11, 0xca] : [0x0f, 0x90 + pick(16), 0xc3];
  }
}

function program(seed: number, long: boolean): number[] {
  const pick = rng(seed);
  const body: number[] = [];
  for (let k = 0; k < 8; k++) body.push(...insn(pick, long));
  body.push(0x9c, 0x5f, 0x01, 0xf9); // pushf ; pop edi ; add ecx, edi
  body.push(...(long ? [0x48] : []), 0xff, 0xc6); // inc rsi: the operands walk across a page end
  body.push(0x83, 0xed, 0x01); // sub ebp, 1
  return [...body, 0x75, 0x100 - (body.length + 2), 0xf4]; // jnz loop ; hlt
}

function setup(c: Cpu, long: boolean): void {
  c.jitThreshold = 1;
  if (!long) {
    c.efer = 0;
    c.segAttr[Seg.CS] = 0xb | Attr.S | Attr.P | Attr.DB | Attr.G;
    c.updateMode();
    c.flushTlb();
  }
  c.setReg64(6, 0x20fc0, 0);
  c.setReg64(5, 150, 0);
  c.setReg64(0, 0x12345678, 0x9abcdef0 | 0);
  c.setReg64(2, 0x0f0f0f0f, 0);
  for (let a = 0x20000; a < 0x22000; a++) c.mem.u8[a] = (a * 29 + 1) & 0xff;
}

describe('XCHG, LOCKed read-modify-writes and PUSH imm translated inline', () => {
  for (const long of [true, false]) {
    it(`${long ? '64-bit' : '32-bit'} mode: the interpreter's state and RAM at every stop`, () => {
      for (let seed = 1; seed <= 40; seed++) {
        const code = program(seed, long);
        for (const budget of [9, 77, 100_000]) {
          const { on, off } = sameWithAndWithoutTranslation(code, budget, (c) => setup(c, long));
          assert.ok(Buffer.from(on.c.mem.u8.subarray(0, 0x100000)).equals(Buffer.from(off.c.mem.u8.subarray(0, 0x100000))), `seed ${seed}, budget ${budget}: RAM`);
        }
      }
    });
  }

  it('PUSH imm8/imm16/imm32 on 32- and 16-bit stacks, then POP', () => {
    // loop: push 0x12345678 ; push -5 (imm8) ; push word 0x1234 ; pop ax ; pop ebx ; pop edx ; add ecx, edx ;
    //       add ecx, ebx ; dec ebp ; jnz loop ; hlt
    const code = [0x68, 0x78, 0x56, 0x34, 0x12, 0x6a, 0xfb, 0x66, 0x68, 0x34, 0x12, 0x66, 0x58, 0x5b, 0x5a, 0x01, 0xd1,
      0x01, 0xd9, 0x4d, 0x75, 0xea, 0xf4];
    for (const stack16 of [false, true]) {
      const { on } = sameWithAndWithoutTranslation(code, 100_000, (c) => {
        setup(c, false);
        if (stack16) { c.segAttr[Seg.SS] &= ~Attr.DB; c.updateMode(); c.setReg32(4, 0xabcd8000 | 0); }
        c.setReg32(5, 100);
      });
      assert.equal(on.exits[on.exits.length - 1], Exit.HALT);
      assert.equal(on.c.r[2] >>> 0, (100 * (0x12345678 - 5)) >>> 0, 'ECX: the pushed values popped back');
    }
  });
});
