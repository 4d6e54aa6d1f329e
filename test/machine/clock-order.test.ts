import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TimerKey, VirtualClock } from '../../emulator/clock';

/** Fire order of timers armed in `order` (all due at instruction 1000), after running to 1000. */
function fireOrder(order: [string, number][]): string[] {
  const clock = new VirtualClock();
  const fired: string[] = [];
  for (const [name, key] of order) clock.schedule(1000, () => fired.push(name), key);
  clock.schedule(999, () => fired.push('earlier'), TimerKey.INPUT + 5);
  clock.schedule(1001, () => fired.push('later'), TimerKey.LAPIC);
  clock.instructions = 1000;
  clock.fire();
  return fired;
}

test('timers due at the same instruction count fire in key order, whatever order they were armed in', () => {
  // A live run arms the PIT, then the guest programs the LAPIC timer; a snapshot restore re-arms them in
  // device-list order (LAPIC first). Both must fire alike.
  const live = fireOrder([['input 1', TimerKey.INPUT + 1], ['pit', TimerKey.PIT], ['cmos', TimerKey.CMOS], ['lapic', TimerKey.LAPIC], ['input 0', TimerKey.INPUT]]);
  const restored = fireOrder([['lapic', TimerKey.LAPIC], ['input 0', TimerKey.INPUT], ['cmos', TimerKey.CMOS], ['pit', TimerKey.PIT], ['input 1', TimerKey.INPUT + 1]]);
  assert.deepEqual(live, ['earlier', 'lapic', 'pit', 'cmos', 'input 0', 'input 1']);
  assert.deepEqual(restored, live);
});

test('a timer armed by a firing timer at the same count still fires in this round, and nextDeadline follows', () => {
  const clock = new VirtualClock();
  const fired: string[] = [];
  clock.schedule(500, () => { fired.push('pit'); clock.schedule(500, () => fired.push('cmos'), TimerKey.CMOS); }, TimerKey.PIT);
  clock.schedule(800, () => fired.push('lapic'), TimerKey.LAPIC);
  assert.equal(clock.nextDeadline, 500);
  clock.instructions = 500;
  clock.fire();
  assert.deepEqual(fired, ['pit', 'cmos']);
  assert.equal(clock.nextDeadline, 800);
});
