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
 * some loops again at every snapshot. V8 reports optimizations and deoptimizations with --trace-opt and
 * --trace-deopt, so the run is a child process.
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
  it('no translated loop deoptimizes for want of type feedback while the paging benchmark is recorded', () => {
    const r = spawnSync(process.execPath, ['--trace-opt', '--trace-deopt', '-e', CHILD], { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    const stop = /^STOP (\S+) (\d+)$/m.exec(r.stdout);
    assert.ok(stop, r.stdout.slice(-2000));
    assert.equal(stop[1], 'exit');
    assert.ok(Number(stop[2]) >= 5, `only ${stop[2]} snapshots: the run did not start new dirty epochs mid-loop`);
    // Translated loops only (jit.ts names them `loop`): a straight-line block may still deoptimize the first time an
    // exit it never took before V8 optimized it runs, which depends on when V8 optimized it. V8 did optimize loops:
    const optimized = r.stdout.split('\n').filter((l) => /^\[compiling method .*<JSFunction loop .*TURBOFAN/.test(l));
    assert.ok(optimized.length >= 3, `V8 optimized ${optimized.length} translated loops`);
    // The compares and the sum the warm-up runs (the exit's event test, the chunk cap, the page-cache miss's offset and
    // tag): a slow path that V8 optimized a loop before it ever took (a matter of timing on a loaded machine) first
    // deoptimizes at its entry, a call or a store (the warm-up does not force slow paths: see Gen.emit).
    const deopts = r.stdout.split('\n').filter((l) => /^\[bailout .*Insufficient type feedback for (compare|binary) operation.*<JSFunction loop /.test(l));
    assert.deepEqual(deopts, []);
  });
});

/**
 * The write path (Cpu.translate, the page walk, PhysicalMemory.markWritten, string fills) calls the history's copy-
 * on-write hook through an object's method (PhysicalMemory.cowSink), not through a closure held in a field: V8
 * inlined the closure as the one function it saw, so a second recorded machine in the same process (a debug
 * session restarted) deoptimized every one of them at its first copy ("wrong call target"), and in about half the
 * single runs a garbage collection deoptimized them all at once ("weak objects").
 */
const TWO = `
const { Machine } = require(${JSON.stringify(machine)});
const code = require('fs').readFileSync(${JSON.stringify(kernel)});
for (let k = 0; k < 2; k++) {
  const m = Machine.create({ onTripleFault: 'stop', memoryMB: 128 });
  m.boot(code);
  m.enableHistory({ snapshotInterval: 1000000 });
  m.run(12e6);
  console.log('RAN', k, m.history.stats().snapshots);
}
`;

describe('the copy-on-write hook and optimized code', () => {
  it('a second recorded machine in the process deoptimizes none of the write path', () => {
    const r = spawnSync(process.execPath, ['--trace-deopt', '-e', TWO], { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^RAN 1 \d+$/m);
    const second = r.stdout.slice(r.stdout.indexOf('RAN 0'));
    const deopts = second.split('\n').filter((l) => /^\[bailout .*wrong call target.*<JSFunction (markWritten|translate|walk|writeTlbPage|fastRun|cowWrite) /.test(l));
    assert.deepEqual(deopts, []);
  });
});
