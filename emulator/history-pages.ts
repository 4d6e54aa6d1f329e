/**
 * How the reverse-debugging history (history.ts) stores page contents: a page as is (PAGE_SIZE bytes) or,
 * when its non-zero 32-bit words fit in half a page, sparse (a bitmap of those words, then the words); and
 * the comparisons and copies over that form.
 *
 * Public API: packPage, packedBytes, samePacked, loadPage, samePage, pageIsZero, copyPages, WORDS.
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

/**
 * 32-bit words per page, the sparse form's bitmap (one bit per word) in words, and its most words. The loops
 * below use these module-local names: an exported const is a property load of `exports` in the compiled
 * module, in every iteration.
 */
const W = PAGE_SIZE / 4;
export const WORDS = W;
const BITMAP_WORDS = W / 32;
const MAX_SPARSE_WORDS = (PAGE_SIZE / 2) / 4 - BITMAP_WORDS;

/** packPage's output: the sparse form (bitmap, then the non-zero words in order). */
const SPARSE_END = BITMAP_WORDS + MAX_SPARSE_WORDS;
const sparse = new Int32Array(SPARSE_END);
const PAGE_BYTES = PAGE_SIZE;
/** Views of the first n bytes of the sparse form, by n / 4 (made once: one allocation per stored page less). */
const sparseViews: Uint8Array[] = [];
for (let n = 0; n <= SPARSE_END; n++) sparseViews.push(new Uint8Array(sparse.buffer, 0, 4 * n));

/** The sparse form packPage left, as its first `size` bytes (size: what packPage returned, < PAGE_SIZE). */
export function packedBytes(size: number): Uint8Array {
  return sparseViews[size >>> 2];
}

/** Float64Array views of RAM buffers (packPage reads two words at once through one), made once per buffer. */
const pairViews = new WeakMap<ArrayBufferLike, Float64Array>();

/**
 * The stored size of the page at word `base` of `w`: PAGE_SIZE (stored as is), or, when its bitmap of
 * non-zero words plus those words take at most half a page (page tables, fresh heaps, partly used stacks and
 * buffers are mostly zeros), that size, with the sparse form left for packedBytes (and samePacked). One pass,
 * two words per step: a pair reads as a double, and a double that compares equal to 0 with a positive sign
 * is two zero words (only -0 and the NaNs have other bit patterns that look special; -0 takes the word path).
 * A dense page stops it early.
 */
export function packPage(w: Int32Array, base: number): number {
  let f = pairViews.get(w.buffer);
  if (f === undefined || f.length !== w.length >>> 1) {
    f = new Float64Array(w.buffer, w.byteOffset, w.length >>> 1);
    pairViews.set(w.buffer, f);
  }
  let k = BITMAP_WORDS;
  // 32 words per bitmap word, which is stored once (a read-modify-write of `sparse` per non-zero word cost
  // more than the scan).
  for (let j = 0; j < BITMAP_WORDS; j++) {
    let bits = 0;
    const at = base + 32 * j;
    const fa = at >>> 1;
    for (let b = 0; b < 32; b += 2) {
      const d = f[fa + (b >>> 1)];
      if (d === 0 && 1 / d > 0) continue;
      const x = w[at + b], y = w[at + b + 1];
      if (x !== 0) {
        if (k === SPARSE_END) return PAGE_BYTES;
        bits |= 1 << b;
        sparse[k++] = x;
      }
      if (y !== 0) {
        if (k === SPARSE_END) return PAGE_BYTES;
        bits |= 1 << (b + 1);
        sparse[k++] = y;
      }
    }
    sparse[j] = bits;
  }
  return k * 4;
}

/**
 * Whether the sparse form packPage just left (`size`: what it returned, below PAGE_SIZE) is stored content `d`
 * (undefined: a zero page). The form is a function of the content, so equal pages have equal forms: this
 * compares the form's words, not the page's (a fifth of a mostly-zero page's scan).
 */
export function samePacked(size: number, d: Uint8Array | undefined): boolean {
  const n = size >>> 2;
  if (d === undefined) return n === BITMAP_WORDS;
  if (d.length !== size) return false;
  const v = words(d);
  for (let i = 0; i < n; i++) if (v[i] !== sparse[i]) return false;
  return true;
}

/**
 * Put a stored page (as is, packPage's sparse form, or ZERO_PAGE) back into RAM page p. Decoded code on it is
 * dropped as for any other write to code (PhysicalMemory.codeWrite); code on other pages stays valid.
 */
export function loadPage(d: Uint8Array, mem: PhysicalMemory, p: number): void {
  if (d.length === PAGE_SIZE) {
    mem.u8.set(d, p * PAGE_SIZE);
  } else {
    const w = mem.i32, v = words(d), base = p * W;
    w.fill(0, base, base + W);
    let k = BITMAP_WORDS;
    for (let j = 0; j < BITMAP_WORDS; j++) {
      for (let bits = v[j]; bits !== 0; bits &= bits - 1) w[base + 32 * j + 31 - Math.clz32(bits & -bits)] = v[k++];
    }
  }
  if (mem.codePages[p]) mem.codeWrite(p * PAGE_SIZE, PAGE_SIZE);
}

function words(d: Uint8Array): Int32Array {
  return new Int32Array(d.buffer, d.byteOffset, d.length >>> 2);
}

/** Page p of RAM equals stored content `d` (undefined: a zero page). */
export function samePage(mem: PhysicalMemory, p: number, d: Uint8Array | undefined): boolean {
  const w = mem.i32;
  const base = p * W;
  if (d === undefined) {
    for (let i = 0; i < W; i++) if (w[base + i] !== 0) return false;
    return true;
  }
  const v = words(d);
  if (v.length === W) {
    for (let i = 0; i < W; i++) if (w[base + i] !== v[i]) return false;
    return true;
  }
  let k = BITMAP_WORDS;
  for (let i = 0; i < W; i++) {
    const x = (v[i >>> 5] & (1 << (i & 31))) !== 0 ? v[k++] : 0;
    if (w[base + i] !== x) return false;
  }
  return true;
}

export function pageIsZero(mem: PhysicalMemory, p: number): boolean {
  const w = mem.i32;
  for (let i = p * W, e = i + W; i < e; i++) if (w[i] !== 0) return false;
  return true;
}
