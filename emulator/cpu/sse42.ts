import type { Cpu } from './cpu';
import { ud } from './fault';
import { Imm, Insn } from './insn';
import { A, B, loadA, loadB, pfx, sseCheck, storeA } from './sse';
import { def } from './table';

/**
 * SSE4.2 (CPUID.01H:ECX.SSE4_2[20]; SDM Vol. 2): PCMPGTQ (66 0F38 37), a signed 64-bit compare; CRC32 (F2 0F38 F0/F1, registered with MOVBE in bmi.ts),
 * the accumulation of CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) over an 8/16/32/64-bit source into
 * the low 32 bits of the destination, with no pre- or post-inversion; a 64-bit destination's upper half is
 * zeroed. Flags are unchanged.
 */

const TABLE = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let v = n;
  for (let k = 0; k < 8; k++) v = v & 1 ? (v >>> 1) ^ 0x82f63b78 : v >>> 1;
  TABLE[n] = v;
}
function crcBytes(crc: number, v: number, n: number): number {
  for (let k = 0; k < n; k++) { crc = TABLE[(crc ^ v) & 0xff] ^ (crc >>> 8); v >>>= 8; }
  return crc;
}

/** CRC32 r32/r64, r/m8 (`byteSrc`) or r/m16/32/64 (by operand size). */
export function crc32(c: Cpu, i: Insn, byteSrc: boolean): void {
  const size = byteSrc ? 1 : i.osz;
  const v = c.readE(i, size), hi = c.hi;
  let crc = c.r[2 * i.reg];
  if (size === 8) crc = crcBytes(crcBytes(crc, v, 4), hi, 4);
  else crc = crcBytes(crc, v, size);
  c.r[2 * i.reg] = crc;
  c.r[2 * i.reg + 1] = 0;
}

def(0x237, 'pcmpgtq', true, Imm.NONE, (c, i) => {
  if (pfx(i) !== 1) ud();
  sseCheck(c);
  loadB(c, i, true);
  loadA(c, i.reg);
  for (let k = 0; k < 4; k += 2) {
    const gt = A[k + 1] > B[k + 1] || (A[k + 1] === B[k + 1] && A[k] >>> 0 > B[k] >>> 0) ? -1 : 0;
    A[k] = gt; A[k + 1] = gt;
  }
  storeA(c, i.reg);
});
