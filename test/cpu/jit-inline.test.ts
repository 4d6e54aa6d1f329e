import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Exit } from '../../emulator/cpu/cpu';
import { sameWithAndWithoutTranslation } from '../support/cpu-harness';
import { rng } from '../support/rng';

/**
 * Instructions the translator emits inline (jit.ts) against their interpreter handlers. Shifts and rotates by
 * a constant (C0/C1 imm8, D0/D1 by 1): SHL/SHR/SAR leave the lazy record LF.SHL/LF.SAR, ROL/ROR change CF/OF
 * over the record before them; every kind, size (8 with AH, 16, 32, 64), register and memory operand and a
 * spread of counts (including ones that mask to 0, which the translator leaves to the handler). 16-bit ALU
 * and MOV forms, ADC/SBB, CMOVcc, SETcc, IMUL r, r/m [, imm] (16/32 bits). Each is followed by a different
 * reader of the flags (PUSHFQ, SETcc, INC keeping CF then ADC, Jcc on every condition); the programs run with
 * every block translated on first sight and interpreted, and registers, RIP, RFLAGS, the count and the exits
 * must match at every stop.
 */

const KINDS = [0, 1, 4, 5, 6, 7]; // ROL ROR SHL SHR SAL SAR
const COUNTS: Record<number, number[]> = { 1: [1, 2, 3, 7, 8, 9, 16, 31, 32], 2: [1, 2, 15, 16, 17, 31, 32], 4: [1, 2, 5, 16, 31, 32, 33], 8: [1, 2, 31, 32, 33, 47, 63, 64, 65] };

/** One shift of rax/r10/ah/al (register) or of [rsi] (memory) by a constant. */
function shift(pick: (n: number) => number): number[] {
  const size = [1, 2, 4, 8][pick(4)];
  const kind = KINDS[pick(KINDS.length)];
  const count = COUNTS[size][pick(COUNTS[size].length)];
  const byOne = count === 1 && pick(2) === 0;
  const op = (size === 1 ? 0xc0 : 0xc1) + (byOne ? 0x10 : 0);
  const mem = pick(4) === 0;
  let rex = size === 8 ? 0x48 : 0;
  let modrm: number;
  if (mem) modrm = (kind << 3) | 6; // [rsi]
  else {
    const rm = size === 1 ? [0, 4][pick(2)] : [0, 10][pick(2)]; // al / ah, rax / r10
    if (rm >= 8) rex |= 0x41;
    modrm = 0xc0 | (kind << 3) | (rm & 7);
  }
  return [...(size === 2 ? [0x66] : []), ...(rex ? [rex] : []), op, modrm, ...(byOne ? [] : [count])];
}

/** ModRM for reg (0..7: eax/ecx/…) and r/m = rax or r10 (register) or [rsi] (memory), with its REX bits. */
function rm(pick: (n: number) => number, reg: number, w: boolean): number[] {
  const mem = pick(3) === 0;
  const r = mem ? 6 : [0, 10][pick(2)];
  const rex = (w ? 0x48 : 0) | (!mem && r >= 8 ? 0x41 : 0);
  return [...(rex ? [rex] : []), -1, (mem ? 0 : 0xc0) | (reg << 3) | (r & 7)];
}

/** The opcode bytes `op` spliced into rm()'s placeholder (after the REX byte). */
function withOp(form: number[], op: number[], prefix: number[] = []): number[] {
  const at = form.indexOf(-1);
  return [...prefix, ...form.slice(0, at), ...op, ...form.slice(at + 1)];
}

/** A 16-bit ALU/MOV form, CMOVcc, SETcc or IMUL (register or memory operand). */
function other(pick: (n: number) => number): number[] {
  const reg = [0, 2, 7][pick(3)]; // eax, edx, edi
  switch (pick(6)) {
    case 0: return withOp(rm(pick, reg, false), [[0x01, 0x29, 0x21, 0x31, 0x39, 0x89, 0x8b, 0x03, 0x85][pick(9)]], [0x66]); // add/sub/and/xor/cmp/mov/test r/m16
    case 5: { // adc/sbb r/m, r and r, r/m at 16/32/64 bits, and adc/sbb r/m, imm8
      const w = pick(3);
      const form = rm(pick, reg, w === 2);
      const pre = w === 0 ? [0x66] : [];
      if (pick(3) === 0) { const f = rm(pick, 2 + pick(2), w === 2); return [...withOp(f, [0x83], pre), pick(256)]; }
      return withOp(form, [[0x11, 0x13, 0x19, 0x1b][pick(4)]], pre);
    }
    case 1: { const w = pick(3); return withOp(rm(pick, reg, w === 2), [0x0f, 0x40 + pick(16)], w === 0 ? [0x66] : []); } //      cmovcc r16/32/64
    case 2: return withOp(rm(pick, 0, false), [0x0f, 0x90 + pick(16)]); //                                                   setcc r/m8
    case 3: { const w = pick(2) === 0; return withOp(rm(pick, reg, false), [0x0f, 0xaf], w ? [0x66] : []); } //             imul r16/32, r/m
    default: {
      const w = pick(2) === 0;
      return pick(2) === 0 ? [...withOp(rm(pick, reg, false), [0x6b], w ? [0x66] : []), pick(256)] //                  imul r, r/m, imm8
        : [...withOp(rm(pick, reg, false), [0x69], w ? [0x66] : []), pick(256), pick(256), ...(w ? [] : [pick(256), pick(256)])];
    }
  }
}

/** A loop of shifts, each after an ADD (so rotates keep its SF/ZF/PF/AF) and before a reader of the flags. */
function program(seed: number): number[] {
  const pick = rng(seed);
  const body: number[] = [0x48, 0x8b, 0x06]; //                 mov rax, [rsi]
  for (let k = 0; k < 4; k++) {
    body.push(0x48, 0x01, 0xf8, 0x4d, 0x01, 0xfa); //           add rax, rdi ; add r10, r15
    body.push(...(pick(2) === 0 ? shift(pick) : other(pick)));
    switch (pick(4)) {
      case 0: body.push(0x9c, 0x5a, 0x81, 0xe2, 0xd5, 0x08, 0x00, 0x00, 0x48, 0x01, 0xd3); break; // pushfq ; pop rdx ; and edx, 0x8d5 ; add rbx, rdx
      case 1: body.push(0x0f, 0x92, 0xc1, 0x0f, 0x90, 0xc5, 0x48, 0x01, 0xcb); break; //            setc cl ; seto ch ; add rbx, rcx
      case 2: body.push(0x49, 0xff, 0xc0, 0x48, 0x83, 0xd3, 0x00); break; //                          inc r8 ; adc rbx, 0
      default: body.push(0x70 + pick(16), 0x04, 0x48, 0x83, 0xc3, 0x01); break; //                  jcc +4 ; add rbx, 1
    }
  }
  body.push(0x48, 0x33, 0x1e, 0x4c, 0x01, 0xd3); //              xor rbx, [rsi] ; add rbx, r10
  body.push(0x48, 0x83, 0xc6, 0x10, 0x49, 0xff, 0xc9); //        add rsi, 16 ; dec r9
  const back = -(body.length + 6);
  body.push(0x0f, 0x85, back & 0xff, (back >> 8) & 0xff, (back >> 16) & 0xff, (back >> 24) & 0xff); // jnz loop
  body.push(0x9c, 0xf4); //                                      pushfq ; hlt
  return body;
}

describe('instructions the translator emits inline', () => {
  it('shifts and rotates by constants, 16-bit ALU/MOV, ADC/SBB, CMOVcc, SETcc and IMUL, on registers and memory, give the interpreter\'s registers and RFLAGS at every stop', () => {
    let programs = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const code = program(seed);
      const setup = (c: Parameters<NonNullable<Parameters<typeof sameWithAndWithoutTranslation>[2]>>[0]): void => {
        c.jitThreshold = 1;
        const pick = rng(seed * 7919);
        c.r[12] = 0x100000; // rsi: data
        c.r[14] = (pick(0x10000) << 16) | pick(0x10000); c.r[15] = pick(2) ? -1 : pick(0x10000) << 16; // rdi
        c.r[30] = (pick(0x10000) << 16) | pick(0x10000); c.r[31] = pick(0x10000) * 0x8001; // r15
        c.r[18] = 200; // r9: iterations
        for (let k = 0; k < 200 * 16 + 16; k++) c.mem.u8[0x100000 + k] = pick(256);
      };
      for (const budget of [7, 60, 333, 100_000]) {
        const { on } = sameWithAndWithoutTranslation(code, budget, setup);
        if (budget === 100_000) assert.equal(on.exits[on.exits.length - 1], Exit.HALT, `program ${seed} ran to its HLT`);
      }
      programs++;
    }
    assert.equal(programs, 200);
  });
  it('a rotate before a loop\'s back edge: the flags it leaves when the loop falls through', () => {
    // loop: mov edx, eax ; ror eax, 3 ; jb loop ; pushfq ; pop rbx ; hlt — the back edge writes the rotate's CF/OF to
    // the CPU on the taken path only; the fall-through keeps them pending for the exit.
    const code = [0x89, 0xc2, 0xc1, 0xc8, 0x03, 0x72, 0xf9, 0x9c, 0x5b, 0xf4];
    for (const eax of [0x0000fffc, 0x7ffffffc, 0x24924924, 0x00000004]) {
      for (const budget of [3, 10, 100_000]) {
        const { on } = sameWithAndWithoutTranslation(code, budget, (c) => { c.jitThreshold = 1; c.setReg64(0, eax | 0, 0); });
        if (budget === 100_000) assert.equal(on.exits[on.exits.length - 1], Exit.HALT);
      }
    }
  });
});
