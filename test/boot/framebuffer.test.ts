import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requestFramebuffer } from '../../emulator/boot/framebuffer';
import { generateEdid } from '../../emulator/devices/edid';
import { makePc } from '../devices/harness';

/**
 * A multiboot framebuffer request with no preferred size gets the display's preferred mode, as GRUB's `auto`
 * mode takes it from the EDID: 1280 x 800 on QEMU's stdvga (what GRUB gives DreamOS64 under QEMU 7.2).
 */
test('a framebuffer request of 0 x 0 gets the EDID\'s preferred mode; a named size is honoured', () => {
  const modes: number[][] = [];
  const display = { preferredMode: { width: 1280, height: 800 }, setGraphicsMode: (w: number, h: number, bpp: number) => { modes.push([w, h, bpp]); return { address: 0xfd000000, pitch: w * 4 }; } };
  const auto = requestFramebuffer(display, 0, 0, 0);
  assert.deepEqual([auto.width, auto.height, auto.bpp], [1280, 800, 32]);
  const named = requestFramebuffer(display, 640, 480, 16);
  assert.deepEqual([named.width, named.height, named.bpp, named.pitch], [640, 480, 16, 2560]);
  assert.deepEqual(modes, [[1280, 800, 32], [640, 480, 16]]);
});

test('the VGA\'s preferred mode is its EDID\'s detailed timing', () => {
  const e = generateEdid();
  const { devices } = makePc();
  assert.deepEqual([devices.vga.preferredMode.width, devices.vga.preferredMode.height], [e[56] | ((e[58] & 0xf0) << 4), e[59] | ((e[61] & 0xf0) << 4)]);
});
