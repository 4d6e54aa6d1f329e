/**
 * Virtual time. Everything that depends on time (PIT, APIC timer, RTC, TSC) reads `instructions`, the count
 * of retired guest instructions, so a run replays identically (issue 7). The nominal rate converts it to
 * nanoseconds: 1 instruction = 1 ns, i.e. a 1 GHz guest. Timers register deadlines; the CPU loop calls
 * `fire()` only when `instructions >= nextDeadline`, so the hot path costs one comparison.
 */
/**
 * Who a timer belongs to. Timers due at the same instruction count fire in this order (then by input index),
 * never in the order they were scheduled: a snapshot restore re-arms timers in device-list order, a live run
 * in the order the guest programmed them, and both must fire alike for a replay to be exact.
 */
export const TimerKey = { LAPIC: 1, PIT: 2, CMOS: 3, ACPI_PM: 4, IDE: 5, /** + the timer's number (6-8) */ HPET: 6, FDC: 9, /** + 0 interrupt mitigation, 1 autonegotiation, 2 RX flush (10-12) */ E1000: 10, /** + the input's index in the log */ INPUT: 16 } as const;

/**
 * The first value of an object field that holds an instruction count: -0, which V8 cannot hold as a small integer
 * (Smi, 31 bits and a sign), so the field is a double from the start. A field that starts with Smis stays one
 * until a count passes 2^31; that store changes the field's representation, which deoptimizes every optimized
 * function reading it (the run loop and each translated block), and V8 then recompiles them all at once: on the
 * Linux boot, 87 blocks at 2.15 G instructions, 3 s of CPU. The owner then stores the real value (a double field
 * stays one), so -0 is never seen.
 */
export const COUNT_FIELD = -0;

export class VirtualClock {
  /** Retired instructions (a double field, see COUNT_FIELD). */
  instructions = COUNT_FIELD;
  /** Smallest pending deadline (instruction count), Infinity when none. */
  nextDeadline = Infinity;
  private readonly timers: { at: number; key: number; cb: () => void; id: number }[] = [];
  private nextId = 1;

  constructor() {
    this.instructions = 0;
  }

  /** Nanoseconds of guest time since power-on. */
  get nanoseconds(): number {
    return this.instructions;
  }

  /** Call `cb` once the instruction count reaches `at`; `key` (TimerKey) orders timers due together. Returns an id for cancel(). */
  schedule(at: number, cb: () => void, key: number): number {
    const id = this.nextId++;
    this.timers.push({ at, key, cb, id });
    if (at < this.nextDeadline) this.nextDeadline = at;
    return id;
  }

  cancel(id: number): void {
    const i = this.timers.findIndex((t) => t.id === id);
    if (i >= 0) this.timers.splice(i, 1);
    this.recompute();
  }

  /** Run every timer whose deadline has passed, earliest first; ties by key. */
  fire(): void {
    const ts = this.timers;
    for (;;) {
      let idx = -1;
      for (let i = 0; i < ts.length; i++) {
        const t = ts[i];
        if (t.at > this.instructions) continue;
        if (idx < 0 || t.at < ts[idx].at || (t.at === ts[idx].at && t.key < ts[idx].key)) idx = i;
      }
      if (idx < 0) break;
      const t = ts.splice(idx, 1)[0];
      t.cb();
    }
    this.recompute();
  }

  reset(): void {
    this.instructions = 0;
    this.timers.length = 0;
    this.nextDeadline = Infinity;
  }

  private recompute(): void {
    let m = Infinity;
    for (const t of this.timers) if (t.at < m) m = t.at;
    this.nextDeadline = m;
  }
}
