import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostHas } from '../support/native/diff';
import { AVX_FORM_COUNT, buildAvxNative, compareAvx, generateAvx, runAvxNative } from '../support/native/avx-diff';
import { reseedSse } from '../support/native/sse-diff';

const native = buildAvxNative();
const skip = native.reason ?? (hostHas('avx') ? undefined : 'the host CPU lacks AVX');

test(`AVX: every VEX form (${AVX_FORM_COUNT} forms; VEX.128 and VEX.256, register and memory, YMM0-15, NaNs, denormals, infinities, MXCSR.RC/DAZ/FTZ) agrees with the host CPU, upper YMM halves included`, { skip }, () => {
  reseedSse(0xa7an);
  const cases = generateAvx(12);
  const out = runAvxNative(native.path!, cases);
  assert.equal(out.length, cases.length);
  const bad = compareAvx(cases, out);
  assert.deepEqual(bad.slice(0, 20), [], `${bad.length} of ${cases.length} cases differ`);
});
