import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { CPU_MODELS } from '../../emulator/cpu/cpuid';
import { buildDsdt } from '../../emulator/firmware/acpi';
import * as aml from '../../emulator/firmware/aml';
import { pcPlatform } from '../../emulator/firmware/platform';
import { loadFirmware } from '../../emulator/firmware/seabios';
import { FW_CFG } from '../../emulator/devices/fwcfg';
import { Machine } from '../../emulator/machine';

/**
 * The DSDT against QEMU 7.2's for the `pc` machine. The hex strings are QEMU's own AML for these objects, dumped
 * from guest memory under `qemu-system-x86_64 -m 256` (monitor pmemsave of etc/acpi/tables at 0xFFE0000, the
 * DSDT at +0x40), each beside the ASL `iasl -d` prints for it. Ours must contain them byte for byte. QEMU's
 * default board also has an empty floppy drive A: (a 2.88 MB drive type), which its FDC0 describes as FLPA (51
 * bytes); Faultline's board has drive A: only with --fda, so its DSDT is QEMU's length with one.
 */

const dsdt = (o: { smp?: number; nodefaults?: boolean } = {}): Buffer =>
  Buffer.from(buildDsdt(pcPlatform(256 << 20, CPU_MODELS.qemu64, o.smp ?? 1, { nodefaults: o.nodefaults })));
const hex = (b: Buffer): string => b.toString('hex');

describe("DSDT: QEMU 7.2's pc DSDT", () => {
  it('has QEMU\'s length (with a drive A: as QEMU\'s default board, 51 bytes less without) and QEMU\'s header identifiers', () => {
    const d = dsdt();
    assert.equal(d.length, 0x194c - 51);
    assert.equal(buildDsdt(pcPlatform(256 << 20, CPU_MODELS.qemu64, 1, { floppies: ['288'] })).length, 0x194c);
    assert.equal(d.readUInt32LE(4), d.length);
    assert.equal(d.subarray(0, 4).toString(), 'DSDT');
    assert.equal(d[8], 1, 'revision 1: 32-bit integers');
  });

  it("_PRT: QEMU's build_prt method (128 entries: slot s pin p -> LNK[D,A,B,C][(s + p) & 3], 00:01 INTA -> LNKS)", () => {
    const prt = [
      '14440a5f50525400', //                       Method (_PRT, 0, NotSerialized)
      '7012028060', '700061', //                   Local0 = Package (0x80) {}; Local1 = Zero
      'a2420995610a80', //                         While ((Local1 < 0x80))
      '707a610a020062', //                         Local2 = (Local1 >> 0x02)
      '707b726162000a030063', //                   Local3 = ((Local1 + Local2) & 0x03)
      'a0109363007012090400004c4e4b440064', //     If ((Local3 == Zero)) Local4 = Package (4) { Zero, Zero, LNKD, Zero }
      'a024936301a01193610a047012090400004c4e4b530064', // If ((Local3 == One)) { If ((Local1 == 0x04)) Local4 = Package { .. LNKS .. }
      'a10d7012090400004c4e4b410064', //           Else Local4 = Package { .. LNKA .. } }
      'a01193630a027012090400004c4e4b420064', //   If ((Local3 == 0x02)) Local4 = Package { .. LNKB .. }
      'a01193630a037012090400004c4e4b430064', //   If ((Local3 == 0x03)) Local4 = Package { .. LNKC .. }
      '707d79620a10000bffff0088640000', //         Local4 [Zero] = ((Local2 << 0x10) | 0xFFFF)
      '707b610a0300886401', '00', //               Local4 [One] = (Local1 & 0x03)
      '7064886061007561', //                       Local0 [Local1] = Local4; Local1++
      'a460', //                                   Return (Local0)
    ].join('');
    assert.ok(hex(dsdt()).includes(prt));
  });

  it('IQST, IQCR and the links LNKA (PIIX3 PIRQA: _PRS IRQ 5, 10, 11; _STA/_DIS/_CRS/_SRS on PRQ0) and LNKS (the SCI, IRQ 9)', () => {
    const d = hex(dsdt());
    // Method (IQST, 1) { If ((0x80 & Arg0)) Return (0x09); Return (0x0B) }
    assert.ok(d.includes('14134951535401a0097b0a806800a40a09a40a0b'));
    // Method (IQCR, 1, Serialized) { Name (PRR0, ResourceTemplate () { Interrupt (ResourceConsumer, Level,
    // ActiveHigh, Shared) {0} }); CreateDWordField (PRR0, 0x05, PRRI); If ((Arg0 < 0x80)) PRRI = Arg0; Return (PRR0) }
    assert.ok(d.includes('143649514352090850525230110e0a0b89060009010000000079008a505252300a0550525249a00b95680a80706850525249a450525230'));
    const lnka = [
      '5b824c07', '4c4e4b41', //                   Device (LNKA)
      '085f4849440c41d00c0f', '085f55494400', //   _HID PNP0C0F, _UID Zero
      '085f50525311160a13890e000903050000000a0000000b0000007900', // _PRS: Interrupt (Level, ActiveHigh, Shared) {5, 10, 11}
      '140f5f53544100a4495153545052513014', //     _STA: Return (IQST (PRQ0))
      '115f444953007d505251300a8050525130', //     _DIS: PRQ0 |= 0x80
      '140f5f43525300a44951435250525130', //       _CRS: Return (IQCR (PRQ0))
      '14175f535253018a680a0550525249705052524950525130', // _SRS: CreateDWordField (Arg0, 0x05, PRRI); PRQ0 = PRRI
    ].join('');
    assert.ok(d.includes(lnka));
    for (const [n, i] of [['LNKB', 1], ['LNKC', 2], ['LNKD', 3]] as const) {
      // _UID 0x02 and 0x03 take one byte more than Zero and One: the device's PkgLength grows by one.
      const other = lnka.replace('5b824c07', i >= 2 ? '5b824d07' : '5b824c07').replace('4c4e4b41', Buffer.from(n).toString('hex')).replace('085f55494400', `085f5549440a0${i}`.replace('0a01', '01'))
        .split('50525130').join(Buffer.from(`PRQ${i}`).toString('hex'));
      assert.ok(d.includes(other), n);
    }
    const lnks = '5b824f044c4e4b53085f4849440c41d00c0f085f5549440a04085f505253110e0a0b890600090109000000790014095f53544100a40a0b14065f44495300140b5f43525300a45f50525314065f53525301';
    assert.ok(d.includes(lnks), 'LNKS: _PRS {9}, _STA 0x0B, empty _DIS and _SRS, _CRS returns _PRS');
    // The PIRQ route registers as fields: OperationRegion (P40C, PCI_Config, 0x60, 0x04) in S08 (00:01.0) and
    // Scope (\_SB) { Field (PCI0.S08.P40C, ByteAcc, NoLock, Preserve) { PRQ0, 8, PRQ1, 8, PRQ2, 8, PRQ3, 8 } }
    assert.ok(d.includes('5b8050343043020a600a04102c5c5f53425f5b81242f03504349305330385f5034304301' + ['0', '1', '2', '3'].map((i) => Buffer.from(`PRQ${i}`).toString('hex') + '08').join('')));
  });

  it('PCI hotplug: an empty slot as QEMU describes it (S18: _ADR, ASUN, _DSM, _SUN, _EJ0), \\_GPE._E01, the register blocks\' containers', () => {
    const d = hex(dsdt());
    const s18 = '5b824f045331385f085f4144520c00000300084153554e0a03141d5f44534d0c70120a024253454c4153554e60a45044534d68696a6b60085f53554e0a0314125f454a30015043454a4253454c5f53554e';
    assert.ok(d.includes(s18));
    // Scope (_GPE) { Method (_E01) { Acquire (\_SB.PCI0.BLCK, 0xFFFF); \_SB.PCI0.PCNT (); Release (\_SB.PCI0.BLCK) } }
    assert.ok(d.endsWith('103f5f47504514395f453031005b235c2f035f53425f50434930424c434bffff5c2f035f53425f5043493050434e545b275c2f035f53425f50434930424c434b'));
    // Device (GPE0) { _HID "PNP0A06", _UID "GPE0 resources", _STA 0x0B, _CRS IO (0xAFE0, 0xAFE0, 1, 4) }
    assert.ok(d.includes('5b82430447504530085f4849440d504e503041303600085f5549440d47504530207265736f757263657300085f5354410a0b085f435253110d0a0a4701e0afe0af01047900'));
    // PCNT notifies every hotplug slot: slots 3-31 with the VGA in slot 2, slots 2-31 without it.
    const notifies = (b: Buffer) => (hex(b).match(/86(53[0-9a-f]{4}5f)69/g) ?? []).length;
    assert.equal(notifies(dsdt()), 29);
    assert.equal(notifies(dsdt({ nodefaults: true })), 30);
    assert.ok(!hex(dsdt()).includes(Buffer.from('S10_\x08_ADR', 'latin1').toString('hex') + '0c00000200084153554e0a02141d5f44534d0c70120a024253454c4153554e60a45044534d68696a6b60085f53554e'),
      'the VGA slot has no _SUN');
  });

  it('CPU hotplug: one Processor per CPU with _STA, _MAT (its MADT entry), _EJ0 but on the boot CPU, _OST; \\_GPE._E02 runs CSCN', () => {
    const d = dsdt({ smp: 2 });
    // Processor (C001, 0x01, 0x00000000, 0x00)
    const at = d.indexOf('C001\x01\x00\x00\x00\x00\x00', 0, 'latin1');
    assert.ok(at > 0);
    assert.ok(hex(d.subarray(at, at + 0x40)).includes('085f4d4154110b0a08' + '0008010101000000'), '_MAT: local APIC 1, enabled');
    assert.ok(hex(d.subarray(at, at + 0x60)).includes('140b5f454a300143454a3001'), '_EJ0: CEJ0 (One)');
    assert.ok(!hex(d.subarray(d.indexOf('C000\x00', 0, 'latin1'), at)).includes('5f454a30'), 'no _EJ0 on C000');
    // Method (\_GPE._E02) { \_SB.CPUS.CSCN () }
    assert.ok(hex(d).includes('141b5c2e5f4750455f453032005c2f035f53425f435055534353434e'));
  });

  it('iasl (when installed) decompiles it without errors, with QEMU\'s namespace', (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsdt-'));
    try {
      fs.writeFileSync(path.join(dir, 'dsdt.dat'), dsdt());
      try {
        execFileSync('iasl', ['-d', 'dsdt.dat'], { cwd: dir, stdio: 'pipe' });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') { t.skip('iasl (acpica-tools) is not installed'); return; }
        throw e;
      }
      const asl = fs.readFileSync(path.join(dir, 'dsdt.dsl'), 'utf8');
      for (const n of ['Device (LNKA)', 'Device (LNKS)', 'Method (_PRT, 0, NotSerialized)', 'Device (\\_SB.CPUS)', 'Processor (C000, 0x00, 0x00000000, 0x00)',
        'Method (_E01, 0, NotSerialized)', 'Method (\\_GPE._E02, 0, NotSerialized)', 'Device (SF8)', 'Device (LPT1)', 'Device (FWCF)', 'Device (PHPR)']) {
        assert.ok(asl.includes(n), n);
      }
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  });
});

describe('DSDT: both boot paths', () => {
  /** The DSDT in the etc/acpi/tables file QEMU's fw_cfg hands SeaBIOS (the DSDT follows the 64-byte FACS). */
  function fwCfgDsdt(m: Machine): Buffer {
    const dir = Buffer.from(m.devices.fwcfg.item(FW_CFG.FILE_DIR)!);
    for (let i = 0; i < dir.readUInt32BE(0); i++) {
      const e = 4 + 64 * i;
      if (dir.toString('latin1', e + 8, e + 64).replace(/\0+$/, '') !== 'etc/acpi/tables') continue;
      const tables = Buffer.from(m.devices.fwcfg.item(dir.readUInt16BE(e + 4))!);
      return tables.subarray(0x40, 0x40 + tables.readUInt32LE(0x44));
    }
    throw new Error('no etc/acpi/tables in fw_cfg');
  }

  it('SeaBIOS (through fw_cfg) and the direct load (in RAM) get the same DSDT, built from the board: COM2, CPUs, nodefaults, parallel', (t) => {
    let fw: ReturnType<typeof loadFirmware>;
    try { fw = loadFirmware(); } catch { t.skip('SeaBIOS is not installed'); return; }
    const kernel = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'fixtures', 'bin', 'acpi-mp-find.elf'));
    const variants = [{}, { com2: true, smp: 2 }, { nodefaults: true }, { parallel: false }];
    const seen = new Set<string>();
    for (const v of variants) {
      const { nodefaults, parallel, ...machine } = v as { com2?: boolean; smp?: number; nodefaults?: boolean; parallel?: boolean };
      const viaSeabios = fwCfgDsdt(Machine.create({ memoryMB: 128, ...machine, board: { bios: fw.bios, vgaBios: fw.vgaBios, nodefaults, parallel } }));
      const direct = Machine.create({ memoryMB: 128, ...machine, board: { nodefaults, parallel } });
      direct.boot(kernel);
      const at = 128 * 1024 * 1024 - 0x20000 + 0x40; // the direct path places etc/acpi/tables where SeaBIOS does
      const inRam = Buffer.from(Array.from({ length: viaSeabios.length }, (_, i) => direct.mem.read(at + i, 1)));
      // The loader's checksum command fills byte 9 in RAM; the fw_cfg blob leaves it 0 for SeaBIOS to compute.
      assert.equal(inRam.reduce((a, b) => (a + b) & 0xff, 0), 0, 'checksum');
      inRam[9] = 0;
      assert.ok(inRam.equals(viaSeabios), `${JSON.stringify(v)}: the direct path's DSDT differs from the one fw_cfg gives SeaBIOS`);
      seen.add(viaSeabios.toString('hex'));
      const d = viaSeabios.toString('latin1');
      assert.equal(d.includes('COM2'), v === variants[1], 'COM2 only with the second UART');
      assert.equal(d.includes('LPT1'), !nodefaults && parallel !== false, 'LPT1 only with the parallel port');
      assert.equal(d.includes('C001'), v === variants[1], 'a Processor object per CPU');
    }
    assert.equal(seen.size, variants.length);
  });
});

describe('AML name strings (ACPI 6.4 §20.2.2)', () => {
  it('root, single segment, dual and multi-segment paths', () => {
    assert.deepEqual(aml.nameString('\\'), [0x5c, 0x00]);
    assert.deepEqual(aml.nameString('_SB'), [...Buffer.from('_SB_')]);
    assert.deepEqual(aml.nameString('\\_SB.PCI0'), [0x5c, 0x2e, ...Buffer.from('_SB_PCI0')]);
    assert.deepEqual(aml.nameString('PCI0.S08.P40C'), [0x2f, 3, ...Buffer.from('PCI0S08_P40C')]);
    assert.throws(() => aml.nameString('\\_SB.PCI00'), /1-4 of A-Z/);
  });
  it('ToUUID puts the first three groups little-endian', () => {
    assert.deepEqual(aml.uuid('e5c937d0-3553-4d7a-9117-ea4d19c3434d').slice(4),
      [0xd0, 0x37, 0xc9, 0xe5, 0x53, 0x35, 0x7a, 0x4d, 0x91, 0x17, 0xea, 0x4d, 0x19, 0xc3, 0x43, 0x4d]);
  });
});
