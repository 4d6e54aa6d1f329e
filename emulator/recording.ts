/**
 * Recordings (issue 7): `faultline run --record FILE` writes what a run needs to be reproduced and what it
 * produced; `faultline replay FILE` runs it again and compares. A run is a function of the kernel bytes, the
 * machine options, the command line, the instruction budget and the device inputs with the instruction
 * counts they arrived at (every device's time is the retired-instruction count, clock.ts), so a recording
 * stores exactly those, plus the results to check: serial output hash, fault chain, final position,
 * stateHash() (CPU + RAM) and a hash of every device's saved state.
 *
 * runSession() is the one run loop both sides use (interactive.ts drives the same session live): the same budget slices, inputs applied when the count
 * reaches their planned instruction (so a recording's inputs land where they landed), a boot loop stopped
 * after four resets.
 *
 * Public API: RECORDING_FORMAT, Recording, PlannedInput, AppliedInput, SessionResult, runSession, startSession, applyInput,
 * makeRecording, parseRecording, compareWithRecording, sha256Hex.
 */
import type { Hash } from 'node:crypto';
import { ExceptionEvent, InputEvent, MachineOptions, StopInfo } from './api';
import { KeyEvent } from './devices/keymap';
import { Machine } from './machine';
import { captureDevices } from './snapshot';

export const RECORDING_FORMAT = 1;

/** An input to send when the instruction count (since the last reset) first reaches `instructions`. */
export interface PlannedInput {
  instructions: number;
  kind: InputEvent['kind'];
  bytes: number[];
  /** Keyboard input given as key strokes (`--input N:kbd:TEXT`): turned into bytes when sent, as the 8042 is set then. */
  keys?: KeyEvent[];
}

/** An input as it was sent: at which count, after how many machine resets. */
export interface AppliedInput extends PlannedInput {
  resets: number;
}

/** One fault chain link in JSON (addresses as hex strings). */
export interface ChainLink {
  seq: number;
  instructionCount: number;
  phase: ExceptionEvent['phase'];
  name: string;
  errorCode: number | null;
  rip: string;
  rsp: string;
  cr2: string;
}

export interface Recording {
  format: number;
  /**
   * `name`: the path as given on the command line, which a multiboot1 kernel's command line starts with (as
   * QEMU passes it); absent in recordings made before it was passed (their replays pass none).
   */
  kernel: { path: string; sha256: string; name?: string };
  /** The system BIOS the kernel booted through (absent: loaded directly, --firmware none). */
  firmware?: { name: 'seabios'; bios: string; sha256: string };
  machine: Required<Omit<MachineOptions, 'board'>>;
  /** 'none': the machine had no network card (--nic none); absent: QEMU's default e1000. */
  nic?: 'none';
  cmdline: string | null;
  maxInstructions: number;
  inputs: AppliedInput[];
  end: { instructions: number; resets: number; stop: StopInfo['reason'] };
  serial: { bytes: number; sha256: string };
  faultChain: ChainLink[];
  stateHash: string;
  devicesHash: string;
}

export interface SessionResult {
  stop: StopInfo;
  resets: number;
  inputs: AppliedInput[];
  /** Serial output as its byte count and SHA-256, digested as it arrives (a guest may print without end). */
  serial: SerialDigest;
}

/**
 * A SHA-256 hash, with node:crypto loaded when the first one is made: loading it costs ~9 ms of CPU, at every
 * `faultline` start that imported it, and most runs hash nothing (a session's serial digest is read only by
 * recordings and replays).
 */
function newSha256(): Hash {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  return (require('node:crypto') as typeof import('node:crypto')).createHash('sha256');
}

/** Running SHA-256 of a byte stream, fed a byte at a time through a 64 KiB buffer (hashed when it fills or is read). */
export class SerialDigest {
  bytes = 0;
  private hashState: Hash | undefined;
  private get hash(): Hash {
    return (this.hashState ??= newSha256());
  }
  private readonly buf = new Uint8Array(65536);
  private n = 0;
  private done: string | undefined;

  push(b: number): void {
    this.buf[this.n++] = b;
    this.bytes++;
    if (this.n === this.buf.length) { this.hash.update(this.buf); this.n = 0; }
  }

  sha256(): string {
    if (this.done === undefined) {
      this.hash.update(this.buf.subarray(0, this.n));
      this.done = this.hash.digest('hex');
    }
    return this.done;
  }
}

/** Guest instructions per run() call: small enough that a caller's onSlice runs at frame rate, large enough to cost nothing. */
const SLICE = 4_000_000;
/** A triple-fault boot loop is evident after this many resets; the run stops with reason 'pause'. */
export const MAX_RESETS = 3;

/** A fresh session result that digests `m`'s serial output and counts its resets (stopping a boot loop). */
export function startSession(m: Machine): SessionResult {
  const r: SessionResult = { stop: { reason: 'budget' }, resets: 0, inputs: [], serial: new SerialDigest() };
  m.on('serial', (b: number) => { r.serial.push(b); });
  m.on('reset', () => {
    r.resets++;
    if (r.resets > MAX_RESETS) m.pause();
  });
  return r;
}

/** Send one input now and log it in the session as sent (keyboard text becomes the bytes the 8042 gives now). */
export function applyInput(m: Machine, r: SessionResult, input: PlannedInput): void {
  let bytes = input.bytes;
  if (input.kind === 'serial') m.sendSerial(bytes);
  else if (input.kind === 'serial2') m.sendSerial(bytes, 2);
  else if (input.kind === 'mouse') m.sendAux(bytes);
  else {
    if (input.keys) bytes = input.keys.flatMap((k) => m.devices.ps2.keyBytes(k.code, k.down));
    m.sendKeys(bytes);
  }
  r.inputs.push({ instructions: m.instructionCount, resets: r.resets, kind: input.kind, bytes: bytes.slice() });
}

/**
 * Run a booted machine for up to `maxInstructions`, sending `inputs` (sorted by instructions) on the way.
 * `onSlice` runs between slices of a few million instructions (the CLI flushes output there, so what the
 * guest printed reaches the user within a frame's time whatever it does next).
 */
export function runSession(m: Machine, maxInstructions: number, inputs: PlannedInput[], onSlice?: () => void): SessionResult {
  const r = startSession(m);
  let left = maxInstructions;
  let next = 0;
  while (left > 0) {
    const input = inputs[next];
    if (input && m.instructionCount >= input.instructions) {
      applyInput(m, r, input);
      next++;
      continue;
    }
    const before = m.instructionCount;
    r.stop = m.run(Math.min(left, SLICE, input ? input.instructions - before : Infinity));
    // Halted waiting for an interrupt with nothing timed: the next input's moment comes while the CPU sleeps.
    if (r.stop.reason === 'halt' && input && (m.instructionCount >= input.instructions || m.idleUntil(Math.min(input.instructions, before + left)))) {
      left -= m.instructionCount - before;
      continue;
    }
    left -= m.instructionCount - before;
    if (r.stop.reason !== 'budget') break;
    onSlice?.();
  }
  return r;
}

export function sha256Hex(bytes: Uint8Array | number[]): string {
  return newSha256().update(bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes)).digest('hex');
}

export function chainLinks(chain: ExceptionEvent[]): ChainLink[] {
  return chain.map((e) => ({
    seq: e.seq, instructionCount: e.instructionCount, phase: e.phase, name: e.name, errorCode: e.errorCode ?? null,
    rip: `0x${e.rip.toString(16)}`, rsp: `0x${e.rsp.toString(16)}`, cr2: `0x${e.cr2.toString(16)}`,
  }));
}

function devicesHash(m: Machine): string {
  return sha256Hex(new TextEncoder().encode(JSON.stringify(captureDevices(m.devices.all), (_k, v) => (typeof v === 'bigint' ? v.toString() : v))));
}

/** The recording of a finished session on `m`. */
export function makeRecording(m: Machine, kernel: { path: string; bytes: Uint8Array; name?: string }, cmdline: string | undefined,
  maxInstructions: number, s: SessionResult, bios?: { path: string; bytes: Uint8Array }): Recording {
  return {
    format: RECORDING_FORMAT,
    kernel: { path: kernel.path, sha256: sha256Hex(kernel.bytes), ...(kernel.name !== undefined ? { name: kernel.name } : {}) },
    ...(bios ? { firmware: { name: 'seabios' as const, bios: bios.path, sha256: sha256Hex(bios.bytes) } } : {}),
    machine: { ...m.options },
    ...(m.devices.board.nic ? {} : { nic: 'none' as const }),
    cmdline: cmdline ?? null,
    maxInstructions,
    inputs: s.inputs,
    end: { instructions: m.instructionCount, resets: s.resets, stop: s.stop.reason },
    serial: { bytes: s.serial.bytes, sha256: s.serial.sha256() },
    faultChain: chainLinks(m.faultChain()),
    stateHash: m.stateHash(),
    devicesHash: devicesHash(m),
  };
}

/** Parse and check a recording file's text; throws a sentence saying what is wrong. */
export function parseRecording(text: string, file: string): Recording {
  let r: Recording;
  try {
    r = JSON.parse(text) as Recording;
  } catch {
    throw new Error(`${file} is not a faultline recording (not JSON); make one with faultline run KERNEL --record ${file}`);
  }
  if (!r || typeof r !== 'object' || r.format === undefined) {
    throw new Error(`${file} is not a faultline recording (no "format" field); make one with faultline run KERNEL --record ${file}`);
  }
  if (r.format !== RECORDING_FORMAT) {
    throw new Error(`${file} is a format ${r.format} recording; this faultline reads format ${RECORDING_FORMAT}: record it again`);
  }
  const ok = typeof r.kernel?.path === 'string' && typeof r.kernel.sha256 === 'string' && typeof r.machine === 'object'
    && (r.firmware === undefined || (r.firmware.name === 'seabios' && typeof r.firmware.bios === 'string' && typeof r.firmware.sha256 === 'string'))
    && Number.isInteger(r.maxInstructions) && r.maxInstructions > 0 && Array.isArray(r.inputs) && typeof r.end === 'object'
    && typeof r.serial === 'object' && Array.isArray(r.faultChain) && typeof r.stateHash === 'string' && typeof r.devicesHash === 'string'
    && r.inputs.every((i) => Number.isInteger(i.instructions) && i.instructions >= 0 && Number.isInteger(i.resets)
      && (i.kind === 'serial' || i.kind === 'serial2' || i.kind === 'keyboard' || i.kind === 'mouse') && Array.isArray(i.bytes) && i.bytes.every((b) => Number.isInteger(b) && b >= 0 && b <= 255));
  if (!ok) throw new Error(`${file} is a damaged recording (a field is missing or has the wrong type); record it again`);
  return r;
}

/**
 * What differs between a recording and a replay of it (empty: identical). `again` is the replay's own
 * recording (makeRecording on the replayed machine).
 */
export function compareWithRecording(rec: Recording, again: Recording): string[] {
  const d: string[] = [];
  const n = Math.max(rec.inputs.length, again.inputs.length);
  for (let i = 0; i < n; i++) {
    const a = rec.inputs[i], b = again.inputs[i];
    if (!b || !a || a.instructions !== b.instructions || a.resets !== b.resets) {
      d.push(`input ${i}: recorded ${a ? `at instruction ${a.instructions} (after ${a.resets} resets)` : 'none'}, replayed ${b ? `at instruction ${b.instructions} (after ${b.resets} resets)` : 'never sent'}`);
      break;
    }
  }
  if (rec.serial.sha256 !== again.serial.sha256) {
    d.push(`serial output: recorded ${rec.serial.bytes} bytes (sha256 ${rec.serial.sha256.slice(0, 16)}…), replayed ${again.serial.bytes} bytes (sha256 ${again.serial.sha256.slice(0, 16)}…)`);
  }
  const links = Math.max(rec.faultChain.length, again.faultChain.length);
  for (let i = 0; i < links; i++) {
    const a = rec.faultChain[i], b = again.faultChain[i];
    if (JSON.stringify(a) !== JSON.stringify(b)) {
      d.push(`fault chain link ${i}: recorded ${a ? linkText(a) : 'none'}, replayed ${b ? linkText(b) : 'none'}`);
      break;
    }
  }
  if (rec.end.instructions !== again.end.instructions || rec.end.resets !== again.end.resets || rec.end.stop !== again.end.stop) {
    d.push(`end: recorded ${endText(rec.end)}, replayed ${endText(again.end)}`);
  }
  if (rec.stateHash !== again.stateHash) d.push(`final state (CPU + RAM) hash: recorded ${rec.stateHash}, replayed ${again.stateHash}`);
  if (rec.devicesHash !== again.devicesHash) d.push(`final device state hash: recorded ${rec.devicesHash.slice(0, 16)}…, replayed ${again.devicesHash.slice(0, 16)}…`);
  return d;
}

function linkText(l: ChainLink): string {
  return `${l.phase} ${l.name}${l.errorCode !== null ? `(${l.errorCode})` : ''} at instruction ${l.instructionCount} rip=${l.rip} rsp=${l.rsp} cr2=${l.cr2}`;
}

function endText(e: Recording['end']): string {
  return `${e.stop} after ${e.instructions} instructions${e.resets ? ` and ${e.resets} resets` : ''}`;
}
