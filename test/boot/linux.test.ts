import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Machine } from '../../emulator/machine';
import { LINUX_ZERO_PAGE } from '../../emulator/boot/linux';

/**
 * The direct Linux boot path's zero page, checked on a synthetic bzImage (a setup header and a protected-mode part
 * that is only HLT): what QEMU's path gives the kernel and the direct path must give it too.
 */
function bzImage(initrdAddrMax = 0x7fffffff): Uint8Array {
  const setupSects = 1;
  const img = new Uint8Array((setupSects + 1) * 512 + 4096).fill(0xf4);
  const v = new DataView(img.buffer);
  img[0x1f1] = setupSects;
  v.setUint16(0x1fe, 0xaa55, true);
  img[0x200] = 0xeb; img[0x201] = 0x66; // the jump over the header: its second byte is the header's length - 2
  v.setUint32(0x202, 0x53726448, true); // "HdrS"
  v.setUint16(0x206, 0x020f, true); // boot protocol 2.15
  img[0x211] = 0x01; // LOADED_HIGH
  v.setUint32(0x22c, initrdAddrMax, true); // initrd_addr_max
  v.setUint32(0x238, 2047, true); // cmdline_size
  return img;
}

function bootZeroPage(memoryMB: number, initrd?: Uint8Array, initrdAddrMax?: number): Machine {
  const m = Machine.create({ memoryMB, onTripleFault: 'stop' });
  m.boot(bzImage(initrdAddrMax), { cmdline: 'console=ttyS0', initrd });
  return m;
}

test('Linux direct boot: boot_params.screen_info describes the VGA text console as the setup code finds it under QEMU', () => {
  const m = bootZeroPage(64);
  const zp = LINUX_ZERO_PAGE;
  const b = (o: number): number => m.mem.read(zp + o, 1);
  const w = (o: number): number => m.mem.read(zp + o, 2);
  // orig_video_mode 3, 80 columns, 25 lines, 16-line characters, page 0, cursor at the BDA's (0, 0),
  // orig_video_isVGA 1 and orig_video_ega_bx 0x0003 (QEMU's VGA BIOS answers INT 10h AH=12h BL=10h with BX = 3).
  assert.deepEqual({ mode: b(0x06), cols: b(0x07), lines: b(0x0e), points: w(0x10), page: w(0x04), x: b(0x00), y: b(0x01), isVga: b(0x0f), egaBx: w(0x0a) },
    { mode: 3, cols: 80, lines: 25, points: 16, page: 0, x: 0, y: 0, isVga: 1, egaBx: 3 });
});

test('Linux direct boot: the initrd where QEMU\'s loader and linuxboot ROM put it (under the E801 top of RAM, or under initrd_addr_max)', () => {
  // QEMU 7.2, -m 128 and -m 256, a 1,028,447-byte initrd: "RAMDISK: [mem 0x07ee4000-0x07fdffff]" and
  // "[mem 0x0fee4000-0x0ffdffff]" (Linux prints the start and the page-aligned end - 1): the ROM moved it under
  // the top of RAM INT 15h E801 reports, below the 128 KiB of firmware tables.
  for (const [mb, start] of [[128, 0x07ee4000], [256, 0x0fee4000]]) {
    const m = bootZeroPage(mb, new Uint8Array(1_028_447).fill(7));
    const image = m.mem.read(LINUX_ZERO_PAGE + 0x218, 4) >>> 0, size = m.mem.read(LINUX_ZERO_PAGE + 0x21c, 4) >>> 0;
    assert.equal(image, start, `${mb} MiB: ramdisk_image`);
    assert.equal(size, 1_028_447);
    assert.equal(Math.ceil((image + size) / 4096) * 4096 - 1, mb * 0x100000 - 0x20000 - 1, `${mb} MiB: the page-aligned end`);
    assert.equal(m.mem.read(image, 1), 7, 'the initrd is in memory there');
  }
  // initrd_addr_max (protocol 2.03+) below the top of RAM is the limit: x86_load_linux's placement under it, which
  // the ROM keeps (its end is in initrd_addr_max's page).
  const m = bootZeroPage(1024, new Uint8Array(1_028_447), 0x37ffffff);
  assert.equal(m.mem.read(LINUX_ZERO_PAGE + 0x218, 4) >>> 0, Math.floor((0x37ffffff - 1_028_447) / 4096) * 4096);
});
