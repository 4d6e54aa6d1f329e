import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, it } from 'node:test';

/**
 * The CPU object keeps the hidden class (map) it was constructed with while a higher-half kernel runs: its address
 * and 32-bit-word fields are doubles from the start (state.ts, WIDE_STATE_FIELDS), so the first RIP above 2^30 or
 * the first lazy-flags word with bit 30 or 31 set changes no field's representation. Such a change deprecates the
 * map, and every optimized function that checked it deoptimizes ("wrong map"): 7-8 times in this 29 387-instruction
 * run, 300-630 times in a Linux boot. V8 compares maps only through its natives syntax, so the check runs in a
 * child process: a second machine, built first and never run, keeps the original map to compare with.
 */
const root = path.resolve(__dirname, '..', '..', '..');
const machine = path.join(root, 'out', 'emulator', 'machine.js');
const kernel = path.join(root, 'fixtures', 'bin', 'higher-half.elf');

const CHILD = `
const { Machine } = require(${JSON.stringify(machine)});
const witness = Machine.create({ onTripleFault: 'stop', memoryMB: 16 });
const m = Machine.create({ onTripleFault: 'stop', memoryMB: 16 });
m.boot(require('fs').readFileSync(${JSON.stringify(kernel)}));
const stop = m.run(1e8);
console.log(JSON.stringify({ reason: stop.reason, rip: m.cpu.rip, sameMap: %HaveSameMap(m.cpu, witness.cpu), sameClock: %HaveSameMap(m.clock, witness.clock) }));
`;

describe('CPU field representations', () => {
  it('a higher-half kernel run leaves the CPU and the clock with the maps they were built with', () => {
    const r = spawnSync(process.execPath, ['--allow-natives-syntax', '-e', CHILD], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    const o = JSON.parse(r.stdout.trim().split('\n').pop()!) as { reason: string; rip: number; sameMap: boolean; sameClock: boolean };
    assert.equal(o.reason, 'exit');
    assert.ok(o.rip >= 2 ** 31, `RIP ${o.rip.toString(16)}: the kernel did not run in the higher half`);
    assert.equal(o.sameMap, true, 'the CPU object changed its map while the kernel ran');
    assert.equal(o.sameClock, true, 'the clock changed its map while the kernel ran');
  });
});
