import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Machine } from '../../emulator/machine';
import { captureDevices } from '../../emulator/snapshot';

/**
 * History snapshots share their pages with RAM until the next write copies them (copy-on-write,
 * PhysicalMemory.cowPages + History.settle), and by default are paced by how fast the guest runs.
 * On bench-paging (64 MiB filled, summed, copied with MOV loops and REP MOVSQ, remapped with PTE edits +
 * INVLPG) the states reverse execution lands on must be exactly the states the same run recorded going
 * forward: RAM, registers and devices.
 */
const root = path.resolve(__dirname, '..', '..', '..');
const file = path.join(root, 'fixtures', 'bin', 'bench-paging.elf');
const skip = !fs.existsSync(file) && 'fixture missing';

function booted(opts: { snapshotInterval?: number; limitMB?: number } = {}): Machine {
  const m = Machine.create({ onTripleFault: 'stop' });
  m.boot(fs.readFileSync(file));
  m.enableHistory(opts);
  return m;
}

function state(m: Machine): string {
  return `${m.instructionCount} ${m.stateHash()} ${JSON.stringify(captureDevices(m.devices.all))}`;
}

/** Run forward to each count in `at` (ascending), recording the state there. */
function recordForward(m: Machine, at: number[]): Map<number, string> {
  const seen = new Map<number, string>();
  for (const n of at) {
    m.run(n - m.instructionCount);
    assert.equal(m.instructionCount, n);
    seen.set(n, state(m));
  }
  return seen;
}

describe('history: copy-on-write snapshots', () => {
  it('goto and stepBack land on the states the same run recorded going forward (snapshots every 150,000 instructions)', { skip }, () => {
    const m = booted({ snapshotInterval: 150_000 });
    // Points in every phase of the kernel's first 6 M instructions, some right at a snapshot, some between.
    const at = [150_000, 433_333, 1_000_001, 1_950_000, 2_700_017, 3_600_000, 4_444_444, 5_299_999, 6_000_000];
    const seen = recordForward(m, at);
    // Three single steps forward at the end, to compare stepBack against.
    for (let k = 1; k <= 3; k++) {
      m.step();
      seen.set(m.instructionCount, state(m));
    }
    const end = m.instructionCount;
    for (let k = 1; k <= 3; k++) {
      m.stepBack();
      assert.equal(state(m), seen.get(end - k), `stepBack ×${k}`);
    }
    // Back and forth in an order that restores across many snapshots each way.
    for (const n of [1_000_001, 5_299_999, 150_000, 3_600_000, 2_700_017, 6_000_000, 433_333, 4_444_444, 1_950_000]) {
      m.goto(n);
      assert.equal(state(m), seen.get(n), `goto ${n}`);
    }
    // Running forward from the past reaches the frontier's state again.
    m.run(end - m.instructionCount);
    assert.equal(state(m), seen.get(end), 'run forward to the frontier');
  });

  it('with the default (paced) snapshots, going back lands on the states recorded going forward', { skip }, () => {
    const m = booted();
    const at = [800_000, 2_345_678, 4_100_000, 7_000_000];
    const seen = recordForward(m, at);
    assert.ok(m.history.stats().snapshots >= 2, 'snapshots were taken');
    for (const n of [2_345_678, 7_000_000, 800_000, 4_100_000]) {
      m.goto(n);
      assert.equal(state(m), seen.get(n), `goto ${n}`);
    }
  });

  it('a ring too small for the run evicts the oldest snapshots, and what is left still restores exactly', { skip }, () => {
    // Past the fill (the first ~5 M instructions), the copies and remaps rewrite filled pages: each snapshot
    // then holds copies, and 8 MiB keeps only the last part of the run.
    const m = booted({ snapshotInterval: 100_000, limitMB: 8 });
    const at = [6_000_000, 12_000_000, 16_000_000, 18_000_000, 19_500_000, 20_000_000];
    const seen = recordForward(m, at);
    const oldest = m.history.stats().oldest.instructions;
    assert.ok(oldest > 0, `the ring evicted snapshots (oldest at ${oldest})`);
    for (const n of [...at].reverse()) {
      if (n < oldest) continue;
      m.goto(n);
      assert.equal(state(m), seen.get(n), `goto ${n}`);
    }
    assert.throws(() => m.goto(oldest - 1), /older than the recorded history/);
  });

  it('editing memory in the past forks the timeline: the new future matches a straight run with the same edit', { skip }, () => {
    const edit = (m: Machine): void => {
      // A byte of the 64 MiB window (physical 16 MiB + 0x3000), filled by then and copied and summed later.
      m.writePhysical(0x1003008n, new Uint8Array([0x5a]));
    };
    const m = booted({ snapshotInterval: 150_000 });
    m.run(5_000_000);
    m.goto(1_500_000);
    edit(m);
    m.run(3_000_000 - m.instructionCount);
    const straight = Machine.create({ onTripleFault: 'stop' });
    straight.boot(fs.readFileSync(file));
    straight.run(1_500_000);
    edit(straight);
    straight.run(1_500_000);
    assert.equal(state(m), state(straight), 'after the fork');
    // And back again inside the new timeline.
    const forward = state(m);
    m.goto(2_000_000);
    m.run(1_000_000);
    assert.equal(state(m), forward, 'goto back and forward inside the new timeline');
  });
});
