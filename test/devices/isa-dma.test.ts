import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { IoBus } from '../../emulator/devices/bus';
import { IsaDma } from '../../emulator/devices/isa-dma';
import { PhysicalMemory } from '../../emulator/memory/phys';

/**
 * The 8237 DMA controllers (emulator/devices/isa-dma.ts) through their ports, as a guest programs them, with a
 * device on a channel that moves bytes through the controller's API. Where QEMU 7.2's i8257 departs from the
 * 8237A data sheet, the data sheet wins; the cases are marked "QEMU:".
 */
function rig() {
  const bus = new IoBus();
  const phys = new PhysicalMemory(4 << 20, bus);
  const dma = new IsaDma(phys);
  dma.attach(bus);
  const outb = (p: number, v: number) => bus.outPort(p, 1, v);
  const inb = (p: number) => bus.inPort(p, 1);
  /** Program 8-bit channel `ch` (0-3) as a driver does: mask, flip-flop, mode, address, count, page, unmask. */
  const program = (ch: number, mode: number, addr: number, count: number) => {
    outb(0x0a, 0x04 | ch);
    outb(0x0c, 0);
    outb(0x0b, mode | ch);
    outb(ch * 2, addr & 0xff);
    outb(ch * 2, (addr >> 8) & 0xff);
    outb(ch * 2 + 1, count & 0xff);
    outb(ch * 2 + 1, (count >> 8) & 0xff);
    outb([0x87, 0x83, 0x81, 0x82][ch], (addr >> 16) & 0xff);
    outb(0x0a, ch);
  };
  const readWord = (port: number) => {
    outb(0x0c, 0);
    const lo = inb(port);
    return lo | (inb(port) << 8);
  };
  return { bus, phys, dma, outb, inb, program, readWord };
}

const bytes = (n: number, f: (i: number) => number) => Uint8Array.from({ length: n }, (_, i) => f(i) & 0xff);

describe('8237 DMA controllers (QEMU pc: i8257 x2, page registers 0x81-0x8F)', () => {
  it('address and count go through the flip-flop and read back; page registers are the four of each controller', () => {
    const { outb, inb, readWord } = rig();
    outb(0x0c, 0);
    outb(0x04, 0x34);
    outb(0x04, 0x12);
    outb(0x05, 0xff);
    outb(0x05, 0x01);
    assert.equal(readWord(0x04), 0x1234);
    assert.equal(readWord(0x05), 0x01ff);
    outb(0x81, 0x02);
    outb(0x8b, 0x07);
    assert.equal(inb(0x81), 0x02, 'channel 2 page');
    assert.equal(inb(0x8b), 0x07, 'channel 5 page');
    assert.equal(inb(0x80), 0xff, 'port 0x80 is no page register on QEMU pc (unclaimed)');
    assert.equal(inb(0x84), 0xff);
    // Master clear masks every channel (QEMU reads the mask register back at 0x09).
    outb(0x0d, 0);
    assert.equal(inb(0x09), 0x0f);
    outb(0x0e, 0);
    assert.equal(inb(0x09), 0x00, 'clear mask register');
    outb(0x0f, 0x05);
    assert.equal(inb(0x09), 0x05, 'write all mask bits');
  });

  it('a device request is served when the channel is unmasked, up to terminal count: status TC, count 0xFFFF, mask set', () => {
    const { phys, dma, outb, inb, program, readWord } = rig();
    let served = 0;
    const data = bytes(1024, (i) => i * 3);
    dma.register(2, () => {
      served++;
      const n = dma.toMemory(2, data, 0, 1024);
      assert.equal(n, 512, 'count 511 moves 512 bytes');
      assert.ok(dma.terminalCount(2));
      dma.release(2);
    });
    outb(0x0a, 0x06); // mask channel 2
    dma.hold(2);
    assert.equal(served, 0, 'masked: no service');
    program(2, 0x44, 0x20000, 511);
    assert.equal(served, 1, 'unmasking serves the pending request at once');
    assert.deepEqual([...phys.slice(0x20000, 512)], [...data.subarray(0, 512)]);
    assert.equal(phys.read8(0x20000 + 512), 0, 'nothing past the count');
    assert.equal(inb(0x08), 0x04, 'status: TC on channel 2, request released');
    assert.equal(inb(0x08), 0x00, 'reading the status clears the TC bits');
    assert.equal(readWord(0x05), 0xffff, 'the count wrapped past 0');
    assert.equal(readWord(0x04), 0x0200, 'the address advanced by 512');
    // 8237A: at TC a channel without auto-initialize masks itself (QEMU: stays unmasked).
    assert.equal(inb(0x09) & 0x04, 0x04);
  });

  it('a transfer continues where the last one stopped (QEMU: restarts at the base address)', () => {
    const { phys, dma, program, readWord } = rig();
    program(1, 0x44, 0x10000, 1023);
    dma.toMemory(1, bytes(300, () => 0xaa), 0, 300);
    dma.toMemory(1, bytes(300, () => 0xbb), 0, 300);
    assert.equal(phys.read8(0x10000 + 299), 0xaa);
    assert.equal(phys.read8(0x10000 + 300), 0xbb);
    assert.equal(readWord(0x03), 1023 - 600);
    assert.equal(readWord(0x02), 600);
    assert.equal(dma.remaining(1), 424);
  });

  it('auto-initialize reloads address and count at terminal count and leaves the channel unmasked', () => {
    const { phys, dma, inb, program, readWord } = rig();
    program(3, 0x54, 0x30000, 15); // single, auto-init, write to memory
    assert.equal(dma.toMemory(3, bytes(16, (i) => i + 1), 0, 16), 16);
    assert.ok(dma.terminalCount(3));
    assert.equal(readWord(0x07), 15, 'count reloaded');
    assert.equal(readWord(0x06), 0, 'address reloaded');
    assert.equal(inb(0x09) & 0x08, 0, 'still unmasked');
    assert.equal(dma.toMemory(3, bytes(4, () => 0xee), 0, 4), 4);
    assert.equal(phys.read8(0x30000), 0xee, 'the next transfer starts at the base address again');
  });

  it('the address wraps inside its 64 KiB page; a decrementing channel walks down from the current address', () => {
    const { phys, dma, program } = rig();
    program(1, 0x44, 0x2fff8, 15);
    dma.toMemory(1, bytes(16, (i) => 0x40 + i), 0, 16);
    assert.equal(phys.read8(0x2ffff), 0x47);
    assert.equal(phys.read8(0x20000), 0x48, 'wrapped to the start of page 2 (QEMU: carries into 0x30000)');
    assert.equal(phys.read8(0x30000), 0);
    program(1, 0x64, 0x10100, 3); // decrement
    dma.toMemory(1, bytes(4, (i) => 0x10 + i), 0, 4);
    assert.deepEqual([phys.read8(0x10100), phys.read8(0x100ff), phys.read8(0x100fe), phys.read8(0x100fd)], [0x10, 0x11, 0x12, 0x13]);
  });

  it('a verify transfer counts without touching memory; memory-to-device reads RAM', () => {
    const { phys, dma, program } = rig();
    phys.load(0x5000, bytes(8, (i) => 0x80 + i));
    program(1, 0x40, 0x5000, 7); // verify
    assert.equal(dma.toMemory(1, bytes(8, () => 0xff), 0, 8), 8);
    assert.equal(phys.read8(0x5000), 0x80);
    program(1, 0x48, 0x5000, 7); // read from memory
    const got = new Uint8Array(8);
    assert.equal(dma.fromMemory(1, got, 0, 8), 8);
    assert.deepEqual([...got], [0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87]);
  });

  it('16-bit channels (controller 2 at 0xC0): word address and count, page bit 0 ignored', () => {
    const { phys, dma, outb } = rig();
    outb(0xd4, 0x05); // mask channel 5
    outb(0xd8, 0);
    outb(0xd6, 0x45); // single, write to memory, channel 5
    outb(0xc4, 0x00); // word address 0x0800 -> byte 0x1000
    outb(0xc4, 0x08);
    outb(0xc6, 3); // 4 words
    outb(0xc6, 0);
    outb(0x8b, 0x03); // page: A17-A23 from bits 1-7 -> 0x20000
    outb(0xd4, 0x01);
    assert.equal(dma.remaining(5), 8);
    assert.equal(dma.toMemory(5, bytes(10, (i) => i + 1), 0, 10), 8);
    assert.equal(phys.read8(0x21000), 1);
    assert.equal(phys.read8(0x21007), 8);
    assert.equal(phys.read8(0x21008), 0);
  });

  it('a DMA write into RAM holding decoded code drops that code (PhysicalMemory.load)', () => {
    const { phys, dma, program } = rig();
    const dropped: number[] = [];
    phys.notifyCodeWrite = (page) => dropped.push(page);
    phys.codePages[0x7] = 1; // as the CPU marks a page it decoded from
    phys.markCode(0x7c00, 0x7dff);
    program(2, 0x44, 0x7c00, 511);
    dma.toMemory(2, bytes(512, () => 0x90), 0, 512);
    assert.ok(dropped.includes(0x7), 'the code page was told');
  });

  it('snapshots round-trip every register', () => {
    const a = rig();
    a.program(2, 0x56, 0x12345, 0x1ff);
    a.dma.toMemory(2, bytes(16, () => 1), 0, 16);
    const saved = JSON.parse(JSON.stringify(a.dma.saveState()));
    const b = rig();
    b.dma.loadState(saved);
    assert.deepEqual(b.dma.saveState(), a.dma.saveState());
    assert.equal(b.readWord(0x05), 0x1ff - 16);
    assert.equal(b.inb(0x81), 0x01);
  });
});
