import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Machine } from '../../emulator/machine';

/**
 * History snapshots track written pages through the write TLB (a new write epoch per snapshot, stale entries
 * re-armed without a page walk: Cpu.newWriteEpoch). Travelling back over a paging- and memory-heavy run
 * (fills, copies, REP MOVSQ, PTE edits + INVLPG) must give exactly the state a straight run reaches.
 */
const root = path.resolve(__dirname, '..', '..', '..');
const file = path.join(root, 'fixtures', 'bin', 'bench-paging.elf');
const cw = path.join(root, 'fixtures', 'bin', 'c-workload.elf');

function straight(n: number, kernel = file): string {
  const m = Machine.create({ onTripleFault: 'stop' });
  m.boot(fs.readFileSync(kernel));
  m.run(n);
  assert.equal(m.instructionCount, n);
  return m.stateHash();
}

describe('history: dirty pages through write-TLB epochs', () => {
  it('goto back over bench-paging (snapshots every 100,000 instructions) lands on the state of a straight run', { skip: !fs.existsSync(file) && 'fixture missing' }, () => {
    const m = Machine.create({ onTripleFault: 'stop' });
    m.boot(fs.readFileSync(file));
    m.enableHistory({ snapshotInterval: 100_000 });
    m.run(4_000_000);
    for (const at of [3_456_789, 1_234_567, 3_999_999, 150_001]) {
      m.goto(at);
      assert.equal(m.instructionCount, at);
      assert.equal(m.stateHash(), straight(at), `state at ${at}`);
    }
  });

  it('goto back over c-workload (a snapshot every 1,000 instructions; stack and buffers rewritten with new values) lands on the state of a straight run', { skip: !fs.existsSync(cw) && 'fixture missing' }, () => {
    const m = Machine.create({ onTripleFault: 'stop' });
    m.boot(fs.readFileSync(cw));
    m.enableHistory({ snapshotInterval: 1_000 });
    m.run(30_000);
    for (const at of [29_000, 12_345, 25_001, 3_003, 20_500]) {
      m.goto(at);
      assert.equal(m.stateHash(), straight(at, cw), `state at ${at}`);
    }
  });
});
