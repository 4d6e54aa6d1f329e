import { hx, isCanonical, le16, le32, le64 } from './hex';
import { GateInfo, MemoryReader, Tss32Info, TssInfo } from './types';

/**
 * Task-state segments: the 64-bit TSS (SDM Vol. 3A §7.7 Figure 7-11) with RSP0-2, IST1-7 and the I/O map base,
 * and the 32-bit TSS (§7.2.1 Figure 7-2) for protected mode.
 */

export const TSS64_MIN_LIMIT = 0x67;
export const TSS32_MIN_LIMIT = 0x67;

/** Decode the 64-bit TSS at linear `base` (TR.base) with TR.limit `limit`. */
export function decodeTss64(reader: MemoryReader, base: bigint, limit: number): TssInfo {
  const info: TssInfo = { base: hx(base), limit, rsp: [], ist: [], iopbOffset: 0, raw: '', problems: [] };
  if (limit < TSS64_MIN_LIMIT) info.problems.push(`limit ${hx(limit)} is smaller than a 64-bit TSS needs (${hx(TSS64_MIN_LIMIT)} is the minimum)`);
  const b = reader(base, 104);
  if (!b || b.length < 104) {
    info.problems.push(`the TSS at ${hx(base)} is not readable (unmapped or outside RAM)`);
    return info;
  }
  info.raw = toHex(b);
  for (let i = 0; i < 3; i++) info.rsp.push(hx(le64(b, 4 + i * 8)));
  for (let i = 0; i < 7; i++) info.ist.push(hx(le64(b, 36 + i * 8)));
  info.iopbOffset = le16(b, 102);
  info.rsp.forEach((r, i) => {
    if (!isCanonical(BigInt(r))) info.problems.push(`RSP${i} ${r} is not canonical: a privilege change to ring ${i} raises #SS`);
  });
  info.ist.forEach((r, i) => {
    if (!isCanonical(BigInt(r))) info.problems.push(`IST${i + 1} ${r} is not canonical: a gate using it raises #SS`);
  });
  return info;
}

/**
 * Problems with the IST stacks the IDT actually uses: "the #DF gate uses IST1 but TSS.IST1 is 0". Only
 * present gates count; an unused zero IST entry is normal.
 */
export function istProblems(tss: TssInfo, gates: GateInfo[]): string[] {
  const out: string[] = [];
  for (const g of gates) {
    if (!g.present || g.ist === 0) continue;
    const value = tss.ist[g.ist - 1];
    const name = g.vector < 32 ? g.vectorName : `vector ${hx(g.vector)}`;
    if (value === undefined) out.push(`the ${name} gate uses IST${g.ist} but the TSS could not be read`);
    else if (BigInt(value) === 0n) out.push(`the ${name} gate uses IST${g.ist} but TSS.IST${g.ist} is 0`);
    else if ((BigInt(value) & 0xfn) !== 0n) out.push(`the ${name} gate uses IST${g.ist} = ${value}, which is not 16-byte aligned (the CPU aligns it down)`);
  }
  return out;
}

/** Decode a 32-bit TSS at linear `base` with limit `limit`. */
export function decodeTss32(reader: MemoryReader, base: bigint, limit: number): Tss32Info {
  const problems: string[] = [];
  if (limit < TSS32_MIN_LIMIT) problems.push(`limit ${hx(limit)} is smaller than a 32-bit TSS needs (${hx(TSS32_MIN_LIMIT)} is the minimum)`);
  const read = reader(base, 104);
  const readable = !!read && read.length >= 104;
  // Unreadable: report zeros plus the reason, so callers always get the same shape.
  const b = readable ? read : new Uint8Array(104);
  if (!readable) problems.push(`the TSS at ${hx(base)} is not readable (unmapped or outside RAM)`);
  const d = (o: number) => hx(le32(b, o));
  const w = (o: number) => le16(b, o);
  const info: Tss32Info = {
    base: hx(base), limit, link: w(0),
    esp0: d(4), ss0: w(8), esp1: d(12), ss1: w(16), esp2: d(20), ss2: w(24),
    cr3: d(28), eip: d(32), eflags: d(36),
    gprs: { eax: d(40), ecx: d(44), edx: d(48), ebx: d(52), esp: d(56), ebp: d(60), esi: d(64), edi: d(68) },
    es: w(72), cs: w(76), ss: w(80), ds: w(84), fs: w(88), gs: w(92), ldt: w(96),
    trap: (b[100] & 1) !== 0, iopbOffset: w(102), raw: readable ? toHex(b) : '', problems,
  };
  if (!readable) return info;
  if ((info.ss0 & ~3) === 0) problems.push('SS0 is null: an interrupt or call from ring 1-3 into ring 0 raises #TS');
  else if ((info.ss0 & 3) !== 0) problems.push(`SS0 ${hx(info.ss0)} has RPL ${info.ss0 & 3}; it must be 0 or a switch to ring 0 raises #TS`);
  return info;
}

function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
