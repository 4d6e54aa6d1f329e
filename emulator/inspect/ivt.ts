import { vectorMnemonic } from '../cpu/vectors';
import { hx, le16 } from './hex';
import { MemoryReader } from './types';

/**
 * The real-mode interrupt vector table (SDM Vol. 3A §20.1.4): at IDTR.base (0 after reset), 256 four-byte
 * entries, each the handler's offset (IP, low word) then segment (CS, high word); the CPU delivers vector n
 * to CS:IP = entry n with FLAGS, CS and IP pushed as words. Entries past IDTR.limit are not reachable: a
 * delivery there raises #GP (the view says so instead of listing them).
 */
export interface IvtEntry {
  vector: number;
  /** SDM name of the vector (#DE … for 0-31), else 'vector 0x..'. */
  vectorName: string;
  /** Handler segment (CS) and offset (IP). */
  segment: number;
  offset: number;
  /** Linear address of the handler, segment × 16 + offset, hex. */
  linear: string;
  /** The entry's 4 bytes as a little-endian dword, hex. */
  raw: string;
  /** "F000:FF53 (0xfff53)" or "empty (0000:0000)". */
  summary: string;
  /** Why delivery through this entry would go wrong, e.g. an empty entry sends the CPU to 0000:0000. */
  problems: string[];
}

/** Decode one 4-byte IVT entry. */
export function decodeIvtEntry(bytes: Uint8Array, vector: number): IvtEntry {
  const offset = le16(bytes, 0);
  const segment = le16(bytes, 2);
  const linear = segment * 16 + offset;
  const seg = (v: number) => v.toString(16).padStart(4, '0').toUpperCase();
  const empty = segment === 0 && offset === 0;
  return {
    vector, vectorName: vectorMnemonic(vector), segment, offset, linear: hx(linear),
    raw: hx(((segment << 16) | offset) >>> 0),
    summary: empty ? 'empty (0000:0000)' : `${seg(segment)}:${seg(offset)} (${hx(linear)})`,
    problems: empty ? ['empty entry: delivering this vector jumps to 0000:0000, which is the IVT itself, not code'] : [],
  };
}

/** Decode the IVT at linear `base` for IDTR.limit `limit` (entries whose 4 bytes lie within the limit). */
export function decodeIvt(reader: MemoryReader, base: bigint, limit: number): IvtEntry[] {
  const count = Math.min(256, Math.floor((limit + 1) / 4));
  const out: IvtEntry[] = [];
  for (let v = 0; v < count; v++) {
    const bytes = reader(base + BigInt(v * 4), 4);
    if (!bytes || bytes.length < 4) break;
    out.push(decodeIvtEntry(bytes, v));
  }
  return out;
}
