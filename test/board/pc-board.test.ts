import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { PcBoardOptions } from '../../emulator/board/pc';
import { Block } from '../../emulator/cpu/cpu';
import { setSegment } from '../../emulator/cpu/segments';
import { Seg } from '../../emulator/cpu/state';
import { DiskImage } from '../../emulator/devices/disk-image';
import { Machine } from '../../emulator/machine';

/**
 * The PC board's devices at register level, as firmware and kernels program them: PCI configuration
 * mechanism #1, i440FX PAM shadow RAM over the BIOS ROM, PIIX IDE with an ATA disk (PIO, snapshot writes)
 * and an ATAPI CD-ROM, PIIX4 ACPI PM timer and soft-off.
 */
const ROM = new Uint8Array(256 * 1024).map((_, i) => (i * 7) & 0xff);

function machine(board: PcBoardOptions = {}): Machine {
  return Machine.create({ memoryMB: 16, board: { bios: ROM, ...board } });
}

function cfg(m: Machine, slot: number, fn: number, reg: number): number {
  m.bus.outPort(0xcf8, 4, (0x80000000 | (slot << 11) | (fn << 8) | reg) >>> 0);
  return m.bus.inPort(0xcfc, 4) >>> 0;
}

function cfgWrite(m: Machine, slot: number, fn: number, reg: number, size: number, v: number): void {
  m.bus.outPort(0xcf8, 4, (0x80000000 | (slot << 11) | (fn << 8) | (reg & 0xfc)) >>> 0);
  m.bus.outPort(0xcfc + (reg & 3), size, v);
}

describe('PCI configuration space (mechanism #1)', () => {
  it('lists the i440FX, PIIX3 ISA and IDE, PIIX4 PM, the VGA and the e1000 with QEMU\'s IDs; an absent function reads all ones', () => {
    const m = machine();
    assert.equal(cfg(m, 0, 0, 0), 0x12378086);
    assert.equal(cfg(m, 0, 0, 0x2c), 0x11001af4, 'subsystem: Red Hat, QEMU virtual machine (how SeaBIOS detects QEMU)');
    assert.equal(cfg(m, 1, 0, 0), 0x70008086);
    assert.equal((cfg(m, 1, 0, 0x0c) >>> 16) & 0x80, 0x80, 'PIIX3 is multi-function');
    assert.equal(cfg(m, 1, 1, 0), 0x70108086);
    assert.equal(cfg(m, 1, 3, 0), 0x71138086);
    assert.equal(cfg(m, 2, 0, 0), 0x11111234);
    assert.equal(cfg(m, 3, 0, 0), 0x100e8086);
    assert.equal(cfg(m, 4, 0, 0), 0xffffffff);
    assert.equal(cfg(m, 1, 0, 0x60), 0x80808080, 'PIRQ routes disabled at reset');
  });

  it('a BAR reads back its size mask after all ones are written; read-only header bytes stay', () => {
    const m = machine();
    cfgWrite(m, 2, 0, 0x10, 4, 0xffffffff);
    assert.equal(cfg(m, 2, 0, 0x10), 0xff000008, '16 MiB prefetchable memory BAR');
    cfgWrite(m, 0, 0, 0, 4, 0);
    assert.equal(cfg(m, 0, 0, 0), 0x12378086);
  });
});

describe('i440FX PAM: shadow RAM over the BIOS', () => {
  it('at reset 0xE0000-0xFFFFF reads the last 128 KiB of the ROM and writes are lost; PAM RE/WE switch to RAM', () => {
    const m = machine();
    assert.equal(m.mem.read(0xffff0, 1), ROM[ROM.length - 0x10], 'reset vector alias');
    assert.equal(m.mem.read(0xffff_fff0, 1), ROM[ROM.length - 0x10], 'the flash below 4 GiB');
    assert.equal(m.mem.read(0xe0000, 1), ROM[ROM.length - 0x20000]);
    m.mem.write(0xf0000, 1, 0x55);
    assert.equal(m.mem.read(0xf0000, 1), ROM[ROM.length - 0x10000], 'a write to the ROM changes nothing');
    cfgWrite(m, 0, 0, 0x59, 1, 0x30); // PAM0: F0000-FFFFF read/write DRAM
    assert.equal(m.mem.read(0xf0000, 1), 0, 'DRAM under the ROM');
    m.mem.write(0xf0000, 1, 0x55);
    assert.equal(m.mem.read(0xf0000, 1), 0x55);
    cfgWrite(m, 0, 0, 0x59, 1, 0x10); // read-only DRAM
    m.mem.write(0xf0000, 1, 0xaa);
    assert.equal(m.mem.read(0xf0000, 1), 0x55, 'write-protected shadow');
    assert.equal(m.mem.read(0xe0000, 1), ROM[ROM.length - 0x20000], 'PAM5 still routes 0xE0000 to the ROM');
  });

  it('a PAM change drops the decoded code only where reads changed: not elsewhere, not for a write-protect', () => {
    const m = machine();
    cfgWrite(m, 0, 0, 0x59, 1, 0x30); // PAM0: F0000-FFFFF read/write DRAM
    m.mem.write(0xf0000, 4, 0xf411b0); // mov al, 0x11 ; hlt
    m.mem.write(0x1000, 4, 0xf422b3); // mov bl, 0x22 ; hlt
    const c = m.cpu;
    const runAt = (seg: number, ip: number): void => {
      setSegment(c, Seg.CS, seg, seg * 16, 0xffff, c.segAttr[Seg.CS]);
      c.rip = ip;
      c.halted = false;
      c.run(10);
    };
    runAt(0xf000, 0);
    runAt(0, 0x1000);
    assert.equal(c.r[0] & 0xff, 0x11);
    assert.equal(c.r[6] & 0xff, 0x22);
    const blocks = (c as unknown as { blocks: Map<number, Block> }).blocks;
    const shadow = blocks.get(0xf0000 * 4)!, low = blocks.get(0x1000 * 4)!;
    assert.ok(shadow?.valid && low?.valid, 'both decoded (16-bit code)');
    cfgWrite(m, 0, 0, 0x59, 1, 0x10); // read-only DRAM: reads find the same bytes
    assert.ok(shadow.valid && blocks.get(0xf0000 * 4) === shadow, 'write-protecting the shadow keeps its code');
    cfgWrite(m, 0, 0, 0x59, 1, 0x00); // reads go to the ROM
    assert.equal(shadow.valid, false, 'the shadow\'s code is dropped when its reads go to the ROM');
    assert.equal(blocks.has(0xf0000 * 4), false);
    assert.ok(low.valid && blocks.get(0x1000 * 4) === low, 'code outside the changed segment keeps its decoding');
    cfgWrite(m, 0, 0, 0x59, 1, 0x30);
    m.mem.write(0xf0000, 1, 0xb3); // mov bl, 0x11 ; hlt: decoded afresh from shadow RAM
    runAt(0xf000, 0);
    assert.equal(c.r[6] & 0xff, 0x11);
  });

  it('without firmware the BIOS area is plain RAM', () => {
    const m = Machine.create({ memoryMB: 16 });
    m.mem.write(0xf0000, 4, 0x12345678);
    assert.equal(m.mem.read(0xf0000, 4), 0x12345678);
  });
});

/** Issue an ATA command on the primary channel with LBA28 addressing. */
function ata(m: Machine, cmd: number, lba: number, count: number, drive = 0): void {
  m.bus.outPort(0x1f6, 1, 0xe0 | (drive << 4) | ((lba >>> 24) & 0xf));
  m.bus.outPort(0x1f2, 1, count);
  m.bus.outPort(0x1f3, 1, lba & 0xff);
  m.bus.outPort(0x1f4, 1, (lba >>> 8) & 0xff);
  m.bus.outPort(0x1f5, 1, (lba >>> 16) & 0xff);
  m.bus.outPort(0x1f7, 1, cmd);
}

function readWords(m: Machine, port: number, n: number): Uint8Array {
  const out = new Uint8Array(2 * n);
  for (let i = 0; i < n; i++) { const w = m.bus.inPort(port, 2); out[2 * i] = w & 0xff; out[2 * i + 1] = w >>> 8; }
  return out;
}

describe('IDE: ATA disk and ATAPI CD-ROM', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-ide-'));
  const image = path.join(tmp, 'disk.img');
  const bytes = new Uint8Array(64 * 512).map((_, i) => (i >> 9) & 0xff);

  it('IDENTIFY DEVICE reports QEMU HARDDISK, LBA and the sector count', () => {
    fs.writeFileSync(image, bytes);
    const m = machine({ hda: DiskImage.open(image) });
    ata(m, 0xec, 0, 0);
    assert.equal(m.bus.inPort(0x1f7, 1) & 0x08, 0x08, 'DRQ');
    const id = readWords(m, 0x1f0, 256);
    const model = String.fromCharCode(...Array.from({ length: 40 }, (_, i) => id[54 + (i ^ 1)])).trim();
    assert.equal(model, 'QEMU HARDDISK');
    assert.equal(id[120] | (id[121] << 8), 64, 'LBA28 sector count (words 60-61)');
    assert.equal(m.bus.inPort(0x1f7, 1), 0x50, 'DRDY|DSC, no DRQ after the last word');
  });

  it('WRITE SECTORS then READ SECTORS return the data; the image file is untouched (snapshot) unless written through', () => {
    for (const writeThrough of [false, true]) {
      fs.writeFileSync(image, bytes);
      const m = machine({ hda: DiskImage.open(image, { writeThrough }) });
      ata(m, 0x30, 5, 2);
      for (let i = 0; i < 512; i++) m.bus.outPort(0x1f0, 2, 0xbeef);
      assert.equal(m.bus.inPort(0x1f7, 1), 0x50, 'both sectors taken');
      ata(m, 0x20, 4, 3);
      const data = readWords(m, 0x1f0, 768);
      assert.deepEqual([data[0], data[512], data[513], data[1024], data[1535]], [4, 0xef, 0xbe, 0xef, 0xbe]);
      const file = fs.readFileSync(image);
      assert.equal(file[5 * 512], writeThrough ? 0xef : 5, writeThrough ? 'written through to the file' : 'the image file is not written');
    }
  });

  it('a read past the end of the disk ends with ERR and ID NOT FOUND', () => {
    fs.writeFileSync(image, bytes);
    const m = machine({ hda: DiskImage.open(image) });
    ata(m, 0x20, 64, 1);
    assert.equal(m.bus.inPort(0x1f7, 1) & 0x09, 0x01, 'ERR, no DRQ');
    assert.equal(m.bus.inPort(0x1f1, 1), 0x10);
  });

  it('a PIO read or write that runs past the end moves the blocks before it, then stops with ID NOT FOUND at the first block past it (as QEMU)', () => {
    fs.writeFileSync(image, bytes);
    const m = machine({ hda: DiskImage.open(image) });
    const tf = () => [2, 3, 4, 5].map((r) => m.bus.inPort(0x1f0 + r, 1));
    ata(m, 0x20, 62, 4); // sectors 62, 63 exist; 64, 65 do not
    for (const sector of [62, 63]) {
      assert.equal(m.bus.inPort(0x1f7, 1), 0x58, `DRQ for sector ${sector}`);
      assert.equal(readWords(m, 0x1f0, 256)[0], sector);
    }
    assert.equal(m.bus.inPort(0x1f7, 1), 0x51, 'DRDY|DSC|ERR after the last sector the disk has');
    assert.equal(m.bus.inPort(0x1f1, 1), 0x10, 'ID NOT FOUND');
    assert.deepEqual(tf(), [2, 64, 0, 0], 'count left 2, LBA 64: the first sector that could not be read');
    ata(m, 0x30, 63, 2);
    for (let i = 0; i < 256; i++) m.bus.outPort(0x1f0, 2, 0xa55a);
    assert.equal(m.bus.inPort(0x1f7, 1), 0x58, 'sector 63 written, DRQ for 64');
    for (let i = 0; i < 256; i++) m.bus.outPort(0x1f0, 2, 0xa55a);
    assert.equal(m.bus.inPort(0x1f7, 1), 0x51);
    assert.deepEqual(tf(), [1, 64, 0, 0]);
    ata(m, 0x20, 63, 1);
    assert.equal(readWords(m, 0x1f0, 1)[0], 0x5a, 'sector 63 holds what was written');
  });

  it('after a reset an absent slave reads its own signature (1, 1, FFh, FFh) in each register until it is written, as QEMU\'s per-drive copies', () => {
    const m = machine({ hda: DiskImage.fromBytes(bytes) });
    m.devices.board.ide.reset();
    const regs = () => [2, 3, 4, 5].map((r) => m.bus.inPort(0x1f0 + r, 1));
    assert.deepEqual(regs(), [1, 1, 0, 0], 'the master: the ATA signature');
    m.bus.outPort(0x1f6, 1, 0xb0);
    assert.deepEqual(regs(), [1, 1, 0xff, 0xff], 'the absent slave (Linux: "found unknown device (class 0)")');
    m.bus.outPort(0x1f2, 1, 0x55);
    m.bus.outPort(0x1f3, 1, 0xaa);
    assert.deepEqual(regs(), [0x55, 0xaa, 0xff, 0xff], 'written registers reach both copies (how probes find a drive)');
    assert.equal(m.bus.inPort(0x1f7, 1), 0, 'no status from an absent slave');
    m.bus.outPort(0x1f6, 1, 0xa0);
    assert.deepEqual(regs(), [0x55, 0xaa, 0, 0]);
  });

  it('the CD-ROM answers IDENTIFY DEVICE with the ATAPI signature and TEST UNIT READY without a medium with NOT READY / MEDIUM NOT PRESENT', () => {
    const m = machine();
    m.bus.outPort(0x176, 1, 0xa0);
    m.bus.outPort(0x177, 1, 0xec);
    assert.equal(m.bus.inPort(0x177, 1) & 1, 1, 'aborted');
    assert.deepEqual([m.bus.inPort(0x174, 1), m.bus.inPort(0x175, 1)], [0x14, 0xeb]);
    const packet = (p: number[], limit = 0xfffe) => {
      m.bus.outPort(0x174, 1, limit & 0xff); m.bus.outPort(0x175, 1, limit >>> 8);
      m.bus.outPort(0x177, 1, 0xa0);
      const b = new Uint8Array(12); b.set(p);
      for (let i = 0; i < 12; i += 2) m.bus.outPort(0x170, 2, b[i] | (b[i + 1] << 8));
    };
    packet([0x00]);
    assert.equal(m.bus.inPort(0x177, 1) & 1, 1, 'CHECK CONDITION');
    assert.equal(m.bus.inPort(0x171, 1) >>> 4, 2, 'sense key NOT READY');
    packet([0x03, 0, 0, 0, 18]);
    const sense = readWords(m, 0x170, 9);
    assert.deepEqual([sense[2], sense[12]], [2, 0x3a]);
  });

  it('READ CAPACITY and READ(10) of a medium, in DRQ blocks no larger than the byte count limit', () => {
    const iso = new Uint8Array(20 * 2048).map((_, i) => (i >> 11) & 0xff);
    const m = machine({ cdrom: DiskImage.fromBytes(iso) });
    const packet = (p: number[], limit: number) => {
      m.bus.outPort(0x176, 1, 0xa0);
      m.bus.outPort(0x174, 1, limit & 0xff); m.bus.outPort(0x175, 1, limit >>> 8);
      m.bus.outPort(0x177, 1, 0xa0);
      const b = new Uint8Array(12); b.set(p);
      for (let i = 0; i < 12; i += 2) m.bus.outPort(0x170, 2, b[i] | (b[i + 1] << 8));
    };
    packet([0x25], 8);
    assert.deepEqual([...readWords(m, 0x170, 4)], [0, 0, 0, 19, 0, 0, 8, 0]);
    packet([0x28, 0, 0, 0, 0, 3, 0, 0, 2], 2048);
    for (const sector of [3, 4]) {
      assert.equal(m.bus.inPort(0x174, 1) | (m.bus.inPort(0x175, 1) << 8), 2048, 'block size');
      assert.equal(m.bus.inPort(0x172, 1), 2, 'interrupt reason: data to the host');
      assert.equal(readWords(m, 0x170, 1024)[100], sector);
    }
    assert.equal(m.bus.inPort(0x172, 1), 3, 'interrupt reason: command complete');
    assert.equal(m.bus.inPort(0x177, 1), 0x50);
  });
});

describe('PIIX4 ACPI power management', () => {
  it('the PM timer counts 3.579545 MHz of virtual time once firmware has placed PMBA; SLP_EN with SLP_TYP 0 powers off', () => {
    const m = machine();
    cfgWrite(m, 1, 3, 0x40, 4, 0x601);
    cfgWrite(m, 1, 3, 0x80, 1, 1);
    const t0 = m.bus.inPort(0x608, 4);
    m.clock.instructions += 1_000_000_000; // one virtual second
    const t1 = m.bus.inPort(0x608, 4);
    assert.equal((t1 - t0) & 0xffffff, 3_579_545);
    m.bus.outPort(0x604, 2, 0x2000); // SLP_EN, SLP_TYP = 0 (S5 in QEMU's DSDT)
    assert.deepEqual(m.run(10), { reason: 'exit', exitCode: 0, powerOff: true }, 'powered off: QEMU exits with status 0');
  });

  it('the PM block\'s ports beyond PM1 event, PM1 control and the timer read all ones, as under QEMU 7.2 (GRUB\'s inb/inw)', () => {
    const m = machine();
    cfgWrite(m, 1, 3, 0x40, 4, 0x601);
    cfgWrite(m, 1, 3, 0x80, 1, 1);
    for (const off of [6, 7, 0x0c, 0x0e, 0x10, 0x18, 0x1c, 0x20, 0x28, 0x2c, 0x30, 0x34, 0x3f]) {
      assert.equal(m.bus.inPort(0x600 + off, 1), 0xff, `PMBA + 0x${off.toString(16)}`);
    }
    assert.equal(m.bus.inPort(0x606, 2), 0xffff);
    assert.equal(m.bus.inPort(0x604, 4), 0, 'PM1 control read as a dword: the control word and zeros');
    assert.equal(m.bus.inPort(0x605, 1), 0);
  });
});
