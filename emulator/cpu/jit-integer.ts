import { LF } from './flags';
import type { Insn } from './insn';
import type { Gen } from './jit';
import { opSize, shiftCount } from './jit-classify';
import { borrowBit, CARRIED, carryBit, ccExpr, cfBit, isRemat, ROT } from './jit-flags';
import { ea32, ea64Terms, pageOffset, readRm, reg8, regVal, writeReg, writeRm } from './jit-operands';

/**
 * Translation (jit.ts): the integer instructions emitted inline with the interpreter handlers' semantics —
 * MOV/MOVZX/MOVSX/MOVSXD, LEA, ADD/ADC/SUB/SBB/AND/OR/XOR/CMP/TEST, INC/DEC, shifts and rotates by a constant,
 * SHL/SHR/SAR by CL, SETcc, CMOVcc, IMUL, MUL, NOT/NEG (mov.ts, alu.ts, shift.ts, muldiv.ts are the reference).
 */

const ALU_LF = [LF.ADD, LF.LOGIC, LF.ADC, LF.SBB, LF.LOGIC, LF.SUB, LF.LOGIC, LF.SUB];
const ALU_JS = ['+', '|', '+', '-', '&', '-', '^', '-'];

/** lo/hi expressions of the 64-bit value lo:hi shifted left by the constant m (0..63). */
function shl64(lo: string, hi: string, m: number): [string, string] {
  if (m === 0) return [lo, hi];
  if (m >= 32) return ['0', `(${lo} << ${m - 32})`];
  return [`(${lo} << ${m})`, `((${hi} << ${m}) | (${lo} >>> ${32 - m}))`];
}

/** lo/hi expressions of lo:hi shifted right by the constant m (0..63), arithmetic or logical. */
function shr64(lo: string, hi: string, m: number, arith: boolean): [string, string] {
  if (m === 0) return [lo, hi];
  const sh = arith ? '>>' : '>>>';
  if (m >= 32) return [`(${hi} ${sh} ${m - 32})`, arith ? `(${hi} >> 31)` : '0'];
  return [`((${lo} >>> ${m}) | (${hi} << ${32 - m}))`, `(${hi} ${sh} ${m})`];
}

export function mov(gen: Gen, i: Insn, last: boolean): void {
  const k = gen.k;
  const op = i.op;
  const size = opSize(i);
  if (op >= 0xb0 && op <= 0xbf) {
    writeReg(gen, (op & 7) | ((i.rex & 1) << 3), i.rex, size, String(i.imm), String(i.immHi));
  } else if (op === 0x8b || op === 0x8a) {
    readRm(gen, i, `v${k}`, false, size, last);
    writeReg(gen, i.reg, i.rex, size, `v${k}`, `v${k}h`);
  } else if (op === 0x89) {
    gen.line(`const s${k} = ${gen.g(i.reg)}, s${k}h = ${gen.gh(i.reg)};`);
    writeRm(gen, i, size, `s${k}`, `s${k}h`, last, true);
  } else if (op === 0x88) {
    gen.line(`const s${k} = ${reg8(gen, i.reg, i.rex)};`);
    writeRm(gen, i, size, `s${k}`, '0', last, true);
  } else if (op === 0xc6 || op === 0xc7) {
    writeRm(gen, i, size, String(size === 1 ? i.imm & 0xff : i.imm), String(i.immHi), last, true);
  } else {
    lea(gen, i);
  }
}

/**
 * MOV AL/eAX, moffs16/32 and MOV moffs16/32, AL/eAX (A0-A3, mov.ts) outside 64-bit mode: the offset is a
 * constant, so through a segment that needs only its limit checked (Cpu.flatSegments) the linear address is
 * base + offset, looked up in the TLB inline; anything else (an unusable segment, an offset past the limit, a
 * TLB miss, a page end inside the operand) calls the handler, which faults or completes as interpreted. In 64-bit
 * mode the handler is called.
 */
export function moffs(gen: Gen, i: Insn, last: boolean): void {
  if (gen.long) { gen.generic(i, last); return; }
  const k = gen.k;
  const write = i.op >= 0xa2;
  const size = opSize(i);
  const seg = i.seg >= 0 ? i.seg : 3;
  const off = i.asz === 2 ? i.imm & 0xffff : i.imm >>> 0;
  const [b, l] = gen.segment(seg);
  // A record recomputed from EAX is written out before the branches: the handler's path needs it as much as the
  // inline load does (writeReg there would materialize it on the inline path only).
  if (!write && gen.p !== null && gen.p.remat && gen.p.remat.includes(0)) gen.materialize();
  if (write) gen.line(`const s${k} = ${gen.g(0)};`);
  gen.line(`la = (flat & ${write ? 1 << (seg + 16) : 1 << (seg + 24)}) !== 0 && ${off} <= ${l} - ${size - 1} ? (${b} + ${off}) >>> 0 : -1;`);
  gen.line('if (la < 0) d = -1; else {');
  const pb = pageOffset(gen, size, write);
  gen.line('}');
  gen.line(`if (d >= 0 && d <= ${4096 - size}) {`);
  const [get, set] = size === 1 ? [`m8[(${pb} + d) >>> 0]`, `m8[(${pb} + d) >>> 0] = s${k};`]
    : size === 2 ? [`dv.getUint16((${pb} + d) >>> 0, true)`, `dv.setUint16((${pb} + d) >>> 0, s${k}, true);`]
    : [`dv.getInt32((${pb} + d) >>> 0, true)`, `dv.setInt32((${pb} + d) >>> 0, s${k}, true);`];
  if (write) gen.line(set);
  else {
    gen.line(`const v${k} = ${get};`);
    writeReg(gen, 0, 0, size, `v${k}`, '0');
  }
  gen.line('} else {');
  gen.materializeCopy();
  gen.callHandler(gen.off + i.len, last, true);
  gen.line('}');
}

/** LEA: the effective address (no segment, no memory access, no fault), truncated to the operand size. */
export function lea(gen: Gen, i: Insn): void {
  const k = gen.k;
  if (i.asz === 8 && !i.ripRel) {
    // In 32-bit halves, exact for every operand: the low half is the sum's low 32 bits, the high half adds each
    // term's high half and the carries out of the low one. A 32- or 16-bit destination needs only the low half.
    const parts: [string, string][] = [];
    if (i.base >= 0) parts.push([gen.g(i.base), gen.gh(i.base)]);
    if (i.index >= 0) {
      const s = i.scale, lo = gen.g(i.index), hi = gen.gh(i.index);
      parts.push(s === 0 ? [lo, hi] : [`(${lo} << ${s})`, `((${hi} << ${s}) | (${lo} >>> ${32 - s}))`]);
    }
    const disp = i.disp | 0;
    if (disp !== 0 || parts.length === 0) parts.push([String(disp), disp < 0 ? '-1' : '0']);
    if (i.osz !== 8) {
      gen.line(`const e${k} = (${parts.map((t) => t[0]).join(' + ')}) | 0;`);
      writeReg(gen, i.reg, i.rex, i.osz, `e${k}`, '0');
      return;
    }
    gen.line(`let e${k} = ${parts[0][0]}, e${k}h = ${parts[0][1]};`);
    for (const [lo, hi] of parts.slice(1)) {
      gen.line(`{ const t = e${k}; e${k} = (t + ${lo}) | 0; e${k}h = (e${k}h + ${hi} + ${carryBit('t', lo, `e${k}`)}) | 0; }`);
    }
    writeReg(gen, i.reg, i.rex, i.osz, `e${k}`, `e${k}h`);
    return;
  }
  if (i.asz === 8) {
    // RIP-relative (it has no base or index register): RIP as a signed 48-bit value plus disp32, an exact double.
    const { terms } = ea64Terms(gen, i);
    gen.line(`const a${k} = ${terms.join(' + ')}, e${k} = a${k} | 0, e${k}h = Math.floor(a${k} / 4294967296) | 0;`);
    writeReg(gen, i.reg, i.rex, i.osz, `e${k}`, `e${k}h`);
    return;
  }
  const e = ea32(gen, i);
  if (e === undefined) {
    gen.line(`${gen.syncAddrRegs(i)}c.rip = base + ${gen.off + i.len};`);
    gen.line(`const e${k} = c.ea(i${k});`);
  } else {
    gen.line(`const e${k} = ${e};`);
  }
  writeReg(gen, i.reg, i.rex, i.osz, `(e${k} | 0)`, '0');
}

/** MOVZX/MOVSX r, r/m8|16 and MOVSXD r64, r/m32. */
export function movx(gen: Gen, i: Insn, last: boolean): void {
  const k = gen.k;
  const op = i.op;
  const src = op === 0x63 ? 4 : op === 0x1b6 || op === 0x1be ? 1 : 2;
  const v = `v${k}`;
  readRm(gen, i, v, false, src, last);
  let lo: string;
  if (op === 0x1b6 || op === 0x1b7) lo = src === 2 ? `(${v} & 65535)` : v;
  else lo = src === 1 ? `((${v} << 24) >> 24)` : src === 2 ? `((${v} << 16) >> 16)` : `(${v} | 0)`;
  gen.line(`const x${k} = ${lo};`);
  const signed = op !== 0x1b6 && op !== 0x1b7;
  writeReg(gen, i.reg, i.rex, i.osz, `x${k}`, signed ? `(x${k} >> 31)` : '0');
}

export function alu(gen: Gen, i: Insn, last: boolean): void {
  const k = gen.k;
  const op = i.op;
  const size = opSize(i);
  let alu: number;
  let bSrc: 'reg' | 'imm';
  let dstIsRm = true;
  if (op === 0x84 || op === 0x85) { alu = 8; bSrc = 'reg'; }
  else if (op === 0xa8 || op === 0xa9 || op === 0xf6 || op === 0xf7) { alu = 8; bSrc = 'imm'; }
  else if (op >= 0x80 && op <= 0x83) { alu = i.reg & 7; bSrc = 'imm'; }
  else {
    alu = op >> 3;
    const form = op & 7;
    bSrc = form >= 4 ? 'imm' : 'reg';
    dstIsRm = form <= 1;
  }
  const writes = alu !== 7 && alu !== 8;
  const accForm = op === 0xa8 || op === 0xa9 || (op < 0x40 && (op & 7) >= 4);
  // a = destination operand, b = source operand
  if (accForm) regVal(gen, 0, 1, size, `a${k}`);
  else if (dstIsRm) readRm(gen, i, `a${k}`, writes, size, last);
  else regVal(gen, i.reg, i.rex, size, `a${k}`);
  if (bSrc === 'imm') gen.line(`const b${k} = ${size === 1 ? i.imm & 0xff : i.imm}, b${k}h = ${size === 8 ? i.immHi : 0};`);
  else if (dstIsRm) regVal(gen, i.reg, i.rex, size, `b${k}`);
  else readRm(gen, i, `b${k}`, false, size, last);
  const a = `a${k}`, ah = `a${k}h`, b = `b${k}`, bh = `b${k}h`, lo = `r${k}`, hi = `r${k}h`;
  if (alu === 0 || alu === 5 || alu === 7 || alu === 2 || alu === 3) {
    const sign = ALU_JS[alu];
    // ADC/SBB: the carry in (alu.ts aluOp), kept in the record's aux.
    let cin = '';
    let aux = '0';
    if (alu === 2 || alu === 3) {
      gen.line(`const ci${k} = ${cfBit(gen)};`);
      cin = ` ${sign} ci${k}`;
      aux = `ci${k}`;
    }
    if (size === 8) {
      // In int32 arithmetic, the low words' carry (borrow) out branch-free, whatever the carry in (carryBit). As
      // the sum of the unsigned words (a double, converted twice) and a compare ? 1 : 0 (a branch), it was a
      // tenth of bench-loop's host instructions (`add rax, rcx`).
      gen.line(sign === '+'
        ? `const ${lo} = (${a} + ${b}${cin}) | 0, ${hi} = (${ah} + ${bh} + ${carryBit(a, b, lo)}) | 0;`
        : `const ${lo} = (${a} - ${b}${cin}) | 0, ${hi} = (${ah} - ${bh} - ${borrowBit(a, b, lo)}) | 0;`);
    } else {
      gen.line(`const ${lo} = (${a} ${sign} ${b}${cin}) | 0, ${hi} = 0;`);
    }
    gen.p = { op: ALU_LF[alu], size, res: lo, resHi: hi, a, aHi: ah, b, bHi: bh, aux };
  } else {
    const sign = alu === 8 ? '&' : ALU_JS[alu];
    gen.line(`const ${lo} = ${a} ${sign} ${b}, ${hi} = ${size === 8 ? `${ah} ${sign} ${bh}` : '0'};`);
    gen.p = { op: LF.LOGIC, size, res: lo, resHi: hi, a: '0', aHi: '0', b: '0', bHi: '0', aux: '0' };
  }
  if (!writes) return;
  if (accForm) writeReg(gen, 0, 1, size, lo, hi);
  else if (dstIsRm) writeRm(gen, i, size, lo, hi, last, false);
  else writeReg(gen, i.reg, i.rex, size, lo, hi);
}

/**
 * SHL/SHR/SAR/ROL/ROR r/m by a constant non-zero count (shift.ts semantics). Shifts leave the lazy record
 * LF.SHL/LF.SAR (the operand shifted by count-1, and the result); rotates a ROT pending record.
 */
export function shift(gen: Gen, i: Insn, last: boolean): void {
  const k = gen.k;
  const kind = i.reg & 7;
  const size = (i.op & 1) === 0 ? 1 : i.osz;
  const n = shiftCount(i);
  const a = `a${k}`, ah = `a${k}h`, lo = `r${k}`, hi = `r${k}h`, t = `t${k}`, th = `t${k}h`;
  readRm(gen, i, a, true, size, last);
  const bits = size * 8;
  if (kind === 0 || kind === 1) {
    const right = kind === 1;
    const m = n % bits;
    if (size === 8) {
      if (m === 0) gen.line(`const ${lo} = ${a}, ${hi} = ${ah};`);
      else {
        const [xl, xh] = right ? shr64(a, ah, m, false) : shl64(a, ah, m);
        const [yl, yh] = right ? shl64(a, ah, 64 - m) : shr64(a, ah, 64 - m, false);
        gen.line(`const ${lo} = ${xl} | ${yl}, ${hi} = ${xh} | ${yh};`);
      }
    } else {
      const mask = (1 << bits) - 1;
      const v = size === 4 ? a : `(${a} & ${mask})`;
      const r = m === 0 ? v : right ? `((${v} >>> ${m}) | (${v} << ${bits - m}))` : `((${v} << ${m}) | (${v} >>> ${bits - m}))`;
      gen.line(`const ${lo} = ${size === 4 ? `${r} | 0` : `${r} & ${mask}`}, ${hi} = 0;`);
    }
    const top = size === 8 ? `(${hi} >>> 31)` : `((${lo} >>> ${bits - 1}) & 1)`;
    if (!right) gen.line(`const c${k} = ${lo} & 1, o${k} = ${top} ^ c${k};`);
    else gen.line(`const c${k} = ${top}, o${k} = c${k} ^ ${size === 8 ? `((${hi} >>> 30) & 1)` : `((${lo} >>> ${bits - 2}) & 1)`};`);
    const prev = gen.p === CARRIED || isRemat(gen.p) ? (gen.materialize(), null) : gen.p;
    gen.p = { op: ROT, size, res: lo, resHi: hi, a: '0', aHi: '0', b: '0', bHi: '0', aux: '0', prev, cf: `c${k}`, of: `o${k}` };
  } else {
    const left = kind === 4 || kind === 6;
    const arith = kind === 7;
    if (size === 8) {
      const [tl, tth] = left ? shl64(a, ah, n - 1) : shr64(a, ah, n - 1, arith);
      gen.line(`const ${t} = ${tl} | 0, ${th} = ${tth} | 0;`);
      const [rl, rh] = left ? shl64(t, th, 1) : shr64(t, th, 1, arith);
      gen.line(`const ${lo} = ${rl} | 0, ${hi} = ${rh} | 0;`);
    } else if (left) {
      gen.line(`const ${t} = ${a} << ${n - 1}, ${th} = 0, ${lo} = ${t} << 1, ${hi} = 0;`);
    } else {
      const v = arith ? (size === 4 ? a : `((${a} << ${32 - bits}) >> ${32 - bits})`) : size === 4 ? a : `(${a} & ${(1 << bits) - 1})`;
      const sh = arith ? '>>' : '>>>';
      gen.line(`const ${t} = (${v} ${sh} ${n - 1}) | 0, ${th} = 0, ${lo} = (${t} ${sh} 1) | 0, ${hi} = 0;`);
    }
    gen.p = { op: left ? LF.SHL : LF.SAR, size, res: lo, resHi: hi, a: t, aHi: th, b: '0', bHi: '0', aux: '0' };
  }
  writeRm(gen, i, size, lo, hi, last, false);
}

/**
 * SHL/SHR/SAL/SAR r32/r64, CL as the interpreter does it (shift.ts group2): the count masked to 5 or 6 bits;
 * 0 leaves the flags (so the pending record is written first) and, at 32 bits, still zero-extends the register;
 * otherwise shiftOp computes the result and writes the LF.SHL/LF.SAR record itself.
 */
export function shiftCl(gen: Gen, i: Insn): void {
  const k = gen.k;
  const size = i.osz;
  const kind = i.reg & 7;
  const dst = i.rm;
  gen.materialize();
  const a = gen.g(dst), ah = size === 8 ? gen.gh(dst) : '0';
  gen.line(`const n${k} = ${gen.g(1)} & ${size === 8 ? 63 : 31};`);
  gen.written.add(dst);
  gen.line(`if (n${k} !== 0) { const x${k} = shiftOp(c, ${kind === 6 ? 4 : kind}, ${size}, ${a}, ${ah}, n${k}); ${a} = x${k}; ${gen.gh(dst)} = ${size === 8 ? 'c.hi' : '0'}; }${size === 4 ? ` else ${gen.gh(dst)} = 0;` : ''}`);
}

/** SETcc r/m8: 1 or 0 by the condition (mov.ts). */
export function setcc(gen: Gen, i: Insn, last: boolean): void {
  const k = gen.k;
  const cond = ccExpr(gen, i.op & 0xf);
  gen.line(`const z${k} = ${cond} ? 1 : 0;`);
  writeRm(gen, i, 1, `z${k}`, '0', last, true);
}

/** CMOVcc r, r/m: the source is read whatever the condition; a 32-bit destination is zero-extended even when not moved (mov.ts). */
export function cmov(gen: Gen, i: Insn, last: boolean): void {
  const k = gen.k;
  const size = i.osz;
  readRm(gen, i, `v${k}`, false, size, last);
  const cond = ccExpr(gen, i.op & 0xf);
  // The write below is conditional: a record recomputed from its register is written out before the branch.
  if (gen.p !== null && gen.p.remat && gen.p.remat.includes(i.reg)) gen.materialize();
  gen.line(`if (${cond}) {`);
  writeReg(gen, i.reg, i.rex, size, `v${k}`, `v${k}h`);
  if (size === 4) { gen.line('} else {'); gen.line(`${gen.gh(i.reg)} = 0;`); }
  gen.line('}');
}

/**
 * IMUL r, r/m and IMUL r, r/m, imm (muldiv.ts imul2). 16 and 32 bits: lazy record LF.MUL, overflow in aux.
 * 64 bits: the low 64 bits in 32-bit arithmetic (mul128.ts mul64Hi inline: Math.imul for the low word, the
 * high word from the low words' 16-bit partial products plus the cross products' low halves), and the record
 * LF.IMUL64 with the operands, whose overflow test (the 128-bit product) runs only where CF or OF is read.
 */
export function imul(gen: Gen, i: Insn, last: boolean): void {
  const k = gen.k;
  const size = i.osz;
  readRm(gen, i, `a${k}`, false, size, last);
  const a = `a${k}`, ah = `a${k}h`, lo = `r${k}`, hi = `r${k}h`, o = `o${k}`;
  if (size === 8) {
    // The operands stay in the record: a register operand is copied, since the destination may be it.
    if (i.op === 0x1af) gen.line(`const b${k} = ${gen.g(i.reg)}, b${k}h = ${gen.gh(i.reg)};`);
    else gen.line(`const b${k} = ${i.imm}, b${k}h = ${i.immHi};`);
    const b = `b${k}`, bh = `b${k}h`;
    gen.line(`const ${lo} = Math.imul(${a}, ${b});`);
    mulHi32(gen, a, b, `q${k}`);
    gen.line(`const ${hi} = (q${k} + Math.imul(${a}, ${bh}) + Math.imul(${ah}, ${b})) | 0;`);
    writeReg(gen, i.reg, i.rex, 8, lo, hi);
    gen.p = { op: LF.IMUL64, size, res: lo, resHi: hi, a, aHi: ah, b, bHi: bh, aux: '0' };
    return;
  }
  const b = i.op === 0x1af ? gen.g(i.reg) : String(i.imm);
  if (size === 4) gen.line(`const ${lo} = Math.imul(${a}, ${b}), ${o} = (${a} | 0) * (${b} | 0) !== ${lo} ? 1 : 0;`);
  else gen.line(`const p${k} = ((${a} << 16) >> 16) * ((${b} << 16) >> 16), ${lo} = p${k} & 65535, ${o} = p${k} !== ((p${k} << 16) >> 16) ? 1 : 0;`);
  writeReg(gen, i.reg, i.rex, size, lo, '0');
  gen.p = { op: LF.MUL, size, res: lo, resHi: '0', a: '0', aHi: '0', b: '0', bHi: '0', aux: o };
}

/** The high 32 bits of the unsigned product of two int32 locals (mul128.ts mulU32Hi), declaring t<k>, u<k>. */
function mulHi32(gen: Gen, a: string, b: string, hi: string): void {
  const k = gen.k;
  gen.line(`const t${k} = (${a} >>> 16) * (${b} & 65535) + (((${a} & 65535) * (${b} & 65535)) >>> 16), ` +
    `u${k} = (${a} & 65535) * (${b} >>> 16) + (t${k} & 65535), ${hi} = ((${a} >>> 16) * (${b} >>> 16) + (t${k} >>> 16) + (u${k} >>> 16)) | 0;`);
}

/**
 * MUL/IMUL r/m32 and r/m64 (F7 /4 /5) into EDX:EAX / RDX:RAX (muldiv.ts mulDiv): 32 bits inline (the signed
 * high half corrected from the unsigned one), 64 bits through mul128.ts's 128-bit product in P. The record is
 * LF.MUL with the overflow (the high half is not zero / not the low half's sign) in aux: the flags muldiv.ts
 * sets eagerly.
 */
export function mulWide(gen: Gen, i: Insn, last: boolean): void {
  const k = gen.k;
  const size = i.osz;
  const signed = (i.reg & 7) === 5;
  const s = `s${k}`, sh = `s${k}h`, lo = `r${k}`, hi = `r${k}h`, o = `o${k}`;
  readRm(gen, i, s, false, size, last);
  if (size === 4) {
    gen.line(`const x${k} = ${gen.g(0)}, ${lo} = Math.imul(x${k}, ${s});`);
    mulHi32(gen, `x${k}`, s, `q${k}`);
    gen.line(signed ? `const d${k} = (q${k} - (x${k} < 0 ? ${s} : 0) - (${s} < 0 ? x${k} : 0)) | 0, ${o} = d${k} !== ${lo} >> 31 ? 1 : 0;`
      : `const d${k} = q${k}, ${o} = d${k} !== 0 ? 1 : 0;`);
    writeReg(gen, 0, 0, 4, lo, '0');
    writeReg(gen, 2, 0, 4, `d${k}`, '0');
    gen.p = { op: LF.MUL, size, res: lo, resHi: '0', a: '0', aHi: '0', b: '0', bHi: '0', aux: o };
    return;
  }
  gen.line(`${signed ? 'mulS64' : 'mulU64'}(${gen.g(0)}, ${gen.gh(0)}, ${s}, ${sh}); const ${lo} = P[0], ${hi} = P[1], d${k} = P[2], d${k}h = P[3];`);
  gen.line(signed ? `const ${o} = d${k} !== ${hi} >> 31 || d${k}h !== ${hi} >> 31 ? 1 : 0;` : `const ${o} = (d${k} | d${k}h) !== 0 ? 1 : 0;`);
  writeReg(gen, 0, 0, 8, lo, hi);
  writeReg(gen, 2, 0, 8, `d${k}`, `d${k}h`);
  gen.p = { op: LF.MUL, size, res: lo, resHi: hi, a: '0', aHi: '0', b: '0', bHi: '0', aux: o };
}

/**
 * NOT and NEG r/m (F6/F7 /2 /3) at every size, register and memory forms (alu.ts unaryOp): NOT leaves the
 * flags alone; NEG is 0 - x, its record LF.SUB with a = 0.
 */
export function unary(gen: Gen, i: Insn, last: boolean): void {
  const k = gen.k;
  const size = i.op === 0xf6 ? 1 : i.osz;
  const a = `a${k}`, ah = `a${k}h`, lo = `r${k}`, hi = `r${k}h`;
  readRm(gen, i, a, true, size, last);
  if ((i.reg & 7) === 2) {
    gen.line(`const ${lo} = ~${a}, ${hi} = ${size === 8 ? `~${ah}` : '0'};`);
  } else {
    gen.line(`const ${lo} = (-${a}) | 0, ${hi} = ${size === 8 ? `(-${ah} - ${borrowBit('0', a, lo)}) | 0` : '0'};`);
    gen.p = { op: LF.SUB, size, res: lo, resHi: hi, a: '0', aHi: '0', b: a, bHi: ah, aux: '0' };
  }
  writeRm(gen, i, size, lo, hi, last, false);
}

export function incDec(gen: Gen, i: Insn, last: boolean): void {
  const k = gen.k;
  const size = i.op === 0xfe ? 1 : i.osz;
  // FE/FF /0 /1 on r/m, or 40-4F: INC/DEC of register op & 7 (16/32-bit, no REX), as alu.ts's handlers.
  const short = i.op >= 0x40 && i.op <= 0x4f;
  const dec = short ? i.op >= 0x48 : (i.reg & 7) === 1;
  // CF survives INC/DEC: kept as an expression over the previous operation's locals (evaluated only if
  // the record is materialized), or read from the CPU's record now when there is none.
  let aux: string;
  if (gen.p === CARRIED) gen.materialize();
  // Computed here (a few operations) so that exits only copy locals.
  if (gen.p) gen.line(`const cf${k} = ${cfBit(gen, true)};`);
  else gen.line(`const cf${k} = getCF(c) ? 1 : 0;`);
  aux = `cf${k}`;
  if (short) regVal(gen, i.op & 7, 0, size, `a${k}`);
  else readRm(gen, i, `a${k}`, true, size, last);
  const a = `a${k}`, ah = `a${k}h`, lo = `r${k}`, hi = `r${k}h`;
  if (dec) gen.line(`const ${lo} = (${a} - 1) | 0, ${hi} = ${size === 8 ? `(${ah} - ${borrowBit(a, '1', lo)}) | 0` : '0'};`);
  else gen.line(`const ${lo} = (${a} + 1) | 0, ${hi} = ${size === 8 ? `(${ah} + ${carryBit(a, '1', lo)}) | 0` : '0'};`);
  gen.p = { op: dec ? LF.DEC : LF.INC, size, res: lo, resHi: hi, a, aHi: ah, b: '1', bHi: '0', aux };
  if (short) writeReg(gen, i.op & 7, 0, size, lo, hi);
  else writeRm(gen, i, size, lo, hi, last, false);
}

/**
 * XCHG r/m, r (86/87; with memory implicitly locked, and LOCK allowed: one CPU, so a plain exchange, mov.ts). The
 * interpreter's order: the r/m operand is read (its address checked for a read), then written (checked for a
 * write), then the register: a fault on either access leaves every register as it was.
 */
export function xchg(gen: Gen, i: Insn, last: boolean): void {
  const k = gen.k;
  const size = i.op === 0x86 ? 1 : i.osz;
  readRm(gen, i, `a${k}`, false, size, last);
  regVal(gen, i.reg, i.rex, size, `b${k}`);
  writeRm(gen, i, size, `b${k}`, `b${k}h`, last, true);
  writeReg(gen, i.reg, i.rex, size, `a${k}`, `a${k}h`);
}
