import type { Insn } from './insn';

/**
 * Translation (jit.ts): the questions asked about a decoded instruction before any code is emitted — whether
 * it is emitted inline and by which family (K), and what its interpreter handler may touch when it is called
 * instead (keepsSegments, footprint).
 */

export const enum K { JCC = 1, ALU = 2, INCDEC = 3, MOV = 4, MOVX = 5, SHIFT = 6, NOP = 7, SETCC = 8, CMOV = 9, IMUL = 10, STACK = 11, SHIFTCL = 12, STACK32 = 13, MOFFS = 14, INVLPG = 15, UNARY = 16, MULWIDE = 17, STRING = 18, FLAGCTL = 19, XCHG = 20 }

/** Conditional branch (Jcc rel8/rel32): Cpu.buildBlock lets a block continue past one. */
export function isCondBranch(i: Insn): boolean {
  return (i.op >= 0x70 && i.op <= 0x7f) || (i.op >= 0x180 && i.op <= 0x18f);
}

/** Can this instruction be emitted inline (otherwise its handler is called)? */
export function inlineKind(i: Insn): number {
  // PUSH/POP r64, CALL rel32, RET in 64-bit mode (their only 8-byte operand size); REP before RET is ignored.
  if (i.osz === 8 && !i.lock && !i.vex && ((i.op >= 0x50 && i.op <= 0x5f && i.rep === 0) || (i.op === 0xe8 && i.rep === 0) || i.op === 0xc3)) return K.STACK;
  // PUSH/POP r16/r32, PUSH imm, CALL rel16/rel32, RET, PUSHF(D), LEAVE with a 2- or 4-byte operand: outside 64-bit mode
  // (jit-stack.ts stack32 calls the handler for a 16-bit one in 64-bit mode, where near branches, PUSHF and
  // LEAVE default to 64 bits and there is no 32-bit PUSH/POP).
  if ((i.osz === 4 || i.osz === 2) && !i.lock && !i.vex && ((i.rep === 0 && ((i.op >= 0x50 && i.op <= 0x5f) || i.op === 0xe8 || i.op === 0x9c || i.op === 0xc9 || i.op === 0x68 || i.op === 0x6a)) || i.op === 0xc3)) return K.STACK32;
  if (i.vex) return 0;
  const op = i.op;
  // LOCK on a read-modify-write of memory: one CPU runs one instruction at a time, so the interpreter does the
  // plain operation (alu.ts, atomic.ts); inline as the unlocked form. Other LOCK uses go to the handler.
  if (i.lock) return i.rep === 0 && lockedRmw(i) ? inlineKind({ ...i, lock: false } as Insn) : 0;
  // MOVS/CMPS/STOS/LODS/SCAS without REP (jit-string.ts).
  if (i.rep === 0 && ((op >= 0xa4 && op <= 0xa7) || (op >= 0xaa && op <= 0xaf))) return K.STRING;
  if (i.rep !== 0) return 0;
  // CLI/STI, CLD/STD, CLC/STC/CMC (jit-system.ts).
  if ((op >= 0xf8 && op <= 0xfd) || op === 0xf5) return K.FLAGCTL;
  // XCHG r/m, r (with memory: implicitly locked, jit-integer.ts).
  if (op === 0x86 || op === 0x87) return K.XCHG;
  if (isCondBranch(i) || op === 0xeb || op === 0xe9) return K.JCC;
  if (op === 0x101 && (i.reg & 7) === 7 && i.mod !== 3) return K.INVLPG;
  // NOP, NOP r/m, the prefetch hints and the reserved-NOP space (mov.ts: no operand is touched); 90 with
  // REX.B is XCHG r8, rAX.
  if ((op === 0x90 && (i.rex & 1) === 0) || op === 0x10d || (op >= 0x118 && op <= 0x11f)) return K.NOP;
  if (op >= 0x190 && op <= 0x19f) return K.SETCC;
  if (op >= 0x140 && op <= 0x14f) return K.CMOV;
  if (op === 0x1af || op === 0x69 || op === 0x6b) return K.IMUL;
  if (op < 0x40 && (op & 7) <= 5) return K.ALU;
  if (op >= 0x80 && op <= 0x83 && op !== 0x82) return K.ALU;
  if (op === 0x84 || op === 0x85 || op === 0xa8 || op === 0xa9) return K.ALU;
  if ((op === 0xf6 || op === 0xf7) && (i.reg & 7) === 0) return K.ALU; // TEST r/m, imm
  if ((op === 0xf6 || op === 0xf7) && ((i.reg & 7) === 2 || (i.reg & 7) === 3)) return K.UNARY; // NOT, NEG r/m
  // MUL/IMUL r/m32 and r/m64 into EDX:EAX / RDX:RAX.
  if (op === 0xf7 && ((i.reg & 7) === 4 || (i.reg & 7) === 5) && (i.osz === 4 || i.osz === 8)) return K.MULWIDE;
  // MOV AL/eAX to or from an absolute offset with 32- or 16-bit addressing (jit-integer.ts moffs: outside 64-bit mode).
  if (op >= 0xa0 && op <= 0xa3 && i.asz !== 8) return K.MOFFS;
  if ((op === 0xff || op === 0xfe) && (i.reg & 7) < 2) return K.INCDEC;
  // INC/DEC r16/r32 (40-4F: REX prefixes in 64-bit mode, so decoded as these only outside it).
  if (op >= 0x40 && op <= 0x4f) return K.INCDEC;
  if ((op >= 0x88 && op <= 0x8b) || (op >= 0xb0 && op <= 0xbf)) return K.MOV;
  if ((op === 0xc6 || op === 0xc7) && (i.reg & 7) === 0) return K.MOV;
  if (op === 0x8d && i.mod !== 3) return K.MOV;
  if (op === 0x1b6 || op === 0x1b7 || op === 0x1be || op === 0x1bf) return K.MOVX;
  if (op === 0x63 && i.osz === 8) return K.MOVX;
  // SHL/SHR/SAL/SAR r32/r64 by CL: shift.ts's shiftOp on the register locals (no sync, no handler call).
  if (op === 0xd3 && i.mod === 3 && (i.osz === 4 || i.osz === 8) && (i.reg & 7) >= 4) return K.SHIFTCL;
  if (op === 0xc0 || op === 0xc1 || op === 0xd0 || op === 0xd1) {
    // ROL ROR SHL SHR SAL SAR by an immediate or 1 whose masked count is not 0 (RCL/RCR read CF: handler).
    const kind = i.reg & 7;
    return kind !== 2 && kind !== 3 && shiftCount(i) !== 0 ? K.SHIFT : 0;
  }
  return 0;
}

/**
 * A LOCK prefix on an instruction that may carry one (SDM LOCK): ADD/OR/ADC/SBB/AND/SUB/XOR, INC/DEC, NOT/NEG and
 * XCHG with a memory destination.
 */
function lockedRmw(i: Insn): boolean {
  if (i.mod === 3 || !i.hasModrm) return false;
  const op = i.op;
  if (op < 0x40 && (op & 7) <= 1) return op >> 3 !== 7;
  if (op === 0x80 || op === 0x81 || op === 0x83) return (i.reg & 7) !== 7;
  if (op === 0xfe || op === 0xff) return (i.reg & 7) < 2;
  if (op === 0xf6 || op === 0xf7) return (i.reg & 7) === 2 || (i.reg & 7) === 3;
  return op === 0x86 || op === 0x87;
}

/** The masked count of a shift by imm8 (C0/C1) or by 1 (D0/D1), as the interpreter masks it (shift.ts). */
export function shiftCount(i: Insn): number {
  const raw = i.op === 0xc0 || i.op === 0xc1 ? i.imm : 1;
  return raw & (i.osz === 8 && (i.op & 1) === 1 ? 63 : 31);
}

/**
 * Whether the handler of `i`, when it completes, leaves every segment register, CR0 and the mode as they were,
 * so a translation need not recompute its flat-segment mask (Cpu.flatSegments) after calling it: stack
 * operations, near calls and returns, multiply/divide and string instructions (a fault or a control transfer
 * leaves the block anyway). Anything not listed recomputes it.
 */
export function keepsSegments(i: Insn): boolean {
  const op = i.op;
  if (op >= 0x50 && op <= 0x61) return true; // PUSH/POP r, PUSHA/POPA
  if (op === 0x68 || op === 0x6a || op === 0x8f || op === 0x9c) return true; // PUSH imm, POP r/m, PUSHF
  if (op === 0xe8 || op === 0xc2 || op === 0xc3 || op === 0xc8 || op === 0xc9) return true; // CALL rel, RET (imm), ENTER, LEAVE
  if (op === 0xff) return [2, 4, 6].includes(i.reg & 7); // CALL/JMP near r/m, PUSH r/m
  if (op === 0xf6 || op === 0xf7) return true; // TEST/NOT/NEG/MUL/IMUL/DIV/IDIV
  if (op === 0x69 || op === 0x6b || op === 0x1af) return true; // IMUL
  return (op >= 0xa4 && op <= 0xa7) || (op >= 0xaa && op <= 0xaf); // MOVS, CMPS, STOS, LODS, SCAS
}

/**
 * Guest registers a register-only instruction's handler may read or write, for instructions that touch
 * nothing else (no memory, no device, no fault, no control transfer: only these registers and the flags);
 * undefined when any of that may not hold. Such a handler is called with only these registers synced
 * (Gen.generic, the light call). 8-bit operands without REX may name AH..BH: both readings are listed.
 */
export function footprint(i: Insn): number[] | undefined {
  if (i.lock || i.vex || i.rep !== 0) return undefined;
  const op = i.op;
  const byteRm = (): number[] => (i.rex === 0 && i.rm >= 4 && i.rm < 8 ? [i.rm, i.rm - 4] : [i.rm]);
  const byteReg = (): number[] => (i.rex === 0 && i.reg >= 4 && i.reg < 8 ? [i.reg, i.reg - 4] : [i.reg]);
  const rmReg = (): number[] => [...byteRm(), ...byteReg()];
  if (op === 0x98) return [0];
  if (op === 0x99) return [0, 2];
  if (op >= 0x1c8 && op <= 0x1cf) return [(op & 7) | ((i.rex & 1) << 3)];
  if (op >= 0x91 && op <= 0x97) return [0, (op & 7) | ((i.rex & 1) << 3)];
  if (!i.hasModrm || i.mod !== 3) {
    // ADC/SBB AL/eAX, imm
    if (op < 0x20 && op >= 0x10 && (op & 7) >= 4 && (op & 7) <= 5) return [0];
    return undefined;
  }
  if (op >= 0x10 && op < 0x20 && (op & 7) <= 3) return rmReg(); // ADC/SBB r/m, r and r, r/m
  if (op < 0x40 && (op & 7) <= 3) return rmReg(); // 16-bit ALU forms the translator does not inline
  if (op === 0x80 || op === 0x81 || op === 0x83) return byteRm(); // (0x82 is #UD in 64-bit mode)
  if (op >= 0x84 && op <= 0x8b) return rmReg(); // TEST, XCHG, MOV (16-bit forms)
  if (op === 0xc0 || op === 0xc1 || op === 0xd0 || op === 0xd1) return byteRm();
  if (op === 0xd2 || op === 0xd3) return [...byteRm(), 1];
  if ((op === 0xf6 || op === 0xf7) && (i.reg & 7) <= 3) return byteRm();
  if ((op === 0xf6 || op === 0xf7) && (i.reg & 7) <= 5) return [...byteRm(), 0, 2]; // MUL/IMUL
  if ((op === 0xfe || op === 0xff) && (i.reg & 7) <= 1) return byteRm();
  if (op === 0x69 || op === 0x6b || op === 0x1af) return rmReg();
  if (op >= 0x140 && op <= 0x14f) return rmReg();
  if (op >= 0x190 && op <= 0x19f) return byteRm();
  if (op === 0x1a3 || op === 0x1ab || op === 0x1b3 || op === 0x1bb || op === 0x1bc || op === 0x1bd) return rmReg();
  if (op === 0x1ba && (i.reg & 7) >= 4) return byteRm();
  if (op === 0x1a4 || op === 0x1ac) return rmReg();
  if (op === 0x1a5 || op === 0x1ad) return [...rmReg(), 1];
  if (op === 0x1b6 || op === 0x1b7 || op === 0x1be || op === 0x1bf) return rmReg();
  return undefined;
}

/** ADC/SBB (an inline ALU instruction that reads CF). */
export function readsCarry(i: Insn): boolean {
  const alu = i.op >= 0x80 && i.op <= 0x83 ? i.reg & 7 : i.op < 0x40 ? i.op >> 3 : -1;
  return alu === 2 || alu === 3;
}

/** An ALU instruction with no memory operand (register ModRM form, or the AL/eAX-immediate and TEST forms). */
export function registerOnly(i: Insn): boolean {
  if (i.op < 0x40 && (i.op & 7) >= 4) return true;
  if (i.op === 0xa8 || i.op === 0xa9) return true;
  return i.mod === 3;
}

/** Operand size of an inline ALU/MOV instruction: byte forms are the even opcodes of each group. */
export function opSize(i: Insn): number {
  const op = i.op;
  if (op < 0x40) return (op & 1) === 0 && (op & 7) !== 6 ? 1 : i.osz;
  if (op === 0x80 || op === 0x84 || op === 0xa8 || op === 0xf6 || op === 0xfe || op === 0x88 || op === 0x8a || op === 0xc6 || op === 0xa0 || op === 0xa2) return 1;
  if (op >= 0xb0 && op <= 0xb7) return 1;
  return i.osz;
}
