import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeIvt } from '../../emulator/inspect/ivt';
import { Buffer64 } from './buffer';

test('IVT entries are IP then CS; the handler is at CS × 16 + IP; entries past IDTR.limit are left out', () => {
  const m = new Buffer64(0x400);
  m.w(8 * 4, 0xfea5); m.w(8 * 4 + 2, 0xf000); // IRQ0 handler F000:FEA5
  m.w(0x10 * 4, 0x0100); m.w(0x10 * 4 + 2, 0xc000); // INT 10h in the VGA BIOS
  const all = decodeIvt(m.read, 0n, 0x3ff);
  assert.equal(all.length, 256);
  assert.equal(all[8].segment, 0xf000);
  assert.equal(all[8].offset, 0xfea5);
  assert.equal(all[8].linear, '0xffea5');
  assert.equal(all[8].summary, 'F000:FEA5 (0xffea5)');
  assert.equal(all[8].vectorName, '#DF');
  assert.equal(all[0x10].linear, '0xc0100');
  assert.equal(all[0].summary, 'empty (0000:0000)');
  assert.match(all[0].problems[0], /0000:0000/);
  assert.equal(decodeIvt(m.read, 0n, 0x3f).length, 16, 'limit 3Fh covers vectors 0-15');
});
