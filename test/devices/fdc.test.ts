import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { VirtualClock } from '../../emulator/clock';
import { IoBus } from '../../emulator/devices/bus';
import { DiskImage } from '../../emulator/devices/disk-image';
import { Fdc } from '../../emulator/devices/fdc';
import { cmosFloppyType, FloppyDrive, floppyGeometry } from '../../emulator/devices/floppy-drive';
import { IsaDma } from '../../emulator/devices/isa-dma';
import { PhysicalMemory } from '../../emulator/memory/phys';
import { BootError } from '../../emulator/boot/errors';
import { checkBootable, openFloppy } from '../../emulator/firmware/boot-media';
import { IrqRecorder, makePc, runTo } from './harness';

/**
 * The floppy controller (emulator/devices/fdc.ts) as a driver sees it through its ports: MSR sequencing through
 * the command, execution and result phases, the reset interrupt and its four SENSE INTERRUPT STATUS, seeks, DMA
 * and non-DMA transfers with the 8237 (isa-dma.ts), READ ID's timer, the data rate check, writes that never
 * reach the image file. Expected values are QEMU 7.2's (hw/block/fdc.c); the guest-level comparison with QEMU
 * is fixtures/src/floppy (test/board/firmware-boot.test.ts).
 */
const FLOPPY_144 = 1474560;
const MSR = 0x3f4;
const FIFO = 0x3f5;

/** A 1.44 MB image whose sector n starts with "S" and n (16-bit), then n & 0xff. */
function image(size = FLOPPY_144): Uint8Array {
  const b = new Uint8Array(size);
  for (let s = 0; s < size / 512; s++) {
    b[s * 512] = 0x53;
    b[s * 512 + 1] = s & 0xff;
    b[s * 512 + 2] = s >> 8;
    b.fill(s & 0xff, s * 512 + 3, (s + 1) * 512);
  }
  return b;
}

function rig(bytes: Uint8Array | null = image(), emptyType?: '144' | '288') {
  const bus = new IoBus();
  const clock = new VirtualClock();
  const phys = new PhysicalMemory(16 << 20, bus);
  const irq = new IrqRecorder(clock);
  const dma = new IsaDma(phys);
  dma.attach(bus);
  const img = bytes ? DiskImage.fromBytes(bytes, 'test.img') : undefined;
  const fdc = new Fdc(irq, dma, clock, { fda: img ? new FloppyDrive(img) : emptyType ? new FloppyDrive(undefined, emptyType) : undefined });
  fdc.attach(bus);
  const outb = (p: number, v: number) => bus.outPort(p, 1, v);
  const inb = (p: number) => bus.inPort(p, 1);
  const send = (...b: number[]) => {
    for (const v of b) {
      assert.equal(inb(MSR) & 0xc0, 0x80, `MSR ready for byte 0x${v.toString(16)}`);
      outb(FIFO, v);
    }
  };
  const results = (n: number) => {
    const r: number[] = [];
    for (let i = 0; i < n; i++) {
      assert.equal(inb(MSR) & 0xc0, 0xc0, `MSR has result byte ${i}`);
      r.push(inb(FIFO));
    }
    return r;
  };
  const irq6 = () => irq.levels[6];
  /** DOR reset and the four SENSE INTERRUPT STATUS a driver reads after it. */
  const resetAndSense = () => {
    outb(0x3f2, 0x00);
    outb(0x3f2, 0x1c);
    for (let i = 0; i < 4; i++) { send(0x08); results(2); }
  };
  const dmaRead = (addr: number, count: number) => {
    outb(0x0a, 0x06); outb(0x0c, 0); outb(0x0b, 0x46);
    outb(0x04, addr & 0xff); outb(0x04, (addr >> 8) & 0xff);
    outb(0x05, count & 0xff); outb(0x05, count >> 8);
    outb(0x81, addr >> 16); outb(0x0a, 0x02);
  };
  return { bus, clock, phys, irq, dma, fdc, img, outb, inb, send, results, irq6, resetAndSense, dmaRead };
}

describe('82078 floppy controller (QEMU pc: 0x3F0, IRQ 6, DMA 2)', () => {
  it('MSR through the phases: command bytes (RQM, CMDBUSY), result (RQM|DIO), back to command', () => {
    const r = rig();
    assert.equal(r.inb(MSR), 0x80, 'idle: RQM');
    r.outb(FIFO, 0x10); // VERSION: no parameters
    assert.equal(r.inb(MSR), 0xd0, 'result phase: RQM | DIO | CMDBUSY');
    assert.equal(r.inb(FIFO), 0x90, 'an 82078');
    assert.equal(r.inb(MSR), 0x80);
    r.outb(FIFO, 0x0f); // SEEK: 2 parameters
    assert.equal(r.inb(MSR), 0x90, 'parameters expected: RQM | CMDBUSY');
    r.outb(FIFO, 0x00);
    assert.equal(r.inb(MSR), 0x90);
    r.outb(FIFO, 0x05);
    assert.equal(r.inb(MSR), 0x80, 'SEEK has no result phase');
    assert.equal(r.irq6(), true, 'SEEK ends with IRQ 6');
    r.send(0x08);
    assert.deepEqual(r.results(2), [0x20, 5], 'SENSE INTERRUPT: seek end, PCN 5');
    assert.equal(r.irq6(), false, 'reading the result lowered IRQ 6');
    r.outb(FIFO, 0x10);
    r.outb(FIFO, 0x10); // written during the result phase: ignored (DIO = 1)
    assert.deepEqual(r.results(1), [0x90]);
    assert.equal(r.inb(FIFO), 0, 'reading in the command phase gives 0');
  });

  it('a DOR reset raises IRQ 6 and the next four SENSE INTERRUPT STATUS give ST0 0xC0-0xC3, as QEMU', () => {
    const r = rig();
    r.outb(0x3f2, 0x00);
    assert.equal(r.irq6(), false, 'held in reset');
    r.outb(FIFO, 0x10);
    // (Reading the MSR would take the controller out of reset without a reset, as QEMU does; look inside.)
    assert.equal(r.fdc.msr & 0x10, 0, 'FIFO writes are ignored in reset');
    r.outb(0x3f2, 0x0c);
    assert.equal(r.irq6(), true, 'leaving reset interrupts');
    const st0: number[] = [];
    for (let i = 0; i < 4; i++) {
      r.send(0x08);
      const [s, pcn] = r.results(2);
      st0.push(s);
      assert.equal(pcn, 0);
    }
    assert.deepEqual(st0, [0xc0, 0xc1, 0xc2, 0xc3]);
    assert.equal(r.irq6(), false);
    r.send(0x08);
    assert.deepEqual(r.results(1), [0x80], 'a fifth with no interrupt pending: invalid command, one byte');
    assert.equal(r.inb(MSR), 0x80);
  });

  it('a DSR software reset does the same and the DSR bit clears itself', () => {
    const r = rig();
    r.outb(0x3f4, 0x80);
    assert.equal(r.irq6(), true);
    r.send(0x08);
    assert.deepEqual(r.results(2), [0xc0, 0]);
    assert.equal(r.fdc.dor & 0x04, 0x04, 'out of reset again');
  });

  it('RECALIBRATE, SEEK, SENSE DRIVE STATUS and the disk-change line', () => {
    const r = rig();
    r.resetAndSense();
    assert.equal(r.inb(0x3f7) & 0x80, 0x80, 'DIR: the disk changed (inserted) until a seek moves the head');
    r.send(0x0f, 0x00, 40);
    r.send(0x08);
    assert.deepEqual(r.results(2), [0x20, 40]);
    assert.equal(r.inb(0x3f7) & 0x80, 0, 'the seek cleared the change line');
    r.send(0x04, 0x04); // head 1
    assert.deepEqual(r.results(1), [0x2c], 'ST3: ready, two-sided, head 1, not track 0');
    r.send(0x07, 0x00);
    r.send(0x08);
    assert.deepEqual(r.results(2), [0x20, 0]);
    r.send(0x04, 0x00);
    assert.deepEqual(r.results(1), [0x38], 'ST3 at track 0');
  });

  it('READ DATA with DMA: one sector per 512 bytes of DMA count; the terminal count ends the command', () => {
    const r = rig();
    r.resetAndSense();
    r.dmaRead(0x30000, 1023); // two sectors
    // MT read from C1 H1 S17 to EOT 18: continues on C2 H0 S1... but the DMA count stops it after two sectors.
    r.send(0xc6, 0x04, 1, 1, 17, 2, 18, 0x1b, 0xff);
    assert.equal(r.irq6(), true);
    const lba = (c: number, h: number, s: number) => (c * 2 + h) * 18 + s - 1;
    assert.deepEqual([r.phys.read8(0x30000), r.phys.read(0x30001, 2)], [0x53, lba(1, 1, 17)]);
    assert.deepEqual([r.phys.read8(0x30200), r.phys.read(0x30201, 2)], [0x53, lba(1, 1, 18)]);
    assert.equal(r.phys.read8(0x30400), 0, 'nothing past the DMA count');
    // ST0 (seek end: the head moved on to cylinder 2), ST1, ST2, then the next sector: C2 H0 R1 (MT: past the
    // end of head 1), as the 82078's result table gives it for a transfer ending at EOT.
    assert.deepEqual(r.results(7), [0x20, 0, 0, 2, 0, 1, 2]);
    assert.equal(r.irq6(), false);
    assert.equal(r.inb(0x08) & 0x04, 0x04, 'the 8237 shows TC on channel 2');
  });

  it('a masked DMA channel holds the transfer (MSR without RQM) until the driver unmasks it', () => {
    const r = rig();
    r.resetAndSense();
    r.dmaRead(0x40000, 511);
    r.outb(0x0a, 0x06); // mask again
    r.send(0x46, 0x00, 0, 0, 1, 2, 1, 0x1b, 0xff);
    assert.equal(r.inb(MSR), 0x10, 'execution phase: CMDBUSY, no RQM');
    assert.equal(r.irq6(), false);
    r.outb(0x0a, 0x02);
    assert.equal(r.irq6(), true);
    assert.equal(r.phys.read8(0x40000), 0x53);
    assert.deepEqual(r.results(7), [0x20, 0, 0, 1, 0, 1, 2], 'EOT reached without MT: C + 1, R 1');
  });

  it('a data rate that is not the medium\'s fails with "missing address mark" (how BIOSes probe the rate)', () => {
    const r = rig();
    r.resetAndSense();
    r.outb(0x3f7, 0x02); // CCR: 250 kbit/s, a 720 KB diskette's
    r.dmaRead(0x40000, 511);
    r.send(0x46, 0x00, 0, 0, 1, 2, 18, 0x1b, 0xff);
    assert.deepEqual(r.results(7), [0x40, 0x01, 0, 0, 0, 1, 2]);
    assert.equal(r.phys.read8(0x40000), 0);
  });

  it('READ ID answers 20 ms of virtual time later; MSR shows only CMDBUSY meanwhile (stable for a polling CPU)', () => {
    const r = rig();
    r.resetAndSense();
    const t0 = r.clock.instructions;
    assert.equal(r.bus.portStableUntil(MSR, t0), Infinity, 'idle: only the guest changes the MSR');
    r.send(0x4a, 0x00);
    assert.equal(r.inb(MSR), 0x10);
    assert.equal(r.bus.portStableUntil(MSR, t0), t0 + 20_000_000, 'a poll loop on the MSR may be skipped up to the result');
    assert.equal(r.bus.portStableUntil(FIFO, t0), t0, 'the FIFO is not a pollable port');
    runTo(r.clock, t0 + 19_999_999);
    assert.equal(r.irq6(), false);
    runTo(r.clock, t0 + 20_000_000);
    assert.equal(r.irq6(), true);
    assert.deepEqual(r.results(7).slice(0, 3), [0x00, 0, 0]);
  });

  it('non-DMA READ DATA: bytes from the FIFO with MSR.NONDMA, then the result', () => {
    const r = rig();
    r.resetAndSense();
    r.send(0x03, 0xdf, 0x03); // SPECIFY, ND = 1
    r.send(0x46, 0x00, 0, 1, 3, 2, 3, 0x1b, 0xff);
    assert.equal(r.inb(MSR), 0xf0, 'RQM | DIO | NONDMA | CMDBUSY');
    assert.equal(r.irq6(), true, 'an interrupt for the data');
    const data: number[] = [];
    for (let i = 0; i < 512; i++) data.push(r.inb(FIFO));
    assert.deepEqual(data.slice(0, 3), [0x53, 20, 0], 'C0 H1 S3 is LBA 20');
    assert.equal(r.inb(MSR), 0xd0, 'result phase');
    assert.deepEqual(r.results(7), [0x04, 0, 0, 0, 1, 3, 2]);
  });

  it('non-DMA WRITE DATA of a track\'s last sector ends with its result (82078; QEMU never leaves the execution phase)', () => {
    const r = rig();
    r.resetAndSense();
    r.send(0x03, 0xdf, 0x03); // SPECIFY, ND = 1
    r.send(0x45, 0x00, 0, 0, 18, 2, 18, 0x1b, 0xff);
    assert.equal(r.inb(MSR), 0xb0, 'RQM | NONDMA | CMDBUSY: the host writes the data');
    for (let i = 0; i < 512; i++) r.outb(FIFO, 0x5a);
    assert.equal(r.inb(MSR), 0xd0, 'result phase');
    assert.deepEqual(r.results(7), [0x20, 0, 0, 1, 0, 1, 2]);
    assert.equal(r.img!.read(17 * 512, 512)[100], 0x5a);
  });

  it('WRITE DATA with DMA reaches the image overlay, never the bytes behind it', () => {
    const bytes = image();
    const r = rig(bytes);
    r.resetAndSense();
    r.phys.load(0x50000, new Uint8Array(512).fill(0xa5));
    r.outb(0x0a, 0x06); r.outb(0x0c, 0); r.outb(0x0b, 0x4a); // read from memory
    r.outb(0x04, 0); r.outb(0x04, 0); r.outb(0x05, 0xff); r.outb(0x05, 0x01); r.outb(0x81, 0x05); r.outb(0x0a, 0x02);
    r.send(0x45, 0x00, 0, 0, 2, 2, 2, 0x1b, 0xff);
    assert.deepEqual(r.results(7), [0x20, 0, 0, 1, 0, 1, 2]);
    assert.equal(r.img!.read(512, 512)[0], 0xa5, 'the guest reads its write back');
    assert.equal(bytes[512], 0x53, 'the image bytes are unchanged (qemu -snapshot)');
    const saved = JSON.parse(JSON.stringify(r.fdc.saveState()));
    const r2 = rig(image());
    r2.fdc.loadState(saved);
    assert.equal(r2.img!.read(512, 512)[5], 0xa5, 'the overlay is part of the snapshot');
  });

  it('FORMAT TRACK ends at once as in QEMU (nothing written, the sectors per track become the command\'s); VERIFY moves no data; deleted data is refused', () => {
    const r = rig();
    r.resetAndSense();
    r.send(0x4d, 0x00, 2, 9, 0x54, 0xf6); // FORMAT TRACK: N 2, 9 sectors, gap, filler
    assert.equal(r.irq6(), true);
    assert.deepEqual(r.results(7).slice(0, 3), [0x00, 0, 0]);
    r.send(0x0e);
    assert.equal(r.results(10)[6], 9, 'DUMPREG: 9 sectors per track now');
    assert.equal(r.img!.read(0, 512)[0], 0x53, 'the diskette is unchanged');
    const fresh = rig();
    fresh.resetAndSense();
    fresh.dmaRead(0x60000, 1023);
    fresh.send(0x56, 0x00, 0, 0, 1, 2, 2, 0x1b, 0xff); // VERIFY sectors 1-2
    assert.deepEqual(fresh.results(7), [0x20, 0, 0, 1, 0, 1, 2]);
    assert.equal(fresh.phys.read8(0x60000), 0, 'VERIFY transfers nothing to memory');
    fresh.send(0x4c, 0x00, 0, 0, 1, 2, 18, 0x1b, 0xff); // READ DELETED DATA
    assert.equal(fresh.results(7)[0], 0x60, 'abnormal termination + seek end, as QEMU (deleted data is not implemented)');
  });

  it('CONFIGURE, LOCK, DUMPREG, PERPENDICULAR MODE and invalid commands', () => {
    const r = rig();
    r.send(0x13, 0x00, 0x57, 0x05); // CONFIGURE
    r.send(0x94); // LOCK on
    assert.deepEqual(r.results(1), [0x10]);
    r.send(0x12, 0x83); // PERPENDICULAR: 2.88 MB on drive 0
    r.send(0x03, 0xaf, 0x02);
    r.send(0x0e);
    assert.deepEqual(r.results(10), [0, 0, 0, 0, 0x0a, 0x03, 18, 0x80 | (3 << 2), 0x57, 0x05]);
    r.send(0xff);
    assert.deepEqual(r.results(1), [0x80]);
    r.send(0x18); // PART ID
    assert.deepEqual(r.results(1), [0x41]);
  });

  it('no drive connected (no --fda): transfers end abnormally and SEEK finds no track to step to, as QEMU', () => {
    const r = rig(null);
    r.resetAndSense();
    r.dmaRead(0x40000, 511);
    r.send(0x46, 0x00, 0, 0, 1, 2, 18, 0x1b, 0xff);
    assert.equal(r.results(7)[0] & 0xc0, 0x40);
    assert.equal(r.fdc.sra & 0x40, 0x40, 'SRA: no second drive (QEMU maps no port 0x3F0, so only DUMPREG-style state shows it)');
    r.send(0x0f, 0x00, 3);
    r.send(0x08);
    assert.deepEqual(r.results(2), [0x20, 0], 'QEMU: a drive without a block device has no tracks (max_track 0)');
  });

  it('an empty drive (QEMU\'s default drive A: without -fda): seeks reach any track, a READ ends with ST1 0, as QEMU\'s fd_empty_seek_hack', () => {
    const r = rig(null, '288');
    r.resetAndSense();
    r.dmaRead(0x40000, 511);
    r.send(0x46, 0x00, 0, 0, 1, 2, 18, 0x1b, 0xff);
    // SeaBIOS booting QEMU 7.2's empty drive A: logs "floppy error: 40 00 00 00 00 01 02"
    assert.deepEqual(r.results(7), [0x40, 0x00, 0x00, 0, 0, 1, 2]);
    r.send(0x0f, 0x00, 3);
    r.send(0x08);
    assert.deepEqual(r.results(2), [0x20, 3]);
    r.send(0x04, 0x00); // SENSE DRIVE STATUS: write-protected (no diskette), ready, two-sided, as QEMU's 0x68 at track 0
    assert.equal(r.results(1)[0], 0x28 | 0x40);
  });

  it('a READ ID in flight survives a snapshot: the restored controller answers at the same instruction', () => {
    const a = rig();
    a.resetAndSense();
    a.send(0x4a, 0x00);
    const at = a.clock.instructions + 20_000_000;
    const saved = JSON.parse(JSON.stringify(a.fdc.saveState()));
    const b = rig();
    b.fdc.loadState(saved);
    runTo(b.clock, at - 1);
    assert.equal(b.irq6(), false);
    runTo(b.clock, at);
    assert.equal(b.irq6(), true);
  });
});

describe('floppy images and the board', () => {
  it("geometry from the image size as QEMU's fd_formats, CMOS drive types", () => {
    const g = (kib: number) => floppyGeometry(kib * 1024)!;
    assert.deepEqual([g(1440).sectors, g(1440).tracks, g(1440).maxHead, g(1440).drive], [18, 80, 1, '144']);
    assert.deepEqual([g(2880).sectors, g(2880).drive], [36, '288']);
    assert.deepEqual([g(720).sectors, g(720).tracks, g(720).drive], [9, 80, '144']);
    assert.deepEqual([g(1200).sectors, g(1200).drive], [15, '120']);
    assert.deepEqual([g(360).sectors, g(360).tracks, g(360).drive], [9, 40, '120']);
    // No format's size (QEMU's pick_geometry case 3): the first format of the fallback drive type, 2.88 MB.
    for (const bytes of [512, 1024, 5000, 1474560 + 512, 1000 * 1024]) {
      assert.deepEqual([floppyGeometry(bytes).sectors, floppyGeometry(bytes).tracks, floppyGeometry(bytes).drive], [36, 80, '288'], `${bytes} bytes`);
    }
    assert.deepEqual(['144', '288', '120', undefined].map((t) => cmosFloppyType(t as never)), [4, 5, 2, 0]);
  });

  it('CMOS 0x10 and the equipment byte 0x14 as QEMU sets them: an empty drive A: by default, a diskette\'s type with -fda, none with -nodefaults', () => {
    const cmos = (pc: ReturnType<typeof makePc>, i: number) => { pc.outb(0x70, i); return pc.inb(0x71); };
    // QEMU's default drive A: without a diskette: a 2.88 MB drive (type 5), one drive in the equipment byte.
    const empty = makePc();
    assert.deepEqual([cmos(empty, 0x10), cmos(empty, 0x14)], [0x50, 0x07]);
    const without = makePc({ board: { floppyDrive: false } });
    assert.deepEqual([cmos(without, 0x10), cmos(without, 0x14)], [0x00, 0x06]);
    const nodefaults = makePc({ board: { nodefaults: true } });
    assert.deepEqual([cmos(nodefaults, 0x10), cmos(nodefaults, 0x14)], [0x00, 0x06]);
    const withFda = makePc({ board: { fda: DiskImage.fromBytes(image()) } });
    assert.deepEqual([cmos(withFda, 0x10), cmos(withFda, 0x14)], [0x40, 0x07]);
    assert.equal(withFda.inb(0x3f4), 0x80, 'the FDC answers on the board');
  });

  it('a missing image, or one without a boot signature, is one sentence; an image of any other size is taken, as QEMU takes it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-'));
    const odd = path.join(dir, 'odd.img');
    fs.writeFileSync(odd, new Uint8Array(1000 * 1024));
    const o = openFloppy(odd);
    const drive = new FloppyDrive(o);
    assert.equal(drive.type, '288', 'the fallback drive type');
    assert.deepEqual([drive.lastSect, drive.maxTrack, drive.doubleSided], [36, 80, true]);
    o.close();
    assert.throws(() => openFloppy(path.join(dir, 'missing.img')), (e: Error) => e instanceof BootError && /does not exist/.test(e.message));
    const blank = path.join(dir, 'blank.img');
    fs.writeFileSync(blank, new Uint8Array(FLOPPY_144));
    const d = openFloppy(blank);
    assert.throws(() => checkBootable('a', { fda: d }), /not bootable: its first sector does not end with the boot signature/);
    assert.throws(() => checkBootable('c', { fda: d }), /nothing to boot.*--fda IMG for 'a'/);
    d.close();
    fs.rmSync(dir, { recursive: true });
  });
});
