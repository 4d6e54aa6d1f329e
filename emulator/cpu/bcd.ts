import type { Cpu } from './cpu';
import { raise } from './fault';
import { getFlags, resultFlags, setArithFlags } from './flags';
import { Imm } from './insn';
import { Flag } from './state';
import { def } from './table';

/**
 * Decimal (BCD) adjust instructions and SALC, the 8086 arithmetic that real-mode code still uses: DAA, DAS,
 * AAA, AAS, AAM imm8, AAD imm8 (SDM Vol. 2, each instruction's pseudocode), and the undocumented SALC (D6: AL
 * = CF ? FFh : 0, flags unchanged; QEMU and every x86 implement it). All are invalid in 64-bit mode (#UD).
 *
 * Flags the SDM leaves undefined take QEMU's values (helper_daa … in target/i386/tcg/int_helper.c): OF = 0
 * after DAA/DAS; AAA/AAS keep OF/SF/ZF/PF as they were; AAM/AAD set SF/ZF/PF from AL and clear CF/OF/AF.
 */

const al = (c: Cpu): number => c.r[0] & 0xff;
const setAl = (c: Cpu, v: number): void => { c.r[0] = (c.r[0] & ~0xff) | (v & 0xff); };

/** DAA (27): adjust AL after adding two packed BCD values. */
def(0x27, 'daa', false, Imm.NONE, (c) => {
  const f = getFlags(c);
  const oldAl = al(c), oldCf = (f & Flag.CF) !== 0;
  let v = oldAl, cf = false, af = false;
  if ((v & 0x0f) > 9 || (f & Flag.AF)) {
    cf = oldCf || v + 6 > 0xff;
    v = (v + 6) & 0xff;
    af = true;
  }
  if (oldAl > 0x99 || oldCf) {
    v = (v + 0x60) & 0xff;
    cf = true;
  } else {
    cf = false;
  }
  setAl(c, v);
  setArithFlags(c, resultFlags(1, v, 0) | (cf ? Flag.CF : 0) | (af ? Flag.AF : 0));
}, { i64: true });

/** DAS (2F): adjust AL after subtracting two packed BCD values. */
def(0x2f, 'das', false, Imm.NONE, (c) => {
  const f = getFlags(c);
  const oldAl = al(c), oldCf = (f & Flag.CF) !== 0;
  let v = oldAl, cf = false, af = false;
  if ((v & 0x0f) > 9 || (f & Flag.AF)) {
    cf = oldCf || v < 6;
    v = (v - 6) & 0xff;
    af = true;
  }
  if (oldAl > 0x99 || oldCf) {
    v = (v - 0x60) & 0xff;
    cf = true;
  }
  setAl(c, v);
  setArithFlags(c, resultFlags(1, v, 0) | (cf ? Flag.CF : 0) | (af ? Flag.AF : 0));
}, { i64: true });

/** AAA (37) / AAS (3F): adjust AX after an unpacked BCD add or subtract; CF = AF = whether AL was adjusted. */
function asciiAdjust(sub: boolean) {
  return (c: Cpu): void => {
    const f = getFlags(c);
    const v = al(c);
    if ((v & 0x0f) > 9 || (f & Flag.AF)) {
      const ax = (c.r[0] + (sub ? -6 : 0x106)) & 0xffff;
      const ah = sub ? ((ax >>> 8) - 1) & 0xff : ax >>> 8;
      c.r[0] = (c.r[0] & ~0xffff) | (ah << 8) | (ax & 0x0f);
      c.flags = f | Flag.CF | Flag.AF;
    } else {
      setAl(c, v & 0x0f);
      c.flags = f & ~(Flag.CF | Flag.AF);
    }
  };
}
def(0x37, 'aaa', false, Imm.NONE, asciiAdjust(false), { i64: true });
def(0x3f, 'aas', false, Imm.NONE, asciiAdjust(true), { i64: true });

/** AAM imm8 (D4): AH = AL / imm8, AL = AL mod imm8; an immediate of 0 raises #DE (SDM AAM). */
def(0xd4, 'aam', false, Imm.IB, (c, i) => {
  const base = i.imm & 0xff;
  if (base === 0) raise(0, -1, 'AAM with an immediate of 0 divides by zero');
  const v = al(c);
  const lo = v % base;
  c.r[0] = (c.r[0] & ~0xffff) | (Math.floor(v / base) << 8) | lo;
  setArithFlags(c, resultFlags(1, lo, 0));
}, { i64: true });

/** AAD imm8 (D5): AL = (AL + AH × imm8) & FFh, AH = 0. */
def(0xd5, 'aad', false, Imm.IB, (c, i) => {
  const v = (al(c) + ((c.r[0] >>> 8) & 0xff) * (i.imm & 0xff)) & 0xff;
  c.r[0] = (c.r[0] & ~0xffff) | v;
  setArithFlags(c, resultFlags(1, v, 0));
}, { i64: true });

/** SALC (D6): AL = CF ? FFh : 00h; no flag changes. */
def(0xd6, 'salc', false, Imm.NONE, (c) => {
  setAl(c, getFlags(c) & Flag.CF ? 0xff : 0);
}, { i64: true });
