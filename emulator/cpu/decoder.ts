import { raise, ud } from './fault';
import { Imm, Insn, OpcodeSpec } from './insn';
import { specialize } from './specialize';
import { Seg } from './state';

/** Reads one instruction byte at offset k from the instruction start (may throw a #PF GuestFault). */
export type FetchByte = (k: number) => number;

/**
 * Decode one instruction into `out` (SDM Vol. 2 §2.1-2.2): legacy prefixes, REX (64-bit mode only, and only
 * immediately before the opcode), the opcode maps (one-byte, 0F, 0F38, 0F3A), ModRM/SIB with displacement,
 * and immediates as the opcode table says. Instructions longer than 15 bytes raise #GP(0); opcodes the
 * table marks invalid raise #UD when executed (the handler does it), so decoding itself only faults on
 * fetch or length.
 */
export function decode(table: (OpcodeSpec | undefined)[], fetch: FetchByte, long: boolean, codeSize: number, out: Insn, undefinedHandler: OpcodeSpec): void {
  let k = 0;
  let p66 = false, p67 = false, rep = 0, lock = false, seg = -1, rex = 0;
  let b: number;
  for (;;) {
    if (k >= 15) raise(13, 0, 'instruction longer than 15 bytes');
    b = fetch(k++);
    switch (b) {
      case 0x66: p66 = true; rex = 0; continue;
      case 0x67: p67 = true; rex = 0; continue;
      case 0xf2: rep = 2; rex = 0; continue;
      case 0xf3: rep = 1; rex = 0; continue;
      case 0xf0: lock = true; rex = 0; continue;
      case 0x26: if (!long) seg = Seg.ES; rex = 0; continue;
      case 0x2e: if (!long) seg = Seg.CS; rex = 0; continue;
      case 0x36: if (!long) seg = Seg.SS; rex = 0; continue;
      case 0x3e: if (!long) seg = Seg.DS; rex = 0; continue;
      case 0x64: seg = Seg.FS; rex = 0; continue;
      case 0x65: seg = Seg.GS; rex = 0; continue;
    }
    if (long && (b & 0xf0) === 0x40) { rex = b; continue; }
    break;
  }
  let op = b;
  let vex = false, vexL = 0, vvvv = 0, vexBad = false;
  if ((b === 0xc4 || b === 0xc5) && (long || (fetch(k) & 0xc0) === 0xc0)) {
    // VEX (SDM Vol. 2 §2.3): C5 = 2-byte form (map 0F, W=0), C4 = 3-byte form. R/X/B and vvvv are stored
    // inverted; pp stands for 66/F3/F2. A 66/F2/F3/LOCK or REX prefix before VEX is #UD (§2.3.2).
    vex = true;
    vexBad = p66 || rep !== 0 || lock || rex !== 0;
    const v1 = fetch(k++);
    let map = 1, w = 0, v2 = v1;
    let rxb = ((~v1 >>> 5) & 4); // R
    if (b === 0xc4) {
      if (k >= 15) raise(13, 0, 'instruction longer than 15 bytes');
      rxb |= (~v1 >>> 5) & 3; // X, B
      map = v1 & 0x1f;
      v2 = fetch(k++);
      w = v2 >>> 7;
    }
    // R/X/B (and W's operand-size meaning) only exist in 64-bit mode.
    rex = long ? 0x40 | (w << 3) | rxb : 0;
    vvvv = (~v2 >>> 3) & (long ? 15 : 7);
    vexL = (v2 >>> 2) & 1;
    const pp = v2 & 3;
    p66 = pp === 1;
    rep = pp === 2 ? 1 : pp === 3 ? 2 : 0;
    if (k >= 15) raise(13, 0, 'instruction longer than 15 bytes');
    const ob = fetch(k++);
    if (map < 1 || map > 3) vexBad = true;
    op = 0x300 + 0x100 * map + ob;
  } else if (b === 0x0f) {
    if (k >= 15) raise(13, 0, 'instruction longer than 15 bytes');
    const b2 = fetch(k++);
    if (b2 === 0x38 || b2 === 0x3a) {
      if (k >= 15) raise(13, 0, 'instruction longer than 15 bytes');
      op = (b2 === 0x38 ? 0x200 : 0x300) | fetch(k++);
    } else {
      op = 0x100 | b2;
    }
  }
  let spec = vexBad ? undefined : table[op];
  if (!spec || (spec.i64 && long)) spec = undefinedHandler;

  const rexW = (rex & 8) !== 0;
  let osz = rexW ? 8 : p66 ? (codeSize === 4 ? 2 : 4) : codeSize;
  if (long && !rexW) {
    if (spec.f64) osz = 8;
    else if (spec.d64 && !p66) osz = 8;
  }
  const asz = long ? (p67 ? 4 : 8) : p67 ? (codeSize === 4 ? 2 : 4) : codeSize;

  out.op = op;
  out.osz = osz;
  out.asz = asz;
  out.rep = rep;
  out.lock = lock;
  out.p66 = p66;
  out.seg = seg;
  out.rex = rex;
  out.hasModrm = spec.modrm;
  out.base = -1;
  out.index = -1;
  out.scale = 0;
  out.disp = 0;
  out.ripRel = false;
  out.defaultSS = false;
  out.mod = 3;
  out.reg = 0;
  out.rm = 0;
  out.imm = 0;
  out.immHi = 0;
  out.imm2 = 0;
  out.vex = vex;
  out.vexL = vexL;
  out.vvvv = vvvv;
  out.exec = spec.exec;
  out.endsBlock = spec.endsBlock === true;
  out.name = spec.name;

  if (spec.modrm) {
    if (k >= 15) raise(13, 0, 'instruction longer than 15 bytes');
    const m = fetch(k++);
    const mod = m >>> 6;
    const reg = ((m >>> 3) & 7) | ((rex & 4) << 1);
    let rm = m & 7;
    out.mod = mod;
    out.reg = reg;
    if (mod === 3 || spec.regOnly) {
      out.mod = 3;
      out.rm = rm | ((rex & 1) << 3);
    } else if (asz === 2) {
      // 16-bit addressing forms (SDM Table 2-1).
      switch (rm) {
        case 0: out.base = 3; out.index = 6; break; // [bx+si]
        case 1: out.base = 3; out.index = 7; break; // [bx+di]
        case 2: out.base = 5; out.index = 6; out.defaultSS = true; break; // [bp+si]
        case 3: out.base = 5; out.index = 7; out.defaultSS = true; break; // [bp+di]
        case 4: out.base = 6; break;
        case 5: out.base = 7; break;
        case 6: if (mod !== 0) { out.base = 5; out.defaultSS = true; } break;
        case 7: out.base = 3; break;
      }
      if (mod === 1) { out.disp = (fetch(k++) << 24) >> 24; }
      else if (mod === 2 || (mod === 0 && rm === 6)) { out.disp = ((fetch(k) | (fetch(k + 1) << 8)) << 16) >> 16; k += 2; }
    } else {
      if (rm === 4) {
        const sib = fetch(k++);
        const idx = ((sib >>> 3) & 7) | ((rex & 2) << 2);
        out.scale = sib >>> 6;
        out.index = idx === 4 ? -1 : idx;
        const base = sib & 7;
        if (base === 5 && mod === 0) {
          out.base = -1;
          out.disp = fetch(k) | (fetch(k + 1) << 8) | (fetch(k + 2) << 16) | (fetch(k + 3) << 24);
          k += 4;
        } else {
          out.base = base | ((rex & 1) << 3);
        }
      } else if (rm === 5 && mod === 0) {
        out.disp = fetch(k) | (fetch(k + 1) << 8) | (fetch(k + 2) << 16) | (fetch(k + 3) << 24);
        k += 4;
        if (long) out.ripRel = true;
      } else {
        out.base = rm | ((rex & 1) << 3);
      }
      if (mod === 1) out.disp = (fetch(k++) << 24) >> 24;
      else if (mod === 2) { out.disp = fetch(k) | (fetch(k + 1) << 8) | (fetch(k + 2) << 16) | (fetch(k + 3) << 24); k += 4; }
      if (out.base === 4 || out.base === 5) out.defaultSS = true;
    }
    if (k > 15) raise(13, 0, 'instruction longer than 15 bytes');
  }

  let immKind = spec.imm;
  // Group 3 (F6/F7): only TEST (reg 0 and 1) has an immediate.
  if ((op === 0xf6 || op === 0xf7) && (out.reg & 7) < 2) immKind = op === 0xf6 ? Imm.IB : Imm.IZ;
  switch (immKind) {
    case Imm.NONE: break;
    case Imm.IB: out.imm = (fetch(k++) << 24) >> 24; out.immHi = out.imm >> 31; break;
    case Imm.IW: out.imm = fetch(k) | (fetch(k + 1) << 8); k += 2; break;
    case Imm.IZ:
      if (osz === 2) { out.imm = ((fetch(k) | (fetch(k + 1) << 8)) << 16) >> 16; k += 2; }
      else { out.imm = fetch(k) | (fetch(k + 1) << 8) | (fetch(k + 2) << 16) | (fetch(k + 3) << 24); k += 4; }
      out.immHi = out.imm >> 31;
      break;
    case Imm.IV:
      if (osz === 2) { out.imm = fetch(k) | (fetch(k + 1) << 8); k += 2; }
      else {
        out.imm = fetch(k) | (fetch(k + 1) << 8) | (fetch(k + 2) << 16) | (fetch(k + 3) << 24); k += 4;
        if (osz === 8) { out.immHi = fetch(k) | (fetch(k + 1) << 8) | (fetch(k + 2) << 16) | (fetch(k + 3) << 24); k += 4; }
      }
      break;
    case Imm.IW_IB: out.imm = fetch(k) | (fetch(k + 1) << 8); out.imm2 = fetch(k + 2); k += 3; break;
    case Imm.PTR:
      if (osz === 2) { out.imm = fetch(k) | (fetch(k + 1) << 8); k += 2; }
      else { out.imm = fetch(k) | (fetch(k + 1) << 8) | (fetch(k + 2) << 16) | (fetch(k + 3) << 24); k += 4; }
      out.imm2 = fetch(k) | (fetch(k + 1) << 8); k += 2;
      break;
    case Imm.MOFFS:
      if (asz === 2) { out.imm = fetch(k) | (fetch(k + 1) << 8); k += 2; }
      else {
        out.imm = fetch(k) | (fetch(k + 1) << 8) | (fetch(k + 2) << 16) | (fetch(k + 3) << 24); k += 4;
        if (asz === 8) { out.immHi = fetch(k) | (fetch(k + 1) << 8) | (fetch(k + 2) << 16) | (fetch(k + 3) << 24); k += 4; }
      }
      break;
  }
  if (k > 15) raise(13, 0, 'instruction longer than 15 bytes');
  out.len = k;
  // Group 5's INC/DEC/PUSH do not branch: they need not end a block (CALL/JMP near/far do).
  if (op === 0xff && ((out.reg & 7) < 2 || (out.reg & 7) === 6)) out.endsBlock = false;
  // INVLPG (0F 01 /7, memory form) changes no mode or segment: it ends the running block only when it drops the
  // translation the rest of the block is fetched through (Cpu.invalidatePage sets codeDirty then).
  if (op === 0x101 && (out.reg & 7) === 7 && out.mod !== 3) out.endsBlock = false;
  // A REP string instruction may yield by re-executing itself (RIP back at its start): it ends the block.
  if (rep !== 0 && op >= 0xa4 && op <= 0xaf) out.endsBlock = true;
  // The most frequent forms get a handler specialised for their operand form (specialize.ts).
  if (spec !== undefinedHandler) {
    const fast = specialize(out);
    if (fast !== null) out.exec = fast;
  }
}

export { ud };
