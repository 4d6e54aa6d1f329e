import type { Insn } from './insn';
import type { Gen } from './jit';
import { borrowBit, carryBit } from './jit-flags';
import { pageOffset } from './jit-operands';
import { TWO47 } from './state';

/** Translation (jit.ts): stack operations emitted inline (stack.ts and control.ts are the reference). */

/**
 * PUSH r64, POP r64, CALL rel32, RET (stack.ts, control.ts) in 64-bit mode: RSP as a canonical linear address
 * (SS has base 0 and no limit there) looked up in the TLB inline, 8 bytes read or written in RAM, RSP moved
 * only once the access is done. Anything else (a TLB miss, a non-canonical RSP or return address, a page end
 * inside the 8 bytes) calls the instruction's handler, which faults or completes exactly as interpreted.
 */
export function stack(gen: Gen, i: Insn, last: boolean): void {
  const k = gen.k;
  const op = i.op;
  const next = gen.off + i.len;
  const reg = (op & 7) | ((i.rex & 1) << 3);
  const p = gen.p;
  // A record recomputed from registers is written out before RSP or the popped register changes.
  if (p !== null && p.remat && (p.remat.includes(4) || (op >= 0x58 && op <= 0x5f && p.remat.includes(reg)))) gen.materialize();
  const push = op === 0xe8 || op <= 0x57;
  const rsp = gen.g(4), rsph = gen.gh(4);
  gen.written.add(4);
  if (push) {
    if (op === 0xe8) {
      gen.line(`const s${k} = (base + ${next}) | 0, s${k}h = base + ${next} >= ${TWO47} ? (Math.floor((base + ${next}) / 4294967296) | -65536) : Math.floor((base + ${next}) / 4294967296);`);
    } else {
      gen.line(`const s${k} = ${gen.g(reg)}, s${k}h = ${gen.gh(reg)};`);
    }
    gen.line(`const n${k} = (${rsp} - 8) | 0, n${k}h = (${rsph} - ${borrowBit(rsp, '8', `n${k}`)}) | 0;`);
  } else {
    gen.line(`const n${k} = ${rsp}, n${k}h = ${rsph};`);
  }
  gen.line(`la = ((n${k}h << 16) >> 16) === n${k}h ? (n${k}h & 65535) * 4294967296 + (n${k} >>> 0) : -1;`);
  gen.line('if (la < 0) d = -1; else {');
  const pb = pageOffset(gen, 8, push);
  gen.line('}');
  if (push) {
    gen.line('if (d >= 0 && d <= 4088) {');
    gen.line(`const pa = (${pb} + d) >>> 0; dv.setInt32(pa, s${k}, true); dv.setInt32(pa + 4, s${k}h, true); ${rsp} = n${k}; ${rsph} = n${k}h;`);
    if (op === 0xe8) gen.exitTo(next, k, gen.off, ` xj = 8; xr = ${i.imm};`);
  } else {
    gen.line(`let ok${k} = false;`);
    gen.line('if (d >= 0 && d <= 4088) {');
    gen.line(`const pa = (${pb} + d) >>> 0, v = dv.getInt32(pa, true), vh = dv.getInt32(pa + 4, true);`);
    if (op === 0xc3) {
      // RET: the return address must be canonical (else the handler raises #GP with RSP unchanged).
      gen.line(`if (((vh << 16) >> 16) === vh) { ok${k} = true; ${rsp} = (n${k} + 8) | 0; ${rsph} = (n${k}h + ${carryBit(`n${k}`, '8', rsp)}) | 0;`);
      gen.exitTo(`(vh & 65535) * 4294967296 + (v >>> 0) - base`, k + 1, gen.off);
      gen.line('}');
    } else {
      gen.written.add(reg);
      // POP RSP loads RSP with the value read (the increment is overwritten).
      gen.line(`ok${k} = true; ${rsp} = (n${k} + 8) | 0; ${rsph} = (n${k}h + ${carryBit(`n${k}`, '8', rsp)}) | 0; ${gen.g(reg)} = v; ${gen.gh(reg)} = vh;`);
    }
    gen.line('}');
    gen.line(`if (!ok${k}) {`);
  }
  if (push) gen.line('} else {');
  gen.materializeCopy();
  gen.callHandler(next, last || op === 0xe8 || op === 0xc3, false);
  gen.line('}');
}

/**
 * PUSH/POP r16/r32, PUSHFD, LEAVE, CALL rel16/rel32 and RET outside 64-bit mode, on a 16- or 32-bit stack
 * (SS.B) through an SS that needs only its limit checked (Cpu.flatSegments: present, expand-up, writable for a
 * push; real mode, 16-bit and flat 32-bit protected mode alike): the new (push) or current (pop) stack offset,
 * wrapped to the stack size, within the limit, at SS.base + offset, looked up in the TLB inline; 2 or 4 bytes
 * written or read in RAM; the stack pointer moved once the access is done (ESP whole on a 32-bit stack, its
 * upper half zeroed as Cpu.push/pop do; only SP on a 16-bit stack). CALL then jumps as its handler does after
 * the push (Cpu.relTarget in the epilogue: a target beyond the CS limit faults there with the stack pointer
 * already moved, like the handler); RET jumps to the popped IP/EIP when it is within CS's limit (or in real
 * mode), else calls its handler. Anything else (an unusable SS, an offset past the limit, a TLB miss, a page
 * end inside the operand) calls the handler, which faults or completes exactly as interpreted. PUSHFD pushes
 * RFLAGS without VM and RF (stack.ts flagsForPush); a 16-bit PUSHF calls its handler. LEAVE pops EBP from
 * EBP's offset (the handler, which moves the stack pointer first, is called before anything changes). In 64-bit
 * mode (a 66-prefixed PUSH/POP/LEAVE) the handler is called.
 */
export function stack32(gen: Gen, i: Insn, last: boolean): void {
  const k = gen.k;
  const op = i.op;
  const next = gen.off + i.len;
  const reg = op & 7;
  const p = gen.p;
  const call = op === 0xe8, ret = op === 0xc3, pushf = op === 0x9c, leave = op === 0xc9;
  const pop = ret || leave || (op >= 0x58 && op <= 0x5f);
  const sz = i.osz;
  if (gen.long || (pushf && sz !== 4)) { gen.generic(i, last); return; }
  // A record recomputed from registers is written out before ESP or the popped register changes; PUSHFD
  // reads the flags from the CPU.
  if (p !== null && p.remat && (p.remat.includes(4) || (leave && p.remat.includes(5)) || (op >= 0x58 && op <= 0x5f && p.remat.includes(reg)))) gen.materialize();
  if (pushf) gen.materialize();
  const [b, l] = gen.segment(2);
  const esp = gen.g(4), esph = gen.gh(4);
  gen.written.add(4);
  // q: the stack is 32-bit (SS.B); n: the offset accessed; e/eh: ESP afterwards.
  gen.line(`const q${k} = c.stackSize === 4;`);
  if (!pop) {
    gen.line(`const s${k} = ${call ? `(base + ${next}) | 0` : pushf ? '(getFlags(c) & -196609)' : op === 0x68 || op === 0x6a ? String(i.imm | 0) : gen.g(reg)}, n${k} = q${k} ? (${esp} - ${sz}) >>> 0 : (${esp} - ${sz}) & 65535;`);
    gen.line(`la = (flat & ${1 << 18}) !== 0 && n${k} <= ${l} - ${sz - 1} ? (${b} + n${k}) >>> 0 : -1;`);
    gen.line(`const e${k} = q${k} ? n${k} | 0 : (${esp} & -65536) | n${k}, eh${k} = q${k} ? 0 : ${esph};`);
  } else {
    const from = leave ? gen.g(5) : esp;
    gen.line(`const n${k} = q${k} ? ${from} >>> 0 : ${from} & 65535;`);
    gen.line(`la = (flat & ${1 << 26}) !== 0 && n${k} <= ${l} - ${sz - 1} ? (${b} + n${k}) >>> 0 : -1;`);
    gen.line(`const e${k} = q${k} ? (n${k} + ${sz}) | 0 : (${esp} & -65536) | ((n${k} + ${sz}) & 65535), eh${k} = q${k} ? 0 : ${esph};`);
  }
  gen.line('if (la < 0) d = -1; else {');
  const pb = pageOffset(gen, sz, !pop);
  gen.line('}');
  gen.line(`if (d >= 0 && d <= ${4096 - sz}) {`);
  const read = sz === 4 ? `dv.getInt32((${pb} + d) >>> 0, true)` : `dv.getUint16((${pb} + d) >>> 0, true)`;
  // The popped value into a register: all of it (its upper half zeroed) at 32 bits, the low 16 bits at 16.
  const into = (r: number, v: string): string => sz === 4 ? `${gen.g(r)} = ${v}; ${gen.gh(r)} = 0;` : `${gen.g(r)} = (${gen.g(r)} & -65536) | ${v};`;
  if (!pop) {
    gen.line(`${sz === 4 ? `dv.setInt32((${pb} + d) >>> 0, s${k}, true);` : `dv.setUint16((${pb} + d) >>> 0, s${k} & 65535, true);`} ${esp} = e${k}; ${esph} = eh${k};`);
    if (call) gen.exitTo(next, k, gen.off, ` xj = ${sz}; xr = ${i.imm};`);
  } else if (leave) {
    gen.written.add(5);
    gen.line(`const v${k} = ${read}; ${esp} = e${k}; ${esph} = eh${k}; ${into(5, `v${k}`)}`);
  } else if (ret) {
    // The return address within CS's limit (no limit in real mode), else the handler raises #GP.
    gen.line(`const v${k} = ${sz === 4 ? `${read} >>> 0` : read};`);
    gen.line(`if (v${k} <= c.segLimit[1] || (c.cr0 & 1) === 0) { ${esp} = e${k}; ${esph} = eh${k};`);
    gen.exitTo(`v${k} - base`, k + 1, gen.off);
    gen.line('}');
  } else {
    gen.written.add(reg);
    // POP ESP/SP loads it with the value read (over the increment).
    gen.line(`const v${k} = ${read}; ${esp} = e${k}; ${esph} = eh${k}; ${into(reg, `v${k}`)}`);
  }
  gen.line('}');
  // RET's handler also runs for a return address beyond the CS limit (it then faults).
  if (ret) gen.line('{');
  else gen.line('else {');
  gen.materializeCopy();
  gen.callHandler(next, last || call || ret, true);
  gen.line('}');
}
