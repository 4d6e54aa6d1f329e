/**
 * How the reverse-debugging history (history.ts) stores page contents: a page as is (PAGE_SIZE bytes) or,
 * when its non-zero 32-bit words fit in half a page, sparse (a bitmap of those words, then the words); and
 * the comparisons and copies over that form.
 *
 * Public API: packPage, packedBytes, samePacked, loadPage, samePage, pageIsZero, copyPages, WORDS.
 */
import { PAGE_SIZE, PhysicalMemory } from './memory/phys';
import { PACK_IN, PACK_OUT, pagePacker } from './page-pack-wasm';

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
 * 32-bit words per page and the sparse form's bitmap (one bit per word) in words. The loops below use these
 * module-local names: an exported const is a property load of `exports` in the compiled module, in every
 * iteration.
 */
const W = PAGE_SIZE / 4;
export const WORDS = W;
const BITMAP_WORDS = W / 32;

/**
 * Where packPage works: the WebAssembly packer's memory (page-pack-wasm.ts), or, where WebAssembly is
 * unavailable, a buffer of its own (every page is then stored as is).
 */
const packer = pagePacker;
const formU8 = packer ? packer.u8 : new Uint8Array(PAGE_SIZE);
const formI32 = packer ? packer.i32 : new Int32Array(formU8.buffer);
const IN_WORD = PACK_IN >>> 2, OUT_WORD = PACK_OUT >>> 2;
/** packedBytes' views: the page as is, and the first n bytes of the sparse form by n / 4 (made once). */
const pageView = formU8.subarray(PACK_IN, PACK_IN + PAGE_SIZE);
const sparseViews: Uint8Array[] = [];
for (let n = 0; n <= W / 2; n++) sparseViews.push(formU8.subarray(PACK_OUT, PACK_OUT + 4 * n));

/**
 * The stored size of RAM page p: PAGE_SIZE (stored as is), or, when its bitmap of non-zero words plus those
 * words take at most half a page (page tables, fresh heaps, partly used stacks and buffers are mostly zeros),
 * that size. The stored form is left for packedBytes and samePacked until the next call.
 */
export function packPage(mem: PhysicalMemory, p: number): number {
  formU8.set(mem.u8.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE), PACK_IN);
  return packer ? packer.pack() : PAGE_SIZE;
}

/** The form packPage left, as its `size` bytes (size: what packPage returned; valid until its next call). */
export function packedBytes(size: number): Uint8Array {
  return size === PAGE_SIZE ? pageView : sparseViews[size >>> 2];
}

/**
 * Whether the form packPage just left (`size`: what it returned) is stored content `d` (undefined: a zero
 * page). The form is a function of the content, so equal pages have equal forms: this compares the forms'
 * words (for a mostly-zero page, a fraction of the page's).
 */
export function samePacked(size: number, d: Uint8Array | undefined): boolean {
  const n = size >>> 2;
  if (d === undefined) return n === BITMAP_WORDS;
  if (d.length !== size) return false;
  const v = words(d), f = formI32, base = size === PAGE_SIZE ? IN_WORD : OUT_WORD;
  for (let i = 0; i < n; i++) if (v[i] !== f[base + i]) return false;
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
