import type { Cpu } from './cpu';
import { gp, raise, ud } from './fault';
import { Imm, Insn } from './insn';
import { Access } from './paging';
import { clflush, ldmxcsr, MXCSR_MASK, rd128, stmxcsr, wr128 } from './sse';
import { Cr0, Cr4 } from './state';
import { initX87, loadX87, saveX87 } from './x87-env';
import { fpuCheck } from './x87-stack';
import { def } from './table';
import { fsgsbase } from './fsgsbase';

/**
 * x87/SSE state management: FXSAVE/FXRSTOR, XSAVE/XRSTOR/XSAVEOPT (components x87 = bit 0, SSE = bit 1, AVX = bit 2,
 * standard format only), the 0F AE group (which also holds LDMXCSR/STMXCSR, the fences and CLFLUSH from
 * sse.ts). The x87 part of the images is x87-env.ts (saveX87/loadX87); the x87 instructions are x87.ts.
 */

const FXSAVE_SIZE = 512;

/** Check that a whole save area is writable (or readable) before touching it, so a fault changes nothing. */
function probe(c: Cpu, la: number, size: number, write: boolean): void {
  const user = c.cpl === 3;
  for (let off = 0; off < size; off += 4096 - ((la + off) & 0xfff)) {
    c.translate(c.addLinear(la, off), write ? Access.WRITE : Access.READ, user);
  }
  c.translate(c.addLinear(la, size - 1), write ? Access.WRITE : Access.READ, user);
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
  if (rf & 1) { if (bvLo & 1) loadX87(c, la); else { initX87(c); c.fpuRegs.fill(0); } }
  if (rf & 2) { if (bvLo & 2) loadXmm(c, la); else c.xmm.fill(0, 0, xmmCount(c) * 4); }
  if (rf & 4) { if (bvLo & 4) loadYmmHi(c, la); else c.ymmHi.fill(0); }
}

/** 0F AE: the memory forms by ModRM.reg, the register forms are the fences (SDM Table A-6, group 15). */
def(0x1ae, 'grp15', true, Imm.NONE, (c, i) => {
  const op = i.reg & 7;
  if (i.mod === 3) {
    // LFENCE /5, MFENCE /6, SFENCE /7 (NP), PCOMMIT (66 /7, F8): nothing to order or commit on one in-order
    // CPU without persistent memory. F3 /0-/3 are RDFSBASE…WRGSBASE (fsgsbase.ts).
    if (i.p66 && op === 7 && i.rm === 0 && i.rep === 0) return;
    if (i.rep === 1 && !i.p66 && op < 4) { fsgsbase(c, i, op); return; }
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
