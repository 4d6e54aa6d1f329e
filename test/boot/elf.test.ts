import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseElf, sectionBytes, symbolAt } from '../../emulator/boot/elf';
import { BootError } from '../../emulator/boot/errors';
import { buildElf } from '../support/elf-builder';

const code = Uint8Array.from([0xfa, 0xf4, 0xeb, 0xfd]);

for (const cls of [32, 64] as const) {
  test(`ELF${cls}: segments, sections, symbols and section bytes are parsed`, () => {
    const { bytes, segmentOffsets } = buildElf({
      class: cls, entry: 0x100000,
      segments: [{ paddr: 0x100000, vaddr: cls === 64 ? 0xffffffff80100000n : 0xc0100000, data: code, memsz: 0x2000, flags: 5 }],
      sections: [
        { name: '.text', addr: 0x100000, flags: 6, data: code },
        { name: '.debug_line', data: Uint8Array.from([1, 2, 3]) },
      ],
      symbols: [
        { name: 'kmain', value: 0x100000, size: 4, type: 'FUNC', section: '.text' },
        { name: 'counter', value: 0x101000, size: 8, type: 'OBJECT', section: '.text' },
      ],
    });
    const elf = parseElf(bytes, 'k.elf');
    assert.equal(elf.class, cls);
    assert.equal(elf.entry, 0x100000n);
    assert.equal(elf.segments.length, 1);
    const s = elf.segments[0];
    assert.equal(s.paddr, 0x100000n);
    assert.equal(s.vaddr, cls === 64 ? 0xffffffff80100000n : 0xc0100000n);
    assert.equal(s.filesz, 4);
    assert.equal(s.memsz, 0x2000);
    assert.equal(s.offset, segmentOffsets[0]);
    assert.equal(s.flags, 5);
    assert.deepEqual(elf.sections.map((x) => x.name), ['', '.text', '.debug_line', '.symtab', '.strtab', '.shstrtab']);
    assert.deepEqual([...sectionBytes(elf, '.debug_line')!], [1, 2, 3]);
    assert.equal(sectionBytes(elf, '.debug_info'), undefined);
    const kmain = elf.symbols.find((x) => x.name === 'kmain')!;
    assert.equal(kmain.value, 0x100000n);
    assert.equal(kmain.size, 4);
    assert.equal(kmain.type, 'FUNC');
    assert.equal(kmain.bind, 'GLOBAL');
    assert.equal(kmain.section, '.text');
    assert.equal(elf.symbols.find((x) => x.name === 'counter')!.type, 'OBJECT');
    assert.equal(symbolAt(elf, 0x100002n)?.name, 'kmain');
    assert.equal(symbolAt(elf, 0x100004n), undefined);
  });
}

test('a file that is not ELF is named with its first bytes', () => {
  const mz = Uint8Array.from([0x4d, 0x5a, 0x90, 0x00, 0x03, 0x00]);
  assert.throws(() => parseElf(mz, 'x.bin'), { name: 'BootError', message: /^x\.bin is not an ELF file \(it starts with 4d 5a 90 00 \.\.\.\)/ });
});

test('every truncation of a valid ELF gives a BootError, never a crash', () => {
  for (const cls of [32, 64] as const) {
    const { bytes } = buildElf({ class: cls, entry: 0x100000, segments: [{ paddr: 0x100000, data: code }], symbols: [{ name: 'a', value: 1 }] });
    for (let n = 0; n < bytes.length; n++) {
      try {
        parseElf(bytes.subarray(0, n), 't.elf');
      } catch (e) {
        assert.ok(e instanceof BootError, `length ${n}: ${e}`);
        continue;
      }
      // Cutting only the tail past the section table start cannot parse; anything else must have thrown.
      assert.fail(`length ${n} of ${bytes.length} parsed`);
    }
  }
});

test('random garbage after an ELF magic gives BootErrors', () => {
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
  for (let i = 0; i < 300; i++) {
    const { bytes } = buildElf({ class: i % 2 ? 64 : 32, entry: 0x100000, segments: [{ paddr: 0x100000, data: code }] });
    for (let k = 0; k < 8; k++) bytes[4 + (rnd() * 7 + rnd()) % (bytes.length - 4)] = rnd();
    try {
      parseElf(bytes, 'g.elf');
    } catch (e) {
      assert.ok(e instanceof BootError, String(e));
    }
  }
});

test('header validation names the problem', () => {
  const { bytes } = buildElf({ class: 32, entry: 0, segments: [{ paddr: 0x100000, data: code }], machine: 40 });
  assert.throws(() => parseElf(bytes, 'arm.elf'), /arm\.elf is an ELF file for machine 40, not x86/);
  const rel = buildElf({ class: 64, entry: 0, segments: [{ paddr: 0x100000, data: code }], type: 1 }).bytes;
  assert.throws(() => parseElf(rel, 'o.o'), /o\.o is a relocatable object \(ET_REL\), not an executable/);
  const be = buildElf({ class: 64, entry: 0, segments: [{ paddr: 0x100000, data: code }] }).bytes;
  be[5] = 2;
  assert.throws(() => parseElf(be, 'be.elf'), /big-endian/);
  assert.throws(() => parseElf(new Uint8Array(0), 'empty.elf'), /empty\.elf is not an ELF file/);
});
