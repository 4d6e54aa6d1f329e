import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadFirmware } from '../../emulator/firmware/seabios';
import { Machine } from '../../emulator/machine';
import { StopInfo } from '../../emulator/api';
import { LINUX_INITRD, LINUX_KERNEL, linuxBootSkipped } from '../support/linux-fixture';

/**
 * Debian bookworm's Xen 4.17 hypervisor (fixtures/xen/build.sh), booted as `qemu -kernel xen -initrd "vmlinuz
 * ...,initramfs.cpio.gz"` boots it: through SeaBIOS and the multiboot option ROM, with the Linux fixture's kernel
 * as a PV dom0 and the busybox initramfs as its ramdisk. Xen parses ACPI (MADT, HPET, FADT), the MP table and
 * the e820 map, brings up the local APIC, the I/O APIC and the HPET, calibrates against them, builds dom0 from
 * the bzImage and runs it in ring 3 under its PV ABI (hypercalls, event channels, its own page tables), and dom0
 * runs the init's shell loop and powers the machine off through Xen's ACPI S5. About 9 billion instructions
 * (minutes), so gated with the Linux boots: FAULTLINE_LINUX_BOOT=1 and both fixtures cached.
 *
 * Every line of the serial console is QEMU TCG's (fixtures/golden/xen/serial.txt, `build.sh --golden`, QEMU's
 * default qemu64 model and ours, `--cpu qemu64`) but for those DIFFERENCES names, each with its cause.
 */

const XEN_CACHE = process.env.FAULTLINE_XEN_CACHE ?? path.join(os.homedir(), '.cache', 'faultline', 'xen');
const XEN = path.join(XEN_CACHE, 'xen');
const GOLDEN = path.join(__dirname, '..', '..', '..', 'fixtures', 'golden', 'xen', 'serial.txt');
const XEN_APPEND = 'console=com1 com1=115200,8n1 loglvl=all noreboot';
const BUDGET = 30_000_000_000;

const linuxSkip = linuxBootSkipped();
const skip = linuxSkip || (fs.existsSync(XEN) ? false : `the Xen fixture is not in ${XEN_CACHE}; run bash fixtures/xen/build.sh (or set FAULTLINE_XEN_CACHE)`);

/**
 * Lines only one side prints, or prints with other numbers, and why. `qemu`: QEMU's run has it, `ours`: ours has
 * it; a line matching `both` is in both runs, its numbers aside.
 */
const DIFFERENCES: { re: RegExp; side: 'qemu' | 'ours' | 'both'; why: string }[] = [
  { re: /^\(XEN\) Detected [0-9.]+ MHz processor\.$/, side: 'both', why: 'the TSC frequency: the host\'s under QEMU, 1 GHz of virtual time here' },
  { re: /^reboot: Power down$/, side: 'both', why: 'dom0\'s message, its timestamp stripped' },
  {
    re: /^\(XEN\) TSC only partially writable$/, side: 'qemu',
    why: 'QEMU 7.2 TCG ignores WRMSR to the TSC; the CPU (and Faultline) writes all 64 bits, so Xen finds it writable ' +
      'and, unlike under QEMU, keeps deep C-states (cpuidle_disable_deep_cstate is not called)',
  },
  {
    re: /^\(XEN\) HPET: 0 timers usable for broadcast \(3 total\)$/, side: 'ours',
    why: 'with deep C-states kept (the TSC is writable, above) and no ARAT on a family 0Fh CPU, Xen sets up the HPET ' +
      'to wake CPUs from them (disable_pit_irq -> hpet_broadcast_init)',
  },
  {
    re: /^\(XEN\) (Mismatch between expected \(0x[0-9a-f]+\) and real \(0x?[0-9a-f]*\) levelling caps: missing 0x?[0-9a-f]*|Fam 0xf, model 0x6b level 0xd|If not running virtualised, please report a bug)$/,
    side: 'ours',
    why: 'Xen probes the K8 CPUID-masking MSRs (C001_1002/1004/1005) with RDMSR: QEMU 7.2 TCG reads every MSR it ' +
      'does not implement as 0, so Xen finds them; Faultline raises #GP(0) for an MSR it does not implement, as the CPU does',
  },
  {
    re: /^\(XEN\) (HVM: ASIDs enabled\.|SVM: Supported advanced features:| - none|HVM: SVM enabled|HVM: Hardware Assisted Paging \(HAP\) not detected)$/,
    side: 'qemu',
    why: 'QEMU\'s qemu64 reports AMD-V (SVM), which Faultline does not implement and so does not report (cpuid.ts)',
  },
  {
    re: /^\(XEN\) ( Dom0 alloc\.: +[0-9a-f]+->[0-9a-f]+ \(\d+ pages to be allocated\)| Phys-Mach map: [0-9a-f]+->[0-9a-f]+)$/,
    side: 'both',
    why: 'the free memory Xen gives dom0: under QEMU SVM\'s per-CPU pages (above) take 12 of them',
  },
];

/** The console with each line DIFFERENCES names for `side` dropped, and `both` lines reduced to their pattern. */
function comparable(text: string, side: 'qemu' | 'ours'): string[] {
  const out: string[] = [];
  for (const raw of text.replace(/\r/g, '').split('\n')) {
    const line = raw.replace(/^\[ *[0-9]+\.[0-9]+\] /, '');
    const d = DIFFERENCES.find((x) => x.re.test(line));
    if (d === undefined) out.push(line);
    else if (d.side === 'both') out.push(`<${d.re.source}>`);
    else if (d.side !== side) out.push(line);
  }
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out;
}

test('Xen 4.17 boots through SeaBIOS, builds a Linux PV dom0 that runs busybox and powers off, with QEMU\'s console (--cpu qemu64)', { skip, timeout: 3_600_000 }, () => {
  const fw = loadFirmware();
  const m = Machine.create({ memoryMB: 512, onTripleFault: 'stop', cpu: 'qemu64', board: fw ? { bios: fw.bios, vgaBios: fw.vgaBios } : undefined });
  let serial = '';
  m.on('serial', (b: number) => { serial += String.fromCharCode(b); });
  m.boot(new Uint8Array(fs.readFileSync(XEN)), {
    cmdline: XEN_APPEND,
    fileName: XEN,
    modules: [
      { name: LINUX_KERNEL, data: new Uint8Array(fs.readFileSync(LINUX_KERNEL)), cmdline: `${LINUX_KERNEL} console=hvc0 quiet` },
      { name: LINUX_INITRD, data: new Uint8Array(fs.readFileSync(LINUX_INITRD)), cmdline: LINUX_INITRD },
    ],
  });
  let stop: StopInfo = { reason: 'budget' };
  while (m.instructionCount < BUDGET) {
    stop = m.run(500_000_000);
    if (stop.reason !== 'budget') break;
  }
  const ours = comparable(serial, 'ours');
  assert.equal(stop.reason, 'exit', `the run ended with ${stop.reason} after ${m.instructionCount} instructions; console:\n${ours.join('\n')}`);
  assert.equal(stop.powerOff, true, 'ACPI soft-off (Xen\'s "Entering ACPI S5 state")');
  assert.deepEqual(ours, comparable(fs.readFileSync(GOLDEN, 'utf8'), 'qemu'));
  // Every difference the list names still occurs (a stale entry would hide nothing and explain nothing).
  const both = serial + fs.readFileSync(GOLDEN, 'utf8');
  for (const d of DIFFERENCES) {
    assert.ok(both.replace(/\r/g, '').split('\n').some((l) => d.re.test(l.replace(/^\[ *[0-9]+\.[0-9]+\] /, ''))), `no line matches ${d.re} (${d.why})`);
  }
});
