/**
 * Virtual time. Everything that depends on time (PIT, APIC timer, RTC, TSC) reads `instructions`, the count
 * of retired guest instructions, so a run replays identically (issue 7). The nominal rate converts it to
 * nanoseconds: 1 instruction = 1 ns, i.e. a 1 GHz guest. Timers register deadlines; the CPU loop calls
 * `fire()` only when `instructions >= nextDeadline`, so the hot path costs one comparison.
 */
export class VirtualClock {
  instructions = 0;
  /** Smallest pending deadline (instruction count), Infinity when none. */
  nextDeadline = Infinity;
  private readonly timers: { at: number; cb: () => void; id: number }[] = [];
  private nextId = 1;

  /** Nanoseconds of guest time since power-on. */
  get nanoseconds(): number {
    return this.instructions;
  }

  /** Call `cb` once the instruction count reaches `at`. Returns an id for cancel(). */
  schedule(at: number, cb: () => void): number {
    const id = this.nextId++;
    this.timers.push({ at, cb, id });
    if (at < this.nextDeadline) this.nextDeadline = at;
    return id;
  }

  cancel(id: number): void {
    const i = this.timers.findIndex((t) => t.id === id);
    if (i >= 0) this.timers.splice(i, 1);
    this.recompute();
  }

  /** Run every timer whose deadline has passed. */
  fire(): void {
    for (;;) {
      let idx = -1;
      for (let i = 0; i < this.timers.length; i++) {
        if (this.timers[i].at <= this.instructions && (idx < 0 || this.timers[i].at < this.timers[idx].at)) idx = i;
      }
      if (idx < 0) break;
      const t = this.timers.splice(idx, 1)[0];
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
