import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildNative, compare, generate, hostHas, reseed, runNative } from '../support/native/diff';

const native = buildNative();

test('integer instructions agree with the host CPU on 200 random inputs per instruction and size', { skip: native.reason }, () => {
  reseed(0x5eed1234abcdn);
  const cases = generate(200, { bmi1: hostHas('bmi1'), abm: hostHas('abm'), popcnt: hostHas('popcnt') });
  const out = runNative(native.path!, cases);
  assert.equal(out.length, cases.length);
  const bad = compare(cases, out);
  assert.deepEqual(bad.slice(0, 20), [], `${bad.length} of ${cases.length} cases differ`);
});
