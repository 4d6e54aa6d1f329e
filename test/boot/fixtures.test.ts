import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { bootKernel, loadKernelFile } from '../../emulator/boot';
import { findMultiboot1Header, MB1_FLAG_AOUT_KLUDGE, MBI } from '../../emulator/boot/multiboot1';
import { findMultiboot2Header, readInfoTags } from '../../emulator/boot/multiboot2';
import { cstring, ram, u32 } from './helpers';

// Tests run from out/test/boot; the repository root is three levels up.
const root = path.resolve(__dirname, '..', '..', '..');
const manifestPath = path.join(root, 'fixtures', 'manifest.json');
const manifest: { kernels: { name: string; file: string; boot: string; cmdline: string | null }[] } = fs.existsSync(manifestPath)
  ? JSON.parse(fs.readFileSync(manifestPath, 'utf8'))
  : { kernels: [] };

for (const k of manifest.kernels) {
  const file = path.join(root, k.file);
  const protocol = k.boot.replace(/-iso$/, ''); // '-iso': QEMU's truth was recorded through GRUB
  test(`fixture ${k.name} boots with ${protocol} and enters at the header's or ELF's entry point`, { skip: !fs.existsSync(file) && 'not built' }, () => {
    const bytes = loadKernelFile(file);
    const phys = ram(128);
    const st = bootKernel(bytes, phys, { fileName: path.basename(file), cmdline: k.cmdline ?? undefined });
    assert.equal(st.protocol, protocol);
    const mb1 = findMultiboot1Header(bytes);
    const mb2 = findMultiboot2Header(bytes);
    let expected: number;
    if (mb1 && mb1.flags & MB1_FLAG_AOUT_KLUDGE) expected = mb1.entryAddr;
    else if (!mb1 && mb2?.tags.find((t) => t.type === 3)) expected = mb2.tags.find((t) => t.type === 3)!.fields[0];
    else expected = Number(st.elf!.entry);
    assert.equal(st.entry, expected);
    assert.ok(st.entry >= st.kernelRange.start && st.entry < st.kernelRange.end, 'entry inside the loaded image');
    assert.ok(phys.slice(st.entry, 16).some((b) => b !== 0), 'code at the entry point');
    if (st.protocol === 'multiboot1') {
      assert.equal(cstring(phys, u32(phys, st.ebx + MBI.cmdline)), `${path.basename(file)} ${k.cmdline ?? ''}`);
    } else {
      const cmd = readInfoTags((a, n) => phys.slice(a, n), st.ebx).find((t) => t.type === 1)!;
      assert.equal(cstring(phys, cmd.address + 8), k.cmdline ?? '', 'GRUB passes only the arguments');
    }
  });
}
