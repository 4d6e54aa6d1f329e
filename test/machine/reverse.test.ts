import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Machine } from '../../emulator/machine';
import { captureDevices } from '../../emulator/snapshot';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const kernel = (name: string) => new Uint8Array(fs.readFileSync(path.join(ROOT, 'fixtures', 'bin', `${name}.elf`)));

function booted(name: string, interval = 2000): Machine {
  const m = Machine.create({ onTripleFault: 'stop' });
  m.boot(kernel(name));
  m.enableHistory({ snapshotInterval: interval });
  return m;
}

function fullState(m: Machine): string {
  return JSON.stringify({ hash: m.stateHash(), pos: m.position, chain: m.faultChain().map((e) => `${e.phase} ${e.name} ${e.seq}`), devices: captureDevices(m.devices.all) });
}

test('goto re-executes to the exact state a forward run had at that instruction count', () => {
  const m = booted('stack-overflow-no-ist');
  const seen = new Map<number, string>();
  for (const n of [3000, 7000, 9000]) {
    m.run(n - m.instructionCount);
    seen.set(n, fullState(m));
  }
  m.run(1e6);
  assert.equal(m.isShutdown, true);
  for (const [n, s] of [...seen].reverse()) {
    m.goto(n);
    assert.equal(fullState(m), s, `state at ${n}`);
  }
});

test('stack overflow: stepBack ×N from the triple fault then step ×N returns to the identical state', () => {
  const m = booted('stack-overflow-no-ist');
  m.shouldStopOnException = () => false;
  m.run(1e6);
  // Step back into ordinary execution, then check the round trip from there.
  for (let i = 0; i < 12; i++) m.stepBack();
  const start = fullState(m);
  const positions: string[] = [];
  for (let i = 0; i < 25; i++) { m.stepBack(); positions.push(fullState(m)); }
  for (let i = 24; i >= 0; i--) {
    assert.equal(fullState(m), positions[i], `after ${24 - i} forward steps`);
    m.step();
  }
  assert.equal(fullState(m), start);
});

test('stack overflow: reverseContinue with a watch on the guard page stops before the call whose push first touched it', () => {
  const m = booted('stack-overflow-no-ist');
  m.run(1e6);
  const chain = m.faultChain();
  const first = chain[0];
  assert.equal(first.name, '#PF');
  const guard = first.cr2 & ~0xfffn;
  m.setWatchpoints([{ start: guard, length: 4096 }]);
  const stop = m.reverseContinue(() => false);
  assert.equal(stop.reason, 'watchpoint');
  assert.equal(stop.reachedStart, false);
  assert.equal(m.state().regs.rip, first.rip, 'RIP is the instruction that pushed into the guard page');
  assert.equal(m.instructionCount, first.instructionCount);
  assert.equal(m.faultChain().length === 0 || m.faultChain()[0].seq < first.seq, true, 'before its #PF was raised');
  // Forward again: the same #PF is raised by the next step.
  m.shouldStopOnException = (e) => e.phase === 'raised';
  const again = m.run(10);
  assert.equal(again.reason, 'exception');
  assert.equal(again.event?.seq, first.seq);
});

test('IST fix: reverseContinue with a watch on TSS.IST1 stops at the store that filled it', () => {
  const m = booted('ist-double-fault', 1000);
  m.shouldStopOnException = (e) => e.phase === 'escalated';
  const df = m.run(1e7);
  assert.equal(df.reason, 'exception');
  const trBase = m.state().tr.base;
  const ist1 = trBase + 0x24n;
  const value = m.readLinear(ist1, 8).data;
  assert.notDeepEqual([...value], [0, 0, 0, 0, 0, 0, 0, 0]);
  const found = m.lastWriteTo(ist1, 8);
  assert.ok(found, 'a write to TSS.IST1 is in the history');
  m.setWatchpoints([{ start: ist1, length: 8 }]);
  const stop = m.reverseContinue(() => false);
  assert.equal(stop.reason, 'watchpoint');
  assert.equal(m.state().regs.rip, found.rip);
  assert.equal(m.instructionCount, found.position.instructions);
  const before = m.readLinear(ist1, 8).data;
  m.setWatchpoints([]);
  m.step();
  assert.deepEqual([...m.readLinear(ist1, 8).data], [...value], 'executing that store fills IST1');
  assert.notDeepEqual([...before], [...value]);
});

test('devices mid-timer round-trip: after goto the PIT re-arms and its IRQ0 edges land at the same counts', () => {
  const m = booted('stack-overflow-no-ist');
  // PIT channel 0, mode 2 (rate generator), count 2: an IRQ0 edge every ~1.7k instructions.
  m.bus.outPort(0x43, 1, 0x34);
  m.bus.outPort(0x40, 1, 2);
  m.bus.outPort(0x40, 1, 0);
  m.run(5000);
  const mid = fullState(m);
  const edges = () => JSON.stringify([m.devices.pic.saveState(), m.devices.pit.saveState(), m.devices.ioapic.saveState()]);
  const midEdges = edges();
  m.run(12_000 - m.instructionCount);
  const later = edges();
  assert.notEqual(later, midEdges, 'the timer fired in between');
  const laterState = fullState(m);
  m.goto(5000);
  assert.equal(fullState(m), mid);
  assert.equal(edges(), midEdges);
  m.run(12_000 - m.instructionCount);
  assert.equal(edges(), later);
  assert.equal(fullState(m), laterState);
});
