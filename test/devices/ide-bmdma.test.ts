import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PcBoardOptions } from '../../emulator/board/pc';
import { DiskImage } from '../../emulator/devices/disk-image';
import { resetCpu } from '../../emulator/cpu/reset';
import { Seg } from '../../emulator/cpu/state';
import { Machine } from '../../emulator/machine';

/**
 * PIIX3 IDE bus-master DMA at register level (SFF-8038i; QEMU hw/ide/pci.c, piix.c, core.c ide_dma_cb, atapi.c):
 * the function's BAR 4, the engine's registers, the descriptor-table walk, ATA READ/WRITE DMA and ATAPI DMA, and
 * the edge cases whose status bits QEMU defines (short and long tables, stop, nIEN, bus master off, bad LBA).
 * fixtures/src/ide-dma is the same on a guest, compared with QEMU.
 */
const ROM = new Uint8Array(256 * 1024);
const BM = 0xc000; // where the tests put BAR 4 (what SeaBIOS chooses on this board)
const TABLE = 0x8000;

function machine(board: PcBoardOptions = {}): Machine {
  return Machine.create({ memoryMB: 16, board: { bios: ROM, ...board } });
}

function cfgRead(m: Machine, reg: number): number {
  m.bus.outPort(0xcf8, 4, (0x80000000 | (1 << 11) | (1 << 8) | reg) >>> 0);
  return m.bus.inPort(0xcfc, 4) >>> 0;
}

function cfgWrite(m: Machine, reg: number, v: number): void {
  m.bus.outPort(0xcf8, 4, (0x80000000 | (1 << 11) | (1 << 8) | reg) >>> 0);
  m.bus.outPort(0xcfc, 4, v);
}

/** BAR 4 at BM, I/O decoding and bus mastering on (COMMAND bits 0 and 2). */
function enable(m: Machine, command = 0x05): void {
  cfgWrite(m, 0x20, BM);
  cfgWrite(m, 0x04, command);
}

const disk = (sectors = 64) => DiskImage.fromBytes(new Uint8Array(sectors * 512).map((_, i) => ((i >> 9) * 16 + (i & 15)) & 0xff));

/** A descriptor table at TABLE: [address, byte count] pairs, EOT on the last (unless `eot` is false). */
function prd(m: Machine, entries: [number, number][], eot = true): void {
  entries.forEach(([addr, len], i) => {
    m.mem.write(TABLE + 8 * i, 4, addr);
    m.mem.write(TABLE + 8 * i + 4, 4, ((len & 0xffff) | (eot && i === entries.length - 1 ? 0x80000000 : 0)) >>> 0);
  });
  m.bus.outPort(BM + 4, 4, TABLE);
}

function ata(m: Machine, cmd: number, lba: number, count: number, base = 0x1f0): void {
  m.bus.outPort(base + 6, 1, 0xe0 | ((lba >>> 24) & 0xf));
  m.bus.outPort(base + 2, 1, count);
  m.bus.outPort(base + 3, 1, lba & 0xff);
  m.bus.outPort(base + 4, 1, (lba >>> 8) & 0xff);
  m.bus.outPort(base + 5, 1, (lba >>> 16) & 0xff);
  m.bus.outPort(base + 7, 1, cmd);
}

/** The slave PIC's IRR (OCW3 read IRR): bit 6 is IRQ 14, bit 7 IRQ 15. */
function slaveIrr(m: Machine): number {
  m.bus.outPort(0xa0, 1, 0x0a);
  return m.bus.inPort(0xa0, 1);
}

const bmStatus = (m: Machine, ch = 0) => m.bus.inPort(BM + 8 * ch + 2, 1);
const ACTIVE = 1, INTR = 4;

describe('PIIX3 IDE bus master: PCI function and registers', () => {
  it('reports programming interface 0x80 and a 16-byte I/O BAR 4, decoded only while COMMAND bit 0 is set', () => {
    const m = machine();
    assert.equal(cfgRead(m, 0x08) >>> 8, 0x010180, 'class 0x0101, prog-if 0x80');
    cfgWrite(m, 0x20, 0xffffffff);
    assert.equal(cfgRead(m, 0x20), 0xfffffff1, '16 bytes of I/O');
    cfgWrite(m, 0x20, BM);
    assert.equal(m.bus.inPort(BM + 2, 1), 0xff, 'COMMAND I/O off: nothing answers');
    cfgWrite(m, 0x04, 1);
    assert.equal(m.bus.inPort(BM + 2, 1), 0, 'status after reset');
  });

  it('command and status take byte accesses only; the table pointer any width, bits 1:0 clear', () => {
    const m = machine();
    enable(m);
    m.bus.outPort(BM, 1, 0xff);
    assert.equal(m.bus.inPort(BM, 1), 0x09, 'command: start and direction bits only');
    assert.equal(m.bus.inPort(BM, 2), 0xffff, 'a 16-bit read of the command register (QEMU piix bmdma_read)');
    m.bus.outPort(BM, 1, 0);
    m.bus.outPort(BM + 4, 4, 0x12345677);
    assert.equal(m.bus.inPort(BM + 4, 4) >>> 0, 0x12345674);
    m.bus.outPort(BM + 6, 2, 0xabcd);
    assert.equal(m.bus.inPort(BM + 4, 4) >>> 0, 0xabcd5674, 'a 16-bit write replaces its half');
    assert.equal(m.bus.inPort(BM + 7, 1), 0xab);
  });

  it('status: ACTIVE follows the start bit, ERROR and INTR are write-1-to-clear, bits 5 and 6 are read/write', () => {
    const m = machine();
    enable(m);
    m.bus.outPort(BM + 2, 1, 0xff);
    assert.equal(bmStatus(m), 0x60, 'only the drive-DMA-capable bits can be written to 1');
    m.bus.outPort(BM, 1, 1);
    assert.equal(bmStatus(m), 0x61, 'start: ACTIVE');
    m.bus.outPort(BM + 2, 1, 0x00);
    assert.equal(bmStatus(m), 0x01, 'writing 0 keeps ACTIVE, clears bits 5/6');
    m.bus.outPort(BM, 1, 0);
    assert.equal(bmStatus(m), 0, 'stop clears ACTIVE');
    // A PIO interrupt sets INTR too (QEMU bmdma_irq wraps the channel's IRQ).
    m.bus.outPort(0x1f7, 1, 0xe5); // no disk on the channel: nothing happens
    const d = machine({ hda: disk() });
    enable(d);
    d.bus.outPort(0x1f6, 1, 0xa0);
    d.bus.outPort(0x1f7, 1, 0xe5); // CHECK POWER MODE
    assert.equal(bmStatus(d), INTR);
    d.bus.outPort(BM + 2, 1, 0x02);
    assert.equal(bmStatus(d), INTR, 'writing 1 to ERROR leaves INTR');
    d.bus.outPort(BM + 2, 1, 0x04);
    assert.equal(bmStatus(d), 0, 'write 1 to clear');
  });
});

describe('PIIX3 IDE bus master: ATA READ/WRITE DMA', () => {
  it('READ DMA scatters the sectors over the table, then IRQ 14 with ACTIVE clear and INTR set', () => {
    const m = machine({ hda: disk() });
    enable(m);
    prd(m, [[0x10000, 512], [0x20100, 1024]]);
    m.bus.outPort(BM, 1, 0x08); // direction: to memory, not started
    ata(m, 0xc8, 3, 3);
    assert.equal(m.bus.inPort(0x3f6, 1), 0x58, 'DRDY|DSC|DRQ: waiting for the bus master');
    assert.equal(m.mem.read(0x10000, 1), 0, 'nothing moved yet');
    assert.equal(slaveIrr(m) & 0x40, 0);
    m.bus.outPort(BM, 1, 0x09);
    assert.deepEqual([m.mem.read(0x10000, 1), m.mem.read(0x101ff, 1), m.mem.read(0x20100, 1), m.mem.read(0x20300, 1), m.mem.read(0x204ff, 1)], [0x30, 0x3f, 0x40, 0x50, 0x5f]);
    assert.equal(m.mem.read(0x20500, 1), 0, 'no more than the command');
    assert.equal(bmStatus(m), INTR, 'ACTIVE cleared, INTR set');
    assert.equal(slaveIrr(m) & 0x40, 0x40, 'IRQ 14');
    assert.equal(m.bus.inPort(0x1f7, 1), 0x50);
    assert.deepEqual([m.bus.inPort(0x1f2, 1), m.bus.inPort(0x1f3, 1)], [0, 6], 'count 0, the sector after the last (QEMU ide_set_sector)');
    m.bus.outPort(BM, 1, 0x08); // stop, as drivers do
    m.bus.outPort(BM + 2, 1, INTR);
    assert.equal(bmStatus(m), 0);
  });

  it('the start bit may come first: the command then runs at once; 64 KiB for a byte count of 0', () => {
    const m = machine({ hda: disk(256) });
    enable(m);
    prd(m, [[0x40000, 0]]);
    m.bus.outPort(BM, 1, 0x09);
    assert.equal(bmStatus(m), ACTIVE);
    ata(m, 0xc8, 0, 128);
    assert.equal(m.mem.read(0x40000 + 127 * 512, 1), (127 * 16) & 0xff);
    assert.equal(bmStatus(m), INTR);
  });

  it('WRITE DMA EXT gathers from memory; the image file itself is not written (overlay)', () => {
    const bytes = new Uint8Array(64 * 512);
    const m = machine({ hda: DiskImage.fromBytes(bytes) });
    enable(m);
    for (let i = 0; i < 1024; i++) m.mem.write(0x30000 + i, 1, (i * 3) & 0xff);
    prd(m, [[0x30000, 256], [0x30100, 768]]);
    m.bus.outPort(0x1f6, 1, 0x40);
    for (const [reg, v] of [[2, 0], [2, 2], [3, 0], [3, 10], [4, 0], [4, 0], [5, 0], [5, 0]]) m.bus.outPort(0x1f0 + reg, 1, v);
    m.bus.outPort(0x1f7, 1, 0x35);
    m.bus.outPort(BM, 1, 0x01);
    assert.equal(bmStatus(m), INTR);
    assert.equal(m.bus.inPort(0x1f7, 1), 0x50);
    assert.equal(bytes[10 * 512 + 5], 0, 'the backing bytes are untouched');
    ata(m, 0x20, 10, 2); // read back by PIO
    const back: number[] = [];
    for (let i = 0; i < 512; i++) { const w = m.bus.inPort(0x1f0, 2); back.push(w & 0xff, w >>> 8); }
    assert.deepEqual(back.slice(0, 4), [0, 3, 6, 9]);
    assert.equal(back[1023], (1023 * 3) & 0xff);
  });

  it('stopped before the command arrives: the command waits with DRQ, nothing moves, and the next start runs it', () => {
    const m = machine({ hda: disk() });
    enable(m);
    prd(m, [[0x10000, 512]]);
    m.bus.outPort(BM, 1, 0x09);
    m.bus.outPort(BM, 1, 0x08); // stop again (QEMU: ACTIVE cleared, no command to cancel)
    assert.equal(bmStatus(m), 0);
    ata(m, 0xc8, 7, 1);
    m.bus.outPort(BM, 1, 0x08); // writing stop over stop: no change
    assert.equal(m.bus.inPort(0x3f6, 1), 0x58);
    assert.equal(m.mem.read(0x10000, 1), 0);
    m.bus.outPort(BM, 1, 0x09);
    assert.equal(m.mem.read(0x10000, 1), 0x70);
    assert.equal(bmStatus(m), INTR);
  });

  // QEMU 7.2 keeps the channel's DMA callback across SRST (ide_cancel_dma_sync only drains I/O in flight), so a
  // later start bit would read the sector the reset signature's CHS registers name. The ATA reset protocol ends
  // the command (ATA/ATAPI-6 §9.2); this follows the standard.
  it('a software reset drops a DMA command still waiting for the start bit', () => {
    const m = machine({ hda: disk() });
    enable(m);
    prd(m, [[0x10000, 512]]);
    ata(m, 0xc8, 7, 1);
    m.bus.outPort(0x3f6, 1, 0x04); // SRST
    m.bus.outPort(0x3f6, 1, 0x00);
    m.bus.outPort(BM, 1, 0x09);
    assert.equal(m.mem.read(0x10000, 1), 0, 'nothing moved');
    assert.equal(bmStatus(m), ACTIVE, 'the engine runs with no command');
    assert.equal(m.bus.inPort(0x1f7, 1), 0x50);
  });

  it('a table shorter than the command: nothing moves, no interrupt, ACTIVE cleared, DRQ gone (QEMU ide_dma_cb)', () => {
    const m = machine({ hda: disk() });
    enable(m);
    prd(m, [[0x10000, 512], [0x11000, 510]]);
    ata(m, 0xc8, 1, 2);
    m.bus.outPort(BM, 1, 0x09);
    assert.equal(m.mem.read(0x10000, 1), 0, 'no data');
    assert.equal(bmStatus(m), 0, 'neither ACTIVE nor INTR');
    assert.equal(slaveIrr(m) & 0x40, 0, 'no IRQ 14');
    assert.equal(m.bus.inPort(0x1f7, 1), 0x50);
  });

  it('a table longer than the command: the data moves, INTR is set and ACTIVE stays until the stop', () => {
    const m = machine({ hda: disk() });
    enable(m);
    prd(m, [[0x10000, 512], [0x11000, 4096]]);
    ata(m, 0xc8, 2, 1);
    m.bus.outPort(BM, 1, 0x09);
    assert.equal(m.mem.read(0x10000, 1), 0x20);
    assert.equal(m.mem.read(0x11000, 1), 0, 'the second buffer is not touched');
    assert.equal(bmStatus(m), ACTIVE | INTR);
    m.bus.outPort(BM, 1, 0x08);
    assert.equal(bmStatus(m), INTR, 'stop clears ACTIVE');
  });

  it('without EOT the walk stops after one page of descriptors (QEMU\'s fail-safe)', () => {
    const m = machine({ hda: disk(1200) });
    enable(m);
    const entries: [number, number][] = [];
    for (let i = 0; i < 600; i++) entries.push([0x100000 + 1024 * i, 1024]);
    prd(m, entries, false);
    ata(m, 0xc8, 0, 1);
    m.bus.outPort(BM, 1, 0x09);
    // 512 descriptors of 1 KiB = 1024 sectors described; a 1-sector read leaves ACTIVE set (table longer).
    assert.equal(bmStatus(m), ACTIVE | INTR);
    m.bus.outPort(BM, 1, 0);
    m.bus.outPort(BM + 2, 1, INTR);
    ata(m, 0xc8, 0, 0); // 256 sectors: fits in 512 descriptors
    m.bus.outPort(BM, 1, 0x09);
    assert.equal(m.mem.read(0x100000 + 1024 * 127 + 512, 1), (255 * 16) & 0xff);
    m.bus.outPort(BM, 1, 0);
    m.bus.outPort(BM + 2, 1, INTR);
    // 1025 sectors (LBA48) need more than 512 descriptors can give: short.
    m.bus.outPort(0x1f6, 1, 0x40);
    for (const [reg, v] of [[2, 4], [2, 1], [3, 0], [3, 0], [4, 0], [4, 0], [5, 0], [5, 0]]) m.bus.outPort(0x1f0 + reg, 1, v);
    m.bus.outPort(0x1f7, 1, 0x25);
    m.bus.outPort(BM, 1, 0x09);
    assert.equal(bmStatus(m), 0, 'short: ACTIVE cleared, no INTR');
  });

  it('an LBA past the end aborts when the transfer starts: ERR/ABRT, ACTIVE cleared, interrupt', () => {
    const m = machine({ hda: disk() });
    enable(m);
    prd(m, [[0x10000, 1024]]);
    ata(m, 0xc8, 63, 2);
    assert.equal(m.bus.inPort(0x3f6, 1), 0x58, 'accepted; checked when the data moves (QEMU ide_dma_cb)');
    m.bus.outPort(BM, 1, 0x09);
    assert.equal(m.bus.inPort(0x1f7, 1) & 0x01, 1);
    assert.equal(m.bus.inPort(0x1f1, 1), 0x04, 'ABRT');
    assert.equal(bmStatus(m), INTR);
  });

  it('with nIEN set the transfer completes without IRQ 14 or INTR', () => {
    const m = machine({ hda: disk() });
    enable(m);
    m.bus.outPort(0x3f6, 1, 0x02);
    prd(m, [[0x10000, 512]]);
    ata(m, 0xc8, 4, 1);
    m.bus.outPort(BM, 1, 0x09);
    assert.equal(m.mem.read(0x10000, 1), 0x40);
    assert.equal(bmStatus(m), 0);
    assert.equal(slaveIrr(m) & 0x40, 0);
  });

  it('with PCI bus mastering off the engine reaches no memory: zero descriptors (64 KiB each, no EOT), no data', () => {
    const m = machine({ hda: disk() });
    enable(m, 0x01);
    prd(m, [[0x10000, 512]]);
    ata(m, 0xc8, 4, 1);
    m.bus.outPort(BM, 1, 0x09);
    assert.equal(m.mem.read(0x10000, 1), 0, 'nothing written');
    assert.equal(bmStatus(m), ACTIVE | INTR, 'the all-zero table described more than the command: ACTIVE stays (as QEMU)');
  });

  it('a READ DMA into decoded code replaces it: the CPU runs the new bytes', () => {
    const m = machine({ hda: DiskImage.fromBytes(new Uint8Array(512).fill(0x90).fill(0xf4, 8)) }); // 8 NOPs, HLT
    enable(m);
    // Real mode, CS = 0, at 0x5000: eight INC AX, HLT; run once so they are decoded, then DMA over them.
    const code = [0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0xf4];
    code.forEach((b, i) => m.mem.write(0x5000 + i, 1, b));
    const cpu = m.cpus[0];
    const go = () => { resetCpu(cpu); cpu.halted = false; cpu.segSel[Seg.CS] = 0; cpu.segBase[Seg.CS] = 0; cpu.rip = 0x5000; cpu.r[0] = 0; m.run(100); };
    go();
    assert.equal(cpu.r[0] & 0xffff, 8, 'the INCs ran');
    prd(m, [[0x5000, 512]]);
    ata(m, 0xc8, 0, 1);
    m.bus.outPort(BM, 1, 0x09);
    go();
    assert.equal(cpu.r[0] & 0xffff, 0, 'the NOPs the disk put there ran instead');
  });

  it('an ATAPI DMA reply waiting for the start bit survives a snapshot too', () => {
    const iso = DiskImage.fromBytes(new Uint8Array(8 * 2048).map((_, i) => (i >> 11) + 1));
    const m = machine({ cdrom: iso });
    enable(m);
    m.bus.outPort(BM + 12, 4, TABLE);
    m.mem.write(TABLE, 4, 0x50000); m.mem.write(TABLE + 4, 4, 0x80000000 | 2048);
    m.bus.outPort(0x176, 1, 0xa0); m.bus.outPort(0x171, 1, 1); m.bus.outPort(0x177, 1, 0xa0);
    const p = [0x28, 0, 0, 0, 0, 5, 0, 0, 1, 0, 0, 0];
    for (let i = 0; i < 12; i += 2) m.bus.outPort(0x170, 2, p[i] | (p[i + 1] << 8));
    const saved = JSON.parse(JSON.stringify({ ide: m.devices.board.ide.saveState(), pci: m.devices.board.pci.functions.map((f) => Array.from(f.saveConfig())) }));
    const n = machine({ cdrom: iso });
    n.devices.board.pci.functions.forEach((f, i) => f.loadConfig(saved.pci[i]));
    n.devices.board.ide.loadState(saved.ide);
    for (let i = 0; i < 8; i++) n.mem.write(TABLE + i, 1, m.mem.read(TABLE + i, 1));
    assert.equal(n.bus.inPort(0x376, 1), 0xd8);
    n.bus.outPort(BM + 8, 1, 0x09);
    assert.equal(n.mem.read(0x50000, 1), 6);
    assert.equal(n.bus.inPort(0x172, 1), 3);
    assert.equal(bmStatus(n, 1), INTR);
  });

  it('a DMA command waiting for the start bit survives a snapshot and runs after the restore', () => {
    const m = machine({ hda: disk() });
    enable(m);
    prd(m, [[0x10000, 512]]);
    ata(m, 0xc8, 5, 1);
    const saved = JSON.parse(JSON.stringify({ ide: m.devices.board.ide.saveState(), pci: Array.from(m.devices.board.pci.functions.map((f) => Array.from(f.saveConfig()))) }));
    const n = machine({ hda: disk() });
    n.devices.board.pci.functions.forEach((f, i) => f.loadConfig(saved.pci[i]));
    n.devices.board.ide.loadState(saved.ide);
    for (let i = 0; i < 16; i++) n.mem.write(TABLE + i, 1, m.mem.read(TABLE + i, 1));
    assert.equal(n.bus.inPort(0x3f6, 1), 0x58);
    assert.equal(n.bus.inPort(BM + 4, 4), TABLE);
    n.bus.outPort(BM, 1, 0x09);
    assert.equal(n.mem.read(0x10000, 1), 0x50);
    assert.equal(bmStatus(n), INTR);
  });
});

describe('PIIX3 IDE bus master: IDENTIFY and SET FEATURES transfer mode', () => {
  function identify(m: Machine, cmd = 0xec, base = 0x1f0): Uint16Array {
    m.bus.outPort(base + 6, 1, 0xa0);
    m.bus.outPort(base + 7, 1, cmd);
    const w = new Uint16Array(256);
    for (let i = 0; i < 256; i++) w[i] = m.bus.inPort(base, 2);
    return w;
  }

  it('the disk reports QEMU\'s DMA words; SET FEATURES 03h selects MWDMA2 (Linux\'s choice on PIIX3) and rejects unknown classes', () => {
    const m = machine({ hda: disk() });
    let w = identify(m);
    assert.deepEqual([w[49], w[52], w[53], w[62], w[63], w[88]], [0x0b00, 0x200, 7, 7, 7, 0x203f]);
    m.bus.outPort(0x1f1, 1, 0x03);
    m.bus.outPort(0x1f2, 1, 0x22); // MWDMA mode 2
    m.bus.outPort(0x1f7, 1, 0xef);
    assert.equal(m.bus.inPort(0x1f7, 1), 0x50);
    w = identify(m);
    assert.deepEqual([w[62], w[63], w[88]], [7, 0x407, 0x3f]);
    m.bus.outPort(0x1f1, 1, 0x03);
    m.bus.outPort(0x1f2, 1, 0x30); // class 6: none
    m.bus.outPort(0x1f7, 1, 0xef);
    assert.equal(m.bus.inPort(0x1f7, 1) & 1, 1, 'aborted');
    m.devices.board.ide.reset();
    w = identify(m);
    assert.equal(w[63], 0x407, 'the selected mode outlives a reset, as QEMU\'s identify data does');
  });

  it('the CD-ROM reports DMA in IDENTIFY PACKET DEVICE (QEMU USE_DMA_CDROM)', () => {
    const m = machine({ cdrom: DiskImage.fromBytes(new Uint8Array(2048 * 4)) });
    const w = identify(m, 0xa1, 0x170);
    assert.deepEqual([w[49], w[53], w[62], w[63], w[88]], [0x300, 7, 7, 7, 0x203f]);
  });
});

describe('PIIX3 IDE bus master: ATAPI PACKET with DMA', () => {
  const iso = new Uint8Array(20 * 2048).map((_, i) => ((i >> 11) * 16 + (i & 15)) & 0xff);

  function packet(m: Machine, p: number[], feature = 1): void {
    m.bus.outPort(0x176, 1, 0xa0);
    m.bus.outPort(0x171, 1, feature);
    m.bus.outPort(0x174, 1, 0); m.bus.outPort(0x175, 1, 0); // byte count limit 0: fine for DMA
    m.bus.outPort(0x177, 1, 0xa0);
    const b = new Uint8Array(12); b.set(p);
    for (let i = 0; i < 12; i += 2) m.bus.outPort(0x170, 2, b[i] | (b[i + 1] << 8));
  }

  it('READ(10) by DMA: BSY|DRQ until started, then the data, completion (IO+CoD), IRQ 15, ACTIVE clear', () => {
    const m = machine({ cdrom: DiskImage.fromBytes(iso) });
    enable(m);
    m.bus.outPort(BM + 8 + 4, 4, TABLE);
    m.mem.write(TABLE, 4, 0x50000); m.mem.write(TABLE + 4, 4, 0x80000000 | 4096);
    packet(m, [0x28, 0, 0, 0, 0, 7, 0, 0, 2]);
    assert.equal(m.bus.inPort(0x376, 1), 0xd8, 'BSY|DRDY|DRQ|DSC while waiting (QEMU ide_atapi_cmd_read_dma)');
    m.bus.outPort(BM + 8, 1, 0x09);
    assert.deepEqual([m.mem.read(0x50000, 1), m.mem.read(0x50801, 1), m.mem.read(0x50fff, 1)], [0x70, 0x81, 0x8f]);
    assert.equal(m.bus.inPort(0x172, 1), 3, 'interrupt reason: command complete');
    assert.equal(bmStatus(m, 1), INTR);
    assert.equal(slaveIrr(m) & 0x80, 0x80, 'IRQ 15');
    assert.equal(m.bus.inPort(0x177, 1), 0x50);
  });

  it('a table shorter than the data fills what it describes and stops: no interrupt, ACTIVE clear, status unchanged', () => {
    const m = machine({ cdrom: DiskImage.fromBytes(iso) });
    enable(m);
    m.bus.outPort(BM + 8 + 4, 4, TABLE);
    m.mem.write(TABLE, 4, 0x50000); m.mem.write(TABLE + 4, 4, 0x80000000 | 3000);
    packet(m, [0x28, 0, 0, 0, 0, 1, 0, 0, 2]);
    m.bus.outPort(BM + 8, 1, 0x09);
    assert.deepEqual([m.mem.read(0x50000, 1), m.mem.read(0x50bb7, 1), m.mem.read(0x50bb8, 1)], [0x10, 0x27, 0]);
    assert.equal(bmStatus(m, 1), 0);
    assert.equal(slaveIrr(m) & 0x80, 0);
    assert.equal(m.bus.inPort(0x177, 1), 0xd8);
  });

  it('a longer table ends ATAPI DMA with ACTIVE clear (unlike ATA); other replies (INQUIRY) go by DMA too', () => {
    const m = machine({ cdrom: DiskImage.fromBytes(iso) });
    enable(m);
    m.bus.outPort(BM + 8 + 4, 4, TABLE);
    m.mem.write(TABLE, 4, 0x50000); m.mem.write(TABLE + 4, 4, 0x80000000 | 8192);
    packet(m, [0x12, 0, 0, 0, 36]);
    assert.equal(m.bus.inPort(0x376, 1), 0x58, 'DRQ without BSY for a reply');
    m.bus.outPort(BM + 8, 1, 0x09);
    const text = Array.from({ length: 12 }, (_, i) => String.fromCharCode(m.mem.read(0x50010 + i, 1))).join('');
    assert.equal(text, 'QEMU DVD-ROM');
    assert.equal(bmStatus(m, 1), INTR);
  });

  it('the overlapped feature bit aborts the PACKET command', () => {
    const m = machine({ cdrom: DiskImage.fromBytes(iso) });
    m.bus.outPort(0x176, 1, 0xa0);
    m.bus.outPort(0x171, 1, 2);
    m.bus.outPort(0x177, 1, 0xa0);
    assert.equal(m.bus.inPort(0x177, 1) & 1, 1);
    assert.equal(m.bus.inPort(0x171, 1), 0x04);
  });
});
