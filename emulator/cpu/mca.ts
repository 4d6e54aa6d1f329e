/**
 * Machine-check architecture MSRs (SDM Vol. 3B ch. 16), as QEMU's pc CPUs present them: IA32_MCG_CAP reports
 * MCA_BANKS banks, MCG_CTL_P (so IA32_MCG_CTL exists) and MCG_SER_P, and the CTL registers start all 1s; each
 * bank i has MCi_CTL (0x400 + 4i), MCi_STATUS
 * (+1: software may only clear it), MCi_ADDR (+2) and MCi_MISC (+3). No machine check is ever signalled, so
 * the registers only hold what software writes. Banks past MCA_BANKS #GP.
 * MCi_CTL takes all 0s, or all 1s with bit 10 and/or bit 0 clear, and #GPs anything else: KVM's rule
 * (set_msr_mce), which kvm-unit-tests' msr test checks with 0xaaaaaaaaaaaaaaaa, and which lets Linux clear bit 10
 * of MC4_CTL on AMD family 0Fh (the GART TLB walk error quirk). Recorded difference: real AMD CPUs accept any
 * value (APM Vol. 2 §9.3.2.1, each bit enables one error type); on P6-family Intel other values are undefined.
 */
import type { Cpu } from './cpu';
import { gp } from './fault';

export const MCA_BANKS = 10;
/** IA32_MCG_CAP: bank count, MCG_CTL_P (bit 8) and MCG_SER_P (bit 24): QEMU's MCE_CAP_DEF | MCE_BANKS_DEF. */
export const MCG_CAP = MCA_BANKS | (1 << 8) | (1 << 24);
const MCG_CTL = 0x17b;
const MC0_CTL = 0x400;

/**
 * The registers at power-on, as QEMU's mce_init leaves them: MCG_CTL and every MCi_CTL all 1s (every error type
 * enabled; SDM Vol. 3B §16.3 leaves their reset value to the implementation), STATUS, ADDR and MISC 0.
 */
export function resetMca(c: Cpu): void {
  c.mca.fill(0);
  for (let k = 0; k <= 4 * MCA_BANKS; k += 4) c.mca[2 * k] = c.mca[2 * k + 1] = -1;
}

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
  // Bank CTL: all 1s apart from bits 10 and 0 (KVM); MCG_CTL: all 0s or all 1s.
  const quirk = index !== MCG_CTL ? (1 << 10) | 1 : 0;
  if (reg === 0 && !((lo | 0) === 0 && (hi | 0) === 0) && !(((lo | quirk) | 0) === -1 && (hi | 0) === -1)) {
    gp(0, `MSR 0x${index.toString(16)} (MCG_CTL/MCi_CTL) takes only all 0s or all 1s`);
  }
  if (reg === 1 && (lo !== 0 || hi !== 0)) gp(0, `MC${k >> 2}_STATUS can only be cleared`);
  c.mca[2 * k] = lo;
  c.mca[2 * k + 1] = hi;
}
