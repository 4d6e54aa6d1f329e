/** `node out/test/fuzz/diff-run.js [count] [seed]`: the native differential run with `count` inputs per instruction. */
import { buildNative, compare, generate, hostHas, reseed, runNative } from '../support/native/diff';

const count = Number(process.argv[2] ?? 2000);
const seed = BigInt(process.argv[3] ?? Date.now());
const native = buildNative();
if (!native.path) { console.log(`skipped: ${native.reason}`); process.exit(0); }
reseed(seed);
const cases = generate(count, { bmi1: hostHas('bmi1'), abm: hostHas('abm'), popcnt: hostHas('popcnt') });
const bad = compare(cases, runNative(native.path, cases));
console.log(`seed ${seed}: ${cases.length} cases, ${bad.length} mismatches`);
const byName = new Map<string, number>();
for (const b of bad) { const n = b.split(' ')[0]; byName.set(n, (byName.get(n) ?? 0) + 1); }
if (byName.size) console.log([...byName].map(([n, k]) => `${n}:${k}`).join(' '));
const shown = new Set<string>();
for (const b of bad) { const n = b.split(' ')[0]; if (shown.has(n)) continue; shown.add(n); console.log(b); }
process.exit(bad.length ? 1 : 0);
