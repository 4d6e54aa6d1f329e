/**
 * The history's page packer (history-pages.ts packPage) as a small WebAssembly function, built here from its
 * instructions (no toolchain, no binary in the repository). Packing scans all 1024 words of a page; in wasm
 * the scan has no bounds checks and tests 16 bytes at once (SIMD). The page is copied into the module's
 * memory first. Recording bench-paging settles ~16 000 pages per run (bench/reverse.ts). Guest RAM stays a
 * plain ArrayBuffer rather than living in this memory (packed in place): V8 maps a WebAssembly memory itself,
 * where glibc's huge-page advice (host-memory.ts) does not reach, and every 4 KiB of RAM then faulted in on its
 * own (bench-paging: 81 MIPS instead of 212 with recording off, 74 against 168 with it on).
 *
 * The module's memory: the page to pack at IN (4096 bytes), the sparse form written at OUT: a bitmap of the
 * non-zero 32-bit words (32 words, bit b of word j = word 32j + b), then those words in order. pack() returns
 * the form's size in bytes, or 4096 when the non-zero words do not fit in half a page (the page is then
 * stored as is: the copy at IN).
 *
 * The same scan lists the non-zero words of a large, mostly-zero register file (nonZeroWords: the e1000's
 * 128 KiB of registers, saved at every history snapshot).
 *
 * With SIMD (where the engine has it) a 16-byte load tests four words at once, and when any is non-zero their
 * mask (i32x4.bitmask) picks a swizzle that stores them compacted, with no branch per word (storeVector; the
 * swizzle table lies at COMPRESS, after the sparse form's room): 1.5-2x faster than testing the words one by
 * one in every pattern tried (bench-paging's pages: 254 -> 171 ns); without SIMD, 8 bytes at a time. The SIMD
 * scan handles a bitmap word's 128 bytes in straight-line code (eight loads at constant offsets): 4 400 -> 3 000
 * host instructions a page like bench-paging's (callgrind), a settled page's copy 13 100 -> 11 800 in all.
 *
 * Public API: createPagePacker (undefined where WebAssembly is unavailable), pagePacker (one made at first use),
 * nonZeroWords.
 */

export interface PagePacker {
  /** The module's memory as bytes and as words. */
  readonly u8: Uint8Array;
  readonly i32: Int32Array;
  /** Pack the page at IN into OUT: the sparse form's size, or 4096 (dense). */
  pack(): number;
}

export const PACK_IN = 0;
export const PACK_OUT = 4096;
/** A page's size, and the most the sparse form may take (half a page: more is stored as is). */
const PAGE = 4096;
const SPARSE_LIMIT = PAGE / 2;

// Opcodes (WebAssembly core spec §5.4).
const BLOCK_VOID = 0x40, LOOP = 0x03, IF = 0x04, END = 0x0b, BR_IF = 0x0d, RETURN = 0x0f;
const LOCAL_GET = 0x20, LOCAL_SET = 0x21, LOCAL_TEE = 0x22;
const I32_STORE = 0x36, I64_LOAD = 0x29, I32_CONST = 0x41, I64_CONST = 0x42;
const I32_EQZ = 0x45, I32_EQ = 0x46, I32_NE = 0x47, I32_GT_U = 0x4b, I64_EQZ = 0x50, I32_POPCNT = 0x69;
const I32_ADD = 0x6a, I32_SUB = 0x6b, I32_OR = 0x72, I32_SHL = 0x74, I32_SHR_U = 0x76, I64_SHR_U = 0x88, I32_WRAP_I64 = 0xa7;
const I32 = 0x7f, I64 = 0x7e, V128 = 0x7b;
// SIMD (0xfd prefix, then the opcode as LEB128): v128.load/store/const, v128.any_true, i8x16.swizzle,
// i32x4.ne, i32x4.bitmask.
const SIMD = 0xfd, V128_LOAD = 0x00, V128_STORE = 0x0b, V128_CONST = 0x0c, I8X16_SWIZZLE = 0x0e, V128_ANY_TRUE = 0x53;
const I32X4_NE = 0x38, I32X4_BITMASK = [0xa4, 0x01];
/**
 * The SIMD packer's table, past the sparse form's room: for each 4-bit mask of non-zero words in 16 bytes, the
 * i8x16.swizzle that moves those words to the front, in order (byte indexes; 0x80 gives a zero byte).
 */
const COMPRESS = 8192;
function compressTable(): number[] {
  const bytes: number[] = [];
  for (let mask = 0; mask < 16; mask++) {
    const row: number[] = [];
    for (let lane = 0; lane < 4; lane++) if (mask & (1 << lane)) row.push(4 * lane, 4 * lane + 1, 4 * lane + 2, 4 * lane + 3);
    while (row.length < 16) row.push(0x80);
    bytes.push(...row);
  }
  return bytes;
}

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && (b & 0x40))) return [...out, b];
    out.push(b | 0x80);
  }
}

const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const name = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
const i32c = (n: number): number[] => [I32_CONST, ...sleb(n)];

// Locals of pack(): the input address, the bit index in the current bitmap word, the output offset, the bitmap
// word being built, the word being looked at, the word pair loaded (i64), and 16 bytes loaded (v128, SIMD).
const ADDR = 0, BIT = 1, K = 2, BITS = 3, X = 4, PAIR = 5, VEC = 6;
const get = (l: number): number[] => [LOCAL_GET, l];
const set = (l: number): number[] => [LOCAL_SET, l];

/** If word X is non-zero: store it at OUT + K (or return 4096 when the form is full), set its bitmap bit. */
function storeWord(bitOffset: number): number[] {
  return [
    ...get(X), IF, BLOCK_VOID,
    ...get(K), ...i32c(SPARSE_LIMIT), I32_EQ, IF, BLOCK_VOID, ...i32c(PAGE), RETURN, END,
    ...get(K), ...get(X), I32_STORE, 2, ...uleb(PACK_OUT),
    ...get(K), ...i32c(4), I32_ADD, ...set(K),
    ...get(BITS), ...i32c(1), ...get(BIT), ...(bitOffset ? [...i32c(bitOffset), I32_ADD] : []), I32_SHL, I32_OR, ...set(BITS),
    END,
  ];
}

/** The words of PAIR (bits `bitOffset` and `bitOffset` + 1 of the group's bitmap word), unless both are zero. */
function storePair(bitOffset: number): number[] {
  return [
    ...get(PAIR), I64_EQZ, I32_EQZ, IF, BLOCK_VOID,
    ...get(PAIR), I32_WRAP_I64, ...set(X), ...storeWord(bitOffset),
    ...get(PAIR), I64_CONST, 32, I64_SHR_U, I32_WRAP_I64, ...set(X), ...storeWord(bitOffset + 1),
    END,
  ];
}

/**
 * With SIMD, 16 bytes (4 words) unless all zero: their mask of non-zero words goes into the bitmap word, and the
 * 16 bytes swizzled (COMPRESS[mask]) to put those words first are stored at OUT + K, K moving past them only (the
 * rest is overwritten next or lies past the form), without a branch per word; full past half a page: 4096.
 */
const storeVector = (bit: number): number[] => [
  ...get(VEC), SIMD, V128_CONST, ...new Array<number>(16).fill(0), SIMD, I32X4_NE, SIMD, ...I32X4_BITMASK, ...set(X),
  ...get(BITS), ...get(X), ...i32c(bit), I32_SHL, I32_OR, ...set(BITS),
  ...get(K), ...get(VEC), ...get(X), ...i32c(4), I32_SHL, SIMD, V128_LOAD, 4, ...uleb(COMPRESS), SIMD, I8X16_SWIZZLE,
  SIMD, V128_STORE, 2, ...uleb(PACK_OUT),
  ...get(K), ...get(X), I32_POPCNT, ...i32c(2), I32_SHL, I32_ADD, LOCAL_TEE, K,
  ...i32c(SPARSE_LIMIT), I32_GT_U, IF, BLOCK_VOID, ...i32c(PAGE), RETURN, END,
];

/**
 * pack(): for each 128-byte group (one bitmap word), for each 8-byte pair (with SIMD: each 16 bytes, skipped
 * at once when all zero): store its non-zero words; then the bitmap word. The output starts after the 128-byte
 * bitmap.
 */
function packBody(simd: boolean): number[] {
  if (simd) {
    // A group's eight vectors in straight-line code, at constant load offsets and bit positions: no counter, test
    // and branch per vector (the scan took ~4 400 host instructions a page of bench-paging's kind, one non-zero
    // vector in four, with them).
    const group: number[] = [];
    for (let j = 0; j < 8; j++) {
      group.push(...get(ADDR), SIMD, V128_LOAD, 4, ...uleb(16 * j), LOCAL_TEE, VEC, SIMD, V128_ANY_TRUE, IF, BLOCK_VOID, ...storeVector(4 * j), END);
    }
    return [
      ...i32c(128), ...set(K), ...i32c(PACK_IN), ...set(ADDR),
      LOOP, BLOCK_VOID,
      ...i32c(0), ...set(BITS),
      ...group,
      // bitmap word (ADDR - IN) / 128 into OUT, then the next group
      ...get(ADDR), ...i32c(PACK_IN), I32_SUB, ...i32c(5), I32_SHR_U, ...get(BITS), I32_STORE, 2, ...uleb(PACK_OUT),
      ...get(ADDR), ...i32c(128), I32_ADD, LOCAL_TEE, ADDR, ...i32c(PACK_IN + PAGE), I32_NE, BR_IF, 0,
      END,
      ...get(K), END,
    ];
  }
  const step = 8;
  const inner = [...get(ADDR), I64_LOAD, 3, 0, ...set(PAIR), ...storePair(0)];
  return [
    ...i32c(128), ...set(K), ...i32c(PACK_IN), ...set(ADDR),
    LOOP, BLOCK_VOID,
    ...i32c(0), ...set(BITS), ...i32c(0), ...set(BIT),
    LOOP, BLOCK_VOID,
    ...inner,
    ...get(ADDR), ...i32c(step), I32_ADD, ...set(ADDR),
    ...get(BIT), ...i32c(step / 4), I32_ADD, LOCAL_TEE, BIT, ...i32c(32), I32_NE, BR_IF, 0,
    END,
    // bitmap word (ADDR - IN - 128) / 32 bytes into OUT
    ...get(ADDR), ...i32c(PACK_IN + 128), I32_SUB, ...i32c(5), I32_SHR_U, ...get(BITS), I32_STORE, 2, ...uleb(PACK_OUT),
    ...get(ADDR), ...i32c(PACK_IN + PAGE), I32_NE, BR_IF, 0,
    END,
    ...get(K), END,
  ];
}

function moduleBytes(simd: boolean): Uint8Array {
  const code = [...vec(simd ? [[5, I32], [1, I64], [1, V128]] : [[5, I32], [1, I64]]), ...packBody(simd)];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, vec([[0x60, 0, 1, I32]])), // type 0: () -> i32
    ...section(3, vec([[0]])), // function 0 has type 0
    ...section(5, vec([[0x00, 1]])), // one memory of one 64 KiB page
    ...section(7, vec([[...name('mem'), 2, 0], [...name('pack'), 0, 0]])),
    ...section(10, vec([[...uleb(code.length), ...code]])),
    // The swizzle table, for the SIMD packer: an active data segment at COMPRESS.
    ...(simd ? section(11, vec([[0x00, ...i32c(COMPRESS), END, ...vec(compressTable().map((b) => [b]))]])) : []),
  ]);
}

/** The part of the WebAssembly API used here (the compile targets name no WebAssembly types). */
interface Wasm {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: { mem: { buffer: ArrayBuffer }; pack: () => number } };
}

/**
 * A packer with its own memory (with SIMD where the engine has it, else 8 bytes at a time), or undefined where
 * WebAssembly is missing or refused. `simd: false` asks for the scalar one (tests compare both).
 */
export function createPagePacker(simd = true): PagePacker | undefined {
  const wasm = (globalThis as { WebAssembly?: Wasm }).WebAssembly;
  if (!wasm) return undefined;
  for (const withSimd of simd ? [true, false] : [false]) {
    try {
      const { exports } = new wasm.Instance(new wasm.Module(moduleBytes(withSimd)), {});
      const buf = exports.mem.buffer;
      return { u8: new Uint8Array(buf), i32: new Int32Array(buf), pack: exports.pack };
    } catch {
      // no SIMD here (or no WebAssembly at all): try the next
    }
  }
  return undefined;
}

let shared: PagePacker | undefined | null = null;
/**
 * The module-wide packer (history-pages.ts and nonZeroWords share it; neither keeps its memory across calls),
 * made at its first use: compiling the module at load cost every CLI start ~10 ms whether it recorded or not.
 */
export function pagePacker(): PagePacker | undefined {
  if (shared === null) shared = createPagePacker();
  return shared;
}

/**
 * The non-zero words of `words` as index, value pairs in index order, appended to `out`, as the loop
 * `for (i...) if (words[i] !== 0) out.push(i, words[i])` gives them: 1024 words at a time through the packer,
 * skipping all-zero blocks and walking the bitmap of the others.
 */
export function nonZeroWords(words: Uint32Array, out: number[]): number[] {
  const pk = pagePacker();
  const src = new Uint8Array(words.buffer, words.byteOffset, words.byteLength);
  for (let base = 0; base < words.length; base += 1024) {
    const end = Math.min(words.length, base + 1024);
    let size = PAGE;
    if (pk && end - base === 1024) {
      pk.u8.set(src.subarray(base * 4, end * 4), PACK_IN);
      size = pk.pack();
    }
    if (size === PAGE) {
      for (let i = base; i < end; i++) if (words[i] !== 0) out.push(i, words[i]);
      continue;
    }
    const bitmap = pk!.i32, first = PACK_OUT >>> 2;
    for (let j = 0; j < 32; j++) {
      for (let bits = bitmap[first + j]; bits !== 0; bits &= bits - 1) {
        const i = base + 32 * j + 31 - Math.clz32(bits & -bits);
        out.push(i, words[i]);
      }
    }
  }
  return out;
}
