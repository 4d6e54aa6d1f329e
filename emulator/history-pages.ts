/**
 * How the reverse-debugging history (history.ts) stores page contents, as 32-bit words: a page as is
 * (PAGE_SIZE bytes) or, when its non-zero words fit in half a page, sparse (a bitmap of those words, then the
 * words); and the comparisons and copies over that form. Stored pages are Int32Arrays: comparing and loading
 * them needs no word view made per page (one costs more than comparing a sparse page).
 *
 * Public API: PageVersions, packPage, storePacked, samePacked, loadPage, samePage, pageIsZero, WORDS.
 */
import { PAGE_SIZE, PhysicalMemory } from './memory/phys';
import { PACK_IN, PACK_OUT, PagePacker, pagePacker } from './page-pack-wasm';

/** Largest buffer (in pages) stored versions are copied into: one allocation per run of copies, not per page. */
const CHUNK_PAGES = 64;

/**
 * One snapshot's stored page versions, numbered in the order they were added: their words lie in buffers that
 * grow by doubling up to CHUNK_PAGES pages, and where each lies (buffer, word offset, length) in one Int32Array.
 * No object per version: a view per stored page (bench-paging stores ~12 000 per run) kept the garbage
 * collector marking and promoting them, and grew V8's heap, which faults in 4 KiB at a time.
 */
export class PageVersions {
  /** Bytes of the buffers (what the history's budget counts). */
  bytes = 0;
  private count = 0;
  private readonly buffers: Int32Array[] = [];
  /** Per version: its buffer's index, word offset and length. */
  private where = new Int32Array(3 * 16);
  private used = 0;

  /** Store the form packPage just left for RAM page p (`size`: what it returned); returns its number. */
  addPacked(mem: PhysicalMemory, p: number, size: number): number {
    const n = size >>> 2;
    const v = this.reserve(n);
    storePacked(mem, p, size, this.buffers[this.buffers.length - 1], this.where[3 * v + 1]);
    return v;
  }

  /** Store a copy of stored content `d` (another snapshot's version); returns its number. */
  addCopy(d: Int32Array): number {
    const v = this.reserve(d.length);
    this.buffers[this.buffers.length - 1].set(d, this.where[3 * v + 1]);
    return v;
  }

  /** Whether version v is the form packPage just left for RAM page p (`size`: what it returned); no view made. */
  matchesPacked(v: number, mem: PhysicalMemory, p: number, size: number): boolean {
    const w = this.where;
    return formEquals(this.buffers[w[3 * v]], w[3 * v + 1], w[3 * v + 2], mem, p, size);
  }

  /** Version v's words, as a view made for the caller to compare or load (not to keep). */
  view(v: number): Int32Array {
    const w = this.where;
    return this.buffers[w[3 * v]].subarray(w[3 * v + 1], w[3 * v + 1] + w[3 * v + 2]);
  }

  /** Room for a version of n words at the end of the last buffer (a new one when it is full). */
  private reserve(n: number): number {
    let last = this.buffers[this.buffers.length - 1];
    if (!last || this.used + n > last.length) {
      const pages = last ? Math.min(CHUNK_PAGES, (2 * last.length) / W) : 1;
      last = new Int32Array(pages * W);
      this.buffers.push(last);
      this.bytes += last.byteLength;
      this.used = 0;
    }
    if (3 * this.count === this.where.length) {
      const grown = new Int32Array(2 * this.where.length);
      grown.set(this.where);
      this.where = grown;
    }
    const v = this.count++;
    this.where[3 * v] = this.buffers.length - 1;
    this.where[3 * v + 1] = this.used;
    this.where[3 * v + 2] = n;
    this.used += n;
    return v;
  }
}

/**
 * 32-bit words per page and the sparse form's bitmap (one bit per word) in words. The loops below use these
 * module-local names: an exported const is a property load of `exports` in the compiled module, in every
 * iteration.
 */
const W = PAGE_SIZE / 4;
export const WORDS = W;
const BITMAP_WORDS = W / 32;
const IN_WORD = PACK_IN >>> 2, OUT_WORD = PACK_OUT >>> 2;


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
 * Copy the form packPage just left for page p (`size`: what it returned) into `dst` at word `at`, from the
 * packer's memory (just read, so in cache): the copy of the page when dense, else the sparse form; the page
 * from RAM when there is no packer.
 */
export function storePacked(mem: PhysicalMemory, p: number, size: number, dst: Int32Array, at: number): void {
  const n = size >>> 2;
  const packer = pagePacker();
  if (!packer) {
    dst.set(mem.i32.subarray(p * W, p * W + W), at);
    return;
  }
  dst.set(packedForm(packer, n), at);
}

/**
 * Views of the packer's memory holding a form of n words (the page as is at IN for W, else the sparse form at
 * OUT), made once per length: a view made per stored page was garbage for the collector at every copy.
 */
let formViews: Int32Array[] = [];
let formsOf: PagePacker | undefined;
function packedForm(packer: PagePacker, n: number): Int32Array {
  if (formsOf !== packer) { formViews = []; formsOf = packer; }
  const from = n === W ? IN_WORD : OUT_WORD;
  return formViews[n] ??= packer.i32.subarray(from, from + n);
}

/**
 * Whether the form packPage just left for page p (`size`: what it returned) is stored content `d` (undefined: a
 * zero page). The form is a function of the content, so equal pages have equal forms: this compares the forms'
 * words (for a mostly-zero page, a fraction of the page's).
 */
export function samePacked(mem: PhysicalMemory, p: number, size: number, d: Int32Array | undefined): boolean {
  if (d === undefined) return size >>> 2 === BITMAP_WORDS;
  return formEquals(d, 0, d.length, mem, p, size);
}

/** Whether the `len` words of `d` from `at` are the form packPage just left for page p (`size`: what it returned). */
function formEquals(d: Int32Array, at: number, len: number, mem: PhysicalMemory, p: number, size: number): boolean {
  const n = size >>> 2;
  if (len !== n) return false;
  let f: Int32Array, base: number;
  if (n === W) {
    f = mem.i32;
    base = p * W;
  } else {
    f = pagePacker()!.i32;
    base = OUT_WORD;
  }
  for (let i = 0; i < n; i++) if (d[at + i] !== f[base + i]) return false;
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
