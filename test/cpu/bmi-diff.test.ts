import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildNative, compare, hostHas, reseed, runNative } from '../support/native/diff';
import { generateBmi } from '../support/native/bmi-cases';

const native = buildNative();
const host = { bmi1: hostHas('bmi1'), bmi2: hostHas('bmi2'), adx: hostHas('adx'), sse42: hostHas('sse4_2') };
const missing = Object.entries(host).filter(([, v]) => !v).map(([k]) => k);

test('BMI1, BMI2, ADX and CRC32 (register forms, 32 and 64 bits) agree with the host CPU on 300 random inputs per instruction', { skip: native.reason ?? (missing.length ? `the host CPU lacks ${missing.join(', ')}` : undefined) }, () => {
  reseed(0xb111b222n);
  const cases = generateBmi(300, host);
  const out = runNative(native.path!, cases);
  assert.equal(out.length, cases.length);
  const bad = compare(cases, out);
  assert.deepEqual(bad.slice(0, 20), [], `${bad.length} of ${cases.length} cases differ`);
});
