import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bootKernel } from '../../emulator/boot';
import { readInfoTags } from '../../emulator/boot/multiboot2';
import { buildElf, concatBytes, multiboot2Header, Mb2TagSpec } from '../support/elf-builder';
import { cstring, ram, u32, u64 } from './helpers';

const code = Uint8Array.from([0xfa, 0xf4, 0xeb, 0xfd]);

function mb2Elf(tags: Mb2TagSpec[] = [], cls: 32 | 64 = 64) {
  const header = multiboot2Header(tags);
  return buildElf({
    class: cls, entry: 0x100000 + header.length,
    segments: [{ paddr: 0x100000, data: concatBytes(header, code), memsz: 0x3000 }],
    sections: [{ name: '.text', addr: 0x100000, flags: 6, data: code }],
  }).bytes;
}

test('multiboot2 ELF64: loads at p_paddr, enters with EAX=0x36d76289 and EBX at the boot information', () => {
  const phys = ram();
  const bytes = mb2Elf();
  const st = bootKernel(bytes, phys, { cmdline: 'log=debug' });
  assert.equal(st.protocol, 'multiboot2');
  assert.equal(st.eax, 0x36d76289);
  assert.equal(st.ebx, st.infoAddress);
  assert.equal(st.ebx % 8, 0);
  assert.equal(st.entry, Number(st.elf!.entry));
  assert.deepEqual([...phys.slice(st.entry, 4)], [...code]);
  assert.deepEqual(st.kernelRange, { start: 0x100000, end: 0x103000 });
  assert.equal(st.cs, 0x08);
  assert.equal(st.ds, 0x10);
});

test('multiboot2 info: 8-byte-aligned tags with cmdline, loader name, modules, meminfo, mmap, ELF sections, end', () => {
  const phys = ram(64);
  const st = bootKernel(mb2Elf(), phys, {
    cmdline: 'log=debug',
    modules: [{ name: 'init', data: new Uint8Array(10).fill(9), cmdline: 'init --quiet' }],
  });
  const info = st.ebx;
  const tags = readInfoTags((a, n) => phys.slice(a, n), info);
  // GRUB 2.06's order (fixtures/golden/lowmem-probe-mb2.serial.txt)
  assert.deepEqual(tags.map((t) => t.type), [21, 1, 2, 3, 10, 6, 9, 4, 5, 8, 14, 0]);
  for (const t of tags) assert.equal(t.address % 8, 0);
  const end = tags[tags.length - 1];
  assert.equal(end.size, 8);
  assert.equal(u32(phys, info), end.address + 8 - info, 'total_size covers up to the end tag');
  const at = (type: number) => tags.find((t) => t.type === type)!.address;
  assert.equal(cstring(phys, at(1) + 8), 'log=debug');
  assert.equal(cstring(phys, at(2) + 8), 'Faultline');
  assert.equal(u32(phys, at(3) + 8), 0x103000);
  assert.equal(u32(phys, at(3) + 12), 0x10300a);
  assert.equal(cstring(phys, at(3) + 16), 'init --quiet');
  assert.equal(u32(phys, at(4) + 8), 639);
  assert.equal(u32(phys, at(4) + 12), 63 * 1024 - 128);
  assert.equal(u32(phys, at(21) + 8), 0x100000, 'load base address');
  const mmap = at(6);
  assert.equal(u32(phys, mmap + 8), 24);
  const entries: number[][] = [];
  for (let p = mmap + 16; p < mmap + u32(phys, mmap + 4); p += 24) entries.push([u64(phys, p), u64(phys, p + 8), u32(phys, p + 16)]);
  assert.deepEqual(entries, [
    [0, 0x9fc00, 1], [0x9fc00, 0x400, 2], [0xf0000, 0x10000, 2], [0x100000, 63 * 1024 * 1024 - 0x20000, 1],
    [0x3fe0000, 0x20000, 2], [0xfffc0000, 0x40000, 2], [0xfd00000000, 0x300000000, 2],
  ]);
  // tag 14: a copy of the RSDP the standard search finds at 0xf59d0
  assert.deepEqual([...phys.slice(at(14) + 8, 20)], [...phys.slice(0xf59d0, 20)]);
  assert.equal(String.fromCharCode(...phys.slice(at(14) + 8, 8)), 'RSD PTR ');
  const elfTag = at(9);
  assert.equal(u32(phys, elfTag + 8), st.elf!.shnum);
  assert.equal(u32(phys, elfTag + 12), 64);
  assert.equal(u32(phys, elfTag + 16), st.elf!.shstrndx);
});

test('multiboot2 address and entry tags place a flat binary', () => {
  const header = multiboot2Header([
    { type: 2, fields: [0x200000, 0x200000, 0, 0x202000] },
    { type: 3, fields: [0x200040] },
  ]);
  const image = concatBytes(header, new Uint8Array(0x40 - header.length), code);
  const phys = ram();
  const st = bootKernel(image, phys, {});
  assert.equal(st.entry, 0x200040);
  assert.deepEqual(st.kernelRange, { start: 0x200000, end: 0x202000 });
  assert.deepEqual([...phys.slice(0x200040, 4)], [...code]);
});

test('multiboot2 framebuffer tag is the EGA text framebuffer; a required tag Faultline lacks is refused', () => {
  const phys = ram();
  const st = bootKernel(mb2Elf([{ type: 1, fields: [8, 6] }]), phys, {});
  const fb = readInfoTags((a, n) => phys.slice(a, n), st.ebx).find((t) => t.type === 8)!;
  assert.equal(u64(phys, fb.address + 8), 0xb8000);
  assert.equal(u32(phys, fb.address + 20), 80);
  assert.equal(phys.read8(fb.address + 29), 2);
  assert.throws(() => bootKernel(mb2Elf([{ type: 1, fields: [13] }]), ram(), { fileName: 'k.elf' }),
    /k\.elf's multiboot2 header requires boot information tag 13 \(SMBIOS tables\), which Faultline does not provide/);
  assert.doesNotThrow(() => bootKernel(mb2Elf([{ type: 1, flags: 1, fields: [13] }]), ram(), {}));
  assert.doesNotThrow(() => bootKernel(mb2Elf([{ type: 1, fields: [14, 15, 21] }]), ram(), {}));
  assert.throws(() => bootKernel(mb2Elf([{ type: 42 }]), ram(), {}), /required tag of unknown type 42/);
});

test('multiboot2 header tags are 8-byte aligned and the relocatable/module-align tags are accepted', () => {
  const st = bootKernel(mb2Elf([{ type: 3, fields: [0x100000 + 64] }, { type: 6 }, { type: 10, fields: [0x100000, 0x1000000, 0x1000, 0] }], 32), ram(), {});
  assert.equal(st.entry, 0x100000 + 64);
});
