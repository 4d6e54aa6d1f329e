import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { defaultLaunchConfig, isElf, isMultibootKernel, multibootVersion, namesWhatBoots, rankKernelPaths } from '../../extension/config/kernel';
import { hexDump, parseGuestAddress } from '../../extension/views/model/hexdump';

const ROOT = path.join(__dirname, '..', '..', '..');

test('the fixture kernels are ELF files with a multiboot header', () => {
  const dir = path.join(ROOT, 'fixtures', 'bin');
  const elfs = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.elf')) : [];
  for (const f of elfs) {
    const bytes = fs.readFileSync(path.join(dir, f));
    assert.ok(isMultibootKernel(bytes), `${f} should be a multiboot kernel`);
  }
});

test('a multiboot1 header needs its checksum; a multiboot2 header is found at an 8-byte boundary', () => {
  const b = new Uint8Array(4096);
  b.set([0x7f, 0x45, 0x4c, 0x46]);
  const dv = new DataView(b.buffer);
  dv.setUint32(0x100, 0x1badb002, true);
  dv.setUint32(0x104, 0x3, true);
  assert.equal(multibootVersion(b), undefined, 'bad checksum');
  dv.setUint32(0x108, (-(0x1badb002 + 3)) >>> 0, true);
  assert.equal(multibootVersion(b), 1);
  const c = new Uint8Array(4096);
  const dc = new DataView(c.buffer);
  dc.setUint32(0x208, 0xe85250d6, true); dc.setUint32(0x20c, 0, true); dc.setUint32(0x210, 24, true);
  dc.setUint32(0x214, (-(0xe85250d6 + 24)) >>> 0, true);
  assert.equal(multibootVersion(c), 2);
  assert.equal(isElf(c), false);
  assert.equal(isMultibootKernel(c), false, 'not an ELF');
});

test('kernels under build/ and target/ come first, shallow before deep', () => {
  assert.deepEqual(rankKernelPaths(['out/x/kernel.elf', 'target/x86_64/debug/kernel', 'build/kernel.elf', 'kernel.elf']),
    ['build/kernel.elf', 'target/x86_64/debug/kernel', 'kernel.elf', 'out/x/kernel.elf']);
});

test('the default launch configuration names the kernel relative to the workspace', () => {
  assert.deepEqual(defaultLaunchConfig('/ws/build/kernel.elf', '/ws'), {
    type: 'faultline', request: 'launch', name: 'Faultline: kernel.elf', kernel: '${workspaceFolder}/build/kernel.elf',
    memoryMB: 128, onTripleFault: 'stop', stopOnEntry: false,
  });
});

test('hex dumps show unreadable bytes as ?? and addresses parse with phys: prefix', () => {
  const dump = hexDump(0x105ff8n, Uint8Array.from([1, 2, 0x41]), 10);
  assert.equal(dump, [
    '0000000000105ff0                           01 02 41 ?? ?? ?? ?? ?? |        ..A?????|',
    '0000000000106000  ?? ??                                            |??              |',
  ].join('\n'));
  assert.deepEqual(parseGuestAddress('phys:0x1000'), { physical: true, address: 0x1000n });
  assert.deepEqual(parseGuestAddress('0x10_0000'), { physical: false, address: 0x100000n });
  assert.equal(parseGuestAddress('rsp'), undefined);
});

test('a launch.json configuration that boots disks, a CD, a floppy or a firmware image is launched as written; one naming nothing gets a kernel found', () => {
  const base = { type: 'faultline', request: 'launch', name: 'x' };
  for (const extra of [{ kernel: 'k.elf' }, { disks: ['disk.img'] }, { cdrom: 'os.iso' }, { fda: 'os.img' }, { bios: 'firmware.rom' }]) {
    assert.equal(namesWhatBoots({ ...base, ...extra }), true, JSON.stringify(extra));
  }
  for (const extra of [{}, { kernel: '' }, { disks: [] }, { cdrom: '  ' }, { stopOnEntry: true }]) {
    assert.equal(namesWhatBoots({ ...base, ...extra }), false, JSON.stringify(extra));
  }
});
