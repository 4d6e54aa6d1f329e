import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareModes } from './jit-diff';

/**
 * The fixed-seed slice of the translator-vs-interpreter fuzz comparison (jit-diff.ts; `npm run fuzz` runs
 * more): every stream ends alike with translation off and with every block translated at once.
 */
const SEED = 0x5eed;
const COUNT = 500;

describe('fuzz: translated blocks against the interpreter', () => {
  it(`${COUNT} streams and ${COUNT} structured programs of seed ${SEED}: same stop, instruction count, exception events, CPU state and RAM both ways`, () => {
    const s = compareModes(SEED, 0, COUNT);
    assert.deepEqual(s.diffs.map((d) => `stream ${d.index} (${d.mode}): ${d.what.slice(0, 300)}; code ${d.code}`), []);
    assert.equal(s.streams, COUNT);
    // A guard against a comparison that stopped translating anything.
    assert.ok(s.translatedBlocks > COUNT, `translated blocks: ${s.translatedBlocks}`);
  });
});
