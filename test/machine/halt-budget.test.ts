import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadFirmware } from '../../emulator/firmware/seabios';
import { Machine } from '../../emulator/machine';
import { firmwareMissing } from '../support/firmware';

test('a halted CPU waiting for the timer ends run(N) after exactly N instructions of virtual time, and still wakes at the tick', { skip: firmwareMissing() }, () => {
  // SeaBIOS with nothing to boot waits with HLT and IF = 1 between its 18.2 Hz PIT ticks (55 million ns apart):
  // before, one run(1000) let the clock jump to the next tick.
  const fw = loadFirmware();
  // No NIC and no floppy drive: with them, SeaBIOS would try the empty drive A: and run iPXE's network boot
  // (both polling, not halted) before finding nothing to boot.
  const m = Machine.create({ memoryMB: 32, board: { bios: fw.bios, vgaBios: fw.vgaBios, nic: false, floppyDrive: false } });
  m.bootFirmware();
  m.run(40_000_000);
  let halted = 0;
  for (let i = 0; i < 200; i++) {
    const before = m.instructionCount;
    assert.equal(m.run(1000).reason, 'budget');
    assert.equal(m.instructionCount - before, 1000, 'run(1000) retires 1000');
    if (m.cpu.halted) halted++;
  }
  assert.ok(halted > 100, `mostly halted (${halted} of 200 slices)`);
  // Run on in big slices: the ticks still come (SeaBIOS's tick count at 0x46c advances).
  const ticks = (): number => m.mem.read(0x46c, 4);
  const t0 = ticks();
  m.run(200_000_000);
  assert.ok(ticks() - t0 >= 3, `the PIT ticks while halted (${ticks() - t0} ticks in 0.2 s)`);
});
