import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSseNative, compareSse, generateSse, reseedSse, runSseNative } from '../support/native/sse-diff';

const native = buildSseNative();

test('MMX and SSE2 integer instructions, SSE/SSE2/SSE3 float arithmetic, compares and conversions agree with the host CPU (register and memory forms, x87 TOP/tags, saturation edges, NaN payloads, MXCSR.RC)', { skip: native.reason }, () => {
  reseedSse(0x55e2n);
  const cases = generateSse(20);
  const out = runSseNative(native.path!, cases);
  assert.equal(out.length, cases.length);
  const bad = compareSse(cases, out);
  assert.deepEqual(bad.slice(0, 20), [], `${bad.length} of ${cases.length} cases differ`);
});
