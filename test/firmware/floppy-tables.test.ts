import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CPU_MODELS } from '../../emulator/cpu/cpuid';
import { buildDsdt } from '../../emulator/firmware/acpi';
import { buildBda } from '../../emulator/firmware/bda';
import { pcPlatform } from '../../emulator/firmware/platform';

/**
 * What the firmware tables say about the floppy controller and its drives: the DSDT's \_SB.PCI0.ISA.FDC0 and the
 * BDA's equipment word, against QEMU 7.2 + SeaBIOS with `-fda` (a 1.44 MB image in drive A:).
 */

/**
 * QEMU 7.2's FDC0 with a 1.44 MB drive A:, byte for byte: read out of guest memory (`pmemsave` of the DSDT under
 * `qemu-system-x86_64 -nodefaults -drive if=floppy,...`): PNP0700, _CRS (IO 0x3F2/4, IO 0x3F7/1, IRQ 6, DMA 2),
 * FLPA with _ADR 0 and _FDI (drive 0, type 4, max cylinder 82, max sector 24, max head 1, SeaBIOS's INT 13h
 * AH=08h parameters), _FDE (drive 0 present, tape 2 = never).
 */
const QEMU_FDC0_144 = '5b82410846444330085f4849440c41d00700085f435253111b0a184701f203f20300044701f703f70300012240002a040079005b8231464c5041085f41445200085f464449122010000a040a520a18010aaf0a020a250a020a120a1b0aff0a6c0af60a0f0a08085f46444511170a140100000000000000000000000000000002000000';

function fdc0(dsdt: Uint8Array): string {
  const hex = Buffer.from(dsdt).toString('hex');
  const at = hex.indexOf(Buffer.from('FDC0').toString('hex'));
  assert.ok(at > 0, 'the DSDT has FDC0');
  const start = at - 6; // DeviceOp (5B 82) and a 1-byte PkgLength (the block is under 64 bytes) or 2-byte one
  const twoByte = hex.slice(at - 8, at - 4) === '5b82';
  const s = twoByte ? at - 8 : start;
  const lead = parseInt(hex.slice(s + 4, s + 6), 16);
  const len = twoByte ? (lead & 0x0f) | (parseInt(hex.slice(s + 6, s + 8), 16) << 4) : lead & 0x3f;
  return hex.slice(s, s + (2 + len) * 2);
}

describe('floppy in the firmware tables', () => {
  const model = CPU_MODELS.faultline;
  it("the DSDT's FDC0 with a 1.44 MB drive A: is QEMU 7.2's, byte for byte", () => {
    assert.equal(fdc0(buildDsdt(pcPlatform(128 << 20, model, 1, { floppies: ['144'] }))), QEMU_FDC0_144);
  });

  it('without a drive FDC0 is still there (QEMU describes the controller always), without FLPA and with an empty _FDE', () => {
    const block = fdc0(buildDsdt(pcPlatform(128 << 20, model, 1)));
    assert.equal(block.length / 2, QEMU_FDC0_144.length / 2 - 51, 'FLPA is 51 bytes (QEMU: the tables after the DSDT move by 0x33 with -fda)');
    assert.ok(!block.includes(Buffer.from('FLPA').toString('hex')));
    assert.ok(block.endsWith('0000000000000000000000000000000002000000'));
  });

  it('the BDA equipment word and 0x8F count the drive as SeaBIOS does (QEMU -nodefaults -kernel -fda: 0x0227, 0x07)', () => {
    const bda = buildBda({ ...pcPlatform(128 << 20, model, 1, { floppies: ['144'], nodefaults: true }) }, { secondsOfDay: 0 });
    assert.equal(bda[0x10] | (bda[0x11] << 8), 0x0227);
    assert.equal(bda[0x8f], 0x07);
    const lpt = buildBda({ ...pcPlatform(128 << 20, model, 1, { floppies: ['144'] }) }, { secondsOfDay: 0 });
    assert.equal(lpt[0x10] | (lpt[0x11] << 8), 0x4227, 'with the default board\'s LPT1, bits 15:14 count one parallel port');
    const none = buildBda(pcPlatform(128 << 20, model, 1, { nodefaults: true }), { secondsOfDay: 0 });
    assert.equal(none[0x10] | (none[0x11] << 8), 0x0226);
    assert.equal(none[0x8f], 0x00);
  });
});
