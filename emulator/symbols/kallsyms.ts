/**
 * Linux's own symbol table (kallsyms), read out of a kernel image in memory: Debian's image package ships only
 * a stub System.map, but every kernel built with CONFIG_KALLSYMS carries its symbols in .rodata, as
 * scripts/kallsyms.c lays them out (6.1, base-relative, tables aligned to the word size -- 8 bytes on x86_64,
 * 4 on i386 -- in this order):
 *
 *   kallsyms_offsets        s32[num]   x86_64 (absolute-percpu): >= 0 is the address itself, < 0 is
 *                                      base - 1 - offset; i386: u32, base + offset
 *   kallsyms_relative_base  word       relocated with the kernel, so it holds the runtime (KASLR) address
 *   kallsyms_num_syms       u32 (padded to a word)
 *   kallsyms_names          per symbol: length (1 byte, or 2 when the first has bit 7: ULEB128), token indexes
 *   kallsyms_markers        u32[ceil(num / 256)]: offset in kallsyms_names of every 256th symbol
 *   kallsyms_token_table    256 NUL-terminated strings
 *   kallsyms_token_index    u16[256]: offset of each string in the token table
 *
 * Nothing names these tables in a stripped image, so they are found by their shape: a character used in
 * symbol names stays its own token, so '0'..'9' are ten consecutive one-character tokens; from there the token
 * table's start, the markers before it, and the symbol count before the names are checked against each other.
 * Public API: findKallsyms, parseSystemMap.
 */
import type { SymbolInfo } from './symbols';
import { indexOfBytes, latin1Bytes, latin1Text } from '../bytes';

export interface KallsymsTables {
  /** Offsets into the searched bytes. */
  offsets: number;
  names: number;
  markers: number;
  tokenTable: number;
  tokenIndex: number;
  count: number;
  relativeBase: bigint;
  /** The kernel's word size in bytes: 8 (x86_64) or 4 (i386). */
  word: 4 | 8;
}

/** Symbols from the kallsyms tables in `mem` (a kernel image or guest RAM), or undefined when none are found. */
export function findKallsyms(mem: Uint8Array): { symbols: SymbolInfo[]; tables: KallsymsTables } | undefined {
  const digits = latin1Bytes('0\x001\x002\x003\x004\x005\x006\x007\x008\x009\x00');
  const buf = mem;
  for (let hit = indexOfBytes(buf, digits, 0); hit >= 0; hit = indexOfBytes(buf, digits, hit + 1)) {
    for (const word of [8, 4] as const) {
      const t = tablesAround(buf, hit, word);
      if (t) return { symbols: readSymbols(buf, t), tables: t };
    }
  }
  return undefined;
}

/**
 * A System.map ("ffffffff81000000 T _text" per line) as symbols. Each symbol's size runs to the next address,
 * so an address names the function it is in; absolute ('A'/'a') symbols are values, not places, and are left out.
 */
export function parseSystemMap(text: string): SymbolInfo[] {
  const out: SymbolInfo[] = [];
  for (const line of text.split('\n')) {
    const m = /^([0-9a-fA-F]{8,16})\s+([A-Za-z])\s+(\S+)/.exec(line);
    if (!m || m[2] === 'A' || m[2] === 'a') continue;
    out.push({ name: m[3], address: BigInt('0x' + m[1]), size: 0, kind: kindOf(m[2]) });
  }
  return sized(out);
}

function kindOf(type: string): SymbolInfo['kind'] {
  const t = type.toLowerCase();
  return t === 't' || t === 'w' ? 'function' : t === 'd' || t === 'b' || t === 'r' || t === 'v' ? 'object' : 'label';
}

/** Sort by address and give each symbol the size up to the next one (kallsyms and System.map carry no sizes). */
function sized(list: SymbolInfo[]): SymbolInfo[] {
  list.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  let next: bigint | undefined;
  for (let i = list.length - 1; i >= 0; i--) {
    const gap = next === undefined ? 0n : next - list[i].address;
    list[i].size = gap > 0n && gap < 0x1000000n ? Number(gap) : 0;
    if (i > 0 && list[i - 1].address < list[i].address) next = list[i].address;
  }
  return list;
}

const alignUp = (n: number, word: number): number => (n + word - 1) & -word;

/**
 * The whole set of tables around a '0'..'9' token run at `hit`, each located by its neighbour, for a kernel
 * of the given word size, or undefined.
 */
function tablesAround(buf: Uint8Array, hit: number, word: 4 | 8): KallsymsTables | undefined {
  // Walk back 0x2f strings from '0' to token 1 (each string follows the previous one's NUL). Token 0's start is
  // not found that way: what precedes the table (kallsyms_seqs_of_names' 3-byte entries on i386) need not end in
  // a NUL, so it is where the token index says token 1 starts, counted back.
  let p = hit;
  for (let k = 0; k < 0x2f; k++) {
    if (p < 2 || buf[p - 1] !== 0) return undefined;
    p -= 2;
    while (p > 0 && buf[p - 1] !== 0) p--;
  }
  const token1 = p;
  // The token index follows the 256 strings: u16 offsets, the first 0, each one past the previous string's NUL.
  let q = token1;
  for (let k = 1; k < 256; k++) {
    const end = buf.indexOf(0, q);
    if (end < 0 || end - q > 64) return undefined;
    q = end + 1;
  }
  const tokenIndex = alignUp(q, word);
  if (tokenIndex + 512 > buf.length || u16(buf, tokenIndex) !== 0) return undefined;
  const tokenTable = token1 - u16(buf, tokenIndex + 2);
  if (tokenTable < 0 || tokenTable % word !== 0 || token1 - tokenTable > 65 || buf.indexOf(0, tokenTable) !== token1 - 1) return undefined;
  q = tokenTable;
  for (let k = 0; k < 256; k++) {
    if (u16(buf, tokenIndex + 2 * k) !== q - tokenTable) return undefined;
    q = buf.indexOf(0, q) + 1;
  }

  // kallsyms_markers lies before the token table (right before it, or before kallsyms_seqs_of_names in kernels
  // that have that table): word-aligned u32s, 0 then strictly increasing. Each candidate run is checked by the
  // symbol count and names that must lead up to it.
  for (let m = (tokenTable - word) & -word; m > 0 && m > tokenTable - 0x800000; m -= word) {
    if (u32(buf, m) !== 0 || u32(buf, m + 4) === 0) continue;
    let markerCount = 1;
    while (m + 4 * (markerCount + 1) <= tokenTable && u32(buf, m + 4 * markerCount) > u32(buf, m + 4 * (markerCount - 1))) markerCount++;
    const t = namesBefore(buf, m, markerCount, word);
    if (t) return { ...t, markers: m, tokenTable, tokenIndex };
  }
  return undefined;
}

/**
 * kallsyms_names before markers at `markersStart`: it starts word-aligned at most a few hundred KiB before the
 * last marker's symbol; kallsyms_num_syms is the u32 a word before it, must give `markerCount` or fewer markers
 * (a following table may continue the increasing run), and its names must end just before the markers.
 */
function namesBefore(buf: Uint8Array, markersStart: number, markerCount: number, word: 4 | 8): Omit<KallsymsTables, 'markers' | 'tokenTable' | 'tokenIndex'> | undefined {
  for (let k = markerCount; k >= 2; k--) {
    const lastMarker = u32(buf, markersStart + 4 * (k - 1));
    if (lastMarker >= markersStart) continue;
    const top = (markersStart - lastMarker) & -word;
    for (let names = top; names > 2 * word && names > top - 0x40000; names -= word) {
      const count = u32(buf, names - word);
      if (count === 0 || ((count + 255) >> 8) !== k) continue;
      if (!namesEndAt(buf, names, count, markersStart, word)) continue;
      const relativeBase = word === 8 ? u64(buf, names - 16) : BigInt(u32(buf, names - 8));
      const offsets = names - 2 * word - alignUp(count * 4, word);
      if (offsets < 0) return undefined;
      return { offsets, names, count, relativeBase, word };
    }
  }
  return undefined;
}

/** Whether `count` name entries starting at `names` end within a word before `end`. */
function namesEndAt(buf: Uint8Array, names: number, count: number, end: number, word: number): boolean {
  let p = names;
  for (let i = 0; i < count && p < end; i++) {
    let len = buf[p++];
    if (len & 0x80) len = (len & 0x7f) | (buf[p++] << 7);
    p += len;
  }
  return p <= end && end - p < word;
}

function readSymbols(buf: Uint8Array, t: KallsymsTables): SymbolInfo[] {
  const tokens: string[] = [];
  for (let k = 0; k < 256; k++) {
    const at = t.tokenTable + u16(buf, t.tokenIndex + 2 * k);
    tokens.push(latin1Text(buf.subarray(at, buf.indexOf(0, at))));
  }
  const out: SymbolInfo[] = [];
  let p = t.names;
  for (let i = 0; i < t.count; i++) {
    let len = buf[p++];
    if (len & 0x80) len = (len & 0x7f) | (buf[p++] << 7);
    let s = '';
    for (let k = 0; k < len; k++) s += tokens[buf[p + k]];
    p += len;
    const type = s[0];
    if (type === 'A' || type === 'a') continue; // absolute values name no place
    let address: bigint;
    if (t.word === 8) {
      // CONFIG_KALLSYMS_ABSOLUTE_PERCPU (x86_64 SMP): per-cpu symbols are absolute (offsets, no place), the rest
      // below the base.
      const off = i32(buf, t.offsets + 4 * i);
      if (off >= 0) continue;
      address = t.relativeBase - 1n - BigInt(off);
    } else {
      address = (t.relativeBase + BigInt(u32(buf, t.offsets + 4 * i))) & 0xffffffffn;
    }
    out.push({ name: s.slice(1), address, size: 0, kind: kindOf(type) });
  }
  return sized(out);
}

/** Linux maps its own image from here up (the x86_64 kernel text mapping, arch/x86/include/asm/page_64_types.h). */
export const LINUX_KERNEL_TEXT = 0xffffffff80000000n;
/**
 * The i386 kernel's PAGE_OFFSET with the default 3G/1G split (Debian's): it runs from here up to 4 GiB. Its
 * decompressor runs below, at physical addresses, and firmware never runs there.
 */
export const LINUX32_PAGE_OFFSET = 0xc0000000n;

/**
 * The kernel's kallsyms, read from guest RAM once the kernel runs from its own mapping (before that the
 * decompressor may still be writing the tables), or at a stop in user mode (`cpl` 3: the kernel has long been
 * running then, e.g. a pause in the init's shell loop). `readPhysical` reads guest RAM; `ramBytes` is its size.
 */
export function kallsymsFromGuest(rip: bigint, readPhysical: (addr: bigint, len: number) => Uint8Array, ramBytes: number, cpl = 0): SymbolInfo[] | undefined {
  const kernelMapping = rip >= LINUX_KERNEL_TEXT || (rip >= LINUX32_PAGE_OFFSET && rip <= 0xffffffffn);
  if (!kernelMapping && cpl !== 3) return undefined;
  return findKallsyms(readPhysical(0n, ramBytes))?.symbols;
}

let viewOf: Uint8Array | undefined;
let view: DataView | undefined;
/** A little-endian DataView on `buf`, kept while the same buffer is being searched. */
function dv(buf: Uint8Array): DataView {
  if (viewOf !== buf) { viewOf = buf; view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength); }
  return view!;
}
const u16 = (buf: Uint8Array, o: number): number => dv(buf).getUint16(o, true);
const u32 = (buf: Uint8Array, o: number): number => dv(buf).getUint32(o, true);
const i32 = (buf: Uint8Array, o: number): number => dv(buf).getInt32(o, true);
const u64 = (buf: Uint8Array, o: number): bigint => dv(buf).getBigUint64(o, true);
