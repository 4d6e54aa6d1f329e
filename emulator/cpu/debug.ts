/**
 * The guest's debug architecture (SDM Vol. 3 ch. 18): DR0-DR3 data and I/O breakpoints, DR7.GD general
 * detect, DR6 status bits. Instruction breakpoints, single-step and the MOV SS/POP SS shadow are applied
 * around each instruction by Cpu.debugStep (cpu.ts), which runs every instruction while RFLAGS.TF or RF is
 * set, DR7 enables a breakpoint, or a data-breakpoint #DB is pending.
 *
 * Cost when DR7 enables no data breakpoint: none. `c.dataBp` (a mask of DR0-3 enabled as data breakpoints)
 * is 0, so Cpu.translate fills the software TLB as always and rdSlow/wrSlow skip the check. When it is not
 * 0, pages that hold a watched address never enter the TLB (like the debugger's watchpoints), so every
 * access to them takes rdSlow/wrSlow, which call noteDataAccess.
 *
 * The guest's breakpoints are independent of the debugger's (Cpu.breakpoints, Cpu.watch): both can be set at
 * once, and a debugger stop is checked before the guest's #DB for the same instruction.
 */
import type { Cpu } from './cpu';
import { raise } from './fault';
import { Cr4, TWO32 } from './state';

export const DR6_B_MASK = 0xf;
export const DR6_BD = 0x2000;
export const DR6_BS = 0x4000;
export const DR7_GD = 0x2000;

/** LEN field → bytes (00: 1, 01: 2, 10: 8, 11: 4). */
const LEN_BYTES = [1, 2, 8, 4];

/**
 * Recompute what DR0-3 and DR7 enable: call after any write to them (MOV DR, task switch, reset, snapshot
 * restore). Data breakpoints (R/W = 01 write, 11 read/write) with L or G set go into `c.dataBp`; the TLB is
 * flushed when the watched set changes, so pages with a watched address leave it.
 */
export function debugRegsChanged(c: Cpu): void {
  const dr7 = c.dr[7];
  let mask = 0;
  for (let n = 0; n < 4; n++) {
    // DR0-3 as 48-bit linear addresses (the form every access uses); bits 63:48 are the canonical extension.
    const v = c.dr[n];
    const lin = v >= TWO32 ? (Math.floor(v / TWO32) & 0xffff) * TWO32 + (v % TWO32) : v;
    c.drLinear[n] = lin;
    const rw = (dr7 >>> (16 + 4 * n)) & 3;
    if (((dr7 >>> (2 * n)) & 3) !== 0 && (rw & 1) !== 0) mask |= 1 << n;
  }
  const changed = mask !== c.dataBp || (mask !== 0 && c.drLinear.some((v, n) => v !== c.dataBpAt[n]));
  c.dataBp = mask;
  c.dataBpAt.set(c.drLinear);
  if (changed) c.flushTlb();
}

/** The byte range [base, base + len) DRn watches (the address aligned down to its length, SDM §18.2.5). */
function range(c: Cpu, n: number): [number, number] {
  const len = LEN_BYTES[(c.dr[7] >>> (18 + 4 * n)) & 3];
  const a = c.drLinear[n];
  const base = a - (a % len);
  return [base, base + len];
}

/** Does a data breakpoint watch any byte of the 4 KiB linear page holding `la`? (keeps the page out of the TLB) */
export function dataBpOnPage(c: Cpu, la: number): boolean {
  const p = la - (la % 4096);
  for (let n = 0; n < 4; n++) {
    if ((c.dataBp & (1 << n)) === 0) continue;
    const [b, e] = range(c, n);
    if (b < p + 4096 && e > p) return true;
  }
  return false;
}

/**
 * An explicit data access of `size` bytes at linear `la` completed its translation: record the DRn it hits
 * (a read hits only R/W = 11). The #DB is a trap, raised by debugStep after the instruction (or after the next
 * one, in a MOV SS/POP SS shadow).
 */
export function noteDataAccess(c: Cpu, la: number, size: number, write: boolean): void {
  for (let n = 0; n < 4; n++) {
    if ((c.dataBp & (1 << n)) === 0) continue;
    if (!write && ((c.dr[7] >>> (16 + 4 * n)) & 3) !== 3) continue;
    const [b, e] = range(c, n);
    if (la < e && la + size > b) c.dbHits |= 1 << n;
  }
}

/** IN/OUT/INS/OUTS on `port`: I/O breakpoints (R/W = 10 with CR4.DE = 1) that match it. */
export function noteIoAccess(c: Cpu, port: number, size: number): void {
  const dr7 = c.dr[7];
  if ((dr7 & 0xff) === 0 || (c.cr4 & Cr4.DE) === 0) return;
  for (let n = 0; n < 4; n++) {
    if (((dr7 >>> (2 * n)) & 3) === 0 || ((dr7 >>> (16 + 4 * n)) & 3) !== 2) continue;
    const len = LEN_BYTES[(dr7 >>> (18 + 4 * n)) & 3];
    const a = c.dr[n] % 0x10000;
    const base = a - (a % len);
    if (port < base + len && port + size > base) c.dbHits |= 1 << n;
  }
}

/**
 * MOV to/from a debug register with DR7.GD = 1: the general-detect #DB fault before the access, with
 * DR6.BD; GD is cleared so the handler can use the debug registers (SDM §18.2.4).
 */
export function generalDetect(c: Cpu): void {
  if ((c.dr[7] & DR7_GD) === 0) return;
  c.dr[6] = (c.dr[6] | DR6_BD) >>> 0;
  c.dr[7] = (c.dr[7] & ~DR7_GD) >>> 0;
  raise(1, -1, 'general-detect #DB: MOV DR with DR7.GD=1');
}
