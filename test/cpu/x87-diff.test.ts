import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildX87Native, compareX87, generateX87, reseedX87, runX87Native } from '../support/native/x87-diff';

const native = buildX87Native();

test('x87 instructions agree with the host CPU on random states (NaNs, denormals, infinities, empty registers, every PC/RC)', { skip: native.reason }, () => {
  reseedX87(0x87878787n);
  const cases = generateX87(60, { transcendental: true });
  const out = runX87Native(native.path!, cases);
  assert.equal(out.length, cases.length);
  const bad = compareX87(cases, out);
  assert.deepEqual(bad.slice(0, 20), [], `${bad.length} of ${cases.length} cases differ`);
});
