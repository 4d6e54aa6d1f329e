import type { Cpu } from '../cpu/cpu';
import { cpuid, CpuModel } from '../cpu/cpuid';
import { readMsr, writeMsr } from '../cpu/system';

/**
 * The MTRRs as SeaBIOS 1.16's mtrr_setup (src/fw/mtrr.c) leaves them before `qemu -kernel` boots a kernel, done by
 * the direct boot path (Linux then keeps its PAT: "x86/PAT: Configuration [0-7]: WB  WC  UC- UC  WB  WP  UC- WT",
 * as under QEMU, instead of "MTRRs disabled, skipping PAT initialization"). Only when CPUID reports MTRR and MSR
 * and MTRRcap has variable and fixed ranges:
 * - fixed ranges: 0-0x9FFFF write-back (as far as RAM goes), 0xA0000-0xBFFFF uncached, 0xC0000-0xFFFFF
 *   write-protected;
 * - variable range 0: uncached from `pciStart` (where SeaBIOS's PCI window starts: 2 GiB with up to 2 GiB of RAM
 *   below 4 GiB, 3 GiB with up to 3 GiB, else the top of that RAM) to 4 GiB; the other ranges cleared;
 * - MTRRdefType: MTRRs and fixed ranges enabled, default write-back.
 */
const MTRR_CAP = 0xfe, DEF_TYPE = 0x2ff, FIX64K = 0x250, FIX16K_80000 = 0x258, FIX16K_A0000 = 0x259, FIX4K_C0000 = 0x268;
const WB = 6, WP = 5;

/** SeaBIOS's pcimem_start on the i440FX board for `ramBelow4G` bytes of RAM below 4 GiB. */
export function pciWindowStart(ramBelow4G: number): number {
  return ramBelow4G <= 0x80000000 ? 0x80000000 : ramBelow4G <= 0xc0000000 ? 0xc0000000 : ramBelow4G;
}

function leaf(c: Cpu, m: CpuModel, n: number): { a: number; d: number } {
  const saved = [c.r[0], c.r[1], c.r[2], c.r[3], c.r[4], c.r[5], c.r[6], c.r[7]];
  c.r[0] = n; c.r[1] = 0; c.r[2] = 0; c.r[3] = 0;
  cpuid(c, m);
  const out = { a: c.r[0] >>> 0, d: c.r[4] >>> 0 };
  saved.forEach((v, k) => { c.r[k] = v; });
  return out;
}

/** Byte-per-range value: `type` in each byte k where `covered(k)`. */
function bytes(covered: (k: number) => boolean, type: number): [number, number] {
  let lo = 0, hi = 0;
  for (let k = 0; k < 8; k++) {
    if (!covered(k)) continue;
    if (k < 4) lo |= type << (8 * k); else hi |= type << (8 * (k - 4));
  }
  return [lo | 0, hi | 0];
}

export function seabiosMtrrSetup(c: Cpu, m: CpuModel, ramBelow4G: number): void {
  const f = leaf(c, m, 1).d;
  if (!(f & (1 << 12)) || !(f & (1 << 5))) return; // CPUID.1:EDX MTRR, MSR
  const cap = readMsr(c, MTRR_CAP)[0];
  const vcnt = cap & 0xff;
  if (!vcnt || !(cap & 0x100)) return;
  const wr = (index: number, [lo, hi]: [number, number]) => writeMsr(c, index, lo, hi);
  wr(DEF_TYPE, [0, 0]);
  wr(FIX64K, bytes((k) => ramBelow4G >= 0x10000 * (k + 1), WB));
  wr(FIX16K_80000, bytes((k) => ramBelow4G >= 0x80000 + 0x4000 * (k + 1), WB));
  wr(FIX16K_A0000, [0, 0]);
  for (let j = 0; j < 8; j++) wr(FIX4K_C0000 + j, bytes((k) => ramBelow4G >= 0xc0000 + j * 0x8000 + 0x1000 * (k + 1), WP));
  let physBits = 36;
  if (leaf(c, m, 0x80000000).a >= 0x80000008) physBits = leaf(c, m, 0x80000008).a & 0xff;
  for (let i = 0; i < vcnt; i++) { wr(0x200 + 2 * i, [0, 0]); wr(0x201 + 2 * i, [0, 0]); }
  const start = pciWindowStart(ramBelow4G);
  // (-(2^32 - start) & physMask) | valid: bits 32..physBits-1 set, bits 31:12 from -(2^32 - start).
  const maskHi = physBits > 32 ? (physBits >= 64 ? -1 : (2 ** (physBits - 32) - 1) | 0) : 0;
  const maskLo = (-(0x100000000 - start)) >>> 0;
  wr(0x200, [start | 0, 0]); // type UC (0)
  wr(0x201, [(maskLo | 0x800) | 0, maskHi]);
  wr(DEF_TYPE, [0xc00 | WB, 0]);
}
