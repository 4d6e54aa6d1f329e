import type { Cpu } from './cpu';
import { gp, ud } from './fault';
import type { Insn } from './insn';
import { Cr4, Seg, TWO32, TWO48 } from './state';

/**
 * RDFSBASE/RDGSBASE/WRFSBASE/WRGSBASE (F3 0F AE /0-/3 with a register operand; CPUID.07H:EBX.FSGSBASE[0]):
 * read or write the FS/GS base directly, at 32 bits (zero-extended) or 64 with REX.W. #UD outside 64-bit
 * mode or with CR4.FSGSBASE=0 (SDM Vol. 2 RDFSBASE/WRFSBASE); a non-canonical 64-bit base is #GP(0). The
 * bases live in segBase as 48-bit unsigned values, as WRMSR FS_BASE/GS_BASE stores them (system.ts).
 */
export function fsgsbase(c: Cpu, i: Insn, op: number): void {
  if (!c.long || !(c.cr4 & Cr4.FSGSBASE)) ud(`${['RDFSBASE', 'RDGSBASE', 'WRFSBASE', 'WRGSBASE'][op]} outside 64-bit mode or with CR4.FSGSBASE=0`);
  const seg = op & 1 ? Seg.GS : Seg.FS;
  const wide = (i.rex & 8) !== 0;
  const r = i.rm;
  if (op < 2) {
    const v = c.segBase[seg];
    if (!wide) { c.r[2 * r] = v % TWO32 | 0; c.r[2 * r + 1] = 0; return; }
    const s = v >= TWO48 / 2 ? v - TWO48 : v; // sign-extend bit 47
    c.r[2 * r] = s % TWO32 | 0;
    c.r[2 * r + 1] = Math.floor(s / TWO32) | 0;
    return;
  }
  const lo = c.r[2 * r], hi = wide ? c.r[2 * r + 1] : 0;
  if ((hi << 16) >> 16 !== hi) gp(0, `${op === 2 ? 'WRFSBASE' : 'WRGSBASE'} with a non-canonical base`);
  c.segBase[seg] = (hi & 0xffff) * TWO32 + (lo >>> 0);
}
