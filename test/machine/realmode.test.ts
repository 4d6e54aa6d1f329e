import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { diagnose } from '../../emulator/diagnose';
import { Machine } from '../../emulator/machine';

const root = path.resolve(__dirname, '..', '..', '..');
const kernel = path.join(root, 'fixtures/bin/realmode-ops.elf');

test('real mode: #DE is an IVT delivery without an error code; an empty IVT entry is diagnosed', () => {
  const m = Machine.create({ memoryMB: 16 });
  m.boot(fs.readFileSync(kernel));
  m.shouldStopOnException = (ev) => ev.vector === 0 && ev.phase === 'raised';
  const stop = m.run(5_000_000);
  assert.equal(stop.reason, 'exception');
  assert.equal(stop.event?.realMode, true);
  assert.equal(stop.event?.errorCode, undefined);
  assert.equal(m.state().mode, 'real');
  assert.equal(m.state().pc, 0x8083n, 'CS:IP 0000:8083, the DIV');
  m.writeLinear(0n, new Uint8Array(4)); // IVT[0] = 0000:0000
  m.shouldStopOnException = null;
  m.step(); // delivery
  const delivered = m.faultChain().find((e) => e.phase === 'delivered');
  assert.equal(delivered?.cs, 0);
  assert.equal(delivered?.rip, 0n);
  assert.ok(diagnose(m, m.faultChain()).some((s) => /IVT entry 0 \(#DE\) is 0000:0000/.test(s)));
});
