import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Machine } from '../../emulator/machine';

/**
 * When the ring evicts its oldest snapshot, the stored page versions that go with it are no longer a baseline
 * for the next snapshot's copies (History.latest): a page that the new oldest snapshot shares with RAM, and
 * whose content there equals the evicted version, must still be stored when it is next written. bench-loop
 * writes only its stack, so the test's own RAM writes (as a device's DMA would make them) are the only changes
 * to the pages it watches, far above the kernel.
 */
const root = path.resolve(__dirname, '..', '..', '..');
const file = path.join(root, 'fixtures', 'bin', 'bench-loop.elf');
const skip = !fs.existsSync(file) && 'fixture missing';

const P = 0x400_0000; // 64 MiB: the watched page
const FILLER = 0x500_0000; // 80 MiB: pages whose copies push the ring over its budget
const FILLER_PAGES = 300; // 300 dense pages: ~1.2 MiB, over a 1 MiB ring

function fillPages(m: Machine, seed: number): void {
  for (let i = 0; i < FILLER_PAGES; i++) {
    for (let w = 0; w < 1024; w++) m.mem.write(FILLER + i * 4096 + w * 4, 4, (Math.imul(i * 1024 + w + 1, 0x9e3779b1) ^ seed) >>> 0);
  }
}

describe('history: evicting a snapshot', () => {
  it('a page the new oldest snapshot shares keeps its content there after the evicted copy of that content is gone', { skip }, () => {
    const m = Machine.create({ onTripleFault: 'stop' });
    m.boot(fs.readFileSync(file));
    m.mem.write(P, 4, 0xa11ce);
    fillPages(m, 1);
    m.enableHistory({ snapshotInterval: 1000, limitMB: 1 });
    // Written away and back before the next snapshot: the first snapshot stores the content (0xa11ce), and the
    // second shares the page with RAM holding the same content.
    m.mem.write(P, 4, 0xb0b);
    m.mem.write(P, 4, 0xa11ce);
    fillPages(m, 2);
    // Snapshots at 1000 (the second) and 2000 (the third, which pushes the ring over 1 MiB: the first goes).
    for (let i = 0; i < 3; i++) m.run(1000);
    const oldest = m.history.stats().oldest.instructions;
    assert.ok(oldest > 0, `the first snapshot was evicted (oldest at ${oldest})`);
    // The next write copies the page out of RAM for the snapshot that now comes first.
    m.mem.write(P, 4, 0xc0ffee);
    m.run(1000);
    m.goto(oldest);
    assert.equal(m.mem.read(P, 4), 0xa11ce, 'the watched page at the oldest snapshot');
  });
});
