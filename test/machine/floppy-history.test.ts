import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { DiskImage } from '../../emulator/devices/disk-image';
import { loadFirmware } from '../../emulator/firmware/seabios';
import { Machine } from '../../emulator/machine';
import { captureDevices } from '../../emulator/snapshot';
import { firmwareMissing, ROOT } from '../support/firmware';

/**
 * Reverse debugging across floppy I/O: SeaBIOS reads the boot sector and 40 sectors through its FDC driver
 * (DMA channel 2, IRQ 6, READ ID timers), then the fixture drives the FDC and the 8237 itself. Going back to
 * points inside that (history snapshots hold the FDC, its drive and the DMA controllers) and running forward
 * again must give the same CPU, RAM and device state at every point and at the fixture's exit.
 */
test('floppy.img: goto and re-execution through FDC + DMA transfers reproduce the state exactly', { skip: firmwareMissing() }, () => {
  const fw = loadFirmware();
  const m = Machine.create({ memoryMB: 128, onTripleFault: 'stop', board: { bios: fw.bios, fda: DiskImage.open(path.join(ROOT, 'fixtures/bin/floppy.img')), nodefaults: true } });
  let serial = '';
  m.on('serial', (b) => { serial += String.fromCharCode(b); });
  m.bootFirmware();
  m.enableHistory({ snapshotInterval: 2_000_000 });
  const state = () => `${m.instructionCount} ${m.stateHash()} ${JSON.stringify(captureDevices(m.devices.all))}`;
  const at = [7_000_000, 13_000_000, 19_000_000, 24_000_000];
  const seen = new Map<number, string>();
  for (const n of at) {
    m.run(n - m.instructionCount);
    seen.set(n, state());
  }
  const stop = m.run(50_000_000);
  assert.equal(stop.reason, 'exit');
  assert.match(serial, /floppy: done/);
  const end = state();
  for (const n of [13_000_000, 7_000_000, 24_000_000, 19_000_000]) {
    m.goto(n);
    assert.equal(state(), seen.get(n), `goto ${n}`);
  }
  m.goto(7_000_000);
  const again = m.run(50_000_000);
  assert.equal(again.reason, 'exit');
  assert.equal(state(), end, 'the same exit, at the same instruction, with the same CPU, RAM and device state');
  assert.equal(m.devices.board.fdc.drives[0].image!.saveOverlay().length, 0, 'nothing was written to the diskette');
});
