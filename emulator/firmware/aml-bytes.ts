/**
 * Encoded AML bytes and how builders join them (aml.ts, aml-resources.ts). Public API: Bytes, join.
 */

/** Encoded bytes, one number (0-255) per byte. */
export type Bytes = number[];

/**
 * The terms one after another in a new array (a number is one byte, an array its bytes). Every builder joins
 * its parts here, with Array.prototype.concat, never with spreads, pushes or a loop of its own: the DSDT is
 * about 6.5 KB nested a few levels deep, so its bytes are copied about 140 000 times per boot, by code V8 runs
 * in its bytecode interpreter on the first (usually only) machine of a process. There a spread walks the
 * iterator protocol (an object per byte) and a copying loop costs ~0.3 µs per byte; concat copies in the
 * engine, with the same result.
 */
export function join(...parts: (number | Bytes)[]): Bytes {
  return EMPTY.concat(...parts);
}

const EMPTY: Bytes = [];
