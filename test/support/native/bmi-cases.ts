/**
 * Differential cases for the general-purpose extensions (bmi.ts, sse42.ts CRC32) on the register harness of
 * diff.ts: BMI1 (ANDN, BEXTR, BLSI, BLSMSK, BLSR), BMI2 (BZHI, MULX, PDEP, PEXT, RORX, SARX, SHLX, SHRX),
 * ADX (ADCX, ADOX) and CRC32's register forms, at 32 and 64 bits, with operands drawn from every register
 * the harness loads (including R8/R9 through VEX.R/VEX.B and vvvv). Flags compared: those the SDM defines
 * (all of them for the instructions that leave flags unchanged).
 */
import { Case, rnd, value } from './diff';

const CF = 0x1, PF = 0x4, AF = 0x10, ZF = 0x40, SF = 0x80, OF = 0x800;
const ALL = CF | PF | AF | ZF | SF | OF;
/** Harness registers as encodings (rax rbx rcx rdx rsi r8 r9). */
const ENC = [0, 3, 1, 2, 6, 8, 9];
const HARNESS_INDEX = new Map(ENC.map((r, k) => [r, k]));

/** 3-byte VEX: map 2 = 0F38, 3 = 0F3A; pp 0 NP, 1 66, 2 F3, 3 F2. */
function vex(map: number, pp: number, w: number, vvvv: number, op: number, reg: number, rm: number, imm?: number): number[] {
  const b1 = ((reg & 8 ? 0 : 0x80) | 0x40 | (rm & 8 ? 0 : 0x20) | map);
  const b2 = (w << 7) | ((~vvvv & 15) << 3) | pp;
  return [0xc4, b1, b2, op, 0xc0 | ((reg & 7) << 3) | (rm & 7), ...(imm === undefined ? [] : [imm])];
}
const pick = (): number => ENC[rnd(ENC.length)];

export function generateBmi(perInsn: number, host: { bmi1: boolean; bmi2: boolean; adx: boolean; sse42: boolean }): Case[] {
  const cases: Case[] = [];
  const regs = (): bigint[] => [value(), value(), value(), value(), value(), value(), value()];
  const flags = (): number => rnd(0x1000) & 0x8d5;
  const add = (name: string, bytes: number[], mask: number, r = regs()): void => { cases.push({ name, bytes, regs: r, flags: flags(), mask }); };
  for (let n = 0; n < perInsn; n++) {
    for (const w of [0, 1]) {
      const bits = w ? 64 : 32;
      if (host.bmi1) {
        add(`andn${bits}`, vex(2, 0, w, pick(), 0xf2, pick(), pick()), ZF | SF | CF | OF);
        for (const [name, sub, mask] of [['blsr', 1, ZF | SF | CF | OF], ['blsmsk', 2, ZF | SF | CF | OF], ['blsi', 3, ZF | SF | CF | OF]] as const) {
          const r = regs();
          if (rnd(8) === 0) r[rnd(7)] = 0n;
          add(`${name}${bits}`, vex(2, 0, w, pick(), 0xf3, sub, pick()), mask, r);
        }
        // BEXTR: a control register with start/length spanning the operand and beyond
        const r = regs(), ctlReg = pick();
        r[HARNESS_INDEX.get(ctlReg)!] = (r[HARNESS_INDEX.get(ctlReg)!] & ~0xffffn) | BigInt(rnd(80) | (rnd(80) << 8));
        add(`bextr${bits}`, vex(2, 0, w, ctlReg, 0xf7, pick(), pick()), ZF | CF | OF, r);
      }
      if (host.bmi2) {
        const rz = regs(), nReg = pick();
        rz[HARNESS_INDEX.get(nReg)!] = (rz[HARNESS_INDEX.get(nReg)!] & ~0xffn) | BigInt(rnd(4) ? rnd(70) : rnd(256));
        add(`bzhi${bits}`, vex(2, 0, w, nReg, 0xf5, pick(), pick()), ZF | SF | CF | OF, rz);
        add(`pdep${bits}`, vex(2, 3, w, pick(), 0xf5, pick(), pick()), ALL);
        add(`pext${bits}`, vex(2, 2, w, pick(), 0xf5, pick(), pick()), ALL);
        add(`mulx${bits}`, vex(2, 3, w, pick(), 0xf6, pick(), pick()), ALL);
        add(`rorx${bits}`, vex(3, 3, w, 0, 0xf0, pick(), pick(), rnd(4) ? rnd(64) : rnd(256)), ALL);
        for (const [name, pp] of [['shlx', 1], ['sarx', 2], ['shrx', 3]] as const) {
          add(`${name}${bits}`, vex(2, pp, w, pick(), 0xf7, pick(), pick()), ALL);
        }
      }
      const rexb = (reg: number, rm: number): number[] => (w || reg & 8 || rm & 8 ? [0x40 | (w << 3) | (reg & 8 ? 4 : 0) | (rm & 8 ? 1 : 0)] : []);
      if (host.adx) {
        for (const [name, pf] of [['adcx', 0x66], ['adox', 0xf3]] as const) {
          const reg = pick(), rm = pick();
          add(`${name}${bits}`, [pf, ...rexb(reg, rm), 0x0f, 0x38, 0xf6, 0xc0 | ((reg & 7) << 3) | (rm & 7)], ALL);
        }
      }
      if (host.sse42) {
        const reg = pick(), rm = pick();
        add(`crc32 r${bits},r8`, [0xf2, ...rexb(reg, rm), 0x0f, 0x38, 0xf0, 0xc0 | ((reg & 7) << 3) | (rm & 7)], ALL);
        add(`crc32 r${bits},r${bits}`, [0xf2, ...rexb(reg, rm), 0x0f, 0x38, 0xf1, 0xc0 | ((reg & 7) << 3) | (rm & 7)], ALL);
        if (!w) add('crc32 r32,r16', [0x66, 0xf2, ...rexb(reg, rm), 0x0f, 0x38, 0xf1, 0xc0 | ((reg & 7) << 3) | (rm & 7)], ALL);
      }
    }
  }
  return cases;
}
