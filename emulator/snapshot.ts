/**
 * Snapshots of the parts of a machine that are not guest RAM: the CPU's architectural state (every field of
 * CpuState, lazy flags included), device states (Device.saveState) and the virtual clock; plus a fast hash
 * of registers and RAM for tests and recordings. RAM is handled page-wise by history.ts.
 *
 * Public API: captureCpu, cpuFields, restoreCpu, captureDevices, restoreDevices, stateHash.
 */
import { VirtualClock } from './clock';
import { Cpu } from './cpu/cpu';
import { getFlags } from './cpu/flags';
import { debugRegsChanged } from './cpu/debug';
import { CpuState } from './cpu/state';
import { Device } from './devices/device';
import { PhysicalMemory } from './memory/phys';

/**
 * The state fields' values in CPU_FIELDS order (typed arrays, arrays and maps copied). An array rather than
 * an object keyed by name: the history takes one per snapshot, and a 100-field object built key by key is a
 * slow dictionary. cpuFields() names them.
 */
export type CpuSnapshot = unknown[];

/** The state fields are exactly the own fields of a fresh CpuState, so a field added there is snapshotted too. */
const CPU_FIELDS = Object.keys(new CpuState());

function copy(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  if (ArrayBuffer.isView(v)) return (v as unknown as { slice(): unknown }).slice();
  if (Array.isArray(v)) return v.map(copy);
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [k, copy(x)]));
  return v;
}

export function captureCpu(c: Cpu): CpuSnapshot {
  const src = c as unknown as Record<string, unknown>;
  const o = new Array<unknown>(CPU_FIELDS.length);
  for (let i = 0; i < CPU_FIELDS.length; i++) o[i] = copy(src[CPU_FIELDS[i]]);
  return o;
}

/** A captured CPU as field name → value (hashing, tests). */
export function cpuFields(s: CpuSnapshot): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  CPU_FIELDS.forEach((k, i) => { o[k] = s[i]; });
  return o;
}

/**
 * Put a captured state back. Cached translations describe another moment, so the TLB is flushed; so is the
 * decode cache, unless the caller (the history's restore) has already dropped the decoded code of every RAM
 * page it changed (`codeKept`): blocks are keyed by physical address and mode, so the others still hold.
 * Mode fields are part of the state but recomputed anyway.
 */
export function restoreCpu(c: Cpu, s: CpuSnapshot, codeKept = false): void {
  const dst = c as unknown as Record<string, unknown>;
  for (let i = 0; i < CPU_FIELDS.length; i++) {
    const k = CPU_FIELDS[i];
    const v = s[i];
    const cur = dst[k];
    if (ArrayBuffer.isView(cur)) (cur as unknown as { set(a: unknown): void }).set(v);
    else dst[k] = copy(v);
  }
  c.stopRequested = false;
  c.softIntPending = false;
  c.faultIsTrap = false;
  c.breakpointHit = false;
  c.watchHitAddr = -1;
  c.setCpl(c.cpl);
  c.updateMode();
  debugRegsChanged(c);
  c.flushTlb();
  if (!codeKept) c.flushCode();
}

/** Device states in `all` order (interrupt controllers before the router, as createPcDevices lists them). */
export function captureDevices(devices: Device[]): unknown[] {
  // A loop, not map() with a callback made anew at every snapshot.
  const out = new Array<unknown>(devices.length);
  for (let i = 0; i < devices.length; i++) out[i] = devices[i].saveState();
  return out;
}

/**
 * Restore the clock and the devices. The clock's count comes first and its timer list is emptied: devices
 * re-arm their timers from their own state in loadState, relative to the restored count.
 */
export function restoreDevices(clock: VirtualClock, instructions: number, devices: Device[], states: unknown[]): void {
  clock.reset();
  clock.instructions = instructions;
  devices.forEach((d, i) => d.loadState(states[i]));
}

/**
 * 32-bit FNV-style hash over the CPU state fields and all of RAM, as 8 hex digits (two independent lanes
 * to make accidental equality unlikely). Not cryptographic; for comparing runs.
 */
export function stateHash(c: Cpu | Cpu[], mem: PhysicalMemory): string {
  let h1 = 0x811c9dc5 | 0, h2 = 0x01000193 | 0;
  const words = mem.i32;
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    h1 = Math.imul(h1 ^ w, 0x01000193);
    h2 = Math.imul(h2 + w, 0x5bd1e995) ^ (h2 >>> 15);
  }
  // RFLAGS as the guest sees it, not the lazy-flag record behind it: the interpreter and translated blocks
  // (jit.ts) may leave different records for the same flags (e.g. the upper bits of a byte operation).
  // Several CPUs (smp): each one's state in turn, BSP first.
  for (const one of Array.isArray(c) ? c : [c]) {
    const cpu = cpuFields(captureCpu(one));
    for (const k of ['lfOp', 'lfSize', 'lfRes', 'lfResHi', 'lfA', 'lfAHi', 'lfB', 'lfBHi', 'lfAux']) delete cpu[k];
    cpu.flags = getFlags(one);
    const regs = JSON.stringify(cpu, (_k, v) => (ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v instanceof Map ? [...v] : v));
    for (let i = 0; i < regs.length; i++) h1 = Math.imul(h1 ^ regs.charCodeAt(i), 0x01000193);
  }
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
}
