import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Exit } from '../../emulator/cpu/cpu';
import { FAULT } from '../../emulator/cpu/fault';
import { resetCpu } from '../../emulator/cpu/reset';
import { Seg } from '../../emulator/cpu/state';
import { DiskImage } from '../../emulator/devices/disk-image';
import { Machine } from '../../emulator/machine';
import { CODE, enablePaging, enterFlatLongMode, reg, setReg } from '../support/cpu-harness';
import { ataCommand, driveState, runAt } from '../support/ide-pio';

/**
 * REP INS from ports whose device reads in bulk (string-ops.ts fastIns, PortHandler.readString): the IDE data
 * port, a PIO transfer copied a device block at a time, and fw_cfg's data port (the option ROMs' rep insb). Each
 * must leave exactly what reading one element at a time leaves: the bytes in RAM, RCX/RDI, the device's state
 * (the drive's status and interrupt), and a fault in the middle at its own element with that element still unread.
 */
const RCX = 1, RDX = 2, RDI = 7;
const SECTOR = 512;
const disk = new Uint8Array(16 * SECTOR).map((_, i) => (i * 31 + (i >> 9)) & 0xff);

function machine(): Machine {
  return Machine.create({ memoryMB: 16, board: { bios: new Uint8Array(128 * 1024), hda: DiskImage.fromBytes(disk) } });
}

/** Data-port reads through IoBus.inPort (the one-element path), counted. */
function countPortReads(m: Machine): { n: number } {
  const c = { n: 0 };
  const inPort = m.bus.inPort.bind(m.bus);
  m.bus.inPort = (port, size) => { if (port === 0x1f0) c.n++; return inPort(port, size); };
  return c;
}

describe('REP INS from the IDE and fw_cfg data ports', () => {
  for (const [name, prefix, size] of [['insw', [0x66], 2], ['insd', [], 4]] as const) {
    it(`rep ${name} of a 3-sector read across page boundaries leaves what ${size}-byte port reads leave`, () => {
      const at = 0x10f00;
      const words = (3 * SECTOR) / size;
      // Reference: the same transfer read element by element from the bus.
      const ref = machine();
      ataCommand(ref, 0x20, 2, 3);
      const want = new Uint8Array(3 * SECTOR);
      for (let k = 0; k < words; k++) {
        const v = ref.bus.inPort(0x1f0, size);
        for (let b = 0; b < size; b++) want[k * size + b] = (v >>> (8 * b)) & 0xff;
      }
      const m = machine();
      enterFlatLongMode(m.cpu);
      ataCommand(m, 0x20, 2, 3);
      const reads = countPortReads(m);
      setReg(m.cpu, RDX, 0x1f0n); setReg(m.cpu, RDI, BigInt(at)); setReg(m.cpu, RCX, BigInt(words));
      assert.equal(runAt(m, [0xf3, ...prefix, 0x6d]), Exit.BUDGET);
      assert.deepEqual(m.mem.u8.subarray(at, at + 3 * SECTOR), want);
      assert.deepEqual(Array.from(want.subarray(0, 4)), Array.from(disk.subarray(2 * SECTOR, 2 * SECTOR + 4)));
      assert.equal(reg(m.cpu, RCX), 0n);
      assert.equal(reg(m.cpu, RDI), BigInt(at + 3 * SECTOR));
      assert.equal(m.cpu.rip, CODE + prefix.length + 2, 'one instruction, completed');
      assert.deepEqual(driveState(m), driveState(ref));
      assert.deepEqual(driveState(m), { status: 0x50, irq: true }, 'DRDY|DSC, no DRQ; the last sector\'s interrupt');
      assert.equal(reads.n, 3, 'each sector copied at once but its last element, which ends the block');
    });
  }

  it('a page fault in the middle stops at the faulting element with RCX/RDI there and that element unread', () => {
    const m = machine();
    enterFlatLongMode(m.cpu);
    const map = enablePaging(m.cpu);
    const la = 0x40000000n;
    map(la, 0x20000); // the page after it is not present
    ataCommand(m, 0x20, 5, 1);
    setReg(m.cpu, RDX, 0x1f0n); setReg(m.cpu, RDI, la + 0xf00n); setReg(m.cpu, RCX, 256n);
    assert.equal(runAt(m, [0xf3, 0x66, 0x6d]), Exit.FAULT);
    assert.equal(FAULT.vector, 14);
    assert.equal(FAULT.pfAddress, 0x40001000);
    assert.equal(reg(m.cpu, RCX), 128n, '128 words done before the page end');
    assert.equal(reg(m.cpu, RDI), la + 0x1000n);
    assert.equal(m.cpu.rip, CODE, 'RIP stays on the REP INS (restartable)');
    assert.deepEqual(m.mem.u8.subarray(0x20f00, 0x21000), disk.subarray(5 * SECTOR, 5 * SECTOR + 256));
    map(la + 0x1000n, 0x30000);
    assert.equal(m.cpu.run(1), Exit.BUDGET);
    assert.equal(reg(m.cpu, RCX), 0n);
    assert.deepEqual(m.mem.u8.subarray(0x30000, 0x30100), disk.subarray(5 * SECTOR + 256, 6 * SECTOR), 'the rest, from the element that faulted');
    assert.equal(driveState(m).status, 0x50);
  });

  it('in real mode (SeaBIOS\'s insw) DI wraps at 64 KiB inside ES, as element-by-element reads do', () => {
    const m = machine();
    const c = m.cpu;
    resetCpu(c);
    c.segSel[Seg.CS] = 0; c.segBase[Seg.CS] = 0;
    c.segSel[Seg.ES] = 0x1000; c.segBase[Seg.ES] = 0x10000;
    c.setReg32(4, 0x8000);
    c.updateMode();
    c.flushTlb();
    ataCommand(m, 0x20, 0, 1);
    c.setReg32(RDX, 0x1f0); c.setReg32(RDI, 0xff00); c.setReg32(RCX, 256);
    assert.equal(runAt(m, [0xf3, 0x6d]), Exit.BUDGET);
    assert.deepEqual(m.mem.u8.subarray(0x1ff00, 0x20000), disk.subarray(0, 256));
    assert.deepEqual(m.mem.u8.subarray(0x10000, 0x10100), disk.subarray(256, 512));
    assert.equal(c.r[2 * RDI] & 0xffff, 0x0100);
    assert.equal(c.r[2 * RCX] & 0xffff, 0);
  });

  it('rep insb from fw_cfg\'s data port reads an item\'s bytes, then zeros past its end, as byte reads do', () => {
    const file = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7 + 3) & 0xff);
    const load = (m: Machine) => m.devices.fwcfg.addFile('opt/test', file);
    const ref = machine();
    const key = load(ref);
    ref.bus.outPort(0x510, 2, key);
    ref.bus.inPort(0x511, 1);
    const want = Uint8Array.from({ length: 5100 }, () => ref.bus.inPort(0x511, 1));
    const m = machine();
    enterFlatLongMode(m.cpu);
    load(m);
    m.bus.outPort(0x510, 2, key);
    m.bus.inPort(0x511, 1); // one byte read the slow way first: the item's offset carries over
    setReg(m.cpu, RDX, 0x511n); setReg(m.cpu, RDI, 0x20800n); setReg(m.cpu, RCX, 5100n);
    assert.equal(runAt(m, [0xf3, 0x6c]), Exit.BUDGET);
    assert.deepEqual(m.mem.u8.subarray(0x20800, 0x20800 + 5100), want);
    assert.deepEqual(Array.from(want.subarray(0, 3)), Array.from(file.subarray(1, 4)));
    assert.equal(want[4998], file[4999]);
    assert.ok(want.subarray(4999).every((b) => b === 0), 'zeros past the end');
    assert.equal(reg(m.cpu, RDI), 0x20800n + 5100n);
    assert.equal(m.bus.inPort(0x511, 1), 0, 'the item is used up');
  });
});
