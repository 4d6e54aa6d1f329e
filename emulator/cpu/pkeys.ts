/**
 * Protection keys (SDM Vol. 3A §4.6.2): in 4-level paging each leaf entry's bits 62:59 name a key; PKRU
 * (CR4.PKE, user pages) and the IA32_PKRS MSR (CR4.PKS, supervisor pages) hold per key an access-disable
 * (bit 2k) and a write-disable (bit 2k+1) bit. The page walker applies them (paging.ts); this file holds the
 * instructions and the MSR. Cached translations were checked against the old rights, so a change flushes the
 * software TLB.
 */
import type { Cpu } from './cpu';
import { gp, ud } from './fault';
import { Cr4 } from './state';

export const MSR_PKRS = 0x6e1;

/** RDPKRU (0F 01 EE): EAX = PKRU, EDX = 0; #UD without CR4.PKE, #GP(0) if ECX != 0. */
export function rdpkru(c: Cpu): void {
  if (!(c.cr4 & Cr4.PKE)) ud('RDPKRU with CR4.PKE=0');
  if (c.r[2] !== 0) gp(0, 'RDPKRU with ECX != 0');
  c.setReg32(0, c.pkru);
  c.setReg32(2, 0);
}

/** WRPKRU (0F 01 EF): PKRU = EAX; #UD without CR4.PKE, #GP(0) if ECX or EDX != 0. Any CPL. */
export function wrpkru(c: Cpu): void {
  if (!(c.cr4 & Cr4.PKE)) ud('WRPKRU with CR4.PKE=0');
  if (c.r[2] !== 0 || c.r[4] !== 0) gp(0, 'WRPKRU with ECX or EDX != 0');
  c.pkru = c.r[0] >>> 0;
  c.flushTlb();
}

/** WRMSR IA32_PKRS: bits 63:32 are reserved (#GP). */
export function writePkrs(c: Cpu, lo: number, hi: number): void {
  if (hi !== 0) gp(0, 'IA32_PKRS bits 63:32 are reserved');
  c.pkrs = lo >>> 0;
  c.flushTlb();
}
