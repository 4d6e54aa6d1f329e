import type { Cpu } from './cpu';

/** An instruction handler: executes one decoded instruction. RIP already points past it. */
export type Handler = (c: Cpu, i: Insn) => void;

/** Immediate operand kinds of the opcode table. */
export const enum Imm {
  NONE = 0,
  /** 8-bit, sign-extended into imm. */
  IB = 1,
  /** 16-bit. */
  IW = 2,
  /** 16 or 32 bits by operand size, sign-extended to 64 for 64-bit operand size. */
  IZ = 3,
  /** 16, 32 or 64 bits by operand size (MOV r, imm64). */
  IV = 4,
  /** 16-bit then 8-bit (ENTER). */
  IW_IB = 5,
  /** Far pointer: offset (16/32 by operand size) then 16-bit selector in imm2 (JMP/CALL ptr16:16/32). */
  PTR = 6,
  /** Memory offset of address-size width (MOV AL, moffs). */
  MOFFS = 7,
}

/** A decoded instruction. Objects live in the decode cache and are reused; handlers must not keep them. */
export class Insn {
  // The fields the run loop and the hot handlers read come first, so they share the object's first cache line
  // (an interpreted kernel's decoded instructions are far more than fit in the CPU's caches).
  exec: Handler = () => {};
  len = 0;
  /** Operand size in bytes (2, 4 or 8), after prefixes and the table's 64-bit default. */
  osz = 4;
  mod = 0;
  /** ModRM.reg with REX.R (0..15). */
  reg = 0;
  /** ModRM.rm with REX.B (register operand when mod == 3). */
  rm = 0;
  /** Address size in bytes (2, 4 or 8). */
  asz = 4;
  /** The memory operand: base register (-1 none), index register (-1 none), scale shift, displacement. */
  base = -1;
  index = -1;
  scale = 0;
  disp = 0;
  /** Segment override (Seg index) or -1. */
  seg = -1;
  /** Memory operands default to SS when based on RSP/RBP (for #SS vs #GP and 16/32-bit segmentation). */
  defaultSS = false;
  ripRel = false;
  imm = 0;
  immHi = 0;
  /** The REX byte (0x40-0x4f) or 0. */
  rex = 0;
  /** Opcode key: 0x000-0x0ff one-byte map, 0x100-0x1ff 0F map, 0x200 0F38, 0x300 0F3A; VEX: 0x400 0F, 0x500 0F38, 0x600 0F3A. */
  op = 0;
  /** 0 none, 1 = F3 (REP/REPE), 2 = F2 (REPNE). */
  rep = 0;
  lock = false;
  p66 = false;
  hasModrm = false;
  imm2 = 0;
  /** Ends a block (branch, mode change, interrupt-flag change, HLT …). */
  endsBlock = false;
  /** VEX-encoded (C4/C5): opcode keys 0x400-0x6ff (maps 0F, 0F38, 0F3A); vexL = VEX.L, vvvv = the extra
   *  register operand (0..15, already un-inverted). The VEX.pp prefix is in p66/rep, VEX.RXBW in rex. */
  vex = false;
  vexL = 0;
  vvvv = 0;
  /** Mnemonic from the opcode table (for traces and errors). */
  name = '';
}

/** One opcode table row. */
export interface OpcodeSpec {
  name: string;
  modrm: boolean;
  imm: Imm;
  exec: Handler;
  /** Defaults to 64-bit operand size in 64-bit mode (PUSH/POP, near branches, …). */
  d64?: boolean;
  /** Always 64-bit in 64-bit mode, 66 ignored (Jcc, CALL/JMP near, RET, LOOP on Intel). */
  f64?: boolean;
  /** Invalid in 64-bit mode (#UD). */
  i64?: boolean;
  endsBlock?: boolean;
  /** ModRM always names registers (MOV CR/DR: mod is ignored and treated as 11b). */
  regOnly?: boolean;
}
