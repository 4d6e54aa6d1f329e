/** `node out/test/fuzz/diff-run.js [count] [seed]`: the native differential run with `count` inputs per instruction. */
import { buildNative, compare, generate, hostHas, reseed, runNative } from '../support/native/diff';
import { buildSseNative, compareSse, generateSse, reseedSse, runSseNative } from '../support/native/sse-diff';
import { buildX87Native, compareX87, generateX87, reseedX87, runX87Native } from '../support/native/x87-diff';
import { generateBmi } from '../support/native/bmi-cases';
import { ISA_FAMILIES } from '../support/native/isa-cases';
import { buildAvxNative, compareAvx, generateAvx, runAvxNative } from '../support/native/avx-diff';

const count = Number(process.argv[2] ?? 2000);
const seed = BigInt(process.argv[3] ?? Date.now());
const native = buildNative();
if (!native.path) { console.log(`skipped: ${native.reason}`); process.exit(0); }
reseed(seed);
const cases = generate(count, { bmi1: hostHas('bmi1'), abm: hostHas('abm'), popcnt: hostHas('popcnt') });
const bad = compare(cases, runNative(native.path, cases));
console.log(`seed ${seed}: ${cases.length} integer cases, ${bad.length} mismatches`);
const x87 = buildX87Native();
if (x87.path) {
  reseedX87(seed);
  const xc = generateX87(Math.max(1, Math.round(count / 20)), { transcendental: true });
  const xbad = compareX87(xc, runX87Native(x87.path, xc));
  console.log(`seed ${seed}: ${xc.length} x87 cases, ${xbad.length} mismatches`);
  bad.push(...xbad);
}
const sse = buildSseNative();
if (sse.path) {
  reseedSse(seed);
  const sc = generateSse(Math.max(1, Math.round(count / 20)));
  const sbad = compareSse(sc, runSseNative(sse.path, sc));
  console.log(`seed ${seed}: ${sc.length} MMX/SSE2 integer cases, ${sbad.length} mismatches`);
  bad.push(...sbad);
}
{
  const host = { bmi1: hostHas('bmi1'), bmi2: hostHas('bmi2'), adx: hostHas('adx'), sse42: hostHas('sse4_2') };
  reseed(seed);
  const bc = generateBmi(Math.max(1, Math.round(count / 4)), host);
  const bbad = compare(bc, runNative(native.path, bc));
  console.log(`seed ${seed}: ${bc.length} BMI1/BMI2/ADX/CRC32 cases, ${bbad.length} mismatches`);
  bad.push(...bbad);
}
if (sse.path) {
  for (const f of ISA_FAMILIES) {
    if (!f.hostFeatures.every(hostHas)) { console.log(`${f.name}: skipped (host lacks ${f.hostFeatures.join('/')})`); continue; }
    reseedSse(seed);
    const fc = f.generate(Math.max(1, Math.round(count / 20)));
    const fbad = compareSse(fc, runSseNative(sse.path, fc));
    console.log(`seed ${seed}: ${fc.length} ${f.name} cases, ${fbad.length} mismatches`);
    bad.push(...fbad);
  }
}
const avx = buildAvxNative();
if (avx.path && hostHas('avx')) {
  reseedSse(seed);
  const ac = generateAvx(Math.max(1, Math.round(count / 20)));
  const abad = compareAvx(ac, runAvxNative(avx.path, ac));
  console.log(`seed ${seed}: ${ac.length} AVX (VEX) cases, ${abad.length} mismatches`);
  bad.push(...abad);
} else console.log(`AVX: skipped (${avx.reason ?? 'host lacks avx'})`);
const byName = new Map<string, number>();
for (const b of bad) { const n = b.split(' ')[0]; byName.set(n, (byName.get(n) ?? 0) + 1); }
if (byName.size) console.log([...byName].map(([n, k]) => `${n}:${k}`).join(' '));
const shown = new Set<string>();
for (const b of bad) { const n = b.split(' ')[0]; if (shown.has(n)) continue; shown.add(n); console.log(b); }
process.exit(bad.length ? 1 : 0);
