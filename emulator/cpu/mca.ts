/**
 * Machine-check architecture MSRs (SDM Vol. 3B ch. 16), as QEMU's pc CPUs present them: IA32_MCG_CAP reports
 * MCA_BANKS banks and MCG_CTL_P (so IA32_MCG_CTL exists); each bank i has MCi_CTL (0x400 + 4i), MCi_STATUS
 * (+1: software may only clear it), MCi_ADDR (+2) and MCi_MISC (+3). No machine check is ever signalled, so
 * the registers only hold what software writes. Banks past MCA_BANKS #GP.
 * MCi_CTL: on an AMD model every bit enables one error type and any value may be written (APM Vol. 2 §9.3.2.1;
 * Linux clears bit 10 of MC4_CTL on family 0Fh, the GART TLB walk error); on an Intel model only all 0s or all
 * 1s (P6 family: other values are undefined; we #GP them, as KVM does).
 */
import type { Cpu } from './cpu';
import { gp } from './fault';
import { cpuModel } from './system';

export const MCA_BANKS = 10;
/** IA32_MCG_CAP: bank count, MCG_CTL_P (bit 8). */
export const MCG_CAP = MCA_BANKS | (1 << 8);
const MCG_CTL = 0x17b;
const MC0_CTL = 0x400;

/** Is `index` an MCA register this file answers (MCG_CTL or a bank register)? */
export function isMcaMsr(index: number): boolean {
  return index === MCG_CTL || (index >= MC0_CTL && index < MC0_CTL + 4 * MCA_BANKS);
}

/** The stored [lo, hi] of an MCA register (isMcaMsr). */
export function readMca(c: Cpu, index: number): [number, number] {
  const k = index === MCG_CTL ? 4 * MCA_BANKS : index - MC0_CTL;
  return [c.mca[2 * k], c.mca[2 * k + 1]];
}

export function writeMca(c: Cpu, index: number, lo: number, hi: number): void {
  const k = index === MCG_CTL ? 4 * MCA_BANKS : index - MC0_CTL;
  const reg = index === MCG_CTL ? 0 : k & 3;
  const anyBits = reg === 0 && index !== MCG_CTL && cpuModel.current.vendor === 'AuthenticAMD';
  if (reg === 0 && !anyBits && !((lo | 0) === 0 && (hi | 0) === 0) && !((lo | 0) === -1 && (hi | 0) === -1)) {
    gp(0, `MSR 0x${index.toString(16)} (MCG_CTL/MCi_CTL) takes only all 0s or all 1s`);
  }
  if (reg === 1 && (lo !== 0 || hi !== 0)) gp(0, `MC${k >> 2}_STATUS can only be cleared`);
  c.mca[2 * k] = lo;
  c.mca[2 * k + 1] = hi;
}
