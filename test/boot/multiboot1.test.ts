import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bootKernel } from '../../emulator/boot';
import { MBI } from '../../emulator/boot/multiboot1';
import { buildElf, concatBytes, multiboot1Header, multiboot2Header } from '../support/elf-builder';
import { cstring, gdtQwords, ram, u32, u64 } from './helpers';

const code = Uint8Array.from([0xfa, 0xf4, 0xeb, 0xfd]);

function mb1Elf(cls: 32 | 64 = 32) {
  const text = concatBytes(multiboot1Header(0x3), code);
  return buildElf({
    class: cls, entry: 0x10000c,
    segments: [
      { paddr: 0x100000, data: text, flags: 5 },
      { paddr: 0x102000, data: Uint8Array.from([0xaa, 0xbb]), memsz: 0x1000, flags: 6 },
    ],
    sections: [{ name: '.text', addr: 0x100000, flags: 6, data: text }],
    symbols: [{ name: '_start', value: 0x10000c, size: 4, type: 'FUNC', section: '.text' }],
  }).bytes;
}

test('multiboot1 ELF: segments land at p_paddr, bss is zeroed, EAX/EBX and the flat GDT are set', () => {
  const phys = ram();
  phys.u8.fill(0xcc, 0x102000, 0x104000); // stale memory where the bss goes
  const st = bootKernel(mb1Elf(), phys, { cmdline: 'console=serial', fileName: 'k.elf' });
  assert.equal(st.protocol, 'multiboot1');
  assert.equal(st.entry, 0x10000c);
  assert.equal(st.eax, 0x2badb002);
  assert.equal(st.ebx, st.infoAddress);
  assert.equal(st.ebx, 0x9500); // QEMU's MBI address
  assert.deepEqual([...phys.slice(0x10000c, 4)], [...code]);
  assert.deepEqual([...phys.slice(0x102000, 3)], [0xaa, 0xbb, 0]);
  assert.ok(phys.slice(0x102002, 0xffe).every((b) => b === 0), 'bss zeroed');
  assert.deepEqual(st.kernelRange, { start: 0x100000, end: 0x103000 });
  assert.equal(st.cs, 0x08);
  assert.equal(st.ds, 0x10);
  // QEMU's multiboot option ROM GDT, where QEMU has it (fixtures/golden/lowmem-probe.serial.txt)
  assert.equal(st.gdtBase, 0xca2b8);
  assert.equal(st.gdtLimit, 39);
  assert.deepEqual(gdtQwords(phys, st.gdtBase, st.gdtLimit), [0n, 0x00cf9a000000ffffn, 0x00cf93000000ffffn, 0x00009e000000ffffn, 0x000092000000ffffn]);
  // the registers QEMU's loader leaves: ECX = entry, EDX = mem_upper's high half | 0x511, a usable ESP
  assert.deepEqual(st.regs, { ecx: 0x10000c, edx: 0x511, esi: 0, edi: 0x1000, ebp: 0, esp: 0x6f08 });
  assert.equal(st.eflags, 0x6);
  assert.equal(st.cr0 & 0x80000001, 1, 'PE=1, PG=0');
  assert.equal(st.eflags & 0x20200, 0, 'IF=0, VM=0');
  assert.equal(st.elf?.symbols.find((s) => s.name === '_start')?.value, 0x10000cn);
});

test('multiboot1 info: flags, memory, cmdline, boot loader name and the e820 map', () => {
  const phys = ram(32);
  const st = bootKernel(mb1Elf(), phys, { cmdline: 'console=serial', fileName: 'k.elf' });
  const mbi = st.ebx;
  const flags = u32(phys, mbi + MBI.flags);
  for (const bit of [0, 1, 2, 3, 5, 6, 9]) assert.ok(flags & (1 << bit), `flag bit ${bit}`);
  assert.equal(u32(phys, mbi + MBI.memLower), 639);
  assert.equal(u32(phys, mbi + MBI.memUpper), 31 * 1024 - 128); // SeaBIOS reserves the top 128 KiB
  assert.equal(u32(phys, mbi + MBI.bootDevice), 0x8000ffff);
  // QEMU prepends the file name and puts the command line right after the kernel's page-aligned end
  assert.equal(u32(phys, mbi + MBI.cmdline), 0x103000);
  assert.equal(cstring(phys, u32(phys, mbi + MBI.cmdline)), 'k.elf console=serial');
  assert.equal(cstring(phys, u32(phys, mbi + MBI.bootLoaderName)), 'qemu', 'QEMU\'s loader name');
  const len = u32(phys, mbi + MBI.mmapLength);
  const addr = u32(phys, mbi + MBI.mmapAddr);
  const entries: [number, number, number][] = [];
  for (let p = addr; p < addr + len; p += u32(phys, p) + 4) entries.push([u64(phys, p + 4), u64(phys, p + 12), u32(phys, p + 20)]);
  assert.deepEqual(entries, [
    [0, 0x9fc00, 1],
    [0x9fc00, 0x400, 2],
    [0xf0000, 0x10000, 2],
    [0x100000, 31 * 1024 * 1024 - 0x20000, 1],
    [0x1fe0000, 0x20000, 2],
    [0xfffc0000, 0x40000, 2],
    [0xfd00000000, 0x300000000, 2],
  ]);
});

test('multiboot1 info: ELF section headers are passed, with .symtab/.strtab copied into RAM', () => {
  const phys = ram();
  const st = bootKernel(mb1Elf(64), phys, {});
  const mbi = st.ebx;
  const num = u32(phys, mbi + MBI.symsNum);
  const size = u32(phys, mbi + MBI.symsSize);
  const table = u32(phys, mbi + MBI.symsAddr);
  assert.equal(num, st.elf!.shnum);
  assert.equal(size, 64);
  assert.equal(u32(phys, mbi + MBI.symsShndx), st.elf!.shstrndx);
  const symtab = st.elf!.sections.find((s) => s.name === '.symtab')!;
  const shAddr = u64(phys, table + symtab.index * size + 16);
  assert.ok(shAddr >= st.kernelRange.end, 'symtab copied after the kernel');
  assert.deepEqual([...phys.slice(shAddr, symtab.size)], [...st.elf!.bytes.subarray(symtab.offset, symtab.offset + symtab.size)]);
  const text = st.elf!.sections.find((s) => s.name === '.text')!;
  assert.equal(u64(phys, table + text.index * size + 16), 0x100000, 'loaded sections keep their address');
});

test('multiboot1 info: a kernel passed as a Node Buffer is not changed by patching the section table, and its table is patched', () => {
  // fs.readFileSync gives a Buffer, whose slice() shares the caller's bytes; a reset boots the same image again.
  const bytes = mb1Elf(64);
  const pooled = Buffer.alloc(bytes.length + 16);
  const image = pooled.subarray(16); // at a non-zero offset of its ArrayBuffer, as pooled Buffers are
  image.set(bytes);
  const st = bootKernel(image, ram(), {});
  assert.deepEqual([...pooled.subarray(16)], [...bytes], 'the image is unchanged');
  assert.deepEqual([...pooled.subarray(0, 16)], new Array(16).fill(0), 'the bytes before it too');
  const phys = ram();
  const again = bootKernel(image, phys, {});
  const size = u32(phys, again.ebx + MBI.symsSize);
  const symtab = st.elf!.sections.find((s) => s.name === '.symtab')!;
  assert.ok(u64(phys, u32(phys, again.ebx + MBI.symsAddr) + symtab.index * size + 16) >= again.kernelRange.end, 'symtab sh_addr patched in the copy');
});

test('multiboot1 modules are page-aligned after the kernel and listed with their command lines', () => {
  const phys = ram();
  const st = bootKernel(mb1Elf(), phys, {
    modules: [
      { name: 'initrd.tar', data: new Uint8Array(5000).fill(7) },
      { name: 'font.psf', data: Uint8Array.from([1, 2, 3]), cmdline: 'font.psf size=16' },
    ],
  });
  const mbi = st.ebx;
  assert.equal(u32(phys, mbi + MBI.modsCount), 2);
  const mods = u32(phys, mbi + MBI.modsAddr);
  const m0 = [u32(phys, mods), u32(phys, mods + 4)];
  const m1 = [u32(phys, mods + 16), u32(phys, mods + 20)];
  // QEMU's layout: the module list and the command lines on the page after the kernel, then the modules
  assert.equal(mods, 0x103000);
  assert.deepEqual(m0, [0x104000, 0x104000 + 5000]);
  assert.deepEqual(m1, [0x106000, 0x106003]);
  assert.equal(cstring(phys, u32(phys, mods + 8)), 'initrd.tar');
  assert.equal(cstring(phys, u32(phys, mods + 24)), 'font.psf size=16');
  assert.deepEqual([...phys.slice(0x106000, 3)], [1, 2, 3]);
  assert.equal(phys.read8(0x104000 + 4999), 7);
  assert.equal(cstring(phys, u32(phys, mbi + MBI.cmdline)), '');
});

test('multiboot1 a.out kludge: a flat binary loads at load_addr, bss up to bss_end_addr is zeroed', () => {
  const phys = ram();
  phys.u8.fill(0xcc, 0x200000, 0x203000);
  const header = multiboot1Header(0x10003, { headerAddr: 0x200000, loadAddr: 0x200000, loadEndAddr: 0, bssEndAddr: 0x202000, entryAddr: 0x200020 });
  const image = concatBytes(header, new Uint8Array(0x20 - header.length), code);
  const st = bootKernel(image, phys, {});
  assert.equal(st.entry, 0x200020);
  assert.equal(st.elf, undefined);
  assert.deepEqual(st.kernelRange, { start: 0x200000, end: 0x202000 });
  assert.deepEqual([...phys.slice(0x200020, 4)], [...code]);
  assert.ok(phys.slice(0x200024, 0x202000 - 0x200024).every((b) => b === 0));
  // the command line (empty) and the loader name follow the bss; nothing else is touched
  assert.equal(phys.read8(0x202000), 0);
  assert.equal(cstring(phys, 0x202001), 'qemu');
  assert.equal(phys.read8(0x202006), 0xcc);
});

test('multiboot1 a.out kludge wins over the ELF program headers, even for ELF64 (as in QEMU)', () => {
  // The segment's p_paddr (0x300000) disagrees with the header; the header's load_addr (0x180000) is used.
  const header = multiboot1Header(0x10000, { headerAddr: 0x180000, loadAddr: 0x180000, loadEndAddr: 0x180000 + 36, bssEndAddr: 0x181000, entryAddr: 0x180020 });
  const text = concatBytes(header, new Uint8Array(0x20 - header.length), code);
  const { bytes } = buildElf({ class: 64, entry: 0xffffffff80000000n, segments: [{ paddr: 0x300000, vaddr: 0xffffffff80000000n, data: text }] });
  const phys = ram();
  const st = bootKernel(bytes, phys, {});
  assert.equal(st.entry, 0x180020);
  assert.deepEqual([...phys.slice(0x180020, 4)], [...code]);
  assert.equal(phys.read8(0x300020), 0);
  assert.ok(st.elf, 'the ELF is still parsed for symbols');
});

test('a higher-half ELF entry is translated to its physical address', () => {
  const text = concatBytes(multiboot1Header(0), code);
  const { bytes } = buildElf({ class: 32, entry: 0xc010000c, segments: [{ paddr: 0x100000, vaddr: 0xc0100000, data: text }] });
  assert.equal(bootKernel(bytes, ram(), {}).entry, 0x10000c);
});

test('multiboot1 is preferred when a kernel has both headers', () => {
  const text = concatBytes(multiboot1Header(0), new Uint8Array(4), code);
  const both = concatBytes(text, multiboot2Header([]));
  const { bytes } = buildElf({ class: 32, entry: 0x100010, segments: [{ paddr: 0x100000, data: both }] });
  assert.equal(bootKernel(bytes, ram(), {}).protocol, 'multiboot1');
});
