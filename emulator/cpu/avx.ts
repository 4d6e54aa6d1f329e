import type { Cpu } from './cpu';
import { gp, raise, ud } from './fault';
import { Imm, Insn } from './insn';
import { Access } from './paging';
import { rd128, wr128 } from './sse';
import { Cr0, Cr4 } from './state';
import { def } from './table';

/**
 * AVX (VEX-encoded) instructions: the YMM state (XCR0 bit 2) and its data moves: VZEROUPPER/VZEROALL,
 * VMOVDQA/VMOVDQU, VMOVNTDQ and VMOVNTDQA at 128 and 256 bits. A VEX.128 form zeroes bits 255:128 of its
 * destination register (SDM Vol. 1 §14.1.2). AVX arithmetic is not emulated: those VEX opcodes raise #UD.
 */

/** SDM Vol. 1 §13.5.3 / Vol. 2 §2.3.7: #UD unless CR4.OSXSAVE=1 and XCR0 enables SSE and YMM; CR0.TS → #NM. */
function avxCheck(c: Cpu, i: Insn, usesVvvv: boolean): void {
  if (!(c.cr4 & Cr4.OSXSAVE) || (c.xcr0 & 6) !== 6) ud('AVX instruction with CR4.OSXSAVE=0 or XCR0.SSE/YMM clear');
  if (usesVvvv === false && i.vvvv !== 0) ud('VEX.vvvv must be 1111b for this instruction');
  if (c.cr0 & Cr0.TS) raise(7, -1, 'AVX instruction with CR0.TS=1 (device not available)');
}

const T = new Int32Array(4);
const U = new Int32Array(4);

/** Linear address of a 16/32-byte memory operand; #GP(0) if `aligned` and misaligned (VEX alignment rule). */
function vaddr(c: Cpu, i: Insn, bytes: number, aligned: boolean, write: boolean): number {
  const la = c.memAddr(i, bytes, write);
  if (aligned && la % bytes !== 0) gp(0, `${i.name} of a misaligned ${bytes}-byte operand`);
  return la;
}

function loadYmm(c: Cpu, i: Insn, aligned: boolean): void {
  const d = i.reg * 4, x = c.xmm, h = c.ymmHi;
  if (i.mod === 3) {
    const s = i.rm * 4;
    for (let k = 0; k < 4; k++) { x[d + k] = x[s + k]; h[d + k] = i.vexL ? h[s + k] : 0; }
    return;
  }
  const bytes = i.vexL ? 32 : 16;
  const la = vaddr(c, i, bytes, aligned, false);
  rd128(c, la, T);
  if (i.vexL) {
    rd128(c, c.addLinear(la, 16), U);
    for (let k = 0; k < 4; k++) { x[d + k] = T[k]; h[d + k] = U[k]; }
  } else {
    for (let k = 0; k < 4; k++) { x[d + k] = T[k]; h[d + k] = 0; }
  }
}

function storeYmm(c: Cpu, i: Insn, aligned: boolean): void {
  const s = i.reg * 4, x = c.xmm, h = c.ymmHi;
  if (i.mod === 3) {
    const d = i.rm * 4;
    for (let k = 0; k < 4; k++) { x[d + k] = x[s + k]; h[d + k] = i.vexL ? h[s + k] : 0; }
    return;
  }
  const bytes = i.vexL ? 32 : 16;
  const la = vaddr(c, i, bytes, aligned, true);
  if (i.vexL) {
    // Both ends must be writable before anything is written (a faulting store changes no memory).
    c.translate(la, Access.WRITE, c.cpl === 3);
    c.translate(c.addLinear(la, 31), Access.WRITE, c.cpl === 3);
    wr128(c, la, x, s);
    wr128(c, c.addLinear(la, 16), h, s);
  } else {
    wr128(c, la, x, s);
  }
}

// VEX.0F 77: VZEROUPPER (L=0) zeroes bits 255:128 of every YMM register; VZEROALL (L=1) zeroes them whole.
def(0x477, 'vzeroupper/vzeroall', false, Imm.NONE, (c, i) => {
  avxCheck(c, i, false);
  const n = c.long ? 16 : 8;
  c.ymmHi.fill(0, 0, n * 4);
  if (i.vexL) c.xmm.fill(0, 0, n * 4);
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
// VEX.66.0F E7: VMOVNTDQ m, ymm (memory destination only, aligned; the non-temporal hint has no effect here).
def(0x4e7, 'vmovntdq', true, Imm.NONE, (c, i) => {
  if (!i.p66 || i.rep) ud();
  if (i.mod === 3) ud('VMOVNTDQ with a register destination');
  avxCheck(c, i, false);
  storeYmm(c, i, true);
});
// VEX.66.0F38 2A: VMOVNTDQA ymm, m (memory source only, aligned).
def(0x52a, 'vmovntdqa', true, Imm.NONE, (c, i) => {
  if (!i.p66 || i.rep) ud();
  if (i.mod === 3) ud('VMOVNTDQA with a register source');
  avxCheck(c, i, false);
  loadYmm(c, i, true);
});
