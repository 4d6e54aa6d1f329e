import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Exit } from '../../emulator/cpu/cpu';
import { FAULT } from '../../emulator/cpu/fault';
import { Attr, Cr0, Seg } from '../../emulator/cpu/state';
import { DiskImage } from '../../emulator/devices/disk-image';
import { Machine } from '../../emulator/machine';
import { CODE, enablePaging, enterFlatLongMode, reg, setReg } from '../support/cpu-harness';
import { ataCommand, driveState, runAt } from '../support/ide-pio';

/**
 * REP OUTS to a port whose device takes writes in bulk (string-ops.ts fastOuts, PortHandler.writeString): the
 * IDE data port, a PIO write handed over a device block at a time (xv6's outsl). Each must leave exactly what
 * writing one element at a time leaves: the sectors on the disk, RCX/RSI, the drive's status and interrupt, and
 * a fault in the middle at its own element with that element not yet written.
 */
const RCX = 1, RDX = 2, RSI = 6;
const SECTOR = 512;
const data = Uint8Array.from({ length: 3 * SECTOR }, (_, i) => (i * 37 + (i >> 9) * 5 + 1) & 0xff);

function machine(): { m: Machine; disk: DiskImage } {
  const disk = DiskImage.fromBytes(new Uint8Array(16 * SECTOR));
  return { m: Machine.create({ memoryMB: 16, board: { bios: new Uint8Array(128 * 1024), hda: disk } }), disk };
}

/** Data-port writes through IoBus.outPort (the one-element path), counted. */
function countPortWrites(m: Machine): { n: number } {
  const c = { n: 0 };
  const outPort = m.bus.outPort.bind(m.bus);
  m.bus.outPort = (port, size, value) => { if (port === 0x1f0) c.n++; outPort(port, size, value); };
  return c;
}

/** The reference: the same 3-sector write at `lba`, element by element through the bus. */
function reference(lba: number, size: number): { m: Machine; disk: DiskImage } {
  const ref = machine();
  ataCommand(ref.m, 0x30, lba, 3);
  for (let k = 0; k < data.length; k += size) {
    let v = 0;
    for (let b = size - 1; b >= 0; b--) v = v * 256 + data[k + b];
    ref.m.bus.outPort(0x1f0, size, v);
  }
  return ref;
}

describe('REP OUTS to the IDE data port', () => {
  for (const [name, prefix, size] of [['outsw', [0x66], 2], ['outsd', [], 4]] as const) {
    it(`rep ${name} of a 3-sector write across page boundaries leaves what ${size}-byte port writes leave`, () => {
      const at = 0x10f00;
      const ref = reference(4, size);
      const { m, disk } = machine();
      enterFlatLongMode(m.cpu);
      m.mem.load(at, data);
      ataCommand(m, 0x30, 4, 3);
      const writes = countPortWrites(m);
      setReg(m.cpu, RDX, 0x1f0n); setReg(m.cpu, RSI, BigInt(at)); setReg(m.cpu, RCX, BigInt(data.length / size));
      assert.equal(runAt(m, [0xf3, ...prefix, 0x6f]), Exit.BUDGET);
      assert.deepEqual(disk.read(0, 16 * SECTOR), ref.disk.read(0, 16 * SECTOR));
      assert.deepEqual(disk.read(4 * SECTOR, 3 * SECTOR), data);
      assert.equal(reg(m.cpu, RCX), 0n);
      assert.equal(reg(m.cpu, RSI), BigInt(at + 3 * SECTOR));
      assert.equal(m.cpu.rip, CODE + prefix.length + 2, 'one instruction, completed');
      assert.deepEqual(driveState(m), driveState(ref.m));
      assert.deepEqual(driveState(m), { status: 0x50, irq: true }, 'DRDY|DSC, no DRQ; the last sector\'s interrupt');
      assert.equal(writes.n, 3, 'each sector handed over at once but its last element, which ends the block');
    });
  }

  it('a page fault in the middle stops at the faulting element with RCX/RSI there and that element unwritten', () => {
    const { m, disk } = machine();
    enterFlatLongMode(m.cpu);
    const map = enablePaging(m.cpu);
    const la = 0x40000000n;
    map(la, 0x20000); // the page after it is not present
    m.mem.load(0x20f00, data.subarray(0, 256));
    m.mem.load(0x30000, data.subarray(256, 512));
    ataCommand(m, 0x30, 5, 1);
    setReg(m.cpu, RDX, 0x1f0n); setReg(m.cpu, RSI, la + 0xf00n); setReg(m.cpu, RCX, 256n);
    assert.equal(runAt(m, [0xf3, 0x66, 0x6f]), Exit.FAULT);
    assert.equal(FAULT.vector, 14);
    assert.equal(FAULT.pfAddress, 0x40001000);
    assert.equal(reg(m.cpu, RCX), 128n, '128 words done before the page end');
    assert.equal(reg(m.cpu, RSI), la + 0x1000n);
    assert.equal(m.cpu.rip, CODE, 'RIP stays on the REP OUTS (restartable)');
    assert.equal(driveState(m).status & 0x08, 0x08, 'DRQ: the sector is still being written');
    assert.ok(disk.read(5 * SECTOR, SECTOR).every((b) => b === 0), 'nothing on the disk yet');
    map(la + 0x1000n, 0x30000);
    assert.equal(m.cpu.run(1), Exit.BUDGET);
    assert.equal(reg(m.cpu, RCX), 0n);
    assert.deepEqual(disk.read(5 * SECTOR, SECTOR), data.subarray(0, SECTOR), 'the rest, from the element that faulted');
    assert.equal(driveState(m).status, 0x50);
  });

  it('in 32-bit protected mode ESI stops at the source segment\'s limit with #GP there, as element-by-element writes do', () => {
    const { m } = machine();
    const c = m.cpu;
    c.cr0 |= Cr0.PE;
    c.segSel[Seg.CS] = 0x08; c.segBase[Seg.CS] = 0; c.segLimit[Seg.CS] = 0xffffffff; c.segAttr[Seg.CS] = 0x9b | Attr.DB | Attr.G;
    c.segSel[Seg.DS] = 0x10; c.segBase[Seg.DS] = 0x20000; c.segLimit[Seg.DS] = 0x1ff; c.segAttr[Seg.DS] = 0x93 | Attr.DB;
    c.segSel[Seg.SS] = 0x10; c.segBase[Seg.SS] = 0; c.segLimit[Seg.SS] = 0xffffffff; c.segAttr[Seg.SS] = 0x93 | Attr.DB | Attr.G;
    c.updateMode();
    c.flushTlb();
    m.mem.load(0x20000, data.subarray(0, SECTOR));
    ataCommand(m, 0x30, 1, 2);
    c.setReg32(RDX, 0x1f0); c.setReg32(RSI, 0x100); c.setReg32(RCX, 256);
    assert.equal(runAt(m, [0xf3, 0x6f]), Exit.FAULT);
    assert.equal(FAULT.vector, 13);
    assert.equal(c.r[2 * RSI] >>> 0, 0x200, 'ESI at the first element past the limit');
    assert.equal(c.r[2 * RCX] >>> 0, 192, '64 dwords written');
    assert.equal(driveState(m).status & 0x08, 0x08, 'DRQ: the sector is still being written');
  });
});
