/**
 * Reverse debugging (issue 7): a bounded ring of snapshots plus deterministic re-execution.
 *
 * A position on the timeline is (instructions, seq): the retired-instruction count and the number of
 * exception events emitted so far (several events — raise, escalation, delivery — happen at one count).
 * Snapshots hold the CPU, devices, clock and the machine's exception bookkeeping, and the RAM pages written
 * since the previous snapshot (PhysicalMemory.dirtyPages; the first snapshot holds every non-zero page).
 * Pages are copied lazily (copy-on-write): taking a snapshot only lists its pages as shared with RAM and
 * flags them in PhysicalMemory.cowPages; the first later write to such a page (or a restore that overwrites
 * it) copies it into its snapshot first (settle). A page that is never written again is never copied, and a
 * page written back with the content of its previous version is not stored twice. A page that is mostly
 * zeros is stored sparse (a bitmap of its non-zero 32-bit words and those words: packPage/loadPage).
 * Going back = restore the latest snapshot at or before the target, then re-execute forward to it with
 * breakpoints, watchpoints and exception stops suppressed.
 *
 * Replayed execution is silent: listeners get no 'exception', 'serial', 'debugcon' or 'screen' events for
 * anything before the frontier (the furthest position ever reached), so a debugger that travels back and runs
 * forward again does not print the same serial output twice. The history's own event log (every exception
 * event once, by seq) is what reverse searches and the Fault Chain consult.
 *
 * Device inputs (serial, keyboard) are logged with their instruction count and re-injected at the same count
 * on replay. Editing state in the past (registers, memory, input) forks the timeline: everything after now is
 * dropped and a snapshot of the edited state is taken. A machine reset starts a new history.
 *
 * Public API: History (enable, disable, goto, stepBack, reverseContinue, lastWriteTo, input, stats).
 */
import type { ExceptionEvent, HistoryOptions, WatchAccess, HistoryStats, InputEvent, ReverseStop, StopInfo, TimelinePosition } from './api';
import { Cpu, WATCH_WRITE, WatchRange } from './cpu/cpu';
import { lastFrame } from './cpu/exceptions';
import { fromCanonical64 } from './cpu/state';
import { TimerKey, VirtualClock } from './clock';
import { Device } from './devices/device';
import { CowSink, PhysicalMemory } from './memory/phys';
import { captureCpu, captureDevices, CpuSnapshot, restoreCpu, restoreDevices } from './snapshot';
import { loadPage, packPage, PageVersions, pageIsZero, samePacked, WORDS } from './history-pages';

/** What the history needs from the machine (implemented by Machine; its private state stays private). */
export interface HistoryHost {
  readonly cpu: Cpu;
  readonly mem: PhysicalMemory;
  readonly clock: VirtualClock;
  readonly deviceList: Device[];
  readonly eventSeq: number;
  saveRunState(): unknown;
  loadRunState(s: unknown): void;
  /** Replay control: null = normal; otherwise exception stops follow it (see Machine.wantsStop). */
  setReplay(r: ReplayControl | null): void;
  run(max: number): StopInfo;
  applyInput(ev: InputEvent): void;
  shouldStopOnException: ((ev: ExceptionEvent) => boolean) | null;
}

export interface ReplayControl {
  /** Stop as soon as the event count reaches this (-1: never stop on events). */
  stopAtSeq: number;
}

interface Snapshot {
  pos: TimelinePosition;
  cpu: CpuSnapshot;
  devices: unknown[];
  run: unknown;
  frame: { rsp: number; ist: number; stackSwitched: boolean };
  /**
   * RAM pages written since the previous snapshot (for the oldest: every non-zero page), as taken: each one
   * is shared with RAM (copy-on-write) while PhysicalMemory.cowPages flags it and History.owner names this
   * snapshot; a native copy of the dirty list, so taking a snapshot costs no per-page map insertions.
   */
  shared: Int32Array;
  /**
   * Their contents once copied out of RAM (settle): page number -> its version in `versions` (WORDS words, or
   * fewer: sparse, see packPage). A page whose content equalled its previous stored version has no entry (that
   * version holds).
   */
  pages: Map<number, number>;
  versions: PageVersions;
  /** Input log entries already applied when it was taken. */
  inputs: number;
  /** Memory this snapshot holds: the fixed part plus its page buffers. */
  bytes: number;
}

/** A place a forward run would have stopped; for a completed write, `pos` is just before the writing
 *  instruction and `after` where the forward watchpoint stopped (used when the write came from delivery). */
interface Candidate { pos: TimelinePosition; stop: StopInfo; rip?: number; after?: TimelinePosition }

export const DEFAULT_HISTORY_MB = 512;
/**
 * Instructions between snapshots, at least. Unless the caller fixes the interval, the history spaces them by
 * time instead (pace): REPLAY_MS of running at the speed the guest ran (a fast guest covers 500 000
 * instructions in well under a millisecond).
 */
export const DEFAULT_SNAPSHOT_INTERVAL = 500_000;
/** Running time between paced snapshots: what stepBack re-executes at most (goal < 100 ms; bench/reverse.ts). */
const REPLAY_MS = 20;
const FIXED_SNAPSHOT_BYTES = 16 * 1024;
const ZERO_PAGE = new Int32Array(WORDS);

export function comparePos(a: TimelinePosition, b: TimelinePosition): number {
  return a.instructions !== b.instructions ? a.instructions - b.instructions : a.seq - b.seq;
}

export class History implements CowSink {
  private snaps: Snapshot[] = [];
  /** Exception events by emission order (each seq once). */
  private events: ExceptionEvent[] = [];
  private inputs: InputEvent[] = [];
  private inputsApplied = 0;
  /** Index of the latest snapshot at or before the current position (dirty pages are relative to it or later). */
  private cur = -1;
  private frontierPos: TimelinePosition = { instructions: 0, seq: 0 };
  private interval = DEFAULT_SNAPSHOT_INTERVAL;
  /** Instructions from the newest snapshot to the next (interval, or more while paced). */
  private gap = DEFAULT_SNAPSHOT_INTERVAL;
  private paced = true;
  /** Since the newest snapshot: wall time spent running and instructions run (tick). */
  private runMs = 0;
  private runInsns = 0;
  /** When the current CPU slice started (performance.now(); -1: not inside Machine.run) and at which count. */
  private sliceAt = -1;
  private sliceInsns = 0;
  private limitBytes = DEFAULT_HISTORY_MB * 1024 * 1024;
  private bytes = 0;
  private replaying = false;
  /**
   * For every page, the snapshot holding its newest stored version (undefined: none, the page was zero), to
   * skip storing pages that did not change; by page number (an array: a Map lookup per copied page cost more
   * than the copy).
   */
  private latest: (Snapshot | undefined)[] = [];
  /** And that version's number in its `versions` (no Map lookup per copied page). */
  private latestVersion = new Int32Array(0);
  /** mem.clears when the dirty map was last cleared (-1: never). */
  private dirtyClearedAt = -1;
  /** For each page flagged in mem.cowPages: the snapshot that shares it (lists it in `shared`, RAM holds its content). */
  private owner: (Snapshot | undefined)[] = [];
  enabled = false;

  constructor(private readonly m: HistoryHost) {}

  /** Start recording history from the current moment (takes the first snapshot). */
  enable(opts: HistoryOptions = {}): void {
    this.interval = opts.snapshotInterval ?? DEFAULT_SNAPSHOT_INTERVAL;
    this.gap = this.interval;
    this.paced = opts.snapshotInterval === undefined;
    this.limitBytes = (opts.limitMB ?? DEFAULT_HISTORY_MB) * 1024 * 1024;
    if (!(this.interval >= 1000)) throw new Error('snapshotInterval must be at least 1000 instructions');
    if (!(this.limitBytes >= 1024 * 1024)) throw new Error('historyMB must be at least 1');
    this.enabled = true;
    this.m.mem.cowSink = this;
    this.restart();
  }

  disable(): void {
    this.enabled = false;
    this.dropShared();
    this.snaps = [];
    this.latest = [];
    this.latestVersion = new Int32Array(0);
    this.events = [];
    this.bytes = 0;
    this.cur = -1;
  }

  /** Forget everything and take a full snapshot now (enable, machine reset). */
  restart(): void {
    if (!this.enabled) return;
    this.dropShared();
    this.snaps = [];
    this.events = [];
    this.inputs = [];
    this.inputsApplied = 0;
    this.bytes = 0;
    this.cur = -1;
    this.frontierPos = this.now();
    this.take(true);
  }

  get frontier(): TimelinePosition {
    return { ...this.frontierPos };
  }

  /** Listeners hear nothing while replaying or anywhere before the frontier. */
  silent(exceptionSeq = -1): boolean {
    if (!this.enabled) return false;
    if (this.replaying) return true;
    const n = this.m.clock.instructions;
    if (exceptionSeq >= 0) return comparePos({ instructions: n, seq: exceptionSeq }, this.frontierPos) < 0;
    return n < this.frontierPos.instructions;
  }

  // ------------------------------------------------------------------------------------ recording
  /** Machine.run calls this before each CPU slice: takes a snapshot when one is due. */
  tick(): void {
    const now = this.now();
    const t = performance.now();
    if (this.sliceAt >= 0 && now.instructions >= this.sliceInsns) {
      this.runMs += t - this.sliceAt;
      this.runInsns += now.instructions - this.sliceInsns;
    }
    this.sliceAt = t;
    this.sliceInsns = now.instructions;
    if (comparePos(now, this.frontierPos) > 0) this.frontierPos = now;
    const last = this.snaps[this.snaps.length - 1];
    if (last && now.instructions >= last.pos.instructions + this.gap) {
      this.take(false);
      this.pace();
    }
  }

  /** Instructions the CPU may run before the next snapshot is due. */
  untilNext(): number {
    const last = this.snaps[this.snaps.length - 1];
    if (!last) return Infinity;
    return Math.max(1, last.pos.instructions + this.gap - this.m.clock.instructions);
  }

  /** A Machine.run call begins: the time since the last slice was not spent running (tick measures slices). */
  runStarted(): void {
    this.sliceAt = -1;
  }

  /**
   * After a snapshot: the next is due once the guest has run REPLAY_MS at the speed it ran the interval just
   * closed, and at least `interval` instructions on. Closer snapshots would not make going back faster than
   * stepBack's goal needs, and each costs the run: taking it, a write-TLB miss on every page written next (a new
   * dirty epoch), and another copy of each page written in both intervals (bench-paging, paced by measured
   * snapshot work instead, took 11-30 snapshots in its 28 M instructions). Snapshot positions do not change
   * what the guest does.
   */
  private pace(): void {
    const msPer = this.runInsns > 0 ? this.runMs / this.runInsns : 0;
    this.runMs = this.runInsns = 0;
    if (!this.paced || !(msPer > 0)) return;
    this.gap = Math.round(Math.max(this.interval, REPLAY_MS / msPer));
  }

  /** Every exception event passes here once (replayed ones are already logged). */
  noteEvent(ev: ExceptionEvent): void {
    const last = this.events[this.events.length - 1];
    if (!last || ev.seq > last.seq) this.events.push(ev);
  }

  /** Log and apply a device input at the current position (forking the timeline when in the past). */
  input(kind: InputEvent['kind'], bytes: number[]): void {
    const ev: InputEvent = { instructions: this.m.clock.instructions, kind, bytes: bytes.slice() };
    if (this.enabled) {
      this.forkIfInPast(false);
      this.inputs.push(ev);
      this.inputsApplied = this.inputs.length;
    }
    this.m.applyInput(ev);
  }

  inputLog(): InputEvent[] {
    return this.inputs.map((e) => ({ ...e, bytes: e.bytes.slice() }));
  }

  /** The user changed registers or memory: the future we recorded no longer follows from this state. */
  edited(): void {
    if (!this.enabled || this.replaying) return;
    this.forkIfInPast(true);
  }

  private forkIfInPast(alwaysSnapshot: boolean): void {
    const now = this.now();
    const past = comparePos(now, this.frontierPos) < 0;
    if (!past && !alwaysSnapshot) return;
    let popped = false;
    while (this.snaps.length > 1 && comparePos(this.snaps[this.snaps.length - 1].pos, now) > 0) {
      const s = this.snaps.pop()!;
      this.bytes -= s.bytes;
      // restore() settled every page a later snapshot shared; this keeps the flags right regardless.
      for (const p of s.shared) if (this.sharedBy(p, s)) this.unshare(p);
      popped = true;
    }
    if (popped) {
      this.resetLatest();
      for (const s of this.snaps) {
        for (const [p, v] of s.pages) {
          this.latest[p] = s;
          this.latestVersion[p] = v;
        }
      }
    }
    this.cur = Math.min(this.cur, this.snaps.length - 1);
    this.events = this.events.filter((e) => e.seq < now.seq);
    this.inputs = this.inputs.slice(0, this.inputsApplied);
    this.frontierPos = now;
    this.take(false);
  }

  private take(full: boolean): void {
    const { mem, cpu } = this.m;
    const dirty = mem.dirtyPages;
    const cow = mem.cowPages;
    // Since RAM was last cleared (power-on) and nothing cleared the dirty map, every non-zero page is dirty:
    // a full snapshot then only looks at dirty pages (a full scan of 128 MiB costs tens of ms).
    const onlyDirty = !full || mem.clears !== this.dirtyClearedAt;
    let shared: Int32Array;
    if (!full) {
      shared = mem.dirtyList.slice(0, mem.dirtyCount);
    } else {
      const nonZero: number[] = [];
      if (onlyDirty) {
        const list = mem.dirtyList;
        for (let i = 0; i < mem.dirtyCount; i++) if (!pageIsZero(mem, list[i])) nonZero.push(list[i]);
      } else {
        for (let p = 0; p < dirty.length; p++) if (!pageIsZero(mem, p)) nonZero.push(p);
      }
      shared = Int32Array.from(nonZero);
    }
    const snap: Snapshot = {
      pos: this.now(), cpu: captureCpu(cpu), devices: captureDevices(this.m.deviceList), run: this.m.saveRunState(),
      frame: { ...lastFrame }, shared, pages: new Map(), versions: new PageVersions(), inputs: this.inputsApplied,
      bytes: FIXED_SNAPSHOT_BYTES + shared.byteLength,
    };
    if (full || this.latest.length !== cow.length) this.resetLatest();
    if (this.owner.length !== cow.length) this.owner = new Array<Snapshot | undefined>(cow.length);
    // Shared with RAM until the page is next written (settle); a written page was settled by that write, so
    // none of these is flagged already (settle first regardless).
    const owner = this.owner;
    for (let i = 0; i < shared.length; i++) {
      const p = shared[i];
      if (cow[p]) this.settle(p);
      cow[p] = 1;
      owner[p] = snap;
    }
    mem.clearDirty();
    this.dirtyClearedAt = mem.clears;
    cpu.newWriteEpoch(); // the write TLB maps only pages already marked dirty: clean pages must miss again
    this.snaps.push(snap);
    this.cur = this.snaps.length - 1;
    this.bytes += snap.bytes;
    this.evict();
  }

  /**
   * Page p is about to change (PhysicalMemory's cowSink, or restore): copy it into the snapshot that shares
   * it. RAM still holds that snapshot's content (every write to the page since then would have come here
   * first). Content equal to the page's previous stored version (or zeros, if none) is not stored again.
   */
  settle(p: number): void {
    const s = this.owner[p];
    this.unshare(p);
    if (s) this.copyOut(s, p);
  }

  private copyOut(s: Snapshot, p: number): void {
    const { mem } = this.m;
    const prev = this.latest[p];
    // Packing first makes the comparison with the previous version cheap (sparse forms compare form to form).
    const size = packPage(mem, p);
    if (prev ? prev.versions.matchesPacked(this.latestVersion[p], mem, p, size) : samePacked(mem, p, size, undefined)) return;
    const had = s.versions.bytes;
    const v = s.versions.addPacked(mem, p, size);
    s.pages.set(p, v);
    s.bytes += s.versions.bytes - had;
    this.bytes += s.versions.bytes - had;
    this.latest[p] = s;
    this.latestVersion[p] = v;
  }

  private resetLatest(): void {
    this.latest = new Array<Snapshot | undefined>(this.m.mem.cowPages.length).fill(undefined);
    this.latestVersion = new Int32Array(this.m.mem.cowPages.length);
  }

  /** Page p's content is snapshot s's and still RAM's (s shares it; not copied yet). */
  private sharedBy(p: number, s: Snapshot): boolean {
    return this.m.mem.cowPages[p] !== 0 && this.owner[p] === s;
  }

  private unshare(p: number): void {
    this.m.mem.cowPages[p] = 0;
    if (p < this.owner.length) this.owner[p] = undefined;
  }

  /** Forget every shared page (the snapshots sharing them are being dropped). */
  private dropShared(): void {
    this.m.mem.cowPages.fill(0);
    this.owner = [];
  }

  /** Merge the oldest snapshot into the next until the ring fits its budget (two are always kept). */
  private evict(): void {
    while (this.bytes > this.limitBytes && this.snaps.length > 2) {
      const [old, next] = this.snaps;
      // Pages of the oldest snapshot that the next one lacks move into it, copied so the oldest snapshot's
      // page buffers are freed as a whole. A page it still shares moves as it is (RAM still holds it): the next
      // snapshot cannot have it (a write to it would have settled it first).
      const moved: number[] = [];
      for (const p of old.pages.keys()) if (!next.pages.has(p) && !this.sharedBy(p, next)) moved.push(p);
      const stillShared: number[] = [];
      for (const p of old.shared) {
        if (!this.sharedBy(p, old)) continue;
        this.owner[p] = next;
        stillShared.push(p);
      }
      if (stillShared.length) {
        const merged = new Int32Array(next.shared.length + stillShared.length);
        merged.set(next.shared);
        merged.set(stillShared, next.shared.length);
        next.bytes += merged.byteLength - next.shared.byteLength;
        this.bytes += merged.byteLength - next.shared.byteLength;
        next.shared = merged;
      }
      const had = next.versions.bytes;
      for (const p of moved) {
        const v = next.versions.addCopy(old.versions.view(old.pages.get(p)!));
        next.pages.set(p, v);
        if (this.latest[p] === old) {
          this.latest[p] = next;
          this.latestVersion[p] = v;
        }
      }
      // A version that goes with the oldest snapshot is nobody's previous version any more: the next snapshot
      // may share that page with RAM holding the same content, and its copy must then be stored, not skipped.
      for (const p of old.pages.keys()) if (this.latest[p] === old) this.latest[p] = undefined;
      next.bytes += next.versions.bytes - had;
      this.bytes += next.versions.bytes - had - old.bytes;
      this.snaps.shift();
      this.cur--;
      const first = this.snaps[0].pos;
      let drop = 0;
      while (drop < this.events.length && this.events[drop].instructionCount < first.instructions) drop++;
      if (drop) this.events.splice(0, drop);
    }
  }

  stats(): HistoryStats {
    const first = this.snaps[0]?.pos ?? this.now();
    return {
      enabled: this.enabled, snapshots: this.snaps.length, bytes: this.bytes, limitBytes: this.limitBytes,
      oldest: { ...first }, frontier: { ...this.frontierPos }, snapshotInterval: this.gap,
    };
  }

  /** Logged exception events with instructionCount in [from, to]. */
  eventsBetween(from: number, to: number): ExceptionEvent[] {
    return this.events.filter((e) => e.instructionCount >= from && e.instructionCount <= to);
  }

  // ------------------------------------------------------------------------------------ travelling
  now(): TimelinePosition {
    return { instructions: this.m.clock.instructions, seq: this.m.eventSeq };
  }

  private requireEnabled(): void {
    if (!this.enabled) throw new Error('reverse debugging is off: enable history first (launch.json "historyMB" > 0)');
  }

  /**
   * Travel to a position in [oldest snapshot, frontier]: the state right after `seq` events had been emitted
   * at that instruction count (seq 0: the earliest moment at that count). Returns why the replay stopped there.
   */
  goto(target: TimelinePosition): StopInfo {
    this.requireEnabled();
    this.tick();
    if (comparePos(target, this.frontierPos) > 0) {
      throw new Error(`instruction ${target.instructions} has not been executed yet (the recorded history ends at ${this.frontierPos.instructions}); continue forward instead`);
    }
    const idx = this.latestAtOrBefore(target);
    if (idx < 0) {
      throw new Error(`instruction ${target.instructions} is older than the recorded history (it starts at ${this.snaps[0].pos.instructions}); raise "historyMB" to keep more`);
    }
    this.restore(idx);
    return this.replayTo(target);
  }

  /** Back one instruction or one exception event: the previous position a forward step would stop at. */
  stepBack(): ReverseStop {
    this.requireEnabled();
    this.tick();
    const p = this.now();
    const n = p.instructions;
    const filter = this.m.shouldStopOnException;
    const here = this.eventsBetween(n, n).filter((e) => e.seq < p.seq && !e.external);
    let best: TimelinePosition = here.length ? { instructions: n, seq: 0 } : { instructions: n - 1, seq: 0 };
    for (const e of this.eventsBetween(n - 1, n)) {
      const pos = { instructions: e.instructionCount, seq: e.seq + 1 };
      if (comparePos(pos, p) >= 0 || comparePos(pos, best) <= 0) continue;
      if (e.phase !== 'raised' || e.duringDeliveryOf !== undefined || (filter && filter(e))) best = pos;
    }
    const oldest = this.snaps[0].pos;
    if (comparePos(best, oldest) < 0) return { ...this.atStart(), reachedStart: true };
    let stop = this.goto(best);
    // Inside a wait at an RDTSC (cpu/spin-wait.ts) or at its end, one instruction back is the RDTSC before it
    // waited: the wait is part of that instruction, as a step forward takes it.
    const c = this.m.cpu;
    if (c.stallUntil !== 0 && c.stallUntil >= c.clock.instructions && c.stallFrom < best.instructions && c.stallFrom >= oldest.instructions) {
      stop = this.goto({ instructions: c.stallFrom, seq: 0 });
    }
    return { ...this.describe(stop), reachedStart: false };
  }

  /**
   * Run backwards to the latest earlier position where a forward run would have stopped: an instruction
   * breakpoint, a write to a watched range (the position just before the writing instruction; a write that
   * faults counts at its first faulting access), or an exception the filter stops on (default: the
   * machine's shouldStopOnException). At the start of history it stops there with reachedStart.
   */
  reverseContinue(exceptionStop?: (ev: ExceptionEvent) => boolean): ReverseStop {
    this.requireEnabled();
    const filter = exceptionStop ?? this.m.shouldStopOnException ?? (() => false);
    const found = this.search({ breakpoints: true, watch: this.m.cpu.watch.slice(), faultingWrites: true, exceptions: filter });
    if (!found) return { ...this.atStart(), reachedStart: true };
    this.goto(found.pos);
    if (found.rip !== undefined && found.after && this.m.cpu.rip !== found.rip) this.goto(found.after);
    return { ...found.stop, position: this.now(), reachedStart: false };
  }

  /**
   * The last write into [address, address+length) (linear, as mapped now) before the current position:
   * its position (just before the writing instruction) and RIP. The machine is left where it was.
   */
  lastWriteTo(address: bigint, length: number): { position: TimelinePosition; rip: bigint } | undefined {
    this.requireEnabled();
    const la = fromCanonical64(address);
    if (la === undefined || !(length > 0)) throw new Error(`0x${address.toString(16)} is not a canonical address`);
    const here = this.now();
    const found = this.search({ breakpoints: false, watch: [{ start: la, end: la + length, kinds: WATCH_WRITE }], faultingWrites: false, exceptions: null });
    this.goto(here);
    if (!found || found.stop.watch === undefined) return undefined;
    return { position: found.pos, rip: found.stop.watch.rip };
  }

  private atStart(): StopInfo & { position: TimelinePosition } {
    this.goto(this.snaps[0].pos);
    return { reason: 'step', position: this.now() };
  }

  private describe(stop: StopInfo): StopInfo & { position: TimelinePosition } {
    return { ...stop, position: this.now() };
  }

  private latestAtOrBefore(target: TimelinePosition): number {
    for (let i = this.snaps.length - 1; i >= 0; i--) if (comparePos(this.snaps[i].pos, target) <= 0) return i;
    return -1;
  }

  /** Put snapshot `idx` back: RAM pages that may differ, CPU, devices, clock, machine bookkeeping, inputs. */
  private restore(idx: number): void {
    const { mem, cpu, clock } = this.m;
    const s = this.snaps[idx];
    const pages = new Set<number>();
    for (let i = 0; i < mem.dirtyCount; i++) pages.add(mem.dirtyList[i]);
    const lo = Math.min(idx, this.cur), hi = Math.max(idx, this.cur);
    for (let j = lo + 1; j <= hi; j++) {
      for (const p of this.snaps[j].pages.keys()) pages.add(p);
      for (const p of this.snaps[j].shared) pages.add(p);
    }
    // Pages about to be overwritten that a snapshot still shares with RAM get their copy first.
    const cow = mem.cowPages;
    for (const p of pages) if (cow[p]) this.settle(p);
    // loadPage drops decoded code only on the pages it puts back: re-executing after a restore runs the rest's
    // translations at once instead of decoding and warming up everything again.
    for (const p of pages) loadPage(this.pageAt(idx, p), mem, p);
    mem.clearDirty();
    this.dirtyClearedAt = mem.clears;
    this.runMs = this.runInsns = 0;
    restoreCpu(cpu, s.cpu, true); // flushes the TLB (dirty bits cleared); loadPage dropped the stale code
    restoreDevices(clock, s.pos.instructions, this.m.deviceList, s.devices);
    this.m.loadRunState(s.run);
    Object.assign(lastFrame, s.frame);
    this.cur = idx;
    this.inputsApplied = s.inputs;
    for (let i = s.inputs; i < this.inputs.length; i++) {
      const ev = this.inputs[i];
      clock.schedule(ev.instructions, () => { this.m.applyInput(ev); this.inputsApplied = i + 1; }, TimerKey.INPUT + i);
    }
  }

  /** Content of page p at snapshot idx: the latest stored version at or before it (zeros if none). */
  private pageAt(idx: number, p: number): Int32Array {
    for (let j = idx; j >= 0; j--) {
      if (this.sharedBy(p, this.snaps[j])) throw new Error(`history: page ${p} is still shared with RAM where its snapshot copy is needed`);
      const v = this.snaps[j].pages.get(p);
      if (v !== undefined) return this.snaps[j].versions.view(v);
    }
    return ZERO_PAGE;
  }

  /** Re-execute from the restored snapshot to `target`, silently, with breakpoints and stops suppressed. */
  private replayTo(target: TimelinePosition): StopInfo {
    return this.quietly(false, () => {
      const { clock } = this.m;
      let stop: StopInfo = { reason: 'step' };
      while (clock.instructions < target.instructions) {
        stop = this.m.run(target.instructions - clock.instructions);
        if (stop.reason !== 'budget' && stop.reason !== 'breakpoint' && stop.reason !== 'watchpoint' && stop.reason !== 'pause') break;
      }
      if (stop.reason === 'budget') stop = { reason: 'step' };
      if (this.m.eventSeq < target.seq && clock.instructions === target.instructions) {
        this.m.setReplay({ stopAtSeq: target.seq });
        for (let guard = 0; guard < 64 && this.m.eventSeq < target.seq && clock.instructions === target.instructions; guard++) {
          stop = this.m.run(1);
          if (stop.reason === 'shutdown' || stop.reason === 'exit' || stop.reason === 'halt') break;
        }
        if (stop.reason === 'budget') stop = { reason: 'step' };
      }
      return stop;
    });
  }

  /** Run `f` in replay mode; `keepStops`: leave breakpoints and watchpoints armed (reverse searches). */
  private quietly<T>(keepStops: boolean, f: () => T): T {
    const { cpu } = this.m;
    const bps = [...cpu.breakpoints];
    const watch = cpu.watch;
    const wasReplaying = this.replaying;
    this.replaying = true;
    this.m.setReplay({ stopAtSeq: -1 });
    if (!keepStops) {
      cpu.breakpoints.clear();
      cpu.bpGen++;
      cpu.watch = [];
    }
    try {
      return f();
    } finally {
      this.m.setReplay(null);
      this.replaying = wasReplaying;
      if (!keepStops) {
        for (const b of bps) cpu.breakpoints.add(b);
        cpu.bpGen++;
        cpu.watch = watch;
      }
      cpu.watchHitAddr = -1;
      cpu.flushTlb();
    }
  }

  /**
   * Find the latest position before now where a forward run would have stopped, scanning the snapshot
   * intervals from the newest back: re-execute each with breakpoints/watchpoints armed, and take exception
   * stops (and faulting writes into watched ranges) from the event log.
   */
  private search(o: {
    breakpoints: boolean; watch: WatchRange[]; faultingWrites: boolean;
    exceptions: ((ev: ExceptionEvent) => boolean) | null;
  }): Candidate | undefined {
    this.tick();
    const p = this.now();
    const { cpu, clock } = this.m;
    const savedBps = [...cpu.breakpoints];
    const savedWatch = cpu.watch;
    let end = p;
    try {
      for (let idx = this.latestAtOrBefore(p); idx >= 0; idx--) {
        const start = this.snaps[idx].pos;
        const cands: Candidate[] = [];
        // Exception stops and faulting writes, from the log.
        for (const e of this.eventsBetween(start.instructions, end.instructions)) {
          const at = { instructions: e.instructionCount, seq: e.seq + 1 };
          if (comparePos(at, start) < 0 || comparePos(at, end) >= 0) continue;
          if (e.phase !== 'delivered' && !e.external && o.exceptions && o.exceptions(e)) {
            cands.push({ pos: at, stop: { reason: e.phase === 'tripleFault' ? 'shutdown' : 'exception', event: e } });
          }
          if (o.faultingWrites && e.phase === 'raised' && e.access?.write) {
            const la = fromCanonical64(e.access.address);
            if (la !== undefined && o.watch.some((w) => (w.kinds & WATCH_WRITE) !== 0 && la >= w.start && la < w.end)) {
              const before = { instructions: e.instructionCount, seq: e.seq };
              // Only the first faulting access of an instruction: the one "whose push first touched it".
              if (!cands.some((c) => c.stop.reason === 'watchpoint' && c.pos.instructions === e.instructionCount)) {
                cands.push({ pos: before, stop: { reason: 'watchpoint', event: e, watch: { address: e.access.address, size: 1, rip: e.rip, access: watchAccess(o.watch, la), write: true } } });
              }
            }
          }
        }
        // Breakpoints and completed writes, by re-execution.
        this.restore(idx);
        cpu.breakpoints.clear();
        if (o.breakpoints) for (const b of savedBps) cpu.breakpoints.add(b);
        cpu.bpGen++;
        cpu.watch = o.watch;
        cpu.flushTlb();
        this.quietly(true, () => {
          this.m.setReplay({ stopAtSeq: -1 });
          while (clock.instructions < end.instructions) {
            const s = this.m.run(end.instructions - clock.instructions);
            if (s.reason === 'breakpoint') {
              cands.push({ pos: this.now(), stop: s });
            } else if (s.reason === 'watchpoint' && s.watch) {
              const la = fromCanonical64(s.watch.rip);
              cands.push({ pos: { instructions: clock.instructions - 1, seq: this.m.eventSeq }, stop: s, rip: la, after: this.now() });
            } else if (s.reason !== 'budget' && s.reason !== 'pause') break;
          }
          // A breakpoint exactly at `end`'s count, before events happened there.
          if (o.breakpoints && clock.instructions === end.instructions && this.m.eventSeq < end.seq && cpu.breakpoints.has(cpu.codeLinear())) {
            cands.push({ pos: this.now(), stop: { reason: 'breakpoint' } });
          }
        });
        const best = cands.filter((c) => comparePos(c.pos, start) >= 0 && comparePos(c.pos, end) < 0)
          .sort((a, b) => comparePos(a.pos, b.pos)).pop();
        if (best) return best;
        end = start;
      }
      return undefined;
    } finally {
      cpu.breakpoints.clear();
      for (const b of savedBps) cpu.breakpoints.add(b);
      cpu.bpGen++;
      cpu.watch = savedWatch;
      cpu.flushTlb();
    }
  }
}

/** The watched access kind of the first write-watched range holding `la` (for a faulting write's stop). */
function watchAccess(ranges: WatchRange[], la: number): WatchAccess {
  const w = ranges.find((r) => (r.kinds & WATCH_WRITE) !== 0 && la >= r.start && la < r.end);
  return w && w.kinds !== WATCH_WRITE ? 'readWrite' : 'write';
}
