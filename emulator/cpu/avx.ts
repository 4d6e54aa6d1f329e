import type { Cpu } from './cpu';
import { gp, raise, ud } from './fault';
import { Imm, Insn } from './insn';
import { Access } from './paging';
import { MXCSR_MASK, pfx, rd128, wr128 } from './sse';
import { Cr0, Cr4, Flag } from './state';
import { def } from './table';

/**
 * AVX (VEX-encoded) state and data moves: the #UD/#NM rules every VEX instruction applies, the 256-bit
 * operand helpers the other avx-*.ts files share, VZEROUPPER/VZEROALL, and the moves VMOVUPS/UPD/APS/APD,
 * VMOVDQA/DQU, VMOVNTPS/PD/NTDQ/NTDQA, VMOVSS/SD and VLDMXCSR/VSTMXCSR. The YMM registers are c.xmm (bits 127:0) and c.ymmHi
 * (bits 255:128). A VEX.128 form zeroes bits 255:128 of its destination register, legacy SSE leaves them
 * (SDM Vol. 1 §14.1.2). The VEX forms of the SSE..SSE4.2 instructions are avx-sse.ts; the AVX-only
 * permutes, broadcasts, masked moves and the 256-bit conversions/tests are avx-permute.ts and avx-wide.ts.
 */

/**
 * SDM Vol. 2 §2.3.6 / Table 2-18: #UD in real and virtual-8086 mode, unless CR4.OSXSAVE=1 and XCR0 enables
 * SSE and YMM state, and for a vvvv other than 1111b when the instruction has no vvvv operand; CR0.TS → #NM.
 * CR0.EM is not checked (Table 2-18 lists it for legacy SSE only; recorded in docs/ARCHITECTURE.md).
 */
export function avxCheck(c: Cpu, i: Insn, usesVvvv: boolean): void {
  if (!(c.cr0 & Cr0.PE) || (c.flags & Flag.VM)) ud('VEX-encoded instruction in real-address or virtual-8086 mode');
  if (!(c.cr4 & Cr4.OSXSAVE) || (c.xcr0 & 6) !== 6) ud('AVX instruction with CR4.OSXSAVE=0 or XCR0.SSE/YMM clear');
  if (usesVvvv === false && i.vvvv !== 0) ud('VEX.vvvv must be 1111b for this instruction');
  if (c.cr0 & Cr0.TS) raise(7, -1, 'AVX instruction with CR0.TS=1 (device not available)');
}

/** VEX.W (64-bit mode only) must be 0 for this instruction. */
export function w0(i: Insn): void {
  if (i.rex & 8) ud(`${i.name} with VEX.W=1`);
}

/** A 256-bit source operand (YMM or m256, or its low 128 bits with L=0) as 8 int32: S = rm, V = vvvv. */
export const S = new Int32Array(8), V = new Int32Array(8), D = new Int32Array(8);
const T = new Int32Array(4);

/** Linear address of a 16/32-byte memory operand; #GP(0) if `aligned` and misaligned (VEX alignment rule). */
export function vaddr(c: Cpu, i: Insn, bytes: number, aligned: boolean, write: boolean): number {
  const la = c.memAddr(i, bytes, write);
  if (aligned && la % bytes !== 0) gp(0, `${i.name} of a misaligned ${bytes}-byte operand`);
  return la;
}

/** Register r (both halves) into out. */
export function getYmm(c: Cpu, r: number, out: Int32Array): void {
  const s = r * 4, x = c.xmm, h = c.ymmHi;
  for (let k = 0; k < 4; k++) { out[k] = x[s + k]; out[4 + k] = h[s + k]; }
}

/** The r/m operand of `bytes` (16 or 32) into S (a 16-byte read leaves S[4..7] as they were). */
export function loadS(c: Cpu, i: Insn, bytes: number, aligned = false): void {
  if (i.mod === 3) { getYmm(c, i.rm, S); return; }
  const la = vaddr(c, i, bytes, aligned, false);
  rd128(c, la, T);
  S[0] = T[0]; S[1] = T[1]; S[2] = T[2]; S[3] = T[3];
  if (bytes === 32) { rd128(c, c.addLinear(la, 16), T); S[4] = T[0]; S[5] = T[1]; S[6] = T[2]; S[7] = T[3]; }
}

/** Write `src` to register r: the upper half too with `wide`, else zero bits 255:128 (VEX.128). */
export function putYmm(c: Cpu, r: number, src: Int32Array, wide: boolean): void {
  const d = r * 4, x = c.xmm, h = c.ymmHi;
  for (let k = 0; k < 4; k++) { x[d + k] = src[k]; h[d + k] = wide ? src[4 + k] : 0; }
}

/** Store 16 or 32 bytes of `src` at la; both ends are checked first, so a faulting store writes nothing. */
export function storeBytes(c: Cpu, la: number, src: Int32Array, bytes: number): void {
  if (bytes === 32) {
    c.translate(la, Access.WRITE, c.cpl === 3);
    c.translate(c.addLinear(la, 31), Access.WRITE, c.cpl === 3);
    wr128(c, la, src, 0);
    wr128(c, c.addLinear(la, 16), src, 4);
  } else {
    wr128(c, la, src, 0);
  }
}

/** Full-width loads: reg ← r/m (VMOVUPS/APS/DQU/DQA/NTDQA, VLDDQU). */
function loadYmm(c: Cpu, i: Insn, aligned: boolean): void {
  loadS(c, i, i.vexL ? 32 : 16, aligned);
  putYmm(c, i.reg, S, i.vexL === 1);
}

/** Full-width stores: r/m ← reg; a register destination gets the VEX.128 zeroing too. */
function storeYmm(c: Cpu, i: Insn, aligned: boolean): void {
  getYmm(c, i.reg, D);
  if (i.mod === 3) { putYmm(c, i.rm, D, i.vexL === 1); return; }
  const bytes = i.vexL ? 32 : 16;
  storeBytes(c, vaddr(c, i, bytes, aligned, true), D, bytes);
}

// VEX.0F 77: VZEROUPPER (L=0) zeroes bits 255:128 of every YMM register; VZEROALL (L=1) zeroes them whole.
def(0x477, 'vzeroupper/vzeroall', false, Imm.NONE, (c, i) => {
  if (pfx(i) !== 0) ud();
  avxCheck(c, i, false);
  const n = c.long ? 16 : 8;
  c.ymmHi.fill(0, 0, n * 4);
  if (i.vexL) c.xmm.fill(0, 0, n * 4);
});

/**
 * VMOVSS/VMOVSD (VEX.F3/F2.0F 10/11, L ignored): a load from memory zeroes the rest of the register; the
 * register form merges: the low element from the r/m (load) or reg (store) operand, bits 127:32/64 from vvvv.
 */
function moveScalar(c: Cpu, i: Insn, store: boolean, size: number): void {
  avxCheck(c, i, i.mod === 3);
  const n = size >> 2;
  if (i.mod !== 3) {
    const la = c.memAddr(i, size, store);
    if (store) { const s = i.reg * 4; if (size === 8) c.wr64(la, c.xmm[s], c.xmm[s + 1]); else c.wr(la, 4, c.xmm[s]); return; }
    D.fill(0);
    if (size === 8) { D[0] = c.rd64(la); D[1] = c.hi; } else D[0] = c.rd(la, 4);
    putYmm(c, i.reg, D, false);
    return;
  }
  getYmm(c, i.vvvv, D);
  const src = (store ? i.reg : i.rm) * 4;
  for (let k = 0; k < n; k++) D[k] = c.xmm[src + k];
  putYmm(c, store ? i.rm : i.reg, D, false);
}

// VEX.0F 10/11: VMOVUPS (NP), VMOVUPD (66), VMOVSS (F3), VMOVSD (F2).
def(0x410, 'vmovups', true, Imm.NONE, (c, i) => {
  const p = pfx(i);
  if (p >= 2) { moveScalar(c, i, false, p === 2 ? 4 : 8); return; }
  avxCheck(c, i, false);
  loadYmm(c, i, false);
});
def(0x411, 'vmovups', true, Imm.NONE, (c, i) => {
  const p = pfx(i);
  if (p >= 2) { moveScalar(c, i, true, p === 2 ? 4 : 8); return; }
  avxCheck(c, i, false);
  storeYmm(c, i, false);
});
// VEX.0F 28/29: VMOVAPS (NP), VMOVAPD (66): aligned.
def(0x428, 'vmovaps', true, Imm.NONE, (c, i) => {
  if (pfx(i) >= 2) ud();
  avxCheck(c, i, false);
  loadYmm(c, i, true);
});
def(0x429, 'vmovaps', true, Imm.NONE, (c, i) => {
  if (pfx(i) >= 2) ud();
  avxCheck(c, i, false);
  storeYmm(c, i, true);
});
// VEX.0F 2B: VMOVNTPS (NP) / VMOVNTPD (66) m, ymm: memory destination only, aligned (no cache hint here).
def(0x42b, 'vmovntps', true, Imm.NONE, (c, i) => {
  if (pfx(i) >= 2 || i.mod === 3) ud();
  avxCheck(c, i, false);
  storeYmm(c, i, true);
});
// VEX.66.0F 6F / 7F: VMOVDQA (aligned); VEX.F3.0F 6F / 7F: VMOVDQU.
def(0x46f, 'vmovdqa/vmovdqu', true, Imm.NONE, (c, i) => {
  if (!(i.p66 || i.rep === 1)) ud();
  avxCheck(c, i, false);
  loadYmm(c, i, i.p66);
});
def(0x47f, 'vmovdqa/vmovdqu', true, Imm.NONE, (c, i) => {
  if (!(i.p66 || i.rep === 1)) ud();
  avxCheck(c, i, false);
  storeYmm(c, i, i.p66);
});
// VEX.66.0F E7: VMOVNTDQ m, ymm (memory destination only, aligned).
def(0x4e7, 'vmovntdq', true, Imm.NONE, (c, i) => {
  if (pfx(i) !== 1 || i.mod === 3) ud();
  avxCheck(c, i, false);
  storeYmm(c, i, true);
});
// VEX.F2.0F F0: VLDDQU ymm, m256 (memory source only, unaligned).
def(0x4f0, 'vlddqu', true, Imm.NONE, (c, i) => {
  if (pfx(i) !== 3 || i.mod === 3) ud();
  avxCheck(c, i, false);
  loadYmm(c, i, false);
});
// VEX.66.0F38 2A: VMOVNTDQA xmm/ymm, m128/m256 (memory source only, aligned). The VEX.256 form is AVX2, which is not
// reported; it is accepted anyway (one more load, no new state): kvm-unit-tests' xsave test runs it when CPUID
// reports AVX (test_avx_vmovdqa), and QEMU's `max` model passes it.
def(0x52a, 'vmovntdqa', true, Imm.NONE, (c, i) => {
  if (pfx(i) !== 1 || i.mod === 3) ud();
  avxCheck(c, i, false);
  loadYmm(c, i, true);
});

// VEX.LZ.0F AE /2 and /3: VLDMXCSR m32 / VSTMXCSR m32 (reserved MXCSR bits set → #GP(0), as LDMXCSR).
def(0x4ae, 'vldmxcsr/vstmxcsr', true, Imm.NONE, (c, i) => {
  const op = i.reg & 7;
  if (pfx(i) !== 0 || i.mod === 3 || i.vexL || (op !== 2 && op !== 3)) ud();
  avxCheck(c, i, false);
  const la = c.memAddr(i, 4, op === 3);
  if (op === 3) { c.wr(la, 4, c.mxcsr); return; }
  const v = c.rd(la, 4);
  if (v & ~MXCSR_MASK) gp(0, 'VLDMXCSR with reserved MXCSR bits set');
  c.mxcsr = v;
});

