/**
 * Encoded AML bytes and how builders join them (aml.ts, aml-resources.ts). Public API: Bytes, join, joinInto,
 * copyInto, termsLength.
 */

/** Encoded bytes, one number (0-255) per byte. */
export type Bytes = number[];

/**
 * The terms one after another, in one array of exactly their total length (numbers are single bytes). Every
 * builder joins its parts this way, never with spreads or growing pushes: the DSDT is about 6.5 KB, nests a few
 * levels deep and is built on every boot, mostly by code V8 has not optimised yet, where a spread walks the
 * iterator protocol (an object per byte) and a pushed array regrows; built that way it allocated ~2.7 MB per
 * machine, and a fresh process pays for each new page of heap it touches.
 */
export function join(...parts: (number | Bytes)[]): Bytes {
  return joinInto([], parts);
}

/** `head` (bytes, or terms), then `parts`, joined as join() does. */
export function joinInto(head: (number | Bytes)[], parts: (number | Bytes)[]): Bytes {
  const out = new Array<number>(termsLength(head) + termsLength(parts));
  let k = copyInto(out, 0, head);
  k = copyInto(out, k, parts);
  return out;
}

export function copyInto(out: Bytes, at: number, parts: (number | Bytes)[]): number {
  let k = at;
  for (let j = 0; j < parts.length; j++) {
    const p = parts[j];
    if (typeof p === 'number') out[k++] = p;
    else for (let i = 0; i < p.length; i++) out[k++] = p[i];
  }
  return k;
}

/** How many bytes the terms hold (a number is one byte). */
export function termsLength(parts: readonly (number | Bytes)[]): number {
  let n = 0;
  for (let j = 0; j < parts.length; j++) {
    const p = parts[j];
    n += typeof p === 'number' ? 1 : p.length;
  }
  return n;
}
