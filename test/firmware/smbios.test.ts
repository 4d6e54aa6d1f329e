import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CPU_MODELS } from '../../emulator/cpu/cpuid';
import { pcPlatform } from '../../emulator/firmware/platform';
import { SMBIOS_ANCHOR_FILE, SMBIOS_ENTRY_ADDRESS, SMBIOS_TABLE_ADDRESS, SMBIOS_TABLES_FILE, buildSmbios, smbiosFwCfgFiles } from '../../emulator/firmware/smbios';
import { loadFirmware } from '../../emulator/firmware/seabios';
import { Machine } from '../../emulator/machine';
import { ROOT, firmwareMissing } from '../support/firmware';

/**
 * SMBIOS against QEMU 7.2: the F segment saved with the monitor's pmemsave after SeaBIOS's POST
 * (qemu-system-x86_64 -m 256, and -m 512 -smp 2; no disk), entry point at 0xf59f0, structures at 0xf5a10.
 */
const QEMU_ENTRY = '5f534d5f281f020851000000000000005f444d495f398401105a0f00090028';
const QEMU_TABLE_256M_1CPU =
    '00180000010200e80300080000000000000000040000ffff53656142494f5300312e31362e322d64656269616e2d312e3136' +
    '2e322d310030342f30312f323031340000011b0001010203000000000000000000000000000000000006000051454d550053' +
    '74616e646172642050432028693434304658202b20504949582c2031393936290070632d6934343066782d372e3200000316' +
    '000301010200000303030200000000000000000051454d550070632d6934343066782d372e320000042a000401030102b10f' +
    '0600fdfb8b0703000000d007d0074101ffffffffffff0000000101010200010043505520300051454d550070632d69343430' +
    '66782d372e3200001017001001030600000400feff010000000000000000000000112800110010feffffffffff0001090001' +
    '000702000000020000000000000000000000000000000044494d4d20300051454d550000131f001300000000ffff03000010' +
    '01000000000000000000000000000000000000200b00200000000000000000007f04007f0000';
const QEMU_TABLE_512M_2CPU =
    '00180000010200e80300080000000000000000040000ffff53656142494f5300312e31362e322d64656269616e2d312e3136' +
    '2e322d310030342f30312f323031340000011b0001010203000000000000000000000000000000000006000051454d550053' +
    '74616e646172642050432028693434304658202b20504949582c2031393936290070632d6934343066782d372e3200000316' +
    '000301010200000303030200000000000000000051454d550070632d6934343066782d372e320000042a000401030102b10f' +
    '0600fdfb8b0703000000d007d0074101ffffffffffff0000000202020200010043505520300051454d550070632d69343430' +
    '66782d372e3200001017001001030600000800feff010000000000000000000000112800110010feffffffffff0002090001' +
    '000702000000020000000000000000000000000000000044494d4d20300051454d550000131f001300000000ffff07000010' +
    '01000000000000000000000000000000000000200b00200000000000000000007f04007f0000';
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const read = (m: Machine, at: number, n: number): string => hex(Uint8Array.from({ length: n }, (_, k) => m.mem.read(at + k, 1)));

describe('SMBIOS 2.8 as QEMU 7.2 + SeaBIOS leave it', () => {
  it('the direct path writes the entry point and structures QEMU\'s memory holds, byte for byte (256 MiB, 1 CPU; 512 MiB, 2 CPUs)', () => {
    const one = buildSmbios(pcPlatform(256 << 20, CPU_MODELS.qemu64, 1));
    assert.equal(hex(one.entry), QEMU_ENTRY);
    assert.equal(hex(one.table), QEMU_TABLE_256M_1CPU);
    assert.equal(hex(buildSmbios(pcPlatform(512 << 20, CPU_MODELS.qemu64, 2)).table), QEMU_TABLE_512M_2CPU);
  });

  it('a kernel loaded directly (no firmware) finds them where SeaBIOS leaves them', () => {
    const m = Machine.create({ memoryMB: 256, cpu: 'qemu64' });
    m.boot(fs.readFileSync(path.join(ROOT, 'fixtures/bin/lowmem-probe.elf')), {});
    assert.equal(read(m, SMBIOS_ENTRY_ADDRESS, 31), QEMU_ENTRY);
    assert.equal(read(m, SMBIOS_TABLE_ADDRESS, QEMU_TABLE_256M_1CPU.length / 2), QEMU_TABLE_256M_1CPU);
  });

  it('fw_cfg gives SeaBIOS QEMU\'s structures without type 0 and an entry point for them (SeaBIOS adds its type 0)', () => {
    const files = smbiosFwCfgFiles(pcPlatform(256 << 20, CPU_MODELS.qemu64, 1));
    const tables = files.get(SMBIOS_TABLES_FILE)!;
    const type0Length = 24 + 'SeaBIOS\0'.length + '1.16.2-debian-1.16.2-1\0'.length + '04/01/2014\0'.length + 1;
    assert.equal(hex(tables), QEMU_TABLE_256M_1CPU.slice(2 * type0Length));
    const anchor = new DataView(files.get(SMBIOS_ANCHOR_FILE)!.buffer);
    assert.deepEqual([anchor.getUint16(0x16, true), anchor.getUint16(0x1c, true), anchor.getUint32(0x18, true)], [tables.length, 8, 0]);
  });

  it('through SeaBIOS: its POST installs them at QEMU\'s addresses, byte for byte', { skip: firmwareMissing() }, () => {
    const fw = loadFirmware();
    const m = Machine.create({ memoryMB: 256, cpu: 'qemu64', board: { bios: fw.bios, vgaBios: fw.vgaBios } });
    m.bootFirmware();
    m.run(30_000_000);
    assert.equal(read(m, SMBIOS_ENTRY_ADDRESS, 31), QEMU_ENTRY);
    assert.equal(read(m, SMBIOS_TABLE_ADDRESS, QEMU_TABLE_256M_1CPU.length / 2), QEMU_TABLE_256M_1CPU);
  });
});
