import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { CPU_MODELS } from '../../emulator/cpu/cpuid';
import { ACPI_RSDP_FILE, ACPI_TABLES_FILE, acpiFwCfgFiles, buildAcpi, buildDsdt, buildMadt } from '../../emulator/firmware/acpi';
import * as aml from '../../emulator/firmware/aml';
import { PM_BIOS_CODE } from '../../emulator/firmware/pm-bios';
import { buildBios32Directory, buildPirTable } from '../../emulator/firmware/pci-bios';
import { buildBda, buildEbda, ticksSinceMidnight } from '../../emulator/firmware/bda';
import { byteSum } from '../../emulator/firmware/checksum';
import { basicMemory, e820Map } from '../../emulator/firmware/e820';
import { buildMpTables } from '../../emulator/firmware/mptable';
import { pcPlatform } from '../../emulator/firmware/platform';
import { runTableLoader, serializeTableLoader } from '../../emulator/firmware/table-loader';

const MiB = 1024 * 1024;
const platform = (mib = 128, cpus = 1) => pcPlatform(mib * MiB, CPU_MODELS.faultline, cpus);
const ascii = (b: Uint8Array, at: number, n: number) => String.fromCharCode(...b.subarray(at, at + n));
const u32 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset).getUint32(at, true);
const u16 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset).getUint16(at, true);

/** Place the ACPI blobs as the direct boot path does and return each table's bytes and address by signature. */
function placedAcpi(mib = 128, cpus = 1) {
  const p = platform(mib, cpus);
  const build = buildAcpi(p);
  let high = mib * MiB - 0x20000;
  const placed = runTableLoader(build, (size, align, zone) => {
    if (zone === 'fseg') return 0xf59d0;
    const at = Math.ceil(high / align) * align;
    high = at + size;
    return at;
  });
  const tables = placed.get(ACPI_TABLES_FILE)!;
  const rsdp = placed.get(ACPI_RSDP_FILE)!;
  const at = (addr: number) => tables.bytes.subarray(addr - tables.address);
  const table = (addr: number) => at(addr).subarray(0, u32(at(addr), 4));
  return { tables, rsdp, at, table, build };
}

describe('e820 map: QEMU 7.2 pc + SeaBIOS, as recorded with the lowmem-probe for -m 2, 16, 128, 512, 3000', () => {
  const map = (mib: number) => e820Map({ ramSize: mib * MiB, amdHtHole: true }).map((r) => [r.base, r.length, r.type]);
  const tail = [[0xfffc0000, 0x40000, 2], [0xfd00000000, 0x300000000, 2]];
  const head = [[0, 0x9fc00, 1], [0x9fc00, 0x400, 2], [0xf0000, 0x10000, 2]];
  it('reserves the EBDA, the BIOS, the top 128 KiB (ACPI tables), the BIOS ROM and the AMD HyperTransport hole', () => {
    assert.deepEqual(map(2), [...head, [0x100000, 0xe0000, 1], [0x1e0000, 0x20000, 2], ...tail]);
    assert.deepEqual(map(16), [...head, [0x100000, 0xee0000, 1], [0xfe0000, 0x20000, 2], ...tail]);
    assert.deepEqual(map(128), [...head, [0x100000, 0x7ee0000, 1], [0x7fe0000, 0x20000, 2], ...tail]);
    assert.deepEqual(map(512), [...head, [0x100000, 0x1fee0000, 1], [0x1ffe0000, 0x20000, 2], ...tail]);
    assert.deepEqual(map(3000), [...head, [0x100000, 0xbb6e0000, 1], [0xbb7e0000, 0x20000, 2], ...tail]);
  });
  it('mem_lower / mem_upper as QEMU reports them', () => {
    assert.deepEqual(basicMemory(128 * MiB), { lower: 639, upper: 0x1fb80 });
    assert.deepEqual(basicMemory(2 * MiB), { lower: 639, upper: 0x380 });
    assert.deepEqual(basicMemory(3000 * MiB), { lower: 639, upper: 0x2edb80 });
  });
  it('no HyperTransport hole for a CPU that is not AMD', () => {
    assert.ok(!e820Map({ ramSize: 128 * MiB, amdHtHole: false }).some((r) => r.base === 0xfd00000000));
  });
});

describe('ACPI tables (ACPI 6.4 §5.2)', () => {
  it('RSDP revision 0 at the F-segment address: signature, checksum over 20 bytes, RSDT pointer', () => {
    const { rsdp, tables, table } = placedAcpi();
    assert.equal(rsdp.address, 0xf59d0);
    assert.equal(rsdp.bytes.length, 20);
    assert.equal(ascii(rsdp.bytes, 0, 8), 'RSD PTR ');
    assert.equal(rsdp.bytes[15], 0);
    assert.equal(byteSum(rsdp.bytes), 0);
    const rsdt = u32(rsdp.bytes, 16);
    assert.ok(rsdt > tables.address && rsdt < tables.address + tables.bytes.length);
    assert.equal(ascii(table(rsdt), 0, 4), 'RSDT');
  });

  it('every table has its signature, length and a zero checksum; the RSDT lists FACP, APIC, HPET and WAET as QEMU orders them; FACS is 64-byte aligned', () => {
    const { rsdp, table, tables } = placedAcpi();
    const rsdt = table(u32(rsdp.bytes, 16));
    assert.equal(byteSum(rsdt), 0);
    assert.equal(rsdt[8], 1);
    assert.equal(ascii(rsdt, 10, 6), 'BOCHS ');
    assert.equal(ascii(rsdt, 16, 8), 'BXPC    ');
    const sigs: string[] = [];
    for (let i = 36; i < rsdt.length; i += 4) {
      const t = table(u32(rsdt, i));
      sigs.push(ascii(t, 0, 4));
      assert.equal(byteSum(t), 0, `${ascii(t, 0, 4)} checksum`);
    }
    assert.deepEqual(sigs, ['FACP', 'APIC', 'HPET', 'WAET']);
    assert.equal(tables.address % 64, 0);
    assert.equal(tables.address, 128 * MiB - 0x20000);
  });

  it('FADT revision 1: 116 bytes, FACS and DSDT pointers, PIIX4 PM blocks at 0x600, SCI 9, century 0x32', () => {
    const { rsdp, table, at } = placedAcpi();
    const rsdt = table(u32(rsdp.bytes, 16));
    const fadt = table(u32(rsdt, 36));
    assert.equal(fadt.length, 116);
    assert.equal(fadt[8], 1);
    const facs = at(u32(fadt, 36)).subarray(0, 64);
    assert.equal(ascii(facs, 0, 4), 'FACS');
    assert.equal(u32(facs, 4), 64);
    const dsdt = table(u32(fadt, 40));
    assert.equal(ascii(dsdt, 0, 4), 'DSDT');
    assert.equal(byteSum(dsdt), 0);
    assert.equal(u16(fadt, 46), 9);
    assert.equal(u32(fadt, 48), 0xb2);
    assert.deepEqual([fadt[52], fadt[53]], [0xf1, 0xf0]);
    assert.deepEqual([u32(fadt, 56), u32(fadt, 64), u32(fadt, 76), u32(fadt, 80)], [0x600, 0x604, 0x608, 0xafe0]);
    assert.deepEqual([...fadt.subarray(88, 93)], [4, 2, 0, 4, 4]);
    assert.equal(fadt[108], 0x32);
    assert.equal(u32(fadt, 112), 0x80a5);
  });

  it('MADT: one enabled local APIC per CPU, the IOAPIC, IRQ0 -> GSI 2 and level/high PCI IRQs 5, 9, 10, 11, LINT1 NMI', () => {
    const m = buildMadt(platform(128, 2));
    assert.equal(u32(m, 4), m.length);
    assert.equal(u32(m, 36), 0xfee00000);
    assert.equal(u32(m, 40), 1);
    const entries: number[][] = [];
    for (let p = 44; p < m.length; p += m[p + 1]) entries.push([...m.subarray(p, p + m[p + 1])]);
    assert.deepEqual(entries, [
      [0, 8, 0, 0, 1, 0, 0, 0],
      [0, 8, 1, 1, 1, 0, 0, 0],
      [1, 12, 0, 0, 0, 0, 0xc0, 0xfe, 0, 0, 0, 0],
      [2, 10, 0, 0, 2, 0, 0, 0, 0, 0],
      [2, 10, 0, 5, 5, 0, 0, 0, 0x0d, 0],
      [2, 10, 0, 9, 9, 0, 0, 0, 0x0d, 0],
      [2, 10, 0, 10, 10, 0, 0, 0, 0x0d, 0],
      [2, 10, 0, 11, 11, 0, 0, 0, 0x0d, 0],
      [4, 6, 0xff, 0, 0, 1],
    ]);
  });

  it("an HPET table (QEMU's pc: block ID 0x8086a201 at 0xfed00000, after the MADT) only when the platform has an HPET", () => {
    const p = platform();
    assert.deepEqual(p.hpet, { address: 0xfed00000 });
    assert.ok(!buildAcpi({ ...p, hpet: undefined }).offsets.has('HPET'));
    const build = buildAcpi(p);
    const off = build.offsets.get('HPET')!;
    const tables = build.files.get(ACPI_TABLES_FILE)!;
    assert.equal(ascii(tables, off, 4), 'HPET');
    assert.equal(u32(tables, off + 36), 0x8086a201);
    assert.equal(u32(tables, off + 44), 0xfed00000);
    assert.deepEqual([...build.offsets.keys()], ['FACS', 'DSDT', 'FACP', 'APIC', 'HPET', 'WAET', 'RSDT']);
  });

  it("DSDT: QEMU's \\_SB.HPET (PNP0103, _UID, OperationRegion HPTM with VEND/PRD, _STA, _CRS) when there is an HPET", () => {
    const board = pcPlatform(128 << 20, CPU_MODELS.qemu64);
    const plain = buildDsdt({ ...board, hpet: undefined });
    const d = buildDsdt(board);
    const body = Buffer.from(d.subarray(36)).toString('hex');
    // The AML, line by line of the ASL `iasl -d` prints for it. From Device (HPET) on, these are the bytes of
    // QEMU 7.2's own DSDT (dumped by a guest under qemu-system-x86_64 -M pc); its \_SB scope holds more.
    const hpet = [
      '104d08', '5f53425f', //                     Scope (_SB)
      '5b824508', '48504554', //                   Device (HPET)
      '085f4849440c41d00103', //                   Name (_HID, EisaId ("PNP0103"))
      '085f55494400', //                           Name (_UID, Zero)
      '5b804850544d000c0000d0fe0b0004', //         OperationRegion (HPTM, SystemMemory, 0xFED00000, 0x0400)
      '5b81104850544d13', //                       Field (HPTM, DWordAcc, Lock, Preserve)
      '56454e4420', '5052445f20', //               VEND, 32, PRD, 32
      '1436', '5f53544100', //                     Method (_STA, 0, NotSerialized)
      '7056454e4460', //                           Local0 = VEND
      '705052445f61', //                           Local1 = PRD
      '7a600a1060', //                             Local0 >>= 0x10
      'a00c9193600093600bffff', 'a400', //         If (Local0 == Zero || Local0 == 0xFFFF) Return (Zero)
      'a00e9193610094610c00e1f505', 'a400', //     If (Local1 == Zero || Local1 > 100000000) Return (Zero)
      'a40a0f', //                                 Return (0x0F)
      '085f43525311110a0e', //                     Name (_CRS, ResourceTemplate () {
      '860900000000d0fe00040000', '7900', //       Memory32Fixed (ReadOnly, 0xFED00000, 0x400) })
    ].join('');
    assert.ok(body.includes(hpet), 'Scope (_SB) { Device (HPET) { ... } }');
    assert.equal(body.length - Buffer.from(plain.subarray(36)).toString('hex').length, hpet.length, 'nothing else added');
    assert.ok(!Buffer.from(plain).toString('latin1').includes('HPET'));
  });

  it('DSDT: \\_SB.PCI0 (PNP0A03), its _CRS as QEMU\'s, and QEMU\'s sleep-state packages \\_S3 {1, 1, 0, 0}, \\_S4 {2, 2, 0, 0}, \\_S5 {0, 0, 0, 0}', () => {
    const d = Buffer.from(buildDsdt({ ...pcPlatform(256 << 20, CPU_MODELS.qemu64), hpet: undefined })); // (the HPET's own test is above)
    assert.equal(u32(d, 4), d.length);
    const at = (bytes: number[]): number => d.indexOf(Buffer.from(bytes));
    // Scope (_SB) { Device (PCI0) { Name (_HID, EisaId ("PNP0A03")), Name (_ADR, Zero), Name (_UID, Zero) } }
    assert.ok(at([0x10, 0x22, ...Buffer.from('_SB_'), 0x5b, 0x82, 0x1b, ...Buffer.from('PCI0'), 0x08, ...Buffer.from('_HID'), 0x0c, 0x41, 0xd0, 0x0a, 0x03,
      0x08, ...Buffer.from('_ADR'), 0, 0x08, ...Buffer.from('_UID'), 0]) > 0);
    // Scope (\_SB.PCI0) { Name (_CRS, ResourceTemplate () {...}) }: WordBusNumber 0-FF; IO CF8 x8; WordIO 0-CF7,
    // D00-FFFF; DWordMemory A0000-BFFFF (cacheable) and the PCI hole from 256 MiB to FEBFFFFF; QWordMemory 4-6 GiB
    // (cacheable); end tag. (The descriptors as QEMU's aml-build.c.)
    const crs = at([0x5c, 0x2e, ...Buffer.from('_SB_PCI0'), 0x08, ...Buffer.from('_CRS')]);
    assert.ok(crs > 0, 'PCI0._CRS is named');
    const le = (v: number, n: number): number[] => Array.from({ length: n }, (_, k) => Math.floor(v / 2 ** (8 * k)) % 256);
    const template = [
      0x88, 0x0d, 0, 2, 0x0c, 0, ...le(0, 2), ...le(0, 2), ...le(0xff, 2), ...le(0, 2), ...le(0x100, 2),
      0x47, 1, ...le(0xcf8, 2), ...le(0xcf8, 2), 1, 8,
      0x88, 0x0d, 0, 1, 0x0c, 3, ...le(0, 2), ...le(0, 2), ...le(0xcf7, 2), ...le(0, 2), ...le(0xcf8, 2),
      0x88, 0x0d, 0, 1, 0x0c, 3, ...le(0, 2), ...le(0xd00, 2), ...le(0xffff, 2), ...le(0, 2), ...le(0xf300, 2),
      0x87, 0x17, 0, 0, 0x0c, 3, ...le(0, 4), ...le(0xa0000, 4), ...le(0xbffff, 4), ...le(0, 4), ...le(0x20000, 4),
      0x87, 0x17, 0, 0, 0x0c, 1, ...le(0, 4), ...le(0x10000000, 4), ...le(0xfebfffff, 4), ...le(0, 4), ...le(0xeec00000, 4),
      0x8a, 0x2b, 0, 0, 0x0c, 3, ...le(0, 8), ...le(2 ** 32, 8), ...le(0x17fffffff, 8), ...le(0, 8), ...le(2 ** 31, 8),
      0x79, 0,
    ];
    // BufferOp, PkgLength (two bytes: 0x40 | low nibble, then the rest), BytePrefix size, the descriptors
    assert.deepEqual([...d.subarray(crs + 15, crs + 15 + 5 + template.length)], [0x11, 0x40 | ((template.length + 4) & 0xf), (template.length + 4) >> 4, 0x0a, template.length, ...template]);
    // Scope (\) { Name (_S3, Package (4) { One, One, Zero, Zero }), _S4 { 2, 2, Zero, Zero } (BytePrefix 0x0a), _S5 { Zero x4 } }
    assert.ok(at([0x10, 0x29, 0x5c, 0x00,
      0x08, ...Buffer.from('_S3_'), 0x12, 0x06, 0x04, 1, 1, 0, 0,
      0x08, ...Buffer.from('_S4_'), 0x12, 0x08, 0x04, 0x0a, 2, 0x0a, 2, 0, 0,
      0x08, ...Buffer.from('_S5_'), 0x12, 0x06, 0x04, 0, 0, 0, 0,
    ]) > 0);
  });
});

describe('DSDT ISA devices (QEMU isa_build_aml)', () => {
  it('\\_SB.PCI0.S08 (the ISA bridge) holds KBD, MOU, LPT1, one COMn per COM port and RTC, each with QEMU\'s _HID and _CRS', () => {
    const dsdt = (com2: boolean): Buffer => Buffer.from(buildDsdt(pcPlatform(128 << 20, CPU_MODELS.qemu64, 1, { com2 })));
    const d = dsdt(true);
    const crsOf = (dev: string): number[] => {
      const at = d.indexOf('_CRS', d.indexOf(dev));
      const size = d[at + 4 + 2] === 0x0a ? d[at + 4 + 3] : -1; // BufferOp, PkgLength (one byte), BytePrefix size
      return [...d.subarray(at + 4 + 4, at + 4 + 4 + size)];
    };
    const hidAfter = (dev: string, id: string): boolean => d.indexOf(Buffer.from(aml.eisaId(id)), d.indexOf(dev)) > d.indexOf(dev);
    for (const [dev, id] of [['RTC_', 'PNP0B00'], ['KBD_', 'PNP0303'], ['MOU_', 'PNP0F13'], ['LPT1', 'PNP0400'], ['COM1', 'PNP0501'], ['COM2', 'PNP0501']]) {
      assert.ok(d.indexOf(dev) > 0 && hidAfter(dev, id), `${dev} ${id}`);
    }
    assert.deepEqual(crsOf('RTC_'), [0x47, 1, 0x70, 0, 0x70, 0, 1, 8, 0x22, 0x00, 0x01, 0x79, 0]);
    assert.deepEqual(crsOf('KBD_'), [0x47, 1, 0x60, 0, 0x60, 0, 1, 1, 0x47, 1, 0x64, 0, 0x64, 0, 1, 1, 0x22, 0x02, 0x00, 0x79, 0]);
    assert.deepEqual(crsOf('MOU_'), [0x22, 0x00, 0x10, 0x79, 0]);
    assert.deepEqual(crsOf('LPT1'), [0x47, 1, 0x78, 3, 0x78, 3, 8, 8, 0x22, 0x80, 0x00, 0x79, 0]);
    assert.deepEqual(crsOf('COM1'), [0x47, 1, 0xf8, 3, 0xf8, 3, 0, 8, 0x22, 0x10, 0x00, 0x79, 0]);
    // In QEMU's order, which Linux numbers the PnP devices by.
    const order = ['KBD_', 'MOU_', 'LPT1', 'COM1', 'COM2', 'RTC_'].map((n) => d.indexOf(n, d.indexOf('S08_')));
    assert.deepEqual(order, [...order].sort((a, b) => a - b));
    assert.deepEqual(crsOf('COM2'), [0x47, 1, 0xf8, 2, 0xf8, 2, 0, 8, 0x22, 0x08, 0x00, 0x79, 0]);
    assert.equal(dsdt(false).indexOf('COM2'), -1, 'no COM2 without the second UART');
    assert.equal(Buffer.from(buildDsdt(pcPlatform(128 << 20, CPU_MODELS.qemu64, 1, { nodefaults: true }))).indexOf('LPT1'), -1, 'no LPT1 with nodefaults');
  });
});

describe('AML encodings (ACPI 6.4 §20.2)', () => {
  it('PkgLength: one byte below 64, then lead byte with the count of following bytes', () => {
    assert.deepEqual(aml.pkgLength(0), [1]);
    assert.deepEqual(aml.pkgLength(62), [63]);
    assert.deepEqual(aml.pkgLength(63), [0x41, 0x04]); // total 65 = 0x41
    assert.deepEqual(aml.pkgLength(0xffd), [0x4f, 0xff]); // total 0xfff: one following byte holds 12 bits
    assert.deepEqual(aml.pkgLength(0x1000), [0x83, 0x00, 0x01]); // total 0x1003 needs two
    assert.deepEqual(aml.pkgLength(0x100000), [0xc4, 0x00, 0x00, 0x01]); // total 0x100004 needs three
  });
  it('EisaId and integers as ACPICA encodes them', () => {
    assert.deepEqual(aml.eisaId('PNP0A03'), [0x0c, 0x41, 0xd0, 0x0a, 0x03]); // 0x030AD041
    assert.deepEqual(aml.eisaId('PNP0501'), [0x0c, 0x41, 0xd0, 0x05, 0x01]);
    assert.deepEqual(aml.integer(0), [0]);
    assert.deepEqual(aml.integer(1), [1]);
    assert.deepEqual(aml.integer(0x32), [0x0a, 0x32]);
    assert.deepEqual(aml.integer(0x600), [0x0b, 0x00, 0x06]);
    assert.deepEqual(aml.integer(0xfec00000), [0x0c, 0, 0, 0xc0, 0xfe]);
    assert.throws(() => aml.nameString('TOOLONG'), /not 1-4/);
  });
});

describe('table-loader (QEMU bios-linker-loader)', () => {
  it('serializes 128-byte commands: ALLOCATE (1), ADD_POINTER (2), ADD_CHECKSUM (3), in order', () => {
    const { build } = placedAcpi();
    const blob = serializeTableLoader(build.commands);
    assert.equal(blob.length, build.commands.length * 128);
    assert.equal(u32(blob, 0), 1);
    assert.equal(ascii(blob, 4, ACPI_RSDP_FILE.length + 1), ACPI_RSDP_FILE + '\0');
    assert.equal(u32(blob, 4 + 56), 16); // align
    assert.equal(blob[8 + 56], 2); // FSEG
    assert.equal(u32(blob, 128), 1);
    assert.equal(blob[128 + 8 + 56], 1); // HIGH
    const kinds = build.commands.map((c) => c.kind);
    assert.deepEqual(kinds.slice(0, 2), ['allocate', 'allocate']);
    const p = kinds.indexOf('addPointer');
    assert.equal(u32(blob, p * 128), 2);
    const c = kinds.indexOf('addChecksum');
    assert.equal(u32(blob, c * 128), 3);
  });
  it('the fw_cfg files for SeaBIOS: tables, RSDP and the serialized loader', () => {
    const files = acpiFwCfgFiles(platform());
    assert.deepEqual([...files.keys()], [ACPI_TABLES_FILE, ACPI_RSDP_FILE, 'etc/table-loader']);
    assert.equal(files.get('etc/table-loader')!.length % 128, 0);
    assert.equal(ascii(files.get(ACPI_RSDP_FILE)!, 0, 8), 'RSD PTR ');
  });
  it('a command naming a blob that was never allocated is an error', () => {
    assert.throws(() => runTableLoader({ files: new Map(), commands: [{ kind: 'addChecksum', file: 'x', offset: 0, start: 0, length: 1 }] }, () => 0), /before it is allocated/);
  });
});

describe('MP tables (MultiProcessor Specification 1.4)', () => {
  it('floating pointer and configuration table: signatures, lengths, checksums, entry count', () => {
    const mp = buildMpTables(platform());
    assert.equal(mp.address, 0xf5ba0);
    assert.equal(ascii(mp.floating, 0, 4), '_MP_');
    assert.equal(u32(mp.floating, 4), 0xf5bb0);
    assert.deepEqual([mp.floating[8], mp.floating[9]], [1, 4]);
    assert.equal(byteSum(mp.floating), 0);
    assert.equal(ascii(mp.config, 0, 4), 'PCMP');
    assert.equal(u16(mp.config, 4), mp.config.length);
    assert.equal(byteSum(mp.config), 0);
    assert.equal(u16(mp.config, 34), 18); // 1 cpu, 2 buses, 1 ioapic, 1 PCI + 11 ISA interrupts, 2 local
    assert.equal(mp.config.length, 200);
  });
  it('two and three CPUs: one processor entry, the BSP (SeaBIOS lists one CPU per package; -smp N is one package)', () => {
    // Checked against QEMU 7.2 -smp 2 and -smp 4 (SeaBIOS 1.16): the MP table's only processor is APIC ID 0;
    // the MADT lists every CPU (fixtures/src/smp counts them there).
    for (const cpus of [2, 3]) {
      const mp = buildMpTables(platform(128, cpus));
      assert.deepEqual([mp.config[44], mp.config[45], mp.config[47]], [0, 0, 3]);
      assert.notEqual(mp.config[64], 0, 'the next entry is not a processor');
      assert.equal(byteSum(mp.config), 0);
    }
  });
});

describe('BIOS data area', () => {
  it('COM1, LPT1, EBDA segment, equipment word, 639 KiB, VGA text fields, keyboard buffer', () => {
    const b = buildBda(platform(), { secondsOfDay: 0 });
    assert.equal(u16(b, 0x00), 0x3f8);
    // LPT1 at 0x378 with SeaBIOS's timeout 0x14 (lpt_setup), counted in equipment bits 14-15.
    assert.deepEqual([u16(b, 0x08), u16(b, 0x0a), b[0x78]], [0x378, 0, 0x14]);
    assert.equal(u16(b, 0x0e), 0x9fc0);
    assert.equal(u16(b, 0x10), 0x4226);
    const nodefaults = buildBda(pcPlatform(128 * MiB, CPU_MODELS.faultline, 1, { nodefaults: true }), { secondsOfDay: 0 });
    assert.deepEqual([u16(nodefaults, 0x08), u16(nodefaults, 0x10) >> 14], [0, 0], 'no parallel port with -nodefaults');
    assert.equal(u16(b, 0x13), 639);
    assert.deepEqual([b[0x49], u16(b, 0x4a), u16(b, 0x63), b[0x84]], [3, 80, 0x3d4, 24]);
    assert.deepEqual([u16(b, 0x1a), u16(b, 0x1c), u16(b, 0x80), u16(b, 0x82)], [0x1e, 0x1e, 0x1e, 0x3e]);
    assert.equal(buildEbda()[0], 1);
  });
  it('timer ticks from the RTC time of day (18.2 Hz), wrapping at a day', () => {
    assert.equal(ticksSinceMidnight(0), 0);
    assert.equal(ticksSinceMidnight(3600), 65543);
    assert.equal(u32(buildBda(platform(), { secondsOfDay: 3600 }), 0x6c), 65543);
    assert.ok(ticksSinceMidnight(86399) < 0x1800b0);
  });
});

describe('32-bit protected-mode BIOS interfaces (APM, BIOS32, PCI BIOS) and the PCI IRQ routing table', () => {
  it('pm-bios.ts holds exactly what nasm assembles from pm-bios.asm', (t) => {
    const dir = path.resolve(__dirname, '..', '..', '..', 'emulator/firmware');
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pm-bios-')), 'pm-bios.bin');
    try {
      execFileSync('nasm', ['-f', 'bin', '-I', dir + '/', path.join(dir, 'pm-bios.asm'), '-o', out], { stdio: 'pipe' });
    } catch {
      t.skip('nasm is not installed');
      return;
    }
    assert.deepEqual([...fs.readFileSync(out)], [...PM_BIOS_CODE]);
    fs.rmSync(path.dirname(out), { recursive: true });
  });

  it('the entry points sit at SeaBIOS\'s addresses: APM f000:d198, PCI BIOS f000:d1ca, BIOS32 f000:d26c', () => {
    // Each entry is a near JMP (E9 rel32) into the code after the stubs.
    for (const off of [0, 0xd1ca - 0xd198, 0xd26c - 0xd198]) assert.equal(PM_BIOS_CODE[off], 0xe9, `entry at +${off.toString(16)}`);
  });

  it('the BIOS32 directory header and $PIR table are QEMU 7.2\'s bytes (SeaBIOS 1.16, memory at 0xf6040 and 0xf5c80)', () => {
    assert.equal(Buffer.from(buildBios32Directory()).toString('hex'), '5f33325f6cd20f0000018f0000000000');
    assert.equal(Buffer.from(buildPirTable()).toString('hex'),
      '24504952000180000008000086802e1200000000000000000000000000000037000860f8de61f8de62f8de63f8de0000' +
      '001061f8de62f8de63f8de60f8de0100001862f8de63f8de60f8de61f8de0200002063f8de60f8de61f8de62f8de0300' +
      '002860f8de61f8de62f8de63f8de0400003061f8de62f8de63f8de60f8de0500');
  });
});
