import type { Mode, Rng } from './rig';

/**
 * Structured fuzz programs for the translator (jit.ts): random streams are mostly straight-line garbage that
 * faults within a few instructions, so their blocks rarely loop, chain or branch inside themselves. A program here is 3-9 basic blocks of the instructions the translator emits inline (ALU, MOV, LEA,
 * shifts, SETcc, CMOVcc, IMUL, PUSH/POP, memory operands on two base registers that point into the data area)
 * mixed with some its handlers run (BSF, MUL, CDQ, 16-bit ALU, PUSHF/POPF), string instructions
 * without REP, XCHG, LOCKed read-modify-writes, CLI/STI/CLC/STC/CMC/CLD, PUSH imm, IMUL and NOT/NEG in all their
 * forms with multiplication corner operands (CORNERS), and, now and then, a
 * store into the program's own code (self-modifying code: the blocks it hits are invalidated).
 * Each block ends in a conditional branch (forward or backward), a jump, or falls through; the last jumps back
 * to the first, so the blocks run many times with data-dependent paths. Decoded blocks continue past a
 * conditional branch, so the forward ones are mostly branches inside a translated block (Gen.inner), and the
 * flags at their targets are sometimes read before they are set again (CMOVcc, SETcc, ADC/SBB first). The program may start near the end of
 * the code page so that blocks cross onto the next page (RIP starts there). Returns the bytes and their offset
 * from `code`; the first instructions point EBX and ESI into `data`.
 */
/** 64-bit operands (lo, hi) at the boundaries where a product's overflow changes (IMUL/MUL CF and OF). */
const CORNERS: [number, number][] = [
  [0, 0x80000000], [0xffffffff, 0xffffffff], [0xffffffff, 0x7fffffff], [0, 1], [1, 1], [0x80000000, 0],
  [0x80000000, 0xffffffff], [0x7fffffff, 0], [0xb504f333, 0], [0xb504f334, 0], [0xb504f334, 0xffffffff], [0, 0x40000000],
  [2, 0], [0xfffffffe, 0xffffffff], [0x10000, 0], [0xb505, 0],
];

export function structuredProgram(rng: Rng, mode: Mode, code: number, data: number, real = false): { bytes: Uint8Array; at: number } {
  const long = mode === 'long64';
  const at = rng.chance(0.25) ? 4096 - 40 - rng.below(80) : 0;
  const out: number[] = [];
  const emit = (...b: number[]): void => { out.push(...b); };
  const imm32 = (v: number): void => emit(v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255);
  // In real mode every instruction gets operand- and address-size prefixes (66 67), so the program's 32-bit
  // encodings keep their lengths and meaning (memory operands then add the data segment's base).
  let sixteen = false;
  const pre = (): void => { if (real) { if (sixteen) emit(0x67); else emit(0x66, 0x67); } };
  pre(); emit(0xbb); imm32(data + rng.below(64) * 4); // mov ebx, data + …
  pre(); emit(0xbe); imm32(data + 256 + rng.below(64) * 4); // mov esi, data + …
  // Work registers: eax ecx edx edi ebp (not ebx/esi: the bases; not esp), and r8-r11 in 64-bit mode.
  const work = long ? [0, 1, 2, 7, 5, 8, 9, 10, 11] : [0, 1, 2, 7, 5];
  const reg = (): number => rng.pick(work);
  const rex = (w: boolean, r: number, b: number): void => {
    pre();
    const v = (w ? 8 : 0) | ((r >> 3) << 2) | (b >> 3);
    if (long && (v !== 0)) emit(0x40 | v);
  };
  const wide = (): boolean => long && rng.chance(0.5);
  const modrmReg = (op: number[], r: number, rm: number, w = wide()): void => { rex(w, r, rm); emit(...op, 0xc0 | ((r & 7) << 3) | (rm & 7)); };
  const modrmMem = (op: number[], r: number, w = wide()): void => {
    rex(w, r, 0);
    emit(...op, 0x40 | ((r & 7) << 3) | rng.pick([3, 6]), rng.below(32) * 4);
  };
  const insn = (): void => {
    const r = reg(), s = reg();
    switch (rng.chance(0.25) ? 18 + rng.below(11) : rng.below(18)) {
      case 0: case 1: modrmReg([rng.pick([0x01, 0x09, 0x11, 0x19, 0x21, 0x29, 0x31, 0x39])], s, r); break;
      case 2: modrmReg([0x83], rng.below(8), r); emit(rng.below(256)); break;
      case 3: modrmReg([0x81], rng.below(8), r); imm32(rng.u32()); break;
      case 4: modrmReg([0x85], s, r); break;
      case 5: modrmReg([0xff], rng.below(2), r); break;
      case 6: modrmReg([0x89], s, r); break;
      case 7: rex(false, 0, r); emit(0xb8 + (r & 7)); imm32(rng.chance(0.5) ? rng.below(16) : rng.u32()); break;
      case 8: modrmMem([0x8b], r); break;
      case 9: modrmMem([0x89], r); break;
      case 10: modrmMem([rng.pick([0x01, 0x29, 0x31, 0x39, 0x03, 0x2b, 0x3b])], r); break;
      case 11: modrmMem([0x83], 7, rng.chance(0.5)); emit(rng.below(256)); break;
      case 12: modrmReg([0xc1], rng.pick([0, 1, 4, 5, 7]), r); emit(1 + rng.below(31)); break;
      case 13: modrmReg([0xd3], rng.pick([4, 5, 7]), r); break;
      case 14: modrmReg([0x0f, 0x40 + rng.below(16)], s, r); break;
      case 15: pre(); emit(0x0f, 0x90 + rng.below(16), 0xc0 | rng.below(3)); break;
      case 16: modrmReg([0x0f, 0xaf], s, r); break;
      case 17: modrmMem([0x8d], r); break;
      case 18: if (r < 8 && s < 8) { pre(); emit(0x50 + r); insnSimple(); pre(); emit(0x58 + s); } break;
      case 19: modrmReg([0x87], s, r); break;
      case 20: modrmReg([0xf7], rng.pick([3, 4, 2]), r); break;
      case 21: if (rng.chance(0.5)) { pre(); emit(0x99); } else modrmReg([0x0f, 0xbc], s, r); break;
      // A 16-bit operation (in real mode: the 67 prefix alone).
      case 22: sixteen = true; if (!real) emit(0x66); modrmReg([rng.pick([0x01, 0x29, 0x31])], rng.pick([0, 1, 2, 7, 5]), rng.pick([0, 1, 2, 7, 5]), false); sixteen = false; break;
      // IMUL r, r/m (memory too) and r, r/m, imm at 32 and 64 bits; MUL/IMUL rDX:rAX.
      case 23: switch (rng.below(6)) {
        case 4: modrmMem([0xf7], rng.pick([4, 5])); break;
        case 0: modrmMem([0x0f, 0xaf], r); break;
        case 1: modrmReg([0x69], r, s); imm32(rng.chance(0.5) ? rng.pick(CORNERS)[0] : rng.u32()); break;
        case 2: modrmReg([0x6b], r, s); emit(rng.pick([0x80, 0xff, 0x7f, 0x02, rng.below(256)])); break;
        case 3: modrmMem([0x6b], r); emit(rng.below(256)); break;
        default: modrmReg([0xf7], rng.pick([4, 5]), r);
      } break;
      // NOT/NEG at every size: byte registers (AH..BH without REX), 16-bit, memory.
      case 24: switch (rng.below(4)) {
        case 0: modrmReg([0xf6], rng.pick([2, 3]), r, false); break;
        case 1: sixteen = true; if (!real) emit(0x66); modrmReg([0xf7], rng.pick([2, 3]), rng.pick([0, 1, 2, 7, 5]), false); sixteen = false; break;
        case 2: modrmMem([rng.pick([0xf6, 0xf7])], rng.pick([2, 3])); break;
        default: modrmReg([0xf7], rng.pick([2, 3]), r);
      } break;
      // A multiplication's corner operand: a 64-bit value at the 2^63 / 2^32 / 2^31 boundaries (its low half
      // outside 64-bit mode).
      case 25: { const [lo, hi] = rng.pick(CORNERS); const w = long; rex(w, 0, r); emit(0xb8 + (r & 7)); imm32(lo); if (w) imm32(hi); break; }
      // A string instruction without REP (MOVS CMPS STOS LODS SCAS, every size; 16-bit addressing outside 64-bit
      // mode, 32-bit in it; a segment override; DF set now and then): EDI first pointed into the data area, ESI
      // put back near it after.
      case 26: {
        modrmMem([0x8d], 7, false);
        const df = rng.chance(0.3);
        if (df) emit(0xfd);
        const op = rng.pick([0xa4, 0xa6, 0xaa, 0xac, 0xae]) + (rng.chance(0.6) ? 1 : 0);
        if (rng.chance(0.3)) emit(rng.pick([0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65]));
        if (real) { if (rng.chance(0.5)) emit(0x66); if (rng.chance(0.7)) emit(0x67); }
        else { if (rng.chance(0.2)) emit(0x66); if (rng.chance(0.15)) emit(0x67); }
        if (long && (op & 1) === 1 && rng.chance(0.4)) emit(0x48);
        emit(op);
        if (df) emit(0xfc);
        if (op < 0xaa || (op >= 0xac && op < 0xae)) { pre(); emit(0x8d, 0x73, rng.below(128)); } // lea esi, [ebx + d]
        break;
      }
      // XCHG r/m, r and LOCKed read-modify-writes of memory; the flag instructions; PUSH imm then POP.
      case 27: switch (rng.below(6)) {
        case 0: if (rng.chance(0.5)) emit(0xf0); modrmMem([rng.pick([0x86, 0x87])], r); break;
        case 1: emit(0xf0); modrmMem([rng.pick([0x01, 0x09, 0x11, 0x19, 0x21, 0x29, 0x31, 0x00, 0x28])], r); break;
        case 2: emit(0xf0); if (rng.chance(0.5)) { modrmMem([0x83], rng.below(7)); emit(rng.below(256)); } else modrmMem([rng.pick([0xff, 0xfe, 0xf7])], rng.pick([0, 1, 2, 3])); break;
        case 3: modrmReg([rng.pick([0x86, 0x87])], s, r); break;
        case 4: pre(); emit(rng.pick([0xf8, 0xf9, 0xf5, 0xfc, 0xfa, 0xfb])); break;
        default: if (r < 8) { pre(); if (rng.chance(0.5)) emit(0x6a, rng.below(256)); else { emit(0x68); imm32(rng.u32()); } pre(); emit(0x58 + r); }
      } break;
      default: if (rng.chance(0.5)) { pre(); emit(0x9c); insnSimple(); pre(); emit(0x9d); } else insnSimple();
    }
  };
  // One inline register instruction (inside PUSH/POP and PUSHF/POPF pairs).
  const insnSimple = (): void => { modrmReg([rng.pick([0x01, 0x21, 0x29, 0x31])], reg(), reg()); };
  const nBlocks = 3 + rng.below(7);
  const starts: number[] = [];
  const fixups: { pos: number; target: number }[] = [];
  for (let b = 0; b < nBlocks; b++) {
    starts.push(out.length);
    const n = 1 + rng.below(6);
    // Now and then the block first reads the flags another path left (a branch target's record).
    if (rng.chance(0.2)) {
      const r = reg(), s = reg();
      switch (rng.below(3)) {
        case 0: modrmReg([0x0f, 0x40 + rng.below(16)], s, r); break;
        case 1: pre(); emit(0x0f, 0x90 + rng.below(16), 0xc0 | rng.below(3)); break;
        default: modrmReg([rng.pick([0x11, 0x19])], s, r);
      }
    }
    for (let k = 0; k < n; k++) insn();
    // Self-modifying code: a store into the program's bytes (or just past them).
    if (rng.chance(0.04)) {
      const target = code + at + rng.below(out.length + 16);
      pre();
      if (long) emit(0x89, 0x04, 0x25); else emit(0x89, 0x05);
      imm32(target);
    }
    const last = b === nBlocks - 1;
    const kind = last ? 1 : rng.below(4);
    if (kind === 0 || kind === 2) { pre(); emit(0x0f, 0x80 + rng.below(16)); fixups.push({ pos: out.length, target: rng.below(nBlocks) }); imm32(0); }
    else if (kind === 1) { pre(); emit(0xe9); fixups.push({ pos: out.length, target: last ? 0 : rng.below(nBlocks) }); imm32(0); }
  }
  for (const f of fixups) {
    const rel = starts[f.target] - (f.pos + 4);
    out[f.pos] = rel & 255; out[f.pos + 1] = (rel >>> 8) & 255; out[f.pos + 2] = (rel >>> 16) & 255; out[f.pos + 3] = (rel >>> 24) & 255;
  }
  return { bytes: Uint8Array.from(out), at };
}
