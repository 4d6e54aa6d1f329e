import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { findKallsyms, kallsymsFromGuest, parseSystemMap } from '../../emulator/symbols/kallsyms';
import { parseElf, sectionBytes } from '../../emulator/boot/elf';
import { SymbolIndex } from '../../emulator/symbols/symbols';
import { LINUX_KERNEL, extractVmlinux, linux32Kernel, linuxFixtureMissing } from '../support/linux-fixture';

/**
 * Debian's x86_64 kernel (8-byte kallsyms tables, absolute per-cpu symbols) and its i386 PAE kernel (4-byte
 * tables, kallsyms_seqs_of_names' 3-byte entries right before the token table, addresses base + u32 offset;
 * built without CONFIG_KALLSYMS_ALL, so its kallsyms name code only: exported data is not looked for).
 */
const KERNELS = [
  { name: 'x86_64', file: LINUX_KERNEL, word: 8, text: 0xffffffff81000000n, kernelFrom: 0xffffffff80000000n, minSymbols: 50000, codeOnly: false, skip: linuxFixtureMissing() },
  {
    name: 'i386 (686-pae)', file: linux32Kernel('pae'), word: 4, text: 0xc1000000n, kernelFrom: 0xc0000000n, minSymbols: 40000, codeOnly: true,
    skip: fs.existsSync(linux32Kernel('pae')) ? false : `the 32-bit Linux fixture is not cached; run bash fixtures/linux32/build.sh`,
  },
];

for (const k of KERNELS) test(`kallsyms found by shape in Debian's ${k.name} kernel agree with every exported symbol in __ksymtab`, { skip: k.skip }, () => {
  const vmlinux = extractVmlinux(new Uint8Array(fs.readFileSync(k.file)));
  if (!vmlinux) return assert.fail('xz could not unpack the kernel payload');
  const found = findKallsyms(vmlinux);
  assert.ok(found, 'kallsyms tables found');
  assert.equal(found.tables.word, k.word);
  assert.ok(found.symbols.length > k.minSymbols, `${found.symbols.length} symbols`);
  const index = SymbolIndex.fromList(found.symbols);
  assert.equal(index.lookup('_text')?.address, k.text);
  const etext = index.lookup('_etext')!.address;

  // The independent truth: __ksymtab (struct kernel_symbol with PREL32 value/name offsets) names exported
  // functions and their addresses; kallsyms must give each the same address.
  const elf = parseElf(vmlinux, 'vmlinux');
  const ks = elf.sections.find((s) => s.name === '__ksymtab')!;
  const strs = elf.sections.find((s) => s.name === '__ksymtab_strings')!;
  const tab = sectionBytes(elf, '__ksymtab')!;
  const str = sectionBytes(elf, '__ksymtab_strings')!;
  const dv = new DataView(tab.buffer, tab.byteOffset, tab.byteLength);
  // Static functions may share an exported symbol's name, so any kallsyms entry of that name may match.
  const byName = new Map<string, bigint[]>();
  for (const sym of found.symbols) byName.set(sym.name, [...(byName.get(sym.name) ?? []), sym.address]);
  let checked = 0;
  for (let off = 0; off + 12 <= tab.length; off += 12) {
    const at = ks.addr + BigInt(off);
    const value = BigInt.asUintN(k.word * 8, at + BigInt(dv.getInt32(off, true)));
    const nameAt = Number(at + 4n + BigInt(dv.getInt32(off + 4, true)) - strs.addr);
    const name = Buffer.from(str.buffer, str.byteOffset, str.length).toString('latin1', nameAt, str.indexOf(0, nameAt));
    if (value < k.kernelFrom) continue; // x86_64's exported per-cpu variables: offsets, not places
    if (k.codeOnly && value >= etext) continue;
    assert.ok(byName.get(name)?.includes(value), `${name} at 0x${value.toString(16)}: kallsyms has ${byName.get(name)?.map((a) => a.toString(16))}`);
    checked++;
  }
  assert.ok(checked > 1000, `${checked} exported symbols checked`);
  // An address inside a function names it with an offset.
  const sk = index.lookup('start_kernel')!;
  assert.equal(index.describe(sk.address + 0x10n), 'start_kernel+0x10');
});

test('a System.map names functions with offsets; absolute symbols name no place', () => {
  const list = parseSystemMap('ffffffff81000000 T _text\nffffffff81000000 T startup_64\n0000000000000000 A VDSO32_PRELINK\nffffffff81000070 T secondary_startup_64\nffffffff81000100 t verify_cpu\nffffffff82000000 D some_data\n');
  const index = SymbolIndex.fromList(list);
  assert.equal(index.describe(0xffffffff81000074n), 'secondary_startup_64+0x4');
  assert.equal(index.lookup('VDSO32_PRELINK'), undefined);
  assert.equal(index.functionAt(0xffffffff81000104n)?.name, 'verify_cpu');
  assert.equal(index.lookup('some_data')?.kind, 'object');
});

test('kallsyms are read from guest RAM at a stop in the kernel\'s mapping or in user mode, not before the kernel runs', () => {
  let reads = 0;
  const read = (_a: bigint, n: number) => { reads++; return new Uint8Array(n); };
  assert.equal(kallsymsFromGuest(0x1000000n, read, 4096, 0), undefined, 'the decompressor (CPL 0, below the kernel mapping)');
  assert.equal(reads, 0);
  kallsymsFromGuest(0x401000n, read, 4096, 3);
  assert.equal(reads, 1, 'a user-mode stop (a pause in the init) searches RAM');
  kallsymsFromGuest(0xffffffff81000000n, read, 4096, 0);
  assert.equal(reads, 2);
  assert.equal(kallsymsFromGuest(0x5c4000n, read, 4096, 0), undefined, 'an i386 decompressor at its physical address');
  assert.equal(reads, 2);
  kallsymsFromGuest(0xc12e4e20n, read, 4096, 0);
  assert.equal(reads, 3, 'an i386 kernel at PAGE_OFFSET (0xc0000000) and up');
});
