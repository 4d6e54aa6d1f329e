/** `node out/test/fuzz/jit-diff-run.js [count] [seed] [start]`: fuzz streams with translation off and on (jit-diff.ts). */
import { compareModes } from './jit-diff';

const count = Number(process.argv[2] ?? 3000);
const seed = Number(process.argv[3] ?? 0x5eed);
const start = Number(process.argv[4] ?? 0);
const t0 = Date.now();
const s = compareModes(seed, start, count);
console.log(`seed ${seed}: ${s.streams} streams and as many structured programs (${start}..${start + count - 1}) with translation off and on, ${s.translatedBlocks} blocks translated, ` +
  `${s.diffs.length} differing, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
for (const d of s.diffs) console.log(`  stream ${d.index} (${d.mode}): ${d.what.slice(0, 500)}\n    code: ${d.code}`);
process.exit(s.diffs.length ? 1 : 0);
