import type { Cpu } from './cpu';
import { raise, ud } from './fault';
import { Imm } from './insn';
import { Cr0 } from './state';
import { def } from './table';

/**
 * The MMX register file and EMMS. MM0-MM7 are the low 64 bits (mantissas) of the physical x87 registers
 * R0-R7 (SDM Vol. 1 §9.5). c.fpuRegs holds the physical x87 registers (Ri at i * 16, see x87-stack.ts), so
 * MMi is Ri whatever TOP is. Every MMX instruction except EMMS sets TOP to 0 and tags all
 * eight registers valid; a write to MMi also sets bits 79:64 of Ri to all ones (SDM Vol. 1 §9.5.1, Table 9-2).
 * EMMS tags all registers empty and also sets TOP to 0. The MMX forms of the moves and integer operations are in sse.ts, which
 * dispatches the no-prefix (NP) encodings here.
 */

/** #UD/#NM/#MF for MMX instructions (SDM Vol. 3 §12.1, Table 12-1): EM → #UD, TS → #NM, pending x87 error → #MF. */
export function mmxCheck(c: Cpu): void {
  if (c.cr0 & Cr0.EM) ud('MMX instruction with CR0.EM=1');
  if (c.cr0 & Cr0.TS) raise(7, -1, 'MMX instruction with CR0.TS=1 (device not available)');
  if (c.fsw & 0x80) raise(16, -1, 'MMX instruction with an unmasked x87 exception pending (FSW.ES=1)');
}

function offset(_c: Cpu, r: number): number {
  return r * 16;
}

/** MMr (r = 0..7): low half returned, high half in c.hi. */
export function mmxRead(c: Cpu, r: number): number {
  const f = c.fpuRegs, o = offset(c, r);
  c.hi = f[o + 4] | (f[o + 5] << 8) | (f[o + 6] << 16) | (f[o + 7] << 24);
  return f[o] | (f[o + 1] << 8) | (f[o + 2] << 16) | (f[o + 3] << 24);
}

/** Write MMr; bits 79:64 of the x87 register become all ones. */
export function mmxWrite(c: Cpu, r: number, lo: number, hi: number): void {
  const f = c.fpuRegs, o = offset(c, r);
  f[o] = lo; f[o + 1] = lo >>> 8; f[o + 2] = lo >>> 16; f[o + 3] = lo >>> 24;
  f[o + 4] = hi; f[o + 5] = hi >>> 8; f[o + 6] = hi >>> 16; f[o + 7] = hi >>> 24;
  f[o + 8] = 0xff; f[o + 9] = 0xff;
}

/** The x87 effects of a completed MMX instruction: TOP = 0 (ST(i) becomes Ri), all tags valid. */
export function mmxDone(c: Cpu): void {
  c.fsw &= ~0x3800;
  c.ftw = 0xff;
}

// EMMS (NP 0F 77): all x87 tags empty (abridged tag word 0) and TOP = 0 (SDM Vol. 1 Table 9-1; the host agrees).
def(0x177, 'emms', false, Imm.NONE, (c, i) => {
  if (i.p66 || i.rep) ud();
  mmxCheck(c);
  c.ftw = 0;
  c.fsw &= ~0x3800;
});
