import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { CPU_MODELS } from '../../emulator/cpu/cpuid';
import { Machine } from '../../emulator/machine';
import { ProbeOutput, parseProbe, range, without } from './probe-output';

/**
 * The lowmem-probe kernels (fixtures/src/lowmem-probe) print everything a kernel finds when it starts; their
 * output under Faultline's direct boot is compared with QEMU 7.2's (SeaBIOS + QEMU's multiboot option ROM for
 * multiboot1, GRUB 2.06 from an ISO for multiboot2) fact by fact and byte by byte. Every difference allowed
 * below is named with its reason; everything else must be identical.
 */
const root = path.resolve(__dirname, '..', '..', '..');

function runProbe(file: string, cmdline: string): { out: ProbeOutput; exit: number | undefined } {
  // QEMU's board for the golden: -nodefaults -vga std (so no parallel port).
  const m = Machine.create({ memoryMB: 128, cpu: 'qemu64', board: { parallel: false, floppyDrive: false } });
  let serial = '';
  m.on('serial', (b) => { serial += String.fromCharCode(b); });
  m.boot(fs.readFileSync(path.join(root, file)), { cmdline });
  const stop = m.run(20_000_000);
  return { out: parseProbe(serial), exit: stop.exitCode };
}

const golden = (name: string) => parseProbe(fs.readFileSync(path.join(root, `fixtures/golden/${name}.serial.txt`), 'utf8'));

const section = (o: ProbeOutput, prefix: string) => o.lines.filter((l) => l.startsWith(prefix));
const hexOf = (n: number) => '0x' + n.toString(16).padStart(8, '0');

/** BDA bytes that differ by design (emulator/firmware/bda.ts): */
const BDA_DIFFERENCES = [
  // 0x450-0x451: page 0's cursor. QEMU's VGA BIOS printed SeaBIOS's two banner lines; Faultline's screen is empty.
  0x50, 0x51,
  // 0x46c-0x46f: timer ticks since midnight. QEMU's RTC runs on the host's clock; Faultline's starts at
  // 2026-01-01 00:00:00 (emulator/devices/cmos.ts), so 0 ticks.
  ...range(0x6c, 0x70),
  // 0x4a8-0x4ab: the VGA BIOS's video save pointer table (c000:6820) and 0x4b8-0x4bf its private fields:
  // no VGA BIOS ROM is in memory on the direct boot path.
  ...range(0xa8, 0xac), ...range(0xb8, 0xc0),
];

/** The low-memory facts both multiboot probes share: BDA, EBDA, MP tables, ACPI tables. */
function compareFirmwareTables(ours: ProbeOutput, qemu: ProbeOutput): void {
  // BDA, byte by byte, and its decoded fields (only the cursor line differs)
  assert.deepEqual(without(ours.dumps.get('bda'), BDA_DIFFERENCES), without(qemu.dumps.get('bda'), BDA_DIFFERENCES), 'BDA');
  assert.deepEqual(section(ours, 'bda ').filter((l) => !l.startsWith('bda cursor')), section(qemu, 'bda ').filter((l) => !l.startsWith('bda cursor')));
  assert.equal(ours.lines.find((l) => l.startsWith('bda cursor_page0')), 'bda cursor_page0 0x00000000');
  assert.deepEqual([...ours.dumps.get('ebda')!], [...qemu.dumps.get('ebda')!], 'EBDA');
  assert.deepEqual(section(ours, 'ebda '), section(qemu, 'ebda '));

  // MP floating pointer and configuration table: identical (the processor entry carries CPUID.1 EAX and EDX,
  // and qemu64's EDX is QEMU's, DE included).
  assert.deepEqual([...ours.dumps.get('mpfp')!], [...qemu.dumps.get('mpfp')!], 'MP floating pointer');
  assert.deepEqual([...ours.dumps.get('mpcfg')!], [...qemu.dumps.get('mpcfg')!], 'MP configuration table');
  assert.equal(new DataView(ours.dumps.get('mpcfg')!.buffer).getUint32(0x34, true), CPU_MODELS.qemu64.leaf1Edx);
  assert.deepEqual(section(ours, 'mp '), section(qemu, 'mp '));

  // RSDP: found by the standard search at the same address, same OEM and revision; its RSDT address (and so
  // its checksum) differs because Faultline's DSDT is smaller than QEMU's and the tables after it move up.
  assert.deepEqual(section(ours, 'rsdp ').filter((l) => !l.startsWith('rsdp rsdt')), section(qemu, 'rsdp ').filter((l) => !l.startsWith('rsdp rsdt')));
  assert.deepEqual(without(ours.dumps.get('rsdp'), [8, ...range(16, 20)]), without(qemu.dumps.get('rsdp'), [8, ...range(16, 20)]), 'RSDP');

  // RSDT entries: QEMU's list, in QEMU's order (FACP, APIC, HPET, WAET).
  const entries = (o: ProbeOutput) => section(o, 'rsdt entry').map((l) => l.split(' ')[3]);
  assert.deepEqual(entries(ours), entries(qemu));

  // Every table's header fields, addresses aside (the DSDT's length differs: a smaller DSDT). FADT, FACS,
  // MADT, HPET and WAET: every byte identical (the FADT's FACS and DSDT pointers too: both tables sit first
  // in the high zone, as under SeaBIOS).
  const headers = (o: ProbeOutput) => section(o, 'acpi "').map((l) => l.replace(/ at 0x[0-9a-f]{8}/, ''));
  const lengthless = (l: string) => (/^acpi "DSDT"/.test(l) ? l.replace(/ length 0x[0-9a-f]{8}/, '') : l);
  assert.deepEqual(headers(ours).map(lengthless), headers(qemu).map(lengthless));
  for (const t of ['acpi FACP', 'acpi FACS', 'acpi APIC', 'acpi HPET', 'acpi WAET']) assert.deepEqual([...ours.dumps.get(t)!], [...qemu.dumps.get(t)!], t);
  assert.deepEqual(section(ours, 'fadt '), section(qemu, 'fadt '));
  assert.deepEqual(section(ours, 'madt '), section(qemu, 'madt '));
  // DSDT header: same except length and checksum (QEMU's DSDT is ~6 KiB of AML; Faultline's describes the PCI
  // root bridge and \_S5 only: emulator/firmware/acpi.ts).
  assert.deepEqual(without(ours.dumps.get('acpi DSDT header'), [...range(4, 8), 9]), without(qemu.dumps.get('acpi DSDT header'), [...range(4, 8), 9]));

  // SMBIOS: the entry point where SeaBIOS leaves it, byte for byte, and its table's address, length and count.
  assert.ok(qemu.lines.some((l) => l.startsWith('smbios entry_point')));
  assert.deepEqual(section(ours, 'smbios '), section(qemu, 'smbios '));
}

describe('lowmem-probe: what a multiboot kernel finds in memory, Faultline against QEMU', () => {
  it('multiboot1: registers, GDT, BDA, EBDA, MP and ACPI tables, multiboot information as under qemu -kernel', () => {
    const { out: ours, exit } = runProbe('fixtures/bin/lowmem-probe.elf', 'probe test=1');
    const qemu = golden('lowmem-probe');
    assert.equal(exit, 33);
    assert.equal(ours.lines[ours.lines.length - 1], 'lowmem-probe: done');

    // Entry state: every register, selector, control register, GDTR/IDTR/LDTR/TR, and the GDT's bytes, as
    // QEMU's multiboot option ROM leaves them (ESP 0x6f08 in free conventional memory).
    assert.deepEqual(section(ours, 'entry '), section(qemu, 'entry '));
    assert.deepEqual([...ours.dumps.get('gdt')!], [...qemu.dumps.get('gdt')!], 'GDT');
    // The 64 bytes at ESP: SeaBIOS's and the option ROM's call frames under QEMU; nothing was pushed in Faultline.
    assert.ok(qemu.dumps.get('stack')!.some((b) => b !== 0));
    assert.deepEqual([...ours.dumps.get('stack')!], new Array(64).fill(0));

    compareFirmwareTables(ours, qemu);

    // Multiboot information: at 0x9500 with the e820 map at 0x9000, memory fields, boot device, the command
    // line and module list right after the kernel, every mmap entry (= SeaBIOS's E820) -- identical except:
    //  - flags bit 5 and the syms fields (0x1c-0x2b): Faultline also passes the ELF section headers, as GRUB
    //    does (QEMU does not), so kernels can symbolize their backtraces;
    //  - the command line: QEMU prepends the kernel's path as given on its command line (this test boots the
    //    Machine without a fileName; the CLI and the adapter pass it), so the loader name behind it (0x40) moves.
    const mbiDiff = [0, ...range(0x1c, 0x2c), ...range(0x40, 0x44)];
    assert.deepEqual(without(ours.dumps.get('mbi'), mbiDiff), without(qemu.dumps.get('mbi'), mbiDiff), 'multiboot info');
    const mbiFlags = (o: ProbeOutput) => parseInt(o.lines.find((l) => l.startsWith('mbi flags'))!.split(' ')[2], 16);
    assert.equal(mbiFlags(ours), mbiFlags(qemu) | 0x20);
    const plain = (o: ProbeOutput) => section(o, 'mbi ').filter((l) => !/^mbi (flags|cmdline|boot_loader_name)/.test(l));
    assert.deepEqual(plain(ours), plain(qemu));
    assert.equal(qemu.lines.find((l) => l.startsWith('mbi cmdline')), 'mbi cmdline fixtures/bin/lowmem-probe.elf probe test=1');
    assert.equal(ours.lines.find((l) => l.startsWith('mbi cmdline')), 'mbi cmdline probe test=1');
    assert.equal(ours.lines.find((l) => l.startsWith('mbi boot_loader_name')), qemu.lines.find((l) => l.startsWith('mbi boot_loader_name')), 'QEMU\'s loader name, "qemu"');
  });

  it('BIOS32 directory, PCI BIOS and $PIR table: where SeaBIOS has them, returning what SeaBIOS returns', () => {
    const { out: ours } = runProbe('fixtures/bin/lowmem-probe.elf', 'probe test=1');
    const qemu = golden('lowmem-probe');
    // The "_32_" header at 0xf6040 and the $PIR table at 0xf5c80, byte for byte (emulator/firmware/pci-bios.ts).
    for (const d of ['bios32', 'pir']) assert.deepEqual([...ours.dumps.get(d)!], [...qemu.dumps.get(d)!], d);
    assert.deepEqual(section(ours, 'bios32 '), section(qemu, 'bios32 '));
    assert.deepEqual(section(ours, 'pir '), section(qemu, 'pir '));
    // Every PCI BIOS call (pm-bios.asm, pcibios32.inc): installation check, find device and class code (found,
    // a second index, absent), configuration reads and writes of each size (odd registers as SeaBIOS addresses
    // them), AH other than B1h, an undefined function; every register, CF and the preserved upper halves.
    // Except function 0Eh (get IRQ routing options): SeaBIOS's 32-bit entry reads the buffer structure at
    // ES:DI (16-bit DI), so under QEMU the probe's structure at 0x107100 is never written (the probe then skips
    // the second call: SeaBIOS would take the buffer's address from whatever lies at 0x7100); Faultline follows the PCI BIOS specification's 32-bit call (ES:EDI): "too small" with the size needed, then
    // the $PIR table's slot entries.
    const calls = (o: ProbeOutput) => section(o, 'pcibios call').filter((l) => !l.startsWith('pcibios call eax 0x5555b10e'));
    assert.equal(calls(qemu).length, 29);
    assert.deepEqual(calls(ours), calls(qemu));
    const b10e = section(ours, 'pcibios call eax 0x5555b10e');
    assert.match(b10e[0], /-> cf 1 eax 0x5555890e ebx 0x66660000 /);
    assert.match(b10e[1], /-> cf 0 eax 0x5555000e ebx 0x66660000 /);
    assert.deepEqual(section(ours, 'pcibios irq_options_size'), ['pcibios irq_options_size 0x00000060', 'pcibios irq_options_size 0x00000060']);
    assert.deepEqual([...ours.dumps.get('pcibios irq_buffer')!].slice(0, 0x60), [...qemu.dumps.get('pir')!].slice(32));
  });

  it('multiboot2: the tags GRUB gives (load base, mmap, basic meminfo, framebuffer, ACPI RSDP) and the same tables', () => {
    const { out: ours, exit } = runProbe('fixtures/bin/lowmem-probe-mb2.elf', 'mb2 probe');
    const grub = golden('lowmem-probe-mb2');
    assert.equal(exit, 33);
    compareFirmwareTables(ours, grub);

    // Tags in GRUB's order, every one of them.
    const tags = (o: ProbeOutput) => section(o, 'mb2 tag ').filter((l) => / size \d+$/.test(l)).map((l) => Number(l.split(' ')[2]));
    assert.deepEqual(tags(ours), tags(grub));
    // Tag 10 (APM) and the probe's calls through it: SeaBIOS's APM BIOS under GRUB, Faultline's own 32-bit
    // interface (emulator/firmware/apm32.inc in pm-bios.asm) at the same f000:d198, returning the same registers -- except the
    // flags (tag offset 12 and the installation check's CX): SeaBIOS also has a 16-bit interface (3), Faultline
    // only the 32-bit one (2).
    assert.deepEqual(without(ours.dumps.get('mb2 tag 10'), [12]), without(grub.dumps.get('mb2 tag 10'), [12]));
    assert.equal(ours.dumps.get('mb2 tag 10')![12], 2);
    const installCx = (l: string) => (l.startsWith('apm call ax 0x5300') ? l.replace(/ ecx 0x0000000[23] /, ' ecx <flags> ') : l);
    assert.equal(section(grub, 'apm call').length, 11);
    assert.deepEqual(section(ours, 'apm call').map(installCx), section(grub, 'apm call').map(installCx));
    for (const t of [21, 4, 8]) assert.deepEqual([...ours.dumps.get(`mb2 tag ${t}`)!], [...grub.dumps.get(`mb2 tag ${t}`)!], `tag ${t}`);
    const facts = (o: ProbeOutput) => section(o, 'mb2 ').filter((l) => /^mb2 (cmdline|mmap|elf_)/.test(l));
    assert.deepEqual(facts(ours), facts(grub));
    // Tag 5 (boot device): GRUB booted from the CD (BIOS drive 0xe0); a direct boot names the first hard disk
    // as QEMU's multiboot1 loader does (0x80), no partition.
    assert.deepEqual([...ours.dumps.get('mb2 tag 5')!], [0x80, 0, 0, 0, ...new Array(8).fill(0xff)]);
    // Tag 14: a copy of the RSDP the search finds (GRUB copies it the same way).
    assert.deepEqual([...ours.dumps.get('mb2 tag 14')!], [...ours.dumps.get('rsdp')!]);
    assert.deepEqual([...grub.dumps.get('mb2 tag 14')!], [...grub.dumps.get('rsdp')!]);
    // Entry state: QEMU's multiboot1 loader's registers (GRUB's differ: ESP 0x7ff00, CS 0x10, DS 0x18).
    const mb1 = golden('lowmem-probe');
    const regs = (o: ProbeOutput) => section(o, 'entry ').filter((l) => !/^entry (eax|ebx|ecx) /.test(l));
    assert.deepEqual(regs(ours), regs(mb1));
  });

  it('acpi-mp-find: a kernel that searches for the MP and ACPI tables like xv6 and OSDev code finds what it finds under QEMU', () => {
    const m = Machine.create({ memoryMB: 128 });
    let serial = '';
    m.on('serial', (b) => { serial += String.fromCharCode(b); });
    m.boot(fs.readFileSync(path.join(root, 'fixtures/bin/acpi-mp-find.elf')));
    const stop = m.run(20_000_000);
    assert.equal(serial, fs.readFileSync(path.join(root, 'fixtures/golden/acpi-mp-find.serial.txt'), 'utf8'));
    assert.equal(stop.exitCode, 33);
  });
});
