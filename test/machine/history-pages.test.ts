import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadPage, packPage, PageVersions, samePacked, samePage, storePacked, WORDS } from '../../emulator/history-pages';
import { PAGE_SIZE, PhysicalMemory } from '../../emulator/memory/phys';
import { createPagePacker, nonZeroWords as listNonZero, PACK_IN, PACK_OUT } from '../../emulator/page-pack-wasm';
import { IoBus } from '../../emulator/devices/bus';

/**
 * The history's page store (history-pages.ts): a page packs to its sparse form when its non-zero words fit in
 * half a page, loads back to the same bytes, and the sparse-form comparison (samePacked) answers as the RAM
 * comparison (samePage) does, and the WebAssembly packer (page-pack-wasm.ts) writes exactly the form a plain
 * word-by-word packer does. Word pairs whose bit patterns are special as doubles are here too (an earlier
 * packer read pairs as doubles): -0 (high word 0x80000000, low 0), NaNs, infinities.
 */
const SPECIAL_PAIRS: [number, number][] = [
  [0, 0x80000000 | 0], // -0
  [1, 0x80000000 | 0],
  [0, 0x7ff00000], // +Infinity
  [0, 0xfff00000 | 0], // -Infinity
  [0, 0x7ff80000], // a quiet NaN
  [5, 0xfff00000 | 0], // a signalling NaN pattern
  [0x80000000 | 0, 0], // low word alone
  [0, 1], // a denormal
];

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s >>> 8; // the low bits of a power-of-two LCG repeat with short periods

  };
}

/** Fill page p with `nonZero` non-zero words at random places, some of them special pairs. */
function fill(mem: PhysicalMemory, p: number, nonZero: number, next: () => number): void {
  const base = p * WORDS;
  mem.i32.fill(0, base, base + WORDS);
  for (let n = 0; n < nonZero; n++) {
    const at = next() % WORDS;
    if (next() % 4 === 0) {
      const [lo, hi] = SPECIAL_PAIRS[next() % SPECIAL_PAIRS.length];
      const even = at & ~1;
      mem.i32[base + even] = lo;
      mem.i32[base + even + 1] = hi;
    } else {
      mem.i32[base + at] = next() | 1;
    }
  }
}

function nonZeroWords(mem: PhysicalMemory, p: number): number {
  let n = 0;
  for (let i = p * WORDS; i < (p + 1) * WORDS; i++) if (mem.i32[i] !== 0) n++;
  return n;
}

/** What packPage and storePacked store for page p. */
function stored(mem: PhysicalMemory, p: number): Int32Array {
  const size = packPage(mem, p);
  const d = new Int32Array(size / 4);
  storePacked(mem, p, size, d, 0);
  return d;
}

/** The sparse form written word by word (the bitmap, then the non-zero words), or the page when it is larger. */
function reference(mem: PhysicalMemory, p: number): Int32Array {
  const bitmap = new Int32Array(WORDS / 32);
  const nonZero: number[] = [];
  for (let i = 0; i < WORDS; i++) {
    const x = mem.i32[p * WORDS + i];
    if (x !== 0) { bitmap[i >>> 5] |= 1 << (i & 31); nonZero.push(x); }
  }
  if (4 * (bitmap.length + nonZero.length) > PAGE_SIZE / 2) return mem.i32.slice(p * WORDS, (p + 1) * WORDS);
  const out = new Int32Array(bitmap.length + nonZero.length);
  out.set(bitmap);
  out.set(nonZero, bitmap.length);
  return out;
}

describe('history page store', () => {
  const mem = new PhysicalMemory(1 << 20, new IoBus());
  const next = rng(7);

  it('packs every page to the size its non-zero words give and loads it back byte for byte', () => {
    for (let round = 0; round < 400; round++) {
      const nonZero = [0, 1, 3, 40, 200, 470, 480, 500, 700, 1024][round % 10];
      fill(mem, 1, nonZero, next);
      const words = nonZeroWords(mem, 1);
      const d = stored(mem, 1);
      const sparseSize = 4 * (WORDS / 32 + words);
      assert.equal(4 * d.length, sparseSize <= PAGE_SIZE / 2 ? sparseSize : PAGE_SIZE, `round ${round}: ${words} non-zero words`);
      assert.deepEqual(d, reference(mem, 1), `round ${round}: the form`);
      const want = mem.u8.slice(PAGE_SIZE, 2 * PAGE_SIZE);
      mem.u8.fill(0xa5, 2 * PAGE_SIZE, 3 * PAGE_SIZE);
      loadPage(d, mem, 2);
      assert.deepEqual(mem.u8.subarray(2 * PAGE_SIZE, 3 * PAGE_SIZE), want, `round ${round}`);
    }
  });

  it('a -0 word pair is two words, one of them non-zero', () => {
    mem.i32.fill(0, WORDS, 2 * WORDS);
    mem.i32[WORDS + 7] = 0x80000000 | 0;
    assert.equal(stored(mem, 1).length, WORDS / 32 + 1);
  });

  it('samePacked answers as samePage for equal, changed and zero pages', () => {
    let equal = 0;
    for (let round = 0; round < 600; round++) {
      const nonZero = [0, 2, 30, 300, 600][round % 5];
      fill(mem, 3, nonZero, next);
      const prev = round % 7 === 0 ? undefined : stored(mem, 3);
      // Sometimes the same content, sometimes one word changed, sometimes a special pair flipped.
      const change = round % 3;
      const at = 3 * WORDS + (next() % WORDS);
      if (change === 1) mem.i32[at] = mem.i32[at] === 0 ? 1 : 0;
      if (change === 2) mem.i32[at | 1] ^= 0x80000000 | 0;
      const size = packPage(mem, 3);
      const ram = samePage(mem, 3, prev);
      assert.equal(samePacked(mem, 3, size, prev), ram, `round ${round}`);
      if (ram) equal++;
    }
    assert.ok(equal > 100, `${equal} equal pairs`);
  });

  it('nonZeroWords lists the non-zero words as the plain loop does, for any length and density', () => {
    for (let round = 0; round < 60; round++) {
      const length = [0x8000, 1000, 1024, 2049, 5000][round % 5];
      const density = [0, 0.001, 0.05, 0.3, 0.9][Math.floor(round / 5) % 5];
      const words = new Uint32Array(length);
      for (let i = 0; i < length; i++) if (next() % 1_000_000 < density * 1_000_000) words[i] = (next() | 1) + (round & 1 ? 0x80000000 : 0);
      const want: number[] = [];
      for (let i = 0; i < length; i++) if (words[i] !== 0) want.push(i, words[i]);
      assert.deepEqual(listNonZero(words, []), want, `round ${round}: ${length} words, density ${density}`);
    }
  });

  it('the packer without SIMD (where the engine lacks it) writes the same forms as the one with it', () => {
    const scalar = createPagePacker(false)!;
    const simd = createPagePacker(true)!;
    for (let round = 0; round < 300; round++) {
      fill(mem, 1, [0, 1, 3, 40, 200, 470, 480, 500, 700, 1024][round % 10], next);
      const page = mem.u8.subarray(PAGE_SIZE, 2 * PAGE_SIZE);
      scalar.u8.set(page, PACK_IN);
      simd.u8.set(page, PACK_IN);
      const size = scalar.pack();
      assert.equal(simd.pack(), size, `round ${round}`);
      const out = size === PAGE_SIZE ? PACK_IN : PACK_OUT;
      assert.deepEqual(simd.u8.subarray(out, out + size), scalar.u8.subarray(out, out + size), `round ${round}`);
      assert.deepEqual(new Int32Array(scalar.u8.slice(out, out + size).buffer), reference(mem, 1), `round ${round}: the form`);
    }
  });

  it('a 4 GiB RAM stores the same forms as a small one, its last page too', () => {
    const big = new PhysicalMemory(4096 * 1024 * 1024, new IoBus());
    const p = big.size / PAGE_SIZE - 1; // the last page: any address past 2 GiB reads right
    // Its page maps cover every page (4 GiB >>> 12 is 0): a write to the last page is listed for the history.
    assert.equal(big.cowPages.length, p + 1);
    big.markWritten(p);
    assert.deepEqual([big.dirtyCount, big.dirtyList[0], big.dirtyPages[p]], [1, p, 1]);
    for (let round = 0; round < 50; round++) {
      fill(mem, 1, [0, 1, 40, 470, 700][round % 5], next);
      big.i32.set(mem.i32.subarray(WORDS, 2 * WORDS), p * WORDS);
      const d = stored(big, p);
      assert.deepEqual(d, stored(mem, 1), `round ${round}`);
      assert.equal(samePacked(big, p, packPage(big, p), d), true, `round ${round}`);
      big.i32.fill(-1, p * WORDS, (p + 1) * WORDS);
      loadPage(d, big, p);
      assert.deepEqual(big.i32.subarray(p * WORDS, (p + 1) * WORDS), mem.i32.subarray(WORDS, 2 * WORDS), `round ${round}`);
    }
  });

  it('PageVersions hands back every version it stored, packed or copied, across its growing buffers', () => {
    const versions = new PageVersions();
    const want: Int32Array[] = [];
    const numbers: number[] = [];
    // 300 versions of every density (sparse and dense): more than the first buffers and the index's first size hold.
    for (let round = 0; round < 300; round++) {
      fill(mem, 1, [0, 3, 40, 470, 700, 1024][round % 6], next);
      const size = packPage(mem, 1);
      numbers.push(versions.addPacked(mem, 1, size));
      want.push(stored(mem, 1));
      if (round % 7 === 0) {
        numbers.push(versions.addCopy(want[round >> 1]));
        want.push(want[round >> 1].slice());
      }
    }
    assert.deepEqual(numbers, want.map((_, i) => i), 'numbered in the order stored');
    want.forEach((d, i) => assert.deepEqual(versions.view(numbers[i]), d, `version ${i}`));
    assert.ok(versions.bytes >= want.reduce((n, d) => n + d.byteLength, 0), `its buffers (${versions.bytes} bytes) hold them all`);
  });
});
