/**
 * How the reverse-debugging history (history.ts) stores page contents, as 32-bit words: a page as is
 * (PAGE_SIZE bytes) or, when its non-zero words fit in half a page, sparse (a bitmap of those words, then the
 * words); and the comparisons and copies over that form. Stored pages are Int32Arrays: comparing and loading
 * them needs no word view made per page (one costs more than comparing a sparse page).
 *
 * Public API: packPage, storePacked, samePacked, loadPage, samePage, pageIsZero, copyPages, WORDS.
 */
import { PAGE_SIZE, PhysicalMemory } from './memory/phys';
import { PACK_IN, PACK_OUT, pagePacker } from './page-pack-wasm';

/**
 * Copies of stored pages into one buffer (one allocation instead of one per page: thousands of small buffers
 * cost more in allocation and GC than the copying), and its size in bytes. `src(p)` is page p's stored content.
 */
export function copyPages(list: number[], src: (p: number) => Int32Array): { pages: Map<number, Int32Array>; bytes: number } {
  const pages = new Map<number, Int32Array>();
  let words = 0;
  for (const p of list) words += src(p).length;
  if (words === 0) return { pages, bytes: 0 };
  const buf = new Int32Array(words);
  let at = 0;
  for (const p of list) {
    const d = src(p);
    buf.set(d, at);
    pages.set(p, buf.subarray(at, at + d.length));
    at += d.length;
  }
  return { pages, bytes: 4 * words };
}

/**
 * 32-bit words per page and the sparse form's bitmap (one bit per word) in words. The loops below use these
 * module-local names: an exported const is a property load of `exports` in the compiled module, in every
 * iteration.
 */
const W = PAGE_SIZE / 4;
export const WORDS = W;
const BITMAP_WORDS = W / 32;
const OUT_WORD = PACK_OUT >>> 2;


/**
 * The stored size in bytes of RAM page p: PAGE_SIZE (stored as is), or, when its bitmap of non-zero words plus
 * those words take at most half a page (page tables, fresh heaps, partly used stacks and buffers are mostly
 * zeros), that size. The form is left for storePacked and samePacked until the next call.
 */
export function packPage(mem: PhysicalMemory, p: number): number {
  // Without WebAssembly there is no packer: every page is stored as is.
  const packer = pagePacker();
  if (!packer) return PAGE_SIZE;
  packer.u8.set(mem.u8.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE), PACK_IN);
  return packer.pack();
}

/**
 * Copy the form packPage just left for page p (`size`: what it returned) into `dst` at word `at`: the page from
 * RAM when dense (RAM still holds it), else the sparse form.
 */
export function storePacked(mem: PhysicalMemory, p: number, size: number, dst: Int32Array, at: number): void {
  const n = size >>> 2;
  if (n === W) {
    dst.set(mem.i32.subarray(p * W, p * W + W), at);
    return;
  }
  const f = pagePacker()!.i32;
  for (let i = 0; i < n; i++) dst[at + i] = f[OUT_WORD + i];
}

/**
 * Whether the form packPage just left for page p (`size`: what it returned) is stored content `d` (undefined: a
 * zero page). The form is a function of the content, so equal pages have equal forms: this compares the forms'
 * words (for a mostly-zero page, a fraction of the page's).
 */
export function samePacked(mem: PhysicalMemory, p: number, size: number, d: Int32Array | undefined): boolean {
  const n = size >>> 2;
  if (d === undefined) return n === BITMAP_WORDS;
  if (d.length !== n) return false;
  let f: Int32Array, base: number;
  if (n === W) {
    f = mem.i32;
    base = p * W;
  } else {
    f = pagePacker()!.i32;
    base = OUT_WORD;
  }
  for (let i = 0; i < n; i++) if (d[i] !== f[base + i]) return false;
  return true;
}

/**
 * Put a stored page (as is, packPage's sparse form, or ZERO_PAGE) back into RAM page p. Decoded code on it is
 * dropped as for any other write to code (PhysicalMemory.codeWrite); code on other pages stays valid.
 */
export function loadPage(d: Int32Array, mem: PhysicalMemory, p: number): void {
  if (d.length === W) {
    mem.i32.set(d, p * W);
  } else {
    const w = mem.i32, base = p * W;
    w.fill(0, base, base + W);
    let k = BITMAP_WORDS;
    for (let j = 0; j < BITMAP_WORDS; j++) {
      for (let bits = d[j]; bits !== 0; bits &= bits - 1) w[base + 32 * j + 31 - Math.clz32(bits & -bits)] = d[k++];
    }
  }
  if (mem.codePages[p]) mem.codeWrite(p * PAGE_SIZE, PAGE_SIZE);
}

/** Page p of RAM equals stored content `d` (undefined: a zero page). */
export function samePage(mem: PhysicalMemory, p: number, d: Int32Array | undefined): boolean {
  const w = mem.i32;
  const base = p * W;
  if (d === undefined) {
    for (let i = 0; i < W; i++) if (w[base + i] !== 0) return false;
    return true;
  }
  if (d.length === W) {
    for (let i = 0; i < W; i++) if (w[base + i] !== d[i]) return false;
    return true;
  }
  let k = BITMAP_WORDS;
  for (let i = 0; i < W; i++) {
    const x = (d[i >>> 5] & (1 << (i & 31))) !== 0 ? d[k++] : 0;
    if (w[base + i] !== x) return false;
  }
  return true;
}

export function pageIsZero(mem: PhysicalMemory, p: number): boolean {
  const w = mem.i32;
  for (let i = p * W, e = i + W; i < e; i++) if (w[i] !== 0) return false;
  return true;
}
