import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, it } from 'node:test';

/**
 * A translated loop keeps its optimized code when a slow memory path first runs after V8 optimized it: its exit's
 * event test (jit.ts, UNCHANGED) ran in the warm-up calls, so V8 has its type feedback. The paging benchmark
 * recorded for reverse debugging is the case: after each snapshot the first write to every page misses the write
 * TLB (a new dirty epoch), so its fill, copy and remap loops each take a slow path mid-run. Before, their
 * optimized code deoptimized at that exit ("Insufficient type feedback for compare operation"), 5-9 times a run,
 * some loops again at every snapshot. V8 reports deoptimizations with --trace-deopt, so the run is a child process.
 */
const root = path.resolve(__dirname, '..', '..', '..');
const machine = path.join(root, 'out', 'emulator', 'machine.js');
const kernel = path.join(root, 'fixtures', 'bin', 'bench-paging.elf');

const CHILD = `
const { Machine } = require(${JSON.stringify(machine)});
const m = Machine.create({ onTripleFault: 'stop', memoryMB: 128 });
m.boot(require('fs').readFileSync(${JSON.stringify(kernel)}));
m.enableHistory();
const stop = m.run(2e9);
console.log('STOP', stop.reason, m.history.stats().snapshots);
`;

describe('translated loops and type feedback', () => {
  it('no translated block deoptimizes for want of type feedback while the paging benchmark is recorded', () => {
    const r = spawnSync(process.execPath, ['--trace-deopt', '-e', CHILD], { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    const stop = /^STOP (\S+) (\d+)$/m.exec(r.stdout);
    assert.ok(stop, r.stdout.slice(-2000));
    assert.equal(stop[1], 'exit');
    assert.ok(Number(stop[2]) >= 5, `only ${stop[2]} snapshots: the run did not start new dirty epochs mid-loop`);
    const deopts = r.stdout.split('\n').filter((l) => /^\[bailout .*Insufficient type feedback.*<JSFunction block /.test(l));
    assert.deepEqual(deopts, []);
  });
});
