/**
 * How the reverse-debugging history (history.ts) stores page contents: a page as is (PAGE_SIZE bytes) or,
 * when its non-zero 32-bit words fit in half a page, sparse (a bitmap of those words, then the words); and
 * the comparisons and copies over that form.
 *
 * Public API: packPage, packed, loadPage, samePage, pageIsZero, copyPages, WORDS.
 */
import { PAGE_SIZE, PhysicalMemory } from './memory/phys';

/**
 * Copies of stored pages into one buffer (one allocation instead of one per page: thousands of small buffers
 * cost more in allocation and GC than the copying), and its size. `src(p)` is page p's stored content.
 */
export function copyPages(list: number[], src: (p: number) => Uint8Array): { pages: Map<number, Uint8Array>; bytes: number } {
  const pages = new Map<number, Uint8Array>();
  let bytes = 0;
  for (const p of list) bytes += src(p).length;
  if (bytes === 0) return { pages, bytes };
  const buf = new Uint8Array(bytes);
  let at = 0;
  for (const p of list) {
    const d = src(p);
    buf.set(d, at);
    pages.set(p, buf.subarray(at, at + d.length));
    at += d.length;
  }
  return { pages, bytes };
}

/** 32-bit words per page, the sparse form's bitmap (one bit per word) in words, and its most words. */
export const WORDS = PAGE_SIZE / 4;
const BITMAP_WORDS = WORDS / 32;
const MAX_SPARSE_WORDS = (PAGE_SIZE / 2) / 4 - BITMAP_WORDS;

/** packPage's output: the sparse form (bitmap, then the non-zero words in order). */
export const packed = new Int32Array(BITMAP_WORDS + MAX_SPARSE_WORDS);

/**
 * The stored size of the page at word `base` of `w`: PAGE_SIZE (stored as is), or, when its bitmap of
 * non-zero words plus those words take at most half a page (page tables, fresh heaps, partly used stacks and
 * buffers are mostly zeros), that size, with the sparse form left in `packed`. One pass; a dense page stops
 * it early.
 */
export function packPage(w: Int32Array, base: number): number {
  packed.fill(0, 0, BITMAP_WORDS);
  let k = BITMAP_WORDS;
  for (let i = 0; i < WORDS; i++) {
    const x = w[base + i];
    if (x !== 0) {
      if (k === packed.length) return PAGE_SIZE;
      packed[i >>> 5] |= 1 << (i & 31);
      packed[k++] = x;
    }
  }
  return k * 4;
}

/** Put a stored page (as is, packPage's sparse form, or ZERO_PAGE) back into RAM page p. */
export function loadPage(d: Uint8Array, mem: PhysicalMemory, p: number): void {
  if (d.length === PAGE_SIZE) {
    mem.u8.set(d, p * PAGE_SIZE);
    return;
  }
  const w = mem.i32, v = words(d), base = p * WORDS;
  w.fill(0, base, base + WORDS);
  let k = BITMAP_WORDS;
  for (let j = 0; j < BITMAP_WORDS; j++) {
    for (let bits = v[j]; bits !== 0; bits &= bits - 1) w[base + 32 * j + 31 - Math.clz32(bits & -bits)] = v[k++];
  }
}

function words(d: Uint8Array): Int32Array {
  return new Int32Array(d.buffer, d.byteOffset, d.length >>> 2);
}

/** Page p of RAM equals stored content `d` (undefined: a zero page). */
export function samePage(mem: PhysicalMemory, p: number, d: Uint8Array | undefined): boolean {
  const w = mem.i32;
  const base = p * WORDS;
  if (d === undefined) {
    for (let i = 0; i < WORDS; i++) if (w[base + i] !== 0) return false;
    return true;
  }
  const v = words(d);
  if (v.length === WORDS) {
    for (let i = 0; i < WORDS; i++) if (w[base + i] !== v[i]) return false;
    return true;
  }
  let k = BITMAP_WORDS;
  for (let i = 0; i < WORDS; i++) {
    const x = (v[i >>> 5] & (1 << (i & 31))) !== 0 ? v[k++] : 0;
    if (w[base + i] !== x) return false;
  }
  return true;
}

export function pageIsZero(mem: PhysicalMemory, p: number): boolean {
  const w = mem.i32;
  for (let i = p * (PAGE_SIZE / 4), e = i + PAGE_SIZE / 4; i < e; i++) if (w[i] !== 0) return false;
  return true;
}
