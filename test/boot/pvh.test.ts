import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bootKernel, isPvhKernel } from '../../emulator/boot';
import { PVH_START_INFO, PVH_START_MAGIC } from '../../emulator/boot/pvh';
import { defaultFirmwareFor, stageFirmwareKernel } from '../../emulator/firmware/kernel-rom';
import { Machine } from '../../emulator/machine';
import { buildElf, multiboot1Header, concatBytes } from '../support/elf-builder';
import { cstring, ram, u32, u64 } from './helpers';

/**
 * The PVH boot protocol as qemu -kernel runs it for an ELF with Xen's XEN_ELFNOTE_PHYS32_ENTRY note and no
 * multiboot header (emulator/boot/pvh.ts): the structures at the addresses QEMU 7.2's pvh.bin writes them to.
 * The whole protocol against QEMU, with Debian's vmlinux: test/machine/linux-boot.test.ts (gated).
 */

/** A 4-byte-aligned ELF note. */
function note(name: string, type: number, desc: number[]): number[] {
  const n = [...new TextEncoder().encode(name + '\0')];
  const pad = (b: number[]) => [...b, ...new Array((4 - (b.length % 4)) % 4).fill(0)];
  const u = (x: number) => [x & 0xff, (x >>> 8) & 0xff, (x >>> 16) & 0xff, x >>> 24];
  return [...u(n.length), ...u(desc.length), ...u(type), ...pad(n), ...pad(desc)];
}

// A 32-bit kernel at 1 MiB: OUT 0xF4 with EBX's low byte (so a run shows EBX), then HLT.
const CODE = Uint8Array.from([0x88, 0xd8, 0xe6, 0xf4, 0xf4]); // mov al, bl; out 0xf4, al; hlt
const ENTRY = 0x100000;
function pvhKernel(entryNote = note('Xen', 18, [ENTRY & 0xff, (ENTRY >>> 8) & 0xff, (ENTRY >>> 16) & 0xff, ENTRY >>> 24]), code = CODE): Uint8Array {
  return buildElf({ class: 32, entry: 0xdead, segments: [{ paddr: ENTRY, data: code, memsz: 0x2000 }, { paddr: 0, data: Uint8Array.from(entryNote), type: 4 }] }).bytes;
}

test('PVH: hvm_start_info at 0x21e0, the E820 map at 0x5a8, the command line at 0x11c0, the initrd module at 0x21c0, as pvh.bin leaves them', () => {
  const phys = ram(64);
  const initrd = Uint8Array.from({ length: 5000 }, (_, i) => i & 0xff);
  const e = bootKernel(pvhKernel(), phys, { cmdline: 'console=ttyS0 x=1', initrd });
  assert.equal(e.protocol, 'pvh');
  assert.equal(e.entry, ENTRY, 'the note\'s entry, not e_entry');
  assert.equal(e.ebx, PVH_START_INFO);
  assert.equal(e.regs.ecx, ENTRY, 'pvh.bin jumps through ECX');
  assert.deepEqual([e.cs, e.ds, e.cr0 & 0x80000001, e.eflags & 0x200], [0x08, 0x10, 1, 0], 'flat 32-bit protected mode, paging and interrupts off');
  const si = PVH_START_INFO;
  assert.deepEqual([u32(phys, si), u32(phys, si + 4), u32(phys, si + 8), u32(phys, si + 12)], [PVH_START_MAGIC, 1, 0, 1], 'magic, version 1, flags, one module');
  assert.equal(u64(phys, si + 16), 0x21c0, 'modlist_paddr');
  assert.equal(u64(phys, si + 24), 0x11c0, 'cmdline_paddr');
  assert.equal(cstring(phys, 0x11c0), 'console=ttyS0 x=1');
  const rsdp = u64(phys, si + 32);
  assert.ok(rsdp >= 0xe0000 && rsdp < 0x100000 && cstring(phys, rsdp).startsWith('RSD PTR '), `rsdp_paddr 0x${rsdp.toString(16)} is the RSDP`);
  assert.equal(u64(phys, si + 40), 0x5a8, 'memmap_paddr');
  const n = u32(phys, si + 48);
  assert.equal(u32(phys, 0x5a0), n, 'pvh_e820.entries');
  assert.ok(n >= 4);
  // The map is SeaBIOS's E820 for 64 MiB (the multiboot mmap's source too): RAM from 1 MiB to below the ACPI area.
  const entries = Array.from({ length: n }, (_, i) => ({ base: u64(phys, 0x5a8 + 24 * i), size: u64(phys, 0x5a8 + 24 * i + 8), type: u32(phys, 0x5a8 + 24 * i + 16), rsvd: u32(phys, 0x5a8 + 24 * i + 20) }));
  assert.deepEqual(entries[0], { base: 0, size: 0x9fc00, type: 1, rsvd: 0 });
  assert.ok(entries.some((x) => x.base === 0x100000 && x.type === 1 && x.base + x.size === 64 * 0x100000 - 0x20000));
  // The initrd: page aligned under the RAM below 4 GiB less QEMU's ACPI data size (0x28000), x86_load_linux's
  // PVH branch (Debian's vmlinux under QEMU with 256 MiB: RAMDISK at 0x0fedc000, the same here).
  const at = u64(phys, 0x21c0);
  assert.equal(u64(phys, 0x21c8), initrd.length);
  assert.equal(at, Math.floor((64 * 0x100000 - 0x28000 - 1 - initrd.length) / 4096) * 4096);
  assert.deepEqual([...phys.slice(at, 16)], [...initrd.subarray(0, 16)]);
  assert.deepEqual(e.modules, [{ name: 'initrd', start: at, end: at + initrd.length, cmdline: '' }]);
});

test('PVH: no initrd, no module; the kernel runs with EBX = start_info (the machine\'s direct load)', () => {
  const phys = ram(16);
  bootKernel(pvhKernel(), phys, {});
  assert.deepEqual([u32(phys, PVH_START_INFO + 12), u64(phys, PVH_START_INFO + 16)], [0, 0]);
  const m = Machine.create({ memoryMB: 32 });
  m.boot(pvhKernel());
  const stop = m.run(1000);
  assert.equal(stop.reason, 'exit');
  assert.equal(stop.exitCode, ((PVH_START_INFO & 0xff) << 1) | 1, 'the kernel saw EBX = 0x21e0');
});

test('PVH kernels are told apart: the note decides, a multiboot header or a Linux header wins (QEMU\'s order), and they load directly', () => {
  const pvh = pvhKernel();
  assert.equal(isPvhKernel(pvh), true);
  assert.equal(defaultFirmwareFor(pvh), 'none');
  assert.equal(isPvhKernel(pvhKernel(note('Xen', 17, [0, 0, 0x10, 0]))), false, 'another Xen note');
  assert.equal(isPvhKernel(pvhKernel(undefined, Uint8Array.from(concatBytes(multiboot1Header(0), CODE)))), false, 'a multiboot header first');
  assert.throws(() => stageFirmwareKernel(pvh, 32 << 20, { fileName: 'vmlinux' }), /vmlinux is a PVH kernel: QEMU boots it through SeaBIOS and its pvh\.bin ROM.*--firmware none/);
  assert.throws(() => bootKernel(buildElf({ class: 32, entry: 0x1000, segments: [{ paddr: 0x1000, data: CODE }, { paddr: 0, data: Uint8Array.from(note('Xen', 18, [0, 0x10, 0, 0])), type: 4 }] }).bytes, ram(16), { fileName: 'low.elf' }),
    /low\.elf loads at 0x1000, over the PVH start info and memory map/);
});
