import type { StopInfo } from './api';
import type { VirtualClock } from './clock';
import { Cpu, Exit } from './cpu/cpu';
import { resetCpu } from './cpu/reset';
import { Flag, Seg } from './cpu/state';
import type { PcDevices } from './devices';

/** The most CPUs a machine may have (MachineOptions.smp). */
export const MAX_SMP = 16;
/**
 * Instructions a CPU runs before the next one's turn (round-robin, smp > 1). Fixed, so a run, a recording and
 * its replay interleave the CPUs identically however the run is sliced.
 */
export const SMP_QUANTUM = 4096;

/** What the scheduler needs from the machine while it runs the CPUs. */
export interface SmpHost {
  readonly clock: VirtualClock;
  /** In S3: no CPU runs; `sleepFor` lets time pass and returns what it counts for (>= 1; -1: nothing can wake the machine). */
  readonly sleeping: boolean;
  sleepFor(budget: number): number;
  /** Resets so far (a reset restarts the clock and the schedule). */
  readonly resetCount: number;
  /** The CPU that runs (the machine's current CPU for exits, events and devices). */
  setCurrent(c: Cpu): void;
  handleExit(exit: Exit): StopInfo | undefined;
}

/**
 * Several CPUs (MachineOptions.smp, QEMU's -smp N): whose turn it is, each CPU's wait-for-SIPI state, what INIT
 * and STARTUP do, and the round-robin run loop (docs/ARCHITECTURE.md "Several CPUs"). The machine owns the CPUs
 * and turns their exits into stops; with one CPU it never calls run() here.
 */
export class SmpScheduler {
  /** The CPU whose turn it is (or that stopped), and what is left of its turn. */
  cur = 0;
  private quantumLeft = SMP_QUANTUM;
  /** Per CPU: in wait-for-SIPI (an AP after power-on or INIT), and an INIT that arrived while it was running. */
  readonly waitSipi: boolean[];
  readonly initPending: boolean[];
  /** The CPU inside Cpu.run() right now (null between runs). */
  running: Cpu | null = null;
  /** The running CPU's turn is a lone one: no other CPU could run when it began. */
  private solo = false;

  constructor(private readonly cpus: Cpu[], private readonly devices: PcDevices) {
    this.waitSipi = cpus.map((_, i) => i > 0);
    this.initPending = cpus.map(() => false);
    cpus.forEach((c, i) => {
      const lapic = devices.lapics[i];
      lapic.onInit = () => this.init(i);
      lapic.onSipi = (vector) => this.startup(i, vector);
      c.otherCpuRunnable = () => this.othersRunnable(i);
    });
    if (cpus.length > 1) devices.router.onRaise = (j) => this.wake(j);
  }

  /** Power-on or reset: the BSP runs, the APs wait for a SIPI (SDM §9.1); the CPUs' registers are the machine's to reset. */
  reset(): void {
    for (let i = 0; i < this.cpus.length; i++) {
      this.waitSipi[i] = i > 0;
      this.initPending[i] = false;
      this.cpus[i].halted = i > 0;
    }
    this.cur = 0;
    this.quantumLeft = SMP_QUANTUM;
    this.devices.lapic.current = 0;
  }

  /**
   * INIT reached CPU `i` (an INIT IPI; SDM Vol. 3A §9.1, Table 9-1): its registers as after RESET, MTRRs kept;
   * an AP then waits for a STARTUP IPI, the BSP runs from the reset vector (QEMU's do_cpu_init). A CPU that
   * sends INIT to itself is reset once its current instruction has finished (initPending).
   * QEMU differs: its INIT resets the MTRRs too (x86_cpu_reset), so Linux under QEMU -smp 2 prints "mtrr: your
   * CPUs had inconsistent … settings" after starting its APs; Table 9-1 says INIT leaves them unchanged, so
   * here the APs keep what the firmware set and Linux prints nothing.
   */
  init(i: number): void {
    const c = this.cpus[i];
    if (this.running === c) {
      this.initPending[i] = true;
      c.stopRequested = true;
      return;
    }
    const mtrr = new Map(c.mtrr);
    resetCpu(c);
    for (const [k, v] of mtrr) c.mtrr.set(k, v);
    this.devices.lapics[i].initReset();
    this.devices.router.takeNmi(i);
    this.initPending[i] = false;
    this.waitSipi[i] = i > 0;
    c.halted = i > 0;
    if (i === 0) this.wake(0);
  }

  /** A STARTUP IPI with `vector` reached CPU `i`: in wait-for-SIPI it starts in real mode at VV00:0000 (SDM §9.4.4). */
  private startup(i: number, vector: number): void {
    if (!this.waitSipi[i]) return;
    const c = this.cpus[i];
    this.waitSipi[i] = false;
    c.halted = false;
    c.segSel[Seg.CS] = vector << 8;
    c.segBase[Seg.CS] = vector << 12;
    c.rip = 0;
    this.wake(i);
  }

  /** CPU `j` may have become runnable: a lone turn of another CPU ends after its current instruction. */
  private wake(j: number): void {
    const r = this.running;
    if (this.solo && r !== null && r !== this.cpus[j]) {
      r.yieldCpu = true;
      r.stopRequested = true;
    }
  }

  othersRunnable(i: number): boolean {
    for (let j = 0; j < this.cpus.length; j++) if (j !== i && this.runnable(j)) return true;
    return false;
  }

  /** CPU i has something to do: not waiting for a SIPI, and running, or halted with an interrupt or NMI to take. */
  runnable(i: number): boolean {
    const c = this.cpus[i];
    if (this.waitSipi[i]) return false;
    if (!c.halted || c.stopRequested || this.initPending[i]) return true;
    const line = this.devices.router.lines[i];
    return (line.nmiPending && !c.nmiBlocked) || (line.pending && (c.flags & Flag.IF) !== 0);
  }

  /** Run CPU `cur` alone for at most one instruction (a debugger step); its exit, or undefined if it cannot run. */
  step(skip: number): Exit | undefined {
    const i = this.cur;
    const c = this.cpus[i];
    if (c.halted || this.waitSipi[i]) return undefined;
    this.running = c;
    const exit = c.run(1, skip);
    this.running = null;
    c.yieldCpu = false;
    if (this.initPending[i]) this.init(i);
    return exit;
  }

  /**
   * Run up to `maxInstructions` on all CPUs: round-robin in SMP_QUANTUM instructions (QEMU's single-threaded TCG
   * round-robin with one instruction counter): every retired instruction of any CPU advances the one virtual
   * clock, so the interleaving depends only on the machine's state. A halted CPU with nothing to wake it and an
   * AP in wait-for-SIPI are skipped (they cost nothing); when no CPU can run, time jumps to the next timer as
   * for one CPU. PAUSE ends a CPU's turn when another can run (QEMU's helper_pause). A CPU whose turn begins
   * with no other CPU runnable runs a lone turn, ended by wake() (an interrupt, NMI, INIT or SIPI for another
   * CPU) after that instruction. A stop (breakpoint, exception, pause…) leaves `cur` at the CPU that stopped,
   * which the next run resumes first.
   */
  run(maxInstructions: number, skip: number, m: SmpHost): StopInfo {
    const n = this.cpus.length;
    const clock = m.clock;
    let used = 0;
    let idle = 0; // CPUs passed over in a row without running
    for (;;) {
      const left = maxInstructions - used;
      if (left <= 0) return { reason: 'budget' };
      if (m.sleeping) {
        const passed = m.sleepFor(left);
        if (passed < 0) return { reason: 'halt' };
        used += passed;
        continue;
      }
      const i = this.cur;
      const c = this.cpus[i];
      if (this.initPending[i]) this.init(i);
      const runnable = this.runnable(i);
      if (!runnable || this.quantumLeft <= 0) {
        this.cur = (i + 1) % n;
        this.quantumLeft = SMP_QUANTUM;
        if (!runnable && ++idle >= n) {
          // No CPU can run: let virtual time pass to the next timer if one could wake a CPU that waits with IF=1.
          idle = 0;
          const wakeable = this.cpus.some((x, k) => !this.waitSipi[k] && (x.flags & Flag.IF) !== 0);
          if (!wakeable || clock.nextDeadline === Infinity) return { reason: 'halt' };
          const before = clock.instructions;
          clock.instructions = Math.max(before, clock.nextDeadline);
          clock.fire();
          used += Math.max(1, clock.instructions - before);
        }
        continue;
      }
      idle = 0;
      m.setCurrent(c);
      this.devices.lapic.current = i;
      const before = clock.instructions;
      const resetsBefore = m.resetCount;
      const solo = !this.othersRunnable(i);
      const slice = solo ? left : Math.min(left, this.quantumLeft);
      this.solo = solo;
      this.running = c;
      const exit = c.run(slice, skip);
      this.running = null;
      this.solo = false;
      skip = -1;
      const ran = clock.instructions - before;
      if (m.resetCount === resetsBefore && !solo) this.quantumLeft -= ran;
      used += ran > 0 ? ran : 1;
      if (this.initPending[i]) this.init(i);
      if (c.yieldCpu) { c.yieldCpu = false; this.quantumLeft = 0; }
      if (exit === Exit.HALT) { this.quantumLeft = 0; continue; }
      if (exit === Exit.BUDGET && slice < left) continue; // the turn ended
      const s = m.handleExit(exit);
      if (s) return s;
    }
  }
}
