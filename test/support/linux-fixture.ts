/**
 * The Linux fixture (fixtures/linux/build.sh): Debian's kernel and our busybox initramfs live in a cache dir,
 * never in the repository. Tests that need them skip with this message when they are absent.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';

export const LINUX_CACHE = process.env.FAULTLINE_LINUX_CACHE ?? path.join(os.homedir(), '.cache', 'faultline', 'linux');
export const LINUX_KERNEL = path.join(LINUX_CACHE, 'vmlinuz');
export const LINUX_INITRD = path.join(LINUX_CACHE, 'initramfs.cpio.gz');

/** false when the fixture is there, else why the test skips. */
export function linuxFixtureMissing(): false | string {
  if (fs.existsSync(LINUX_KERNEL) && fs.existsSync(LINUX_INITRD)) return false;
  return `the Linux fixture is not in ${LINUX_CACHE}; run bash fixtures/linux/build.sh (or set FAULTLINE_LINUX_CACHE)`;
}

/** The decompressed kernel (vmlinux ELF) inside the bzImage's XZ payload (followed by its 4-byte size), by the xz tool. */
export function extractVmlinux(bzImage: Uint8Array): Uint8Array | undefined {
  const v = new DataView(bzImage.buffer, bzImage.byteOffset, bzImage.byteLength);
  const setupBytes = ((bzImage[0x1f1] || 4) + 1) * 512;
  const payload = bzImage.subarray(setupBytes + v.getUint32(0x248, true), setupBytes + v.getUint32(0x248, true) + v.getUint32(0x24c, true));
  try {
    return new Uint8Array(execFileSync('xz', ['-dc', '--single-stream'], { input: payload, maxBuffer: 1 << 28 }));
  } catch {
    return undefined;
  }
}

/** The command line the golden was recorded with (fixtures/linux/build.sh --golden) and the RAM it needs. */
export const LINUX_APPEND = 'console=ttyS0 quiet';
export const LINUX_MEMORY_MB = 256;
export const LINUX_GOLDEN = path.join(__dirname, '..', '..', '..', 'fixtures', 'golden', 'linux', 'serial-quiet.txt');

/**
 * The serial console as build.sh records QEMU's: carriage returns and escape sequences dropped, each kernel
 * message without its "[    1.234567] " timestamp.
 */
export function normalizeConsole(text: string): string {
  return text.replace(/\r/g, '').replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, '').replace(/\x1bc/g, '')
    .split('\n').map((l) => l.replace(/^\[ *[0-9]+\.[0-9]+\] /, '')).join('\n');
}

/**
 * Kernel messages whose presence depends on how fast the host runs QEMU, not on the machine: check_timer's
 * timer_irq_works() waits a TSC-timed ~10 ms for PIT ticks through the I/O APIC; QEMU TCG on a loaded host can
 * miss them and prints this (the first golden, recorded on a busy machine, had it; re-recorded runs do not).
 * Faultline's clock is the instruction count, so its PIT ticks always arrive and the line never appears.
 */
export const HOST_TIMING_LINES = [/^\.\.MP-BIOS bug: 8254 timer not connected to IO-APIC$/];

/** The console without the host-timing lines, for comparing runs with QEMU's. */
export function comparableConsole(text: string): string {
  return normalizeConsole(text).split('\n').filter((l) => !HOST_TIMING_LINES.some((re) => re.test(l))).join('\n');
}

/**
 * Whether the long Linux boot tests run: they need the fixture and take minutes (about 5 billion guest
 * instructions to power-off), so `npm test` runs them only with FAULTLINE_LINUX_BOOT=1. false, or why they skip.
 */
export function linuxBootSkipped(): false | string {
  const missing = linuxFixtureMissing();
  if (missing) return missing;
  if (!process.env.FAULTLINE_LINUX_BOOT) return 'booting Debian\'s kernel to power-off takes minutes; set FAULTLINE_LINUX_BOOT=1 to run it';
  return false;
}

/** Console lines that depend on the host's speed or the time of day, not on the machine (dropped on both sides). */
const VERBOSE_HOST_LINES = [
  ...HOST_TIMING_LINES,
  // The TSC's frequency and what is derived from it: QEMU's is the host's, Faultline's is 1 GHz of virtual time.
  /^tsc: Detected [0-9.]+ MHz processor$/, /^tsc: Refined TSC clocksource calibration: /, /^clocksource: tsc(-early)?: mask: /,
  // The switch to the refined TSC, printed by the same delayed work one TSC-timed second after boot: where it
  // lands among the initcalls depends on how many instructions the boot took by then (QEMU: the host's speed).
  /^clocksource: Switched to clocksource tsc$/,
  /^Calibrating delay loop \(skipped\)/, /^smpboot: Total of \d+ processors activated/, /^sched_clock: Marking stable /,
  // Linux's TSC calibration against the PIT: QEMU's TCG on a busy host can miss its timing window, and then
  // calibrates against the HPET or PM timer instead.
  /^tsc: Fast TSC calibration (failed|using PIT)$/, /^tsc: Unable to calibrate against PIT$/, /^tsc: using (HPET|PMTIMER) reference calibration$/,
  // QEMU's APIC timer calibration against the PM timer, when the host was slow (TCG time is host time).
  /^APIC calibration not consistent with PM-Timer/, /^APIC delta adjusted to PM-Timer/,
  // The time of day (QEMU's RTC follows the host's clock; Faultline's starts at 2026-01-01 00:00:00), and the
  // audit line it stamps, which prints when the timer fires on the host: anywhere among the initcalls.
  /^audit: type=2000 audit\(/, /^rtc_cmos [0-9a-z:_]+: setting system clock to /,
  // An AP's delay-loop calibration against jiffies (QEMU's APs run on host threads and see the ticks late; these
  // lines interrupt the "CPUs: #1 #2 #3" line, whose parts verboseComparable joins again), and how long the
  // deferred struct pages took to initialise (milliseconds of host time under QEMU; above 256 MiB only).
  /^calibrate_delay_direct\(\) /, /^Probably due to long platform interrupts\. Consider using "lpj=" boot option\.$/,
  /^node \d+ deferred pages initialised in \d+ms$/,
  // hpet_rtc_interrupt found the HPET counter more than one RTC period past its last interrupt: QEMU's host thread
  // was late (Faultline's HPET and its interrupts run on the instruction clock).
  /^hpet: Lost \d+ RTC interrupts$/,
  // check_timer's fallbacks after the host-timed "..MP-BIOS bug" line above (QEMU -append "mitigations=off": one
  // run of three printed them), and clockevents_program_min_delta raising the HPET's minimum when the host let
  // the deadline pass before the write (QEMU "nolapic": 4, 2 and 5 such lines in three runs).
  /^\.\.\.trying to set up timer (\(IRQ0\) through the 8259A \.\.\.|as Virtual Wire IRQ\.\.\.)$/,
  /^\.\.\.\.\. \(found apic \d+ pin \d+\) \.\.\.$/, /^\.\.\.\.\.\.\. failed\.$/, /^\.\.\.\.\. works\.$/,
  /^CE: hpet increased min_delta_ns to \d+ nsec$/,
  // A PCI quirk that took over 10 ms of the kernel's clock (pci_do_fixups): QEMU's host was slow (its -m 2048
  // -smp 2 golden has "quirk_passive_release+0x0/0x80 took 10100 usecs"; Faultline runs it in microseconds).
  /^pci [0-9a-f:.]+: [A-Za-z0-9_]+\+0x[0-9a-f]+\/0x[0-9a-f]+ took \d+ usecs$/,
];

/**
 * Where the board differs from QEMU's `pc` (each named here; the rest of the console must be QEMU's, in order):
 * [pattern, which side prints it, why]. Empty since the board has all of QEMU's default devices (the e1000, LPT1,
 * the empty floppy drive A:, IDE bus mastering, the VGA's MMIO BAR) and QEMU's DSDT: a difference that appears
 * is a regression to fix, or a board difference to name here with its reason.
 */
export const VERBOSE_BOARD_DIFFERENCES: [RegExp, 'qemu' | 'both', string][] = [
  // With several CPUs: QEMU's INIT resets the APs' MTRRs (x86_cpu_reset), which SeaBIOS had set as the BSP's;
  // the SDM's INIT leaves them unchanged (Table 9-1, Faultline: emulator/smp.ts), so only QEMU's Linux finds them
  // inconsistent and rewrites them.
  [/^mtrr: (your CPUs had inconsistent (fixed|variable) MTRR settings|your CPUs had inconsistent MTRRdefType settings|probably your BIOS does not setup all CPUs\.|corrected configuration\.)$/,
    'qemu', 'QEMU\'s INIT clears the MTRRs, the SDM\'s keeps them'],
];

/** The verbose console of one side with the host lines dropped and the board differences applied. */
export function verboseComparable(text: string, side: 'qemu' | 'ours'): string[] {
  const out: string[] = [];
  // The real-mode setup code's message, printed through SeaBIOS's serial console (QEMU -nographic) before the
  // kernel's first line: the direct path does not run the setup code.
  // Whether "ok" and its line end make it before the kernel's first line depends on QEMU's timing.
  const console = normalizeConsole(text).replace(/^Probing EDD \(edd=off to disable\)\.\.\. ?o?k?(\[ *[0-9]+\.[0-9]+\] |\n)/, '');
  for (const line of console.split('\n')) {
    if (line.startsWith('[faultline]') || VERBOSE_HOST_LINES.some((re) => re.test(line))) continue;
    const d = VERBOSE_BOARD_DIFFERENCES.find(([re]) => re.test(line));
    if (d && d[1] === 'qemu') {
      if (side === 'qemu') continue;
      throw new Error(`Faultline printed "${line}", which only QEMU's board should (${d[2]})`);
    }
    // The parts of "smp: ... CPUs: #1 #2 #3" that other lines interrupted (QEMU: the host-timing lines above).
    if (/^ #\d+/.test(line) && out.length > 0) { out[out.length - 1] += line; continue; }
    out.push(d ? line.replace(d[0], (_m, keep?: string) => `${keep ?? ''} <${d[2]}>`) : line);
  }
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out;
}

export const LINUX_VERBOSE_GOLDEN = path.join(__dirname, '..', '..', '..', 'fixtures', 'golden', 'linux', 'serial-verbose.txt');
/** The uncompressed kernel (build.sh extracts it from vmlinuz) and QEMU's PVH boot of it (build.sh --golden-pvh). */
export const LINUX_VMLINUX = path.join(LINUX_CACHE, 'vmlinux');
export const LINUX_PVH_GOLDEN = path.join(__dirname, '..', '..', '..', 'fixtures', 'golden', 'linux', 'serial-pvh.txt');

/**
 * The 32-bit fixture (fixtures/linux32/build.sh): Debian's i386 kernels, the PAE flavour (686-pae) and the
 * 2-level paging one (686), with the same /init on an i386 busybox, cached in ~/.cache/faultline/linux32.
 */
export const LINUX32_CACHE = process.env.FAULTLINE_LINUX32_CACHE ?? path.join(os.homedir(), '.cache', 'faultline', 'linux32');
export type Linux32Flavour = 'pae' | '686';
export const linux32Kernel = (f: Linux32Flavour): string => path.join(LINUX32_CACHE, `vmlinuz-${f}`);
export const LINUX32_INITRD = path.join(LINUX32_CACHE, 'initramfs.cpio.gz');
/** The kernel package's test modules under fixtures/linux32/init-selftest. */
export const LINUX32_SELFTEST_INITRD = path.join(LINUX32_CACHE, 'initramfs-selftest.cpio.gz');
/**
 * QEMU TCG's console for a flavour with "console=ttyS0 quiet" or "console=ttyS0", or the PAE kernel's with the
 * self-test initramfs (build.sh --golden).
 */
export const linux32Golden = (f: Linux32Flavour, mode: 'quiet' | 'verbose' | 'selftest'): string =>
  path.join(__dirname, '..', '..', '..', 'fixtures', 'golden', 'linux32', `serial-${f}-${mode}.txt`);

/** false when both kernels and the initramfs are cached and FAULTLINE_LINUX_BOOT is set, else why the tests skip. */
export function linux32BootSkipped(): false | string {
  if (![linux32Kernel('pae'), linux32Kernel('686'), LINUX32_INITRD, LINUX32_SELFTEST_INITRD].every((f) => fs.existsSync(f))) {
    return `the 32-bit Linux fixture is not in ${LINUX32_CACHE}; run bash fixtures/linux32/build.sh (or set FAULTLINE_LINUX32_CACHE)`;
  }
  if (!process.env.FAULTLINE_LINUX_BOOT) return 'booting Debian\'s i386 kernels to power-off takes minutes; set FAULTLINE_LINUX_BOOT=1 to run them';
  return false;
}

/**
 * Lines of the 32-bit kernels' verbose console that change from one QEMU run to the next (three runs of the
 * same files differed in both), so their numbers or their place are not compared:
 * - "Memory: ...K/...K available (..., ...K reserved, ...)": the i386 kernel randomizes its physical address
 *   (KASLR), and what memblock reserves around it (page tables, alignment) differs with where it lands;
 *   QEMU's runs gave 20324K, 20548K and 20484K reserved. The totals and section sizes are compared.
 * - "input: AT Translated Set 2 keyboard as ...": atkbd is probed asynchronously (serio's kthread), so the line
 *   lands before or after rtc_cmos's "RTC can wake from S4" depending on when the keyboard's replies arrive.
 *   It must appear once on both sides; where is not compared.
 */
const MEMORY_LINE = /^(Memory: )\d+K(\/\d+K available \(.*, )\d+K( reserved, .*)$/;
const ASYNC_LINES = [/^input: AT Translated Set 2 keyboard as \/devices\/platform\/i8042\/serio0\/input\/input0$/];

/** The verbose console of one side for comparing a 32-bit run with QEMU's (verboseComparable, then the above). */
export function verboseComparable32(text: string, side: 'qemu' | 'ours'): { lines: string[]; async: string[] } {
  const lines: string[] = [];
  const async: string[] = [];
  for (const line of verboseComparable(text, side)) {
    if (ASYNC_LINES.some((re) => re.test(line))) async.push(line);
    else lines.push(line.replace(MEMORY_LINE, '$1<n>K$2<n>K$3'));
  }
  return { lines, async };
}

/**
 * QEMU's verbose boots with several CPUs or another RAM size (build.sh --golden-smp): -smp 4 with 256 MiB, and
 * -smp 2 with 2048 MiB and "nokaslr".
 */
export const LINUX_SMP4_GOLDEN = path.join(__dirname, '..', '..', '..', 'fixtures', 'golden', 'linux', 'serial-smp4.txt');
export const LINUX_SMP2_2G_GOLDEN = path.join(__dirname, '..', '..', '..', 'fixtures', 'golden', 'linux', 'serial-smp2-2g.txt');

/**
 * Lines printed by work that runs asynchronously to the initcalls (async_schedule's populate_rootfs and what it
 * frees, the serio kthread's keyboard probe, rtc_cmos's PNP probe racing them, the keyring initcall that waits
 * for them): with several CPUs, or with the boot's length changed by the RAM size, where they land depends on
 * the scheduler's timing, and two QEMU runs of the same files place them differently (-m 128, 512, 1024: each
 * line moved between runs). Each must appear as often on both sides; where is not compared.
 */
const SMP_ASYNC_LINES = [
  /^Trying to unpack rootfs image as initramfs\.\.\.$/, /^Freeing initrd memory: \d+K$/, /^Initialise system trusted keyrings$/,
  /^rtc_cmos [0-9a-z:]+: RTC can wake from S4$/, /^input: AT Translated Set 2 keyboard as \/devices\/platform\/i8042\/serio0\/input\/input\d+$/,
];

/** The verbose console of one side for comparing a run with several CPUs or more RAM with QEMU's. */
export function verboseComparableSmp(text: string, side: 'qemu' | 'ours'): { lines: string[]; async: string[] } {
  const lines: string[] = [];
  const async: string[] = [];
  for (const line of verboseComparable(text, side)) {
    // The keyboard's input number is its place among the input devices registered so far (async too).
    if (SMP_ASYNC_LINES.some((re) => re.test(line))) async.push(line.replace(/input\d+$/, 'input<n>'));
    else lines.push(line);
  }
  return { lines, async: async.sort() };
}
