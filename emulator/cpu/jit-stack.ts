import type { Insn } from './insn';
import type { Gen } from './jit';
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
    gen.line(`const n${k} = (${rsp} - 8) | 0, n${k}h = (${rsph} - ((${rsp} >>> 0) < 8 ? 1 : 0)) | 0;`);
  } else {
    gen.line(`const n${k} = ${rsp}, n${k}h = ${rsph};`);
  }
  gen.line(`la = ((n${k}h << 16) >> 16) === n${k}h ? (n${k}h & 65535) * 4294967296 + (n${k} >>> 0) : -1;`);
  gen.line('if (la < 0) d = -1; else {');
  pageOffset(gen, 8, push);
  gen.line('}');
  if (push) {
    gen.line('if (d >= 0 && d <= 4088) {');
    gen.line(`const pa = (wB + d) >>> 0; dv.setInt32(pa, s${k}, true); dv.setInt32(pa + 4, s${k}h, true); ${rsp} = n${k}; ${rsph} = n${k}h;`);
    if (op === 0xe8) gen.exitTo(next, k, gen.off, ` xj = 8; xr = ${i.imm};`);
  } else {
    gen.line(`let ok${k} = false;`);
    gen.line('if (d >= 0 && d <= 4088) {');
    gen.line(`const pa = (rB + d) >>> 0, v = dv.getInt32(pa, true), vh = dv.getInt32(pa + 4, true);`);
    if (op === 0xc3) {
      // RET: the return address must be canonical (else the handler raises #GP with RSP unchanged).
      gen.line(`if (((vh << 16) >> 16) === vh) { ok${k} = true; ${rsp} = (n${k} + 8) | 0; ${rsph} = (n${k}h + ((n${k} >>> 0) >= 4294967288 ? 1 : 0)) | 0;`);
      gen.exitTo(`(vh & 65535) * 4294967296 + (v >>> 0) - base`, k + 1, gen.off);
      gen.line('}');
    } else {
      gen.written.add(reg);
      // POP RSP loads RSP with the value read (the increment is overwritten).
      gen.line(`ok${k} = true; ${rsp} = (n${k} + 8) | 0; ${rsph} = (n${k}h + ((n${k} >>> 0) >= 4294967288 ? 1 : 0)) | 0; ${gen.g(reg)} = v; ${gen.gh(reg)} = vh;`);
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
 * PUSH/POP r32, PUSHFD, LEAVE, CALL rel32 and RET outside 64-bit mode with a 32-bit stack (SS.B = 1) whose segment is flat
 * (Cpu.flatSegments: base 0, limit 4 GiB, writable for a push): ESP is the linear address, looked up in the TLB
 * inline, 4 bytes written or read in RAM, ESP moved once the access is done (its upper half zeroed, as
 * Cpu.push/pop do). CALL then jumps as its handler does after the push (Cpu.relTarget in the epilogue: a target
 * beyond the CS limit faults there with ESP already moved, like the handler); RET jumps to the popped EIP when
 * CS is flat too (no target is beyond its limit), else calls its handler. Anything else (another stack, a TLB
 * miss, a page end inside the 4 bytes, ESP at the 4 GiB end) calls the handler, which faults or completes
 * exactly as interpreted. PUSHFD pushes RFLAGS without VM and RF (stack.ts flagsForPush); LEAVE pops EBP from
 * EBP's address and leaves ESP past it (the handler, which moves ESP first, is called before anything changes).
 */
export function stack32(gen: Gen, i: Insn, last: boolean): void {
  const k = gen.k;
  const op = i.op;
  const next = gen.off + i.len;
  const reg = op & 7;
  const p = gen.p;
  const call = op === 0xe8, ret = op === 0xc3, pushf = op === 0x9c, leave = op === 0xc9;
  const pop = ret || leave || (op >= 0x58 && op <= 0x5f);
  // A record recomputed from registers is written out before ESP or the popped register changes; PUSHFD
  // reads the flags from the CPU.
  if (p !== null && p.remat && (p.remat.includes(4) || (leave && p.remat.includes(5)) || (op >= 0x58 && op <= 0x5f && p.remat.includes(reg)))) gen.materialize();
  if (pushf) gen.materialize();
  gen.usesFlat = true;
  const esp = gen.g(4), esph = gen.gh(4);
  gen.written.add(4);
  if (!pop) {
    gen.line(`const s${k} = ${call ? `(base + ${next}) | 0` : pushf ? '(getFlags(c) & -196609)' : gen.g(reg)}, n${k} = (${esp} - 4) >>> 0;`);
    gen.line(`la = (flat & 4) !== 0 && c.stackSize === 4 && n${k} <= 4294967292 ? n${k} : -1;`);
  } else {
    gen.line(`const n${k} = ${leave ? gen.g(5) : esp} >>> 0;`);
    // RET also needs a flat CS (bit 9), whose limit no target exceeds.
    gen.line(`la = (flat & ${ret ? 1024 | 512 : 1024}) === ${ret ? 1024 | 512 : 1024} && c.stackSize === 4 && n${k} <= 4294967292 ? n${k} : -1;`);
  }
  gen.line('if (la < 0) d = -1; else {');
  pageOffset(gen, 4, !pop);
  gen.line('}');
  gen.line('if (d >= 0 && d <= 4092) {');
  if (!pop) {
    gen.line(`dv.setInt32((wB + d) >>> 0, s${k}, true); ${esp} = n${k} | 0; ${esph} = 0;`);
    if (call) gen.exitTo(next, k, gen.off, ` xj = 4; xr = ${i.imm};`);
  } else if (leave) {
    gen.written.add(5);
    gen.line(`const v${k} = dv.getInt32((rB + d) >>> 0, true); ${esp} = (n${k} + 4) | 0; ${esph} = 0; ${gen.g(5)} = v${k}; ${gen.gh(5)} = 0;`);
  } else if (ret) {
    gen.line(`const v${k} = dv.getInt32((rB + d) >>> 0, true); ${esp} = (n${k} + 4) | 0; ${esph} = 0;`);
    gen.exitTo(`(v${k} >>> 0) - base`, k + 1, gen.off);
  } else {
    gen.written.add(reg);
    // POP ESP loads ESP with the value read (the increment is overwritten).
    gen.line(`const v${k} = dv.getInt32((rB + d) >>> 0, true); ${esp} = (n${k} + 4) | 0; ${esph} = 0; ${gen.g(reg)} = v${k}; ${gen.gh(reg)} = 0;`);
  }
  gen.line('} else {');
  gen.materializeCopy();
  gen.callHandler(next, last || call || ret, true);
  gen.line('}');
}
