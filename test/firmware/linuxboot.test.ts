import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadFirmware } from '../../emulator/firmware/seabios';
import { LINUXBOOT_ROM } from '../../emulator/firmware/linuxboot-rom';
import { defaultFirmwareFor } from '../../emulator/firmware/kernel-rom';
import { Machine } from '../../emulator/machine';
import { romMatchesSource } from '../support/option-rom';
import { ROOT, firmwareMissing } from '../support/firmware';

/**
 * A Linux bzImage through SeaBIOS and Faultline's linuxboot ROM, against qemu -kernel (SeaBIOS + QEMU's
 * linuxboot_dma.bin). fixtures/bin/linux-setup-probe.bin is a bzImage whose real-mode setup code prints what it
 * was entered with; its golden is QEMU 7.2's serial output for
 *   qemu-system-x86_64 -m 128 -display none -no-reboot -kernel fixtures/bin/linux-setup-probe.bin
 *     -initrd fixtures/src/linux-setup-probe/initrd.bin -append "probe x=1 vga=ext" -serial file:…
 */
describe('Linux through SeaBIOS and the linuxboot ROM (qemu -kernel bzImage)', () => {
  it('linuxboot-rom.ts holds what nasm assembles from linuxboot-rom.asm, with the ROM checksum set', (t) => {
    if (!romMatchesSource(path.join(ROOT, 'emulator/firmware/linuxboot-rom.asm'), LINUXBOOT_ROM)) t.skip('nasm is not installed');
  });

  it('the setup code is entered as under QEMU: registers, header fields, command line, initrd moved under the E801 top', { skip: firmwareMissing() }, () => {
    const fw = loadFirmware();
    const m = Machine.create({ memoryMB: 128, cpu: 'qemu64', onTripleFault: 'stop', board: { bios: fw.bios, vgaBios: fw.vgaBios } });
    let serial = '';
    m.on('serial', (b) => { serial += String.fromCharCode(b); });
    m.boot(fs.readFileSync(path.join(ROOT, 'fixtures/bin/linux-setup-probe.bin')), {
      cmdline: 'probe x=1 vga=ext', initrd: fs.readFileSync(path.join(ROOT, 'fixtures/src/linux-setup-probe/initrd.bin')),
    });
    const stop = m.run(50_000_000);
    assert.deepEqual([stop.reason, stop.exitCode], ['exit', 0], 'the probe powers off (S5: status 0, as QEMU exits)');
    assert.equal(serial, fs.readFileSync(path.join(ROOT, 'fixtures/golden/linux-setup-probe.serial.txt'), 'utf8'));
  });

  it('an image without a 32-bit entry (code32_start 0, as iPXE\'s ipxe.lkrn) boots through SeaBIOS by default; the direct load refuses it in one sentence', { skip: firmwareMissing() }, () => {
    const image = new Uint8Array(fs.readFileSync(path.join(ROOT, 'fixtures/bin/linux-setup-probe.bin')));
    assert.equal(defaultFirmwareFor(image), 'none', 'a bzImage with code32_start 0x100000: the direct load');
    new DataView(image.buffer).setUint32(0x214, 0, true);
    assert.equal(defaultFirmwareFor(image), 'seabios');
    const direct = Machine.create({ memoryMB: 128, onTripleFault: 'stop' });
    assert.throws(() => direct.boot(image), /has no 32-bit entry \(its setup header's code32_start is 0\): it starts only in its real-mode setup code, so boot it through SeaBIOS/);
    const fw = loadFirmware();
    const m = Machine.create({ memoryMB: 128, cpu: 'qemu64', onTripleFault: 'stop', board: { bios: fw.bios, vgaBios: fw.vgaBios } });
    let serial = '';
    m.on('serial', (b) => { serial += String.fromCharCode(b); });
    m.boot(image, { cmdline: 'probe x=1 vga=ext', initrd: fs.readFileSync(path.join(ROOT, 'fixtures/src/linux-setup-probe/initrd.bin')) });
    assert.equal(m.run(50_000_000).reason, 'exit');
    assert.equal(serial, fs.readFileSync(path.join(ROOT, 'fixtures/golden/linux-setup-probe.serial.txt'), 'utf8'), 'its setup code ran as under QEMU');
  });
});
