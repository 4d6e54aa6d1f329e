import type { Cpu } from './cpu';
import { Flag, TWO32 } from './state';

/**
 * Waits on the TSC and the ACPI PM timer. Firmware and kernels wait by spinning on RDTSC (U-Boot's udelay,
 * GRUB's millisleep: its PATA probe, `sleep`; Linux's delay_tsc) or on the PM timer (OVMF's MicroSecondDelay and
 * its shell's startup countdown). Virtual time here is the instruction count (1 ns per instruction), so every
 * nanosecond of such a wait costs an instruction executed, while under QEMU the wait takes host time: a second of
 * U-Boot's autoboot countdown is 10^9 instructions. Nothing architectural says an RDTSC retires within a
 * nanosecond of the one before. So when the CPU is plainly waiting, the RDTSC (or the IN from the PM timer)
 * waits too, as a slow instruction: the CPU stays at it while virtual time passes (Cpu.run lets it pass as for
 * HLT), then it reads. The guest sees a slower CPU, never a different one: the TSC, the PM timer, the PIT, the
 * HPET and every timer stay in step, since they all read the one clock.
 *
 * "Plainly waiting": the same time read (by its RIP) ran SPIN_MIN times in a row, each within SPIN_GAP instructions
 * of the one before, with the general registers unchanged between them but for the reading and scratch
 * (sameState), and no interrupt, exception, port write or MMIO access between two of them (Cpu.devTouched). A
 * port read counts too, unless the port's device says the value stays put and reading it changes nothing
 * (noteDeviceRead). A loop doing work that reads the TSC on the way moves a pointer or a count; a calibration
 * loop (Linux's pit_calibrate_tsc: the TSC against the PIT, or the HPET) counts its iterations and reads a
 * counter, so it is never slowed and measures what it measures under QEMU. The waits double from WAIT_FIRST up
 * to WAIT_MAX, so a wait of T ns ends within about 2T (a delay loop waits at least what it asked, as on
 * hardware), after about log2(T / WAIT_FIRST) slow RDTSCs, and never past a timer deadline or a change of a
 * status it read: a timer's event (an interrupt, a device completing, typed input) happens at the instruction
 * count it would have, and an interrupt delivered at the RDTSC ends the wait (exceptions.ts).
 *
 * Everything this decides from is guest state or the instruction count, kept in CpuState (spinRip, spinAt,
 * spinStreak, spinWait, spinRegs, spinRead, stallUntil, devTouched, devStableUntil), so a run, its replay, a
 * restored snapshot and a run sliced differently wait alike. No wait starts while the guest single-steps (TF)
 * or arms debug registers. A debugger's step through a waiting RDTSC waits and retires it (machine.step), and a
 * step back over it returns to it before its wait (History.stepBack, CpuState.stallFrom).
 * Machine option `fastWaits: false` (Cpu.waitSkip) turns it off: every RDTSC then reads at once.
 *
 * Public API: SPIN_GAP, SPIN_MIN, WAIT_FIRST, WAIT_MAX, WRITES_*, timeReadWaits, noteDeviceRead.
 */

/** Most instructions between two runs of the same RDTSC for them to count as one spin. */
export const SPIN_GAP = 4096;
/** Runs in a row of the same RDTSC, the loop unchanged between them, before one waits. */
export const SPIN_MIN = 16;
/** The first wait (ns), and the most one RDTSC waits (~16.8 ms: a few of a 250 Hz kernel's ticks). */
export const WAIT_FIRST = 1024;
export const WAIT_MAX = 1 << 24;

/** The registers RDTSC, RDTSCP and IN write (bit g: general register g), for timeReadWaits. */
export const WRITES_RDTSC = 0b101, WRITES_RDTSCP = 0b111, WRITES_IN = 0b1;

/**
 * Called by RDTSC/RDTSCP, and IN from a clock port (PortHandler.clock: the ACPI PM timer), before reading the
 * time, at instruction count `now` (the instructions retired before it); `writes`: the registers it writes.
 * True if it waits first: RIP is then back at the instruction and `stallUntil` holds the count at which it runs
 * again (and reads, without waiting again). The caller stores what it read in `spinRead`.
 */
export function timeReadWaits(c: Cpu, now: number, writes: number): boolean {
  const at = c.insnStart;
  const touched = c.devTouched;
  const stable = c.devStableUntil;
  c.devTouched = false;
  c.devStableUntil = Infinity;
  // The run after a wait, at its end: read the TSC.
  if (at === c.spinRip && now === c.spinAt && c.spinWait !== 0) return false;
  if (at === c.spinRip && !touched && now > c.spinAt && now - c.spinAt <= SPIN_GAP && sameState(c, writes)) {
    c.spinStreak++;
  } else {
    c.spinStreak = 0;
    c.spinWait = 0;
  }
  c.spinRip = at;
  c.spinAt = now;
  c.spinRegs.set(c.r);
  if (c.spinStreak < SPIN_MIN || !c.waitSkip || (c.flags & Flag.TF) !== 0 || (c.dr[7] & 0xff) !== 0) return false;
  const wait = c.spinWait === 0 ? WAIT_FIRST : Math.min(2 * c.spinWait, WAIT_MAX);
  // The handler's caller counts the RDTSC as retired (now + 1) before run() sees the wait.
  const until = Math.min(now + 1 + wait, c.clock.nextDeadline, stable);
  if (until <= now + 1) return false;
  c.spinWait = wait;
  c.spinAt = until;
  c.stallFrom = now;
  c.stallUntil = until;
  c.rip = at;
  return true;
}

/**
 * A port read between two RDTSCs: a status the device says stays as it reads now, changing nothing when read
 * (PortHandler.stableUntil: a UART's line status or the 8042's with no input pending), only bounds the next
 * wait, so a loop checking for a key while it waits still waits and sees the key when it comes (typed input
 * arrives at a timer deadline or between run slices); any other device access ends the spin.
 */
export function noteDeviceRead(c: Cpu, port: number): void {
  // Once a device was touched the spin has ended: no need to ask this port's device (stableUntil runs its code).
  if (c.devTouched) return;
  const now = c.clock.instructions;
  const until = c.bus.portStableUntil(port & 0xffff, now);
  if (until <= now) c.devTouched = true;
  else if (until < c.devStableUntil) c.devStableUntil = until;
}

/**
 * Whether the general registers are what they were at the last run of this instruction, but those it writes
 * (RDTSC: RAX and RDX; RDTSCP also RCX; IN: RAX) and registers holding that run's reading (its 64 bits, or a
 * 32-bit half): a loop that waits computes nothing else from one iteration to the next. A loop doing work that
 * reads the TSC on the way moves a pointer or a count (memtest86+ seeds each pass's random pattern from it;
 * kvm-unit-tests' xsave test fills a buffer with RDTSC's low bytes, indexed by RCX).
 */
function sameState(c: Cpu, writes: number): boolean {
  const r = c.r, s = c.spinRegs;
  const lo = c.spinRead | 0, hi = Math.floor(c.spinRead / TWO32) | 0;
  for (let g = 0; g < 16; g++) {
    if ((writes >>> g) & 1) continue;
    const a = r[2 * g], b = r[2 * g + 1];
    if (a === s[2 * g] && b === s[2 * g + 1]) continue;
    if ((a === lo && (b === hi || b === 0)) || (hi !== 0 && a === hi && b === 0)) continue;
    return false;
  }
  return true;
}
