import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { CPU_MODELS } from '../../emulator/cpu/cpuid';
import { MULTIBOOT2_ROM, MULTIBOOT_ROM } from '../../emulator/firmware/multiboot-rom';
import { exceptionChain, parseQemuIntLog } from '../support/qemu-log';
import { bootWithFirmware, FirmwareRun, firmwareMissing, ROOT } from '../support/firmware';
import { romMatchesSource } from '../support/option-rom';
import { ProbeOutput, parseProbe, range, without } from './probe-output';

/**
 * `--kernel` through SeaBIOS (emulator/firmware/kernel-rom.ts + multiboot-rom.asm): SeaBIOS runs from the reset
 * vector, then Faultline's option ROM loads the multiboot1 kernel, as qemu -kernel (SeaBIOS + QEMU's
 * multiboot.bin) did when fixtures/record-golden.sh recorded the golden files. Each kernel must reach QEMU's
 * exception chain, CR2 values, serial output and exit status, on the board QEMU had (-nodefaults unless the
 * manifest's qemuArgs add -vga std). A full SeaBIOS POST costs ~7.5 M instructions (1-4 s here), so npm test
 * boots a representative set (a triple fault, #DF on an IST and through a task gate, a higher-half kernel, a C
 * workload, a kernel loaded below 1 MiB that runs in real mode); FAULTLINE_SEABIOS_ALL=1 boots every multiboot1
 * fixture (all 29 multiboot1 and both multiboot2 fixtures matched when this was written).
 */
interface Kernel {
  name: string; file: string; cmdline: string | null; boot: string; qemuArgs?: string[];
  golden: { log: string; serial: string; exit: string };
  sdmDeviations?: { serial: [string, string][] };
  serialComparedBy?: string;
}
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'fixtures/manifest.json'), 'utf8')) as { kernels: Kernel[] };
const read = (rel: string) => fs.readFileSync(path.join(ROOT, rel), 'utf8');
const REPRESENTATIVE = ['pf-missing-idt', 'ist-double-fault', 'higher-half', 'task-gate-df', 'c-workload', 'realmode-ops', 'mb2-ist-double-fault'];
const all = process.env.FAULTLINE_SEABIOS_ALL === '1';

/**
 * The manifest's chain notation, as test/machine/fixtures.test.ts: QEMU's -d int logs exceptions in real mode
 * too (check_exception), but no INT n taken in real mode -- so SeaBIOS's and the option ROM's BIOS calls drop
 * out, and a real-mode kernel's #DE/#BR stay.
 */
function kernelChain(events: FirmwareRun['events']): string[] {
  const chain: string[] = [];
  for (const { ev } of events) {
    if (ev.external || (ev.realMode && ev.software)) continue;
    if (ev.phase === 'raised') chain.push(ev.software && ev.vector !== 3 ? `INT 0x${ev.vector.toString(16)}` : ev.name);
    else if (ev.phase === 'escalated') chain.push('#DF');
    else if (ev.phase === 'tripleFault') chain.push('triple fault');
  }
  return chain;
}
const skip = firmwareMissing();

describe('--kernel through SeaBIOS and the multiboot option ROM, against qemu -kernel', { skip }, () => {
  it('multiboot-rom.ts holds what nasm assembles from multiboot-rom.asm (and with -DMULTIBOOT2), with the ROM checksum set', (t) => {
    const asm = path.join(ROOT, 'emulator/firmware/multiboot-rom.asm');
    if (!romMatchesSource(asm, MULTIBOOT_ROM) || !romMatchesSource(asm, MULTIBOOT2_ROM, ['-DMULTIBOOT2'])) t.skip('nasm is not installed');
  });

  for (const [name, rom] of [['multiboot1', MULTIBOOT_ROM], ['multiboot2', MULTIBOOT2_ROM]] as [string, Uint8Array][]) it(`the ${name} option ROM image: signature, size, checksum, PnP header with a boot entry vector`, () => {
    assert.deepEqual([rom[0], rom[1]], [0x55, 0xaa]);
    assert.equal(rom[2] * 512, rom.length);
    assert.equal(rom.reduce((a, b) => (a + b) & 0xff, 0), 0, 'bytes sum to 0');
    const pnp = rom[0x1a] | (rom[0x1b] << 8);
    assert.equal(String.fromCharCode(...rom.subarray(pnp, pnp + 4)), '$PnP');
    assert.equal(rom.subarray(pnp, pnp + 32).reduce((a, b) => (a + b) & 0xff, 0), 0, 'PnP header checksum');
    const bev = rom[pnp + 0x1a] | (rom[pnp + 0x1b] << 8);
    assert.ok(bev > pnp + 32 && bev < rom.length, 'boot entry vector inside the ROM');
  });

  for (const k of manifest.kernels.filter((x) => x.boot === 'multiboot2-iso' && !x.serialComparedBy)) {
    const selected = all || REPRESENTATIVE.includes(k.name);
    it(`${k.name}: a multiboot2 kernel through SeaBIOS + option ROM reaches the chain, CR2 and exit status QEMU recorded through GRUB`, { skip: !selected && 'set FAULTLINE_SEABIOS_ALL=1 to boot every fixture through SeaBIOS' }, () => {
      const r = bootWithFirmware({ nodefaults: true }, 400_000_000, { bytes: fs.readFileSync(path.join(ROOT, k.file)), cmdline: k.cmdline ?? undefined });
      const golden = parseQemuIntLog(read(k.golden.log));
      assert.deepEqual(kernelChain(r.events), exceptionChain(golden), 'exception chain');
      const qemuPf = golden.filter((e) => e.kind === 'exception' && e.vector === 14).map((e) => BigInt((e as { cr2: string }).cr2));
      const ourPf = r.events.filter(({ ev }) => ev.phase === 'raised' && ev.vector === 14).map(({ ev }) => ev.cr2);
      for (const cr2 of qemuPf) assert.ok(ourPf.includes(cr2), `CR2 0x${cr2.toString(16)} from QEMU's log`);
      // GRUB names itself and lists its own tags: first and last lines and the command line, as fixtures.test.ts.
      const ours = r.serial.trimEnd().split('\n');
      const theirs = read(k.golden.serial).trimEnd().split('\n');
      assert.equal(ours[0], theirs[0], 'first line of serial output');
      assert.equal(ours[ours.length - 1], theirs[theirs.length - 1], 'last line of serial output');
      for (const line of theirs.filter((l) => l.includes('cmdline:'))) assert.ok(ours.includes(line), `serial line ${line}`);
      assert.equal(r.exit, Number(read(k.golden.exit).trim()), 'exit status');
    });
  }

  for (const k of manifest.kernels.filter((x) => x.boot === 'multiboot1' && !x.serialComparedBy && x.name !== 'acpi-mp-find')) {
    const selected = all || REPRESENTATIVE.includes(k.name);
    it(`${k.name}${k.cmdline ? ` (${k.cmdline})` : ''}: SeaBIOS + option ROM reach QEMU's chain, CR2, serial output and exit status`, { skip: !selected && 'set FAULTLINE_SEABIOS_ALL=1 to boot every fixture through SeaBIOS' }, () => {
      const nodefaults = !(k.qemuArgs ?? []).includes('-vga');
      // QEMU ran with -nodefaults (and -vga std for some): no NIC, no parallel port either way.
      const r = bootWithFirmware({ nodefaults, parallel: false, nic: false, floppyDrive: false }, 400_000_000, { bytes: fs.readFileSync(path.join(ROOT, k.file)), cmdline: k.cmdline ?? undefined });
      assert.match(r.firmwareLog, /Searching bootorder for: \/rom@genroms\/multiboot_dma\.bin/);
      assert.match(r.firmwareLog, /Booting from ROM\.\.\./);
      const golden = parseQemuIntLog(read(k.golden.log));
      assert.deepEqual(kernelChain(r.events), exceptionChain(golden), 'exception chain');
      const qemuPf = golden.filter((e) => e.kind === 'exception' && e.vector === 14).map((e) => BigInt((e as { cr2: string }).cr2));
      const ourPf = r.events.filter(({ ev }) => ev.phase === 'raised' && ev.vector === 14).map(({ ev }) => ev.cr2);
      for (const cr2 of qemuPf) assert.ok(ourPf.includes(cr2), `CR2 0x${cr2.toString(16)} from QEMU's log`);
      let goldenSerial = read(k.golden.serial);
      for (const [qemu, sdm] of k.sdmDeviations?.serial ?? []) goldenSerial = goldenSerial.split(qemu).join(sdm);
      assert.equal(r.serial, goldenSerial, 'serial output');
      assert.equal(r.exit, Number(read(k.golden.exit).trim()), 'exit status');
    });
  }
});

const section = (o: ProbeOutput, prefix: string) => o.lines.filter((l) => l.startsWith(prefix));

describe('lowmem-probe through SeaBIOS: what a multiboot kernel finds, against qemu -kernel', { skip }, () => {
  it('registers, GDT, BDA, EBDA, MP and ACPI tables, E820 and the multiboot information as under QEMU', () => {
    const r = bootWithFirmware({ nodefaults: false, parallel: false, nic: false, floppyDrive: false }, 400_000_000, { bytes: fs.readFileSync(path.join(ROOT, 'fixtures/bin/lowmem-probe.elf')), cmdline: 'probe test=1' });
    const ours = parseProbe(r.serial);
    const qemu = parseProbe(read('fixtures/golden/lowmem-probe.serial.txt'));
    assert.equal(r.exit, 33);
    assert.equal(ours.lines[ours.lines.length - 1], 'lowmem-probe: done');

    // Entry state: every register as QEMU's multiboot.bin leaves it (ESP 0x6f08 on SeaBIOS's stack, EFLAGS 0x6,
    // EDX = mem_upper's high half : 0x511), except EDI (QEMU's ROM leaves 0x1000, ours the end of the kernel
    // block it copied) and GDTR.base (the GDT's place inside each ROM); the GDT's bytes are the same.
    const regs = (o: ProbeOutput) => section(o, 'entry ').filter((l) => !/^entry (edi|gdtr\.base) /.test(l));
    assert.deepEqual(regs(ours), regs(qemu));
    assert.match(ours.lines.find((l) => l.startsWith('entry gdtr.base'))!, /^entry gdtr\.base 0x000c[0-9a-f]{4}$/, 'the GDT in the option ROM area');
    assert.deepEqual([...ours.dumps.get('gdt')!], [...qemu.dumps.get('gdt')!], 'GDT');

    // BDA and EBDA as SeaBIOS and the VGA BIOS left them (-vga std), byte by byte, except the timer ticks at
    // 0x46c (QEMU's RTC ran on the host clock; Faultline's starts at midnight).
    assert.deepEqual(without(ours.dumps.get('bda'), range(0x6c, 0x70)), without(qemu.dumps.get('bda'), range(0x6c, 0x70)), 'BDA');
    assert.deepEqual(section(ours, 'bda '), section(qemu, 'bda '));
    assert.deepEqual([...ours.dumps.get('ebda')!], [...qemu.dumps.get('ebda')!], 'EBDA');

    // SeaBIOS's MP tables: identical (the processor entry carries CPUID.1 EDX: qemu64's is QEMU's, DE included).
    assert.deepEqual([...ours.dumps.get('mpfp')!], [...qemu.dumps.get('mpfp')!], 'MP floating pointer');
    assert.deepEqual([...ours.dumps.get('mpcfg')!], [...qemu.dumps.get('mpcfg')!], 'MP configuration table');
    assert.deepEqual(section(ours, 'mp '), section(qemu, 'mp '));

    // SMBIOS: QEMU's structures and entry point over fw_cfg (firmware/smbios.ts), installed by SeaBIOS with its
    // own type 0, at the same F-segment address as under QEMU.
    assert.deepEqual(section(ours, 'smbios '), section(qemu, 'smbios '));

    // ACPI: QEMU's tables through etc/table-loader (firmware/acpi.ts), placed by SeaBIOS. The RSDP is found by
    // the standard search at QEMU's address with the same OEM and revision. A smaller DSDT, so the tables after it
    // move (the RSDT address differs).
    assert.deepEqual(section(ours, 'rsdp ').filter((l) => !/^rsdp rsdt/.test(l)), section(qemu, 'rsdp ').filter((l) => !/^rsdp rsdt/.test(l)));
    const entries = (o: ProbeOutput) => section(o, 'rsdt entry').map((l) => l.split(' ')[3]);
    assert.deepEqual(entries(ours), entries(qemu));
    for (const t of ['acpi FACP', 'acpi FACS', 'acpi APIC', 'acpi HPET', 'acpi WAET']) assert.deepEqual([...ours.dumps.get(t)!], [...qemu.dumps.get(t)!], t);
    assert.deepEqual(section(ours, 'fadt '), section(qemu, 'fadt '));
    assert.deepEqual(section(ours, 'madt '), section(qemu, 'madt '));
    // The FACS and DSDT sit first in the 128 KiB high zone SeaBIOS reserves for the padded tables blob, as
    // under QEMU: the same addresses.
    assert.equal(ours.lines.find((l) => l.startsWith('acpi "FACS"')), qemu.lines.find((l) => l.startsWith('acpi "FACS"')));

    // The multiboot information: mem_lower/mem_upper and every E820 entry from SeaBIOS's INT 12h/15h, identical
    // to QEMU's; as for the direct load, Faultline also passes the ELF section headers (flags bit 5, syms),
    // QEMU prepends the kernel's path to the command line and calls itself "qemu".
    const mbiDiff = [0, ...range(0x1c, 0x2c), ...range(0x40, 0x44)];
    assert.deepEqual(without(ours.dumps.get('mbi'), mbiDiff), without(qemu.dumps.get('mbi'), mbiDiff), 'multiboot info');
    const plain = (o: ProbeOutput) => section(o, 'mbi ').filter((l) => !/^mbi (flags|cmdline|boot_loader_name)/.test(l));
    assert.deepEqual(plain(ours), plain(qemu));
    assert.equal(ours.lines.find((l) => l.startsWith('mbi cmdline')), 'mbi cmdline probe test=1');

    // SeaBIOS's BIOS32 directory, $PIR table and 32-bit PCI BIOS, run by Faultline's CPU: every call returns
    // what it returns under QEMU (function 0Eh's structure too: SeaBIOS addresses it with DI, so it stays empty).
    for (const p of ['bios32 ', 'pir ', 'pcibios ']) assert.deepEqual(section(ours, p), section(qemu, p), p);
    assert.equal(section(ours, 'pcibios call').length, 30);
  });

  it('multiboot2: the tags as the direct load gives them, with APM, memory map, basic memory and RSDP from the BIOS (APM as GRUB finds it)', () => {
    const r = bootWithFirmware({ nodefaults: false, parallel: false, nic: false, floppyDrive: false }, 400_000_000, { bytes: fs.readFileSync(path.join(ROOT, 'fixtures/bin/lowmem-probe-mb2.elf')), cmdline: 'mb2 probe' });
    const ours = parseProbe(r.serial);
    const grub = parseProbe(read('fixtures/golden/lowmem-probe-mb2.serial.txt'));
    assert.equal(r.exit, 33);
    const tags = (o: ProbeOutput) => section(o, 'mb2 tag ').filter((l) => / size \d+$/.test(l)).map((l) => Number(l.split(' ')[2]));
    assert.deepEqual(tags(ours), tags(grub), 'tags in GRUB\'s order');
    // Tag 10 from SeaBIOS's APM (INT 15h 5300h/5303h, as GRUB fills it): every byte GRUB's, flags 3 included,
    // and the probe's 11 calls through it return what they return under GRUB.
    assert.deepEqual([...ours.dumps.get('mb2 tag 10')!], [...grub.dumps.get('mb2 tag 10')!]);
    assert.deepEqual(section(ours, 'apm call'), section(grub, 'apm call'));
    for (const t of [21, 4, 8]) assert.deepEqual([...ours.dumps.get(`mb2 tag ${t}`)!], [...grub.dumps.get(`mb2 tag ${t}`)!], `tag ${t}`);
    const facts = (o: ProbeOutput) => section(o, 'mb2 ').filter((l) => /^mb2 (cmdline|mmap|elf_)/.test(l));
    assert.deepEqual(facts(ours), facts(grub));
    // Tag 14: the RSDP the standard search finds, copied by the ROM (GRUB copies it the same way).
    assert.deepEqual([...ours.dumps.get('mb2 tag 14')!], [...ours.dumps.get('rsdp')!]);
    // Entry state: the multiboot1 ROM's registers (EAX/EBX/ECX aside: magic, tags, entry), EDI and GDTR.base aside.
    const mb1 = parseProbe(read('fixtures/golden/lowmem-probe.serial.txt'));
    const regs = (o: ProbeOutput) => section(o, 'entry ').filter((l) => !/^entry (eax|ebx|ecx|edi|gdtr\.base) /.test(l));
    assert.deepEqual(regs(ours), regs(mb1));
  });

  it('acpi-mp-find: the MP and ACPI searches of xv6 and OSDev code find SeaBIOS\'s tables', () => {
    const r = bootWithFirmware({ nodefaults: false, parallel: false, nic: false, floppyDrive: false }, 400_000_000, { bytes: fs.readFileSync(path.join(ROOT, 'fixtures/bin/acpi-mp-find.elf')) });
    // QEMU's output, except the RSDP's F-segment address (SMBIOS from fw_cfg, see above).
    const golden = read('fixtures/golden/acpi-mp-find.serial.txt').split('\n');
    const ours = r.serial.split('\n');
    const rsdp = (l: string) => l.replace(/^acpi: rsdp 0x000f[0-9a-f]{4} /, 'acpi: rsdp <f-segment> ');
    assert.deepEqual(ours.map(rsdp), golden.map(rsdp));
    assert.ok(golden.some((l) => l.startsWith('acpi: rsdp 0x000f')));
    assert.equal(r.exit, 33);
  });
});
