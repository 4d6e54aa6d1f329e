import type { Cpu } from './cpu';
import { gp, raise, ud } from './fault';
import { Imm, Insn } from './insn';
import { Access } from './paging';
import { clflush, ldmxcsr, MXCSR_MASK, rd128, sseCheck, stmxcsr, wr128 } from './sse';
import { Cr0, Cr4 } from './state';
import { def } from './table';

/**
 * x87/SSE state management: FXSAVE/FXRSTOR, XSAVE/XRSTOR/XSAVEOPT (components x87 = bit 0, SSE = bit 1, AVX = bit 2,
 * standard format only), the 0F AE group (which also holds LDMXCSR/STMXCSR, the fences and CLFLUSH from
 * sse.ts), and the x87 control instructions kernels use to initialise the FPU: FNINIT, FNCLEX, FNSTCW,
 * FLDCW, FNSTSW, FWAIT. x87 arithmetic is not emulated: every other D8-DF encoding raises #UD (the guest sees
 * an invalid opcode rather than wrong results).
 */

const FXSAVE_SIZE = 512;

/** #NM/#UD for x87 instructions (SDM Vol. 3 §2.5 CR0.EM/TS): EM=1 or TS=1 → #NM. */
function fpuCheck(c: Cpu): void {
  if (c.cr0 & (Cr0.EM | Cr0.TS)) raise(7, -1, 'x87 instruction with CR0.EM=1 or CR0.TS=1 (device not available)');
}

/** Check that a whole save area is writable (or readable) before touching it, so a fault changes nothing. */
function probe(c: Cpu, la: number, size: number, write: boolean): void {
  const user = c.cpl === 3;
  for (let off = 0; off < size; off += 4096 - ((la + off) & 0xfff)) {
    c.translate(c.addLinear(la, off), write ? Access.WRITE : Access.READ, user);
  }
  c.translate(c.addLinear(la, size - 1), write ? Access.WRITE : Access.READ, user);
}

function saveX87(c: Cpu, la: number): void {
  c.wr(la, 2, c.fcw);
  c.wr(c.addLinear(la, 2), 2, c.fsw);
  c.wr(c.addLinear(la, 4), 2, c.ftw & 0xff);
  c.wr(c.addLinear(la, 6), 2, c.fop);
  c.wr64(c.addLinear(la, 8), c.fip | 0, 0);
  c.wr64(c.addLinear(la, 16), c.fdp | 0, 0);
  for (let k = 0; k < 8; k++) {
    const base = c.addLinear(la, 32 + 16 * k);
    for (let b = 0; b < 16; b += 4) {
      const o = k * 16 + b;
      const r = c.fpuRegs;
      c.wr(c.addLinear(base, b), 4, b < 12 ? r[o] | (r[o + 1] << 8) | (r[o + 2] << 16) | (r[o + 3] << 24) : 0);
    }
  }
}

function loadX87(c: Cpu, la: number): void {
  c.fcw = c.rd(la, 2);
  c.fsw = c.rd(c.addLinear(la, 2), 2);
  c.ftw = c.rd(c.addLinear(la, 4), 1);
  c.fop = c.rd(c.addLinear(la, 6), 2) & 0x7ff;
  c.fip = c.rd(c.addLinear(la, 8), 4) >>> 0;
  c.fdp = c.rd(c.addLinear(la, 16), 4) >>> 0;
  for (let k = 0; k < 8; k++) {
    for (let b = 0; b < 12; b += 4) {
      const v = c.rd(c.addLinear(la, 32 + 16 * k + b), 4);
      const o = k * 16 + b;
      c.fpuRegs[o] = v; c.fpuRegs[o + 1] = v >>> 8; c.fpuRegs[o + 2] = v >>> 16; c.fpuRegs[o + 3] = v >>> 24;
    }
  }
}

function initX87(c: Cpu): void {
  c.fcw = 0x37f; c.fsw = 0; c.ftw = 0; c.fop = 0; c.fip = 0; c.fdp = 0;
  c.fpuRegs.fill(0);
}

function xmmCount(c: Cpu): number {
  return c.long ? 16 : 8;
}

function saveXmm(c: Cpu, la: number): void {
  for (let r = 0; r < xmmCount(c); r++) wr128(c, c.addLinear(la, 160 + 16 * r), c.xmm, r * 4);
}

const tmp = new Int32Array(4);
function loadXmm(c: Cpu, la: number): void {
  for (let r = 0; r < xmmCount(c); r++) {
    rd128(c, c.addLinear(la, 160 + 16 * r), tmp);
    c.xmm.set(tmp, r * 4);
  }
}

function saveMxcsr(c: Cpu, la: number): void {
  c.wr(c.addLinear(la, 24), 4, c.mxcsr);
  c.wr(c.addLinear(la, 28), 4, MXCSR_MASK);
}

/** FXSAVE m512 (0F AE /0): 16-byte alignment or #GP(0) (SDM FXSAVE). */
function fxsave(c: Cpu, i: Insn): void {
  fpuCheck(c);
  const la = c.memAddr(i, FXSAVE_SIZE, true);
  if (la & 15) gp(0, 'FXSAVE to a save area that is not 16-byte aligned');
  probe(c, la, FXSAVE_SIZE, true);
  saveX87(c, la);
  saveMxcsr(c, la);
  saveXmm(c, la);
}

/** FXRSTOR m512 (0F AE /1): MXCSR reserved bits → #GP(0). */
function fxrstor(c: Cpu, i: Insn): void {
  fpuCheck(c);
  const la = c.memAddr(i, FXSAVE_SIZE, false);
  if (la & 15) gp(0, 'FXRSTOR from a save area that is not 16-byte aligned');
  probe(c, la, FXSAVE_SIZE, false);
  const mx = c.rd(c.addLinear(la, 24), 4);
  if (mx & ~MXCSR_MASK) gp(0, 'FXRSTOR with reserved MXCSR bits set');
  loadX87(c, la);
  c.mxcsr = mx;
  loadXmm(c, la);
}

/** XSAVE-family checks (SDM XSAVE): CR4.OSXSAVE=0 → #UD, CR0.TS=1 → #NM, 64-byte alignment → #GP(0). */
function xsaveArea(c: Cpu, i: Insn, write: boolean, what: string): number {
  if (!(c.cr4 & Cr4.OSXSAVE)) ud(`${what} with CR4.OSXSAVE=0`);
  if (i.lock || i.p66 || i.rep) ud(`${what} with a 66/F2/F3/LOCK prefix`);
  if (c.cr0 & Cr0.TS) raise(7, -1, `${what} with CR0.TS=1 (device not available)`);
  // Legacy region + header (576 bytes), plus the AVX component (256 bytes at 576) when it is requested.
  const size = rfbm(c) & 4 ? YMM_OFFSET + 256 : 576;
  const la = c.memAddr(i, size, write);
  if (la & 63) gp(0, `${what} to a save area that is not 64-byte aligned`);
  probe(c, la, size, write);
  return la;
}

/** Requested-feature bitmap: XCR0 AND EDX:EAX (components x87 = 0, SSE = 1, AVX = 2 exist here). */
function rfbm(c: Cpu): number {
  return c.xcr0 & c.r[0] & 7;
}

/** Offset of the AVX component (YMM_Hi128, 16 bytes per register) in the standard format: CPUID.(0DH,2).EBX. */
export const YMM_OFFSET = 576;

function saveYmmHi(c: Cpu, la: number): void {
  for (let r = 0; r < 16; r++) wr128(c, c.addLinear(la, YMM_OFFSET + 16 * r), c.ymmHi, r * 4);
}

function loadYmmHi(c: Cpu, la: number): void {
  for (let r = 0; r < 16; r++) {
    rd128(c, c.addLinear(la, YMM_OFFSET + 16 * r), YMM_TMP);
    c.ymmHi.set(YMM_TMP, r * 4);
  }
}
const YMM_TMP = new Int32Array(4);

/** XSAVE / XSAVEOPT (0F AE /4, /6): standard format; XSTATE_BV[i] = 1 for every saved component. */
function xsave(c: Cpu, i: Insn, what: string): void {
  const la = xsaveArea(c, i, true, what);
  const rf = rfbm(c);
  if (rf & 1) saveX87(c, la);
  if (rf & 2) { saveMxcsr(c, la); saveXmm(c, la); }
  if (rf & 4) saveYmmHi(c, la);
  const hdr = c.addLinear(la, 512);
  const bv = c.rd(hdr, 4);
  c.wr(hdr, 4, (bv & ~rf) | rf);
}

/** XRSTOR (0F AE /5), standard format: header checks per SDM XRSTOR "Exceptions", then load or init. */
function xrstor(c: Cpu, i: Insn): void {
  const la = xsaveArea(c, i, false, 'XRSTOR');
  const rf = rfbm(c);
  const hdr = c.addLinear(la, 512);
  const bvLo = c.rd(hdr, 4), bvHi = c.rd(c.addLinear(hdr, 4), 4);
  const compHi = c.rd(c.addLinear(hdr, 12), 4);
  if (compHi & 0x80000000) gp(0, 'XRSTOR of a compacted save area (XSAVEC is not supported)');
  if (bvHi !== 0 || (bvLo & ~c.xcr0)) gp(0, 'XRSTOR with XSTATE_BV bits not enabled in XCR0');
  for (let off = 8; off < 24; off += 4) {
    if (c.rd(c.addLinear(hdr, off), 4) !== 0) gp(0, 'XRSTOR with non-zero reserved header bytes 8-23');
  }
  if (rf & 2) {
    const mx = c.rd(c.addLinear(la, 24), 4);
    if (mx & ~MXCSR_MASK) gp(0, 'XRSTOR with reserved MXCSR bits set');
    c.mxcsr = mx;
  }
  if (rf & 1) { if (bvLo & 1) loadX87(c, la); else initX87(c); }
  if (rf & 2) { if (bvLo & 2) loadXmm(c, la); else c.xmm.fill(0, 0, xmmCount(c) * 4); }
  if (rf & 4) { if (bvLo & 4) loadYmmHi(c, la); else c.ymmHi.fill(0); }
}

/** 0F AE: the memory forms by ModRM.reg, the register forms are the fences (SDM Table A-6, group 15). */
def(0x1ae, 'grp15', true, Imm.NONE, (c, i) => {
  const op = i.reg & 7;
  if (i.mod === 3) {
    // LFENCE /5, MFENCE /6, SFENCE /7 (NP), PCOMMIT (66 /7, F8): nothing to order or commit on one in-order
    // CPU without persistent memory. F3 /0-/3 would be RDFSBASE…WRGSBASE, not advertised.
    if (i.p66 && op === 7 && i.rm === 0 && i.rep === 0) return;
    if (op < 5 || i.rep !== 0 || i.p66) ud();
    return;
  }
  if (i.rep !== 0) ud();
  // 66 0F AE /7 CLFLUSHOPT, /6 CLWB: the same checks as CLFLUSH (a byte read of the line); no cache here.
  if (i.p66 && (op === 6 || op === 7)) { clflush(c, i); return; }
  switch (op) {
    case 0: fxsave(c, i); break;
    case 1: fxrstor(c, i); break;
    case 2: ldmxcsr(c, i); break;
    case 3: stmxcsr(c, i); break;
    case 4: xsave(c, i, 'XSAVE'); break;
    case 5: xrstor(c, i); break;
    case 6: xsave(c, i, 'XSAVEOPT'); break;
    default: clflush(c, i); break;
  }
});

// --------------------------------------------------------------------------------- x87 control
function x87(opcode: number) {
  return (c: Cpu, i: Insn): void => {
    fpuCheck(c);
    const op = i.reg & 7;
    if (i.mod === 3) {
      const m = 0xc0 | (op << 3) | (i.rm & 7);
      if (opcode === 0xdb && m === 0xe3) { initX87(c); return; } // FNINIT
      if (opcode === 0xdb && m === 0xe2) { c.fsw &= 0x7f00; return; } // FNCLEX
      if (opcode === 0xdf && m === 0xe0) { c.writeReg(0, 0, 2, c.fsw, 0); return; } // FNSTSW AX
      if (opcode === 0xd9 && m === 0xd0) return; // FNOP
      ud('x87 arithmetic is not emulated');
    }
    if (opcode === 0xd9 && op === 7) { c.wr(c.memAddr(i, 2, true), 2, c.fcw); return; } // FNSTCW m16
    if (opcode === 0xd9 && op === 5) { c.fcw = c.rd(c.memAddr(i, 2, false), 2) | 0x40; return; } // FLDCW m16
    if (opcode === 0xdd && op === 7) { c.wr(c.memAddr(i, 2, true), 2, c.fsw); return; } // FNSTSW m16
    ud('x87 arithmetic is not emulated');
  };
}
for (let op = 0xd8; op <= 0xdf; op++) def(op, 'x87', true, Imm.NONE, x87(op));

/** FWAIT (9B): #NM when CR0.MP=1 and CR0.TS=1; no pending x87 exceptions exist here. */
def(0x9b, 'fwait', false, Imm.NONE, (c) => {
  if ((c.cr0 & (Cr0.MP | Cr0.TS)) === (Cr0.MP | Cr0.TS)) raise(7, -1, 'FWAIT with CR0.MP=1 and CR0.TS=1');
});

void sseCheck;
