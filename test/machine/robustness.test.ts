import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';

/** Run a scenario of robustness-scenarios.ts in a worker; reject if it does not finish in `ms` of wall time. */
function inWorker<T>(fn: string, args: unknown[], ms = 20_000): Promise<T> {
  const mod = path.join(__dirname, 'robustness-scenarios.js');
  const src = `const { parentPort, workerData } = require('node:worker_threads');
    parentPort.postMessage(require(${JSON.stringify(mod)})[workerData.fn](...workerData.args));`;
  return new Promise((resolve, reject) => {
    const w = new Worker(src, { eval: true, workerData: { fn, args } });
    const timer = setTimeout(() => { void w.terminate(); reject(new Error(`${fn} did not return within ${ms} ms`)); }, ms);
    w.on('message', (v: T) => { clearTimeout(timer); resolve(v); });
    w.on('error', (e) => { clearTimeout(timer); reject(e); });
  });
}

describe('machine robustness (regressions found by the fuzzer)', () => {
  it('run() stops at its budget when every exception handler faults on its first instruction', async () => {
    const r = await inWorker<{ stop: { reason: string }; raised: number; delivered: number }>('deliveryLoop', [5000]);
    assert.equal(r.stop.reason, 'budget');
    // No instruction retires, so each raise+delivery consumes one unit of the budget.
    assert.equal(r.raised, 5000);
    assert.equal(r.delivered, 5000);
  });

  it('run() keeps its budget across resets: a triple-fault boot loop with onTripleFault reset returns', async () => {
    const kernel = path.resolve(__dirname, '..', '..', '..', 'fixtures', 'bin', 'pf-missing-idt.elf');
    const r = await inWorker<{ stop: { reason: string }; resets: number; instructions: number }>('bootLoop', [kernel, 1_000_000]);
    assert.equal(r.stop.reason, 'budget');
    // pf-missing-idt retires 14,339 instructions per boot (fixtures/golden), so 1,000,000 is 69 full boots.
    assert.equal(r.resets, Math.floor(1_000_000 / 14_339));
    assert.equal(r.instructions, 1_000_000 % 14_339);
  });

  it('a #PF on an instruction fetch after a jump is reported at the target, not at the jump', async () => {
    const r = await inWorker<{ raised: { rip: string; cr2: string; errorCode?: number }[]; pushedEip: number }>('fetchFault', []);
    assert.deepEqual(r.raised[0], { rip: '20000', cr2: '20000', errorCode: 0 });
    assert.equal(r.pushedEip, 0x20000);
  });
});
