import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DiskImage } from '../../emulator/devices/disk-image';
import { loadFirmware } from '../../emulator/firmware/seabios';
import { KVMVAPIC_ROM } from '../../emulator/firmware/kvmvapic-rom';
import { Machine } from '../../emulator/machine';
import { romMatchesSource } from '../support/option-rom';
import { ROOT, firmwareMissing } from '../support/firmware';

/**
 * QEMU's pc machine gives SeaBIOS a kvmvapic.bin option ROM (firmware/kvmvapic-rom.asm says what it does and
 * why it is guest-visible) and the other fw_cfg files of devices/fwcfg.ts. The golden is QEMU 7.2's whole SeaBIOS
 * log for the floppy fixture with its default devices but the NIC:
 *   qemu-system-x86_64 -display none -m 128 -nic none -chardev file,id=dbg,path=fixtures/golden/floppy.seabios-log.txt
 *     -device isa-debugcon,iobase=0x402,chardev=dbg -drive file=fixtures/bin/floppy.img,if=floppy,format=raw,snapshot=on
 * It shows the ROM run at POST ("Running option rom at ca00:0003"), the UMBs after it, the allocations the fw_cfg
 * files move ("Copying MPTABLE from 0x00006cfc/6fe2300"), and the boot order the ROM's boot connection vector
 * makes: "Booting from Hard Disk..." (there is none) before the floppy.
 */
describe('kvmvapic.bin and QEMU\'s fw_cfg files through SeaBIOS', () => {
  it('kvmvapic-rom.ts holds what nasm assembles from kvmvapic-rom.asm: 18 blocks, checksum 0, no PnP header, init at offset 3', (t) => {
    assert.equal(KVMVAPIC_ROM.length, 9216);
    assert.deepEqual([...KVMVAPIC_ROM.subarray(0, 3)], [0x55, 0xaa, 18]);
    assert.equal(KVMVAPIC_ROM.reduce((a, b) => (a + b) & 0xff, 0), 0, 'bytes sum to 0');
    assert.equal(Buffer.from(KVMVAPIC_ROM).indexOf('$PnP'), -1, 'a legacy ROM: SeaBIOS makes its init vector a BCV');
    assert.notEqual(Buffer.from(KVMVAPIC_ROM).indexOf('kvm aPiC'), -1);
    if (!romMatchesSource(path.join(ROOT, 'emulator/firmware/kvmvapic-rom.asm'), KVMVAPIC_ROM)) t.skip('nasm is not installed');
  });

  it('a floppy boot with QEMU\'s default devices but the NIC: SeaBIOS\'s whole log is QEMU 7.2\'s', { skip: firmwareMissing() }, () => {
    const fw = loadFirmware();
    const fda = DiskImage.fromBytes(fs.readFileSync(path.join(ROOT, 'fixtures/bin/floppy.img')), 'floppy.img');
    const m = Machine.create({ memoryMB: 128, onTripleFault: 'stop', board: { bios: fw.bios, vgaBios: fw.vgaBios, fda, nic: false } });
    let log = '';
    m.on('firmwareLog', (b: number) => { log += String.fromCharCode(b); });
    m.bootFirmware();
    const golden = fs.readFileSync(path.join(ROOT, 'fixtures/golden/floppy.seabios-log.txt'), 'latin1');
    for (let n = 0; n < 100 && !log.endsWith('Booting from 0000:7c00\n'); n++) m.run(1_000_000);
    assert.equal(log, golden);
  });
});
