/**
 * Differential testing of the x87 against the host CPU: x87-exec.c loads an FRSTOR image, executes one x87
 * instruction natively (memory operand at [rdi], a 128-byte buffer) and stores an FNSAVE image; the emulator
 * runs the same instruction from the same state. Compared: FCW, FSW (all bits but the ones the SDM leaves
 * undefined for the instruction), the tag word, ST(0)-ST(7), the memory buffer, RFLAGS (FCOMI) and RAX (FNSTSW).
 * The transcendental instructions are compared within a documented tolerance (docs/x87.md).
 */
import { execFileSync } from 'node:child_process';
import { buildHarness } from './diff';
import { makeCpu, poke, CODE } from '../cpu-harness';
import { getFlags } from '../../../emulator/cpu/flags';
import { Exit } from '../../../emulator/cpu/cpu';
import { fullTagWord } from '../../../emulator/cpu/x87-env';

export interface X87Case {
  name: string;
  bytes: number[];
  img: Uint8Array; // 108-byte FRSTOR image (32-bit protected-mode format)
  mem: Uint8Array; // 128 bytes at [rdi]
  flags: number;
  rax: bigint;
  /** FSW bits not compared (undefined for this instruction and input). */
  fswIgnore: number;
  approx?: boolean;
  /** Byte ranges [from, to) of the memory buffer not compared (instruction/operand pointers of FSTENV/FSAVE). */
  memIgnore?: [number, number][];
}

export function buildX87Native(): { path?: string; reason?: string } {
  return buildHarness('x87-exec');
}

const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');

interface Result { img: Uint8Array; mem: Uint8Array; flags: number; rax: bigint }

export function runX87Native(path: string, cases: X87Case[]): Result[] {
  const input = cases.map((c) => `${Buffer.from(c.bytes).toString('hex')} ${hexOf(c.img)} ${hexOf(c.mem)} ${c.flags.toString(16)} ${BigInt.asUintN(64, c.rax).toString(16)}`).join('\n') + '\n';
  const out = execFileSync(path, { input, maxBuffer: 1 << 28 }).toString().trim().split('\n');
  return out.map((l) => {
    const [img, mem, f, rax] = l.split(' ');
    return { img: Uint8Array.from(Buffer.from(img, 'hex')), mem: Uint8Array.from(Buffer.from(mem, 'hex')), flags: parseInt(f, 16), rax: BigInt('0x' + rax) };
  });
}

const MEM = 0x3000;
let cpu: ReturnType<typeof makeCpu> | undefined;

/** Run a case in the emulator; the result in the same FNSAVE-image form as the native run. */
export function runX87Emu(k: X87Case): Result | string {
  cpu ??= makeCpu();
  const c = cpu;
  const dv = new DataView(k.img.buffer, k.img.byteOffset);
  c.fcw = dv.getUint16(0, true);
  c.fsw = dv.getUint16(4, true);
  const tag = dv.getUint16(8, true);
  const topv = (c.fsw >>> 11) & 7;
  c.ftw = 0;
  for (let r = 0; r < 8; r++) if (((tag >>> (2 * r)) & 3) !== 3) c.ftw |= 1 << r;
  for (let s = 0; s < 8; s++) c.fpuRegs.set(k.img.subarray(28 + 10 * s, 38 + 10 * s), ((topv + s) & 7) * 16);
  poke(c, MEM, k.mem);
  c.setReg64(7, MEM, 0);
  c.setReg64(0, Number(BigInt.asUintN(32, k.rax)) | 0, Number(BigInt.asUintN(64, k.rax) >> 32n) | 0);
  c.lfOp = 0;
  c.flags = (k.flags & 0x8d5) | 2;
  poke(c, CODE, k.bytes);
  c.flushCode();
  c.rip = CODE;
  const exit = c.run(1);
  if (exit !== Exit.BUDGET) return `emulator exit ${exit}`;
  const img = new Uint8Array(108);
  const ov = new DataView(img.buffer);
  ov.setUint16(0, c.fcw, true);
  ov.setUint16(4, c.fsw, true);
  ov.setUint16(8, fullTagWord(c), true);
  const t2 = (c.fsw >>> 11) & 7;
  for (let s = 0; s < 8; s++) img.set(c.fpuRegs.subarray(((t2 + s) & 7) * 16, ((t2 + s) & 7) * 16 + 10), 28 + 10 * s);
  const rax = (BigInt(c.r[1] >>> 0) << 32n) | BigInt(c.r[0] >>> 0);
  return { img, mem: Uint8Array.from(c.mem.u8.subarray(MEM, MEM + 128)), flags: getFlags(c) & 0x8d5, rax };
}

/** Value of an 80-bit register image as a double (for the tolerance comparison). */
function f80ToNumber(b: Uint8Array, o: number): number {
  const lo = b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24);
  const hi = b[o + 4] | (b[o + 5] << 8) | (b[o + 6] << 16) | (b[o + 7] << 24);
  const se = b[o + 8] | (b[o + 9] << 8);
  const e = se & 0x7fff;
  if (e === 0x7fff) return NaN;
  const m = (hi >>> 0) * 4294967296 + (lo >>> 0);
  const v = m * Math.pow(2, (e === 0 ? 1 : e) - 16383 - 63);
  return se & 0x8000 ? -v : v;
}

function closeEnough(a: number, b: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return false;
  const d = Math.abs(a - b);
  return d <= Math.max(Math.abs(a), Math.abs(b)) * Math.pow(2, -50) || d <= Math.pow(2, -60);
}

export function compareX87(cases: X87Case[], native: Result[]): string[] {
  const bad: string[] = [];
  cases.forEach((k, n) => {
    const nat = native[n], emu = runX87Emu(k);
    const diffs: string[] = [];
    if (typeof emu === 'string') diffs.push(emu);
    else {
      const nv = new DataView(nat.img.buffer), ev = new DataView(emu.img.buffer);
      if (nv.getUint16(0, true) !== ev.getUint16(0, true)) diffs.push(`fcw native ${nv.getUint16(0, true).toString(16)} emu ${ev.getUint16(0, true).toString(16)}`);
      const ign = k.fswIgnore | (k.approx ? 0x220 : 0);
      const nf = nv.getUint16(4, true) & ~ign, ef = ev.getUint16(4, true) & ~ign;
      if (nf !== ef) diffs.push(`fsw native ${nf.toString(16)} emu ${ef.toString(16)}`);
      if (nv.getUint16(8, true) !== ev.getUint16(8, true)) diffs.push(`tag native ${nv.getUint16(8, true).toString(16)} emu ${ev.getUint16(8, true).toString(16)}`);
      for (let s = 0; s < 8; s++) {
        const a = hexOf(nat.img.subarray(28 + 10 * s, 38 + 10 * s)), b = hexOf(emu.img.subarray(28 + 10 * s, 38 + 10 * s));
        if (a === b) continue;
        if (k.approx && closeEnough(f80ToNumber(nat.img, 28 + 10 * s), f80ToNumber(emu.img, 28 + 10 * s))) continue;
        diffs.push(`st${s} native ${f80hex(nat.img, 28 + 10 * s)} emu ${f80hex(emu.img, 28 + 10 * s)}`);
      }
      for (const [a, b] of k.memIgnore ?? []) { nat.mem.fill(0, a, b); emu.mem.fill(0, a, b); }
      if (hexOf(nat.mem) !== hexOf(emu.mem)) diffs.push(`mem native ${hexOf(nat.mem.subarray(0, 16))} emu ${hexOf(emu.mem.subarray(0, 16))}`);
      if (nat.flags !== emu.flags) diffs.push(`flags native ${nat.flags.toString(16)} emu ${emu.flags.toString(16)}`);
      if (nat.rax !== emu.rax) diffs.push(`rax native ${nat.rax.toString(16)} emu ${emu.rax.toString(16)}`);
    }
    if (diffs.length) bad.push(`${k.name} ${Buffer.from(k.bytes).toString('hex')} in=[fcw=${new DataView(k.img.buffer).getUint16(0, true).toString(16)} fsw=${new DataView(k.img.buffer).getUint16(4, true).toString(16)} st0=${f80hex(k.img, 28)} st1=${f80hex(k.img, 38)} mem=${hexOf(k.mem.subarray(0, 10))}]: ${diffs.join('; ')}`);
  });
  return bad;
}

function f80hex(b: Uint8Array, o: number): string {
  const h = (k: number): string => b[o + k].toString(16).padStart(2, '0');
  return `${h(9)}${h(8)}:${h(7)}${h(6)}${h(5)}${h(4)}${h(3)}${h(2)}${h(1)}${h(0)}`;
}

// ------------------------------------------------------------------------------------ generation
let seed = 0x2545f4914f6cdd1dn;
export function reseedX87(s: bigint): void { seed = BigInt.asUintN(64, s) || 1n; }
function next64(): bigint {
  seed ^= BigInt.asUintN(64, seed << 13n); seed ^= seed >> 7n; seed ^= BigInt.asUintN(64, seed << 17n);
  return seed;
}
function rnd(n: number): number { return Number(next64() % BigInt(n)); }
function r32(): number { return Number(next64() & 0xffffffffn); }

/** A random 80-bit value: [sign/exponent, hi, lo], with the special classes well represented. */
type V80 = [number, number, number];
function value80(kind: 'any' | 'small' | 'unit' | 'int' | 'pos' = 'any'): V80 {
  const s = rnd(2) << 15;
  const mant = (): [number, number] => [(r32() | 0x80000000) >>> 0, r32()];
  if (kind === 'unit') { const [h, l] = mant(); return [s | (0x3fff - 1 - rnd(20)), h, l]; }
  if (kind === 'small') { const [h, l] = mant(); return [s | (0x3fff - 30 + rnd(37)), h, l]; }
  if (kind === 'int') { const e = rnd(40); const v = [s | (0x3fff + e), 0, 0] as V80; const [h, l] = mant(); v[1] = h; v[2] = e < 32 ? 0 : l; if (e < 31) v[1] = (h & ~((1 << (31 - e)) - 1)) >>> 0; return v; }
  switch (rnd(kind === 'pos' ? 12 : 28)) {
    case 0: return [s, 0, 0];
    case 1: return [s, r32() & 0x7fffffff, r32()]; // denormal
    case 2: return [s | 0x7fff, 0x80000000, 0]; // infinity
    case 3: return [s | 0x7fff, (0xc0000000 | r32()) >>> 0, r32()]; // QNaN
    case 4: return [s | 0x7fff, (0x80000000 | (r32() & 0x3fffffff) | 1) >>> 0, r32()]; // SNaN
    case 5: return rnd(3) === 0 ? [s | (1 + rnd(0x7ffe)), r32() & 0x7fffffff, r32()] : [s | rnd(0x7fff), (r32() | 0x80000000) >>> 0, r32()]; // unnormal, or any
    case 6: return [s | (1 + rnd(3)), (r32() | 0x80000000) >>> 0, r32()]; // tiny normals
    case 7: return [s | (0x7ffe - rnd(3)), (r32() | 0x80000000) >>> 0, r32()]; // huge
    case 8: return [s | (0x3fff + rnd(64)), (r32() | 0x80000000) >>> 0, rnd(2) ? 0 : r32() & 0xfffff800]; // 53-bit significands
    case 9: return [s | (0x3fff - 8 + rnd(16)), (r32() | 0x80000000) & 0xffffff00, 0]; // 24-bit significands
    case 10: return [s | (0x3fff - 16382 + 1 + rnd(60)), (r32() | 0x80000000) >>> 0, r32()]; // near the denormal boundary
    case 11: return [s, (r32() | 0x80000000) >>> 0, r32()]; // pseudo-denormal (exponent 0, J = 1)
    case 12: case 13: case 14: { // few significant bits, nearby exponents: exact halfway cases under every PC
      const bits = 1 + rnd(30);
      return [s | (0x3fff - 3 + rnd(7)), (0x80000000 | (r32() & ~((1 << (31 - Math.min(bits, 31))) - 1))) >>> 0, rnd(2) ? 0 : (1 << rnd(32)) >>> 0];
    }
    default: { const [h, l] = mant(); return [s | (0x3fff - 64 + rnd(128)), h, l]; }
  }
}
function put80(b: Uint8Array, o: number, v: V80): void {
  const dv = new DataView(b.buffer, b.byteOffset);
  dv.setUint32(o, v[2], true); dv.setUint32(o + 4, v[1], true); dv.setUint16(o + 8, v[0], true);
}
function abs80(v: V80): V80 { return [v[0] & 0x7fff, v[1], v[2]]; }

function f32bits(): number {
  switch (rnd(10)) {
    case 0: return rnd(2) << 31;
    case 1: return ((rnd(2) << 31) | (r32() & 0x7fffff)) >>> 0; // denormal
    case 2: return ((rnd(2) << 31) | 0x7f800000) >>> 0;
    case 3: return ((rnd(2) << 31) | 0x7f800000 | (r32() & 0x7fffff) | 1) >>> 0; // NaN (quiet or signalling)
    case 4: return ((rnd(2) << 31) | ((1 + rnd(3)) << 23) | (r32() & 0x7fffff)) >>> 0;
    default: return ((rnd(2) << 31) | ((127 - 40 + rnd(80)) << 23) | (r32() & 0x7fffff)) >>> 0;
  }
}
function f64bits(): [number, number] {
  const s = rnd(2) << 31;
  switch (rnd(10)) {
    case 0: return [0, s >>> 0];
    case 1: return [r32(), (s | (r32() & 0xfffff)) >>> 0];
    case 2: return [0, (s | 0x7ff00000) >>> 0];
    case 3: return [r32() | 1, (s | 0x7ff00000 | (r32() & 0xfffff)) >>> 0];
    default: return [r32(), (s | ((1023 - 80 + rnd(160)) << 20) | (r32() & 0xfffff)) >>> 0];
  }
}

interface Gen { name: string; bytes: number[]; mem?: 'f32' | 'f64' | 'f80' | 'i16' | 'i32' | 'i64' | 'bcd' | 'env' | 'env16'; memIgnore?: [number, number][]; st0?: 'small' | 'unit' | 'int' | 'pos'; st1?: 'int' | 'small' | 'pos'; ign?: number; approx?: boolean; masks?: boolean }

const C0 = 0x100, C1 = 0x200, C2 = 0x400, C3 = 0x4000;
const ARITH = ['fadd', 'fmul', 'fcom', 'fcomp', 'fsub', 'fsubr', 'fdiv', 'fdivr'];

function instructions(): Gen[] {
  const g: Gen[] = [];
  const i = (): number => rnd(8);
  for (let op = 0; op < 8; op++) {
    g.push({ name: `${ARITH[op]} st,st(i)`, bytes: [0xd8, 0xc0 | (op << 3) | i()] });
    g.push({ name: `${ARITH[op]} m32`, bytes: [0xd8, 0x07 | (op << 3)], mem: 'f32' });
    g.push({ name: `${ARITH[op]} m64`, bytes: [0xdc, 0x07 | (op << 3)], mem: 'f64' });
    g.push({ name: `fi${ARITH[op].slice(1)} m32`, bytes: [0xda, 0x07 | (op << 3)], mem: 'i32' });
    g.push({ name: `fi${ARITH[op].slice(1)} m16`, bytes: [0xde, 0x07 | (op << 3)], mem: 'i16' });
    if (op !== 2 && op !== 3) {
      g.push({ name: `${ARITH[op]} st(i),st`, bytes: [0xdc, 0xc0 | (op << 3) | i()] });
      g.push({ name: `${ARITH[op]}p st(i),st`, bytes: [0xde, 0xc0 | (op << 3) | i()] });
    }
  }
  g.push({ name: 'fcompp', bytes: [0xde, 0xd9] });
  g.push({ name: 'fld m32', bytes: [0xd9, 0x07], mem: 'f32' });
  g.push({ name: 'fld m64', bytes: [0xdd, 0x07], mem: 'f64' });
  g.push({ name: 'fld m80', bytes: [0xdb, 0x2f], mem: 'f80' });
  g.push({ name: 'fst m32', bytes: [0xd9, 0x17] }, { name: 'fstp m32', bytes: [0xd9, 0x1f] });
  g.push({ name: 'fst m64', bytes: [0xdd, 0x17] }, { name: 'fstp m64', bytes: [0xdd, 0x1f] });
  g.push({ name: 'fstp m80', bytes: [0xdb, 0x3f] });
  g.push({ name: 'fild m16', bytes: [0xdf, 0x07], mem: 'i16' }, { name: 'fild m32', bytes: [0xdb, 0x07], mem: 'i32' }, { name: 'fild m64', bytes: [0xdf, 0x2f], mem: 'i64' });
  for (const [n, b] of [['fist m16', [0xdf, 0x17]], ['fistp m16', [0xdf, 0x1f]], ['fisttp m16', [0xdf, 0x0f]], ['fist m32', [0xdb, 0x17]], ['fistp m32', [0xdb, 0x1f]], ['fisttp m32', [0xdb, 0x0f]], ['fistp m64', [0xdf, 0x3f]], ['fisttp m64', [0xdd, 0x0f]]] as const) {
    g.push({ name: n, bytes: [...b], st0: rnd(2) ? 'int' : undefined });
  }
  g.push({ name: 'fbld', bytes: [0xdf, 0x27], mem: 'bcd' }, { name: 'fbstp', bytes: [0xdf, 0x37], st0: 'int' });
  g.push({ name: 'fld st(i)', bytes: [0xd9, 0xc0 | i()] }, { name: 'fxch', bytes: [0xd9, 0xc8 | i()] });
  g.push({ name: 'fst st(i)', bytes: [0xdd, 0xd0 | i()] }, { name: 'fstp st(i)', bytes: [0xdd, 0xd8 | i()] });
  g.push({ name: 'ffree', bytes: [0xdd, 0xc0 | i()] }, { name: 'ffreep', bytes: [0xdf, 0xc0 | i()] });
  g.push({ name: 'fucom', bytes: [0xdd, 0xe0 | i()] }, { name: 'fucomp', bytes: [0xdd, 0xe8 | i()] }, { name: 'fucompp', bytes: [0xda, 0xe9] });
  g.push({ name: 'fucomi', bytes: [0xdb, 0xe8 | i()] }, { name: 'fcomi', bytes: [0xdb, 0xf0 | i()] });
  g.push({ name: 'fucomip', bytes: [0xdf, 0xe8 | i()] }, { name: 'fcomip', bytes: [0xdf, 0xf0 | i()] });
  for (let cc = 0; cc < 4; cc++) {
    g.push({ name: `fcmov${['b', 'e', 'be', 'u'][cc]}`, bytes: [0xda, 0xc0 | (cc << 3) | i()] });
    g.push({ name: `fcmovn${['b', 'e', 'be', 'u'][cc]}`, bytes: [0xdb, 0xc0 | (cc << 3) | i()] });
  }
  g.push({ name: 'fchs', bytes: [0xd9, 0xe0] }, { name: 'fabs', bytes: [0xd9, 0xe1] }, { name: 'ftst', bytes: [0xd9, 0xe4] }, { name: 'fxam', bytes: [0xd9, 0xe5] });
  for (let k = 0; k < 7; k++) g.push({ name: ['fld1', 'fldl2t', 'fldl2e', 'fldpi', 'fldlg2', 'fldln2', 'fldz'][k], bytes: [0xd9, 0xe8 + k] });
  g.push({ name: 'fxtract', bytes: [0xd9, 0xf4] });
  g.push({ name: 'fprem', bytes: [0xd9, 0xf8] }, { name: 'fprem1', bytes: [0xd9, 0xf5] });
  g.push({ name: 'fdecstp', bytes: [0xd9, 0xf6] }, { name: 'fincstp', bytes: [0xd9, 0xf7] });
  g.push({ name: 'fsqrt', bytes: [0xd9, 0xfa] }, { name: 'frndint', bytes: [0xd9, 0xfc] });
  g.push({ name: 'fscale', bytes: [0xd9, 0xfd], st1: 'int' }, { name: 'fscale', bytes: [0xd9, 0xfd] });
  g.push({ name: 'fnop', bytes: [0xd9, 0xd0] }, { name: 'fnclex', bytes: [0xdb, 0xe2] }, { name: 'fninit', bytes: [0xdb, 0xe3] });
  g.push({ name: 'fnstsw ax', bytes: [0xdf, 0xe0] }, { name: 'fnstsw m16', bytes: [0xdd, 0x3f] }, { name: 'fnstcw', bytes: [0xd9, 0x3f] });
  g.push({ name: 'fldcw', bytes: [0xd9, 0x2f], mem: 'i16' });
  // images: the instruction/operand pointer fields (bytes 12-27) hold host addresses and are not compared
  const ptrs: [number, number][] = [[12, 28]];
  g.push({ name: 'fnstenv', bytes: [0xd9, 0x37], memIgnore: ptrs }, { name: 'fnsave', bytes: [0xdd, 0x37], memIgnore: ptrs });
  g.push({ name: 'fldenv', bytes: [0xd9, 0x27], mem: 'env' }, { name: 'frstor', bytes: [0xdd, 0x27], mem: 'env' });
  g.push({ name: 'fnstenv16', bytes: [0x66, 0xd9, 0x37], memIgnore: [[6, 14]] }, { name: 'fldenv16', bytes: [0x66, 0xd9, 0x27], mem: 'env16' });
  const tr = C0 | C1 | C3;
  g.push({ name: 'f2xm1', bytes: [0xd9, 0xf0], st0: 'unit', approx: true, ign: tr });
  g.push({ name: 'fyl2x', bytes: [0xd9, 0xf1], st0: 'pos', st1: 'small', approx: true, ign: tr });
  g.push({ name: 'fyl2xp1', bytes: [0xd9, 0xf9], st0: 'unit', st1: 'small', approx: true, ign: tr });
  g.push({ name: 'fpatan', bytes: [0xd9, 0xf3], st0: 'small', st1: 'small', approx: true, ign: tr });
  g.push({ name: 'fsin', bytes: [0xd9, 0xfe], st0: 'unit', approx: true, ign: tr });
  g.push({ name: 'fcos', bytes: [0xd9, 0xff], st0: 'unit', approx: true, ign: tr });
  g.push({ name: 'fsincos', bytes: [0xd9, 0xfb], st0: 'unit', approx: true, ign: tr });
  g.push({ name: 'fptan', bytes: [0xd9, 0xf2], st0: 'unit', approx: true, ign: tr });
  return g;
}

function memBytes(kind: Gen['mem'], mem: Uint8Array): void {
  const dv = new DataView(mem.buffer);
  switch (kind) {
    case 'f32': dv.setUint32(0, f32bits(), true); break;
    case 'f64': { const [lo, hi] = f64bits(); dv.setUint32(0, lo, true); dv.setUint32(4, hi, true); break; }
    case 'f80': put80(mem, 0, value80()); break;
    case 'i16': dv.setUint16(0, rnd(3) ? rnd(200) - 100 : r32(), true); break;
    case 'i32': dv.setUint32(0, rnd(3) ? rnd(2000) - 1000 : r32(), true); break;
    case 'i64': dv.setUint32(0, r32(), true); dv.setUint32(4, rnd(2) ? r32() : rnd(2) ? 0 : 0xffffffff, true); break;
    case 'bcd': for (let k = 0; k < 9; k++) mem[k] = rnd(10) * 16 + rnd(10); mem[9] = rnd(2) << 7; break;
    case 'env': case 'env16': {
      // a control word with every exception masked (a pending unmasked one would trap the harness's next
      // waiting instruction on the host), any status word, tags, and registers
      const w = kind === 'env' ? 4 : 2;
      dv.setUint16(0, 0x3f | (rnd(0x2000) & 0x1f00) | 0x40, true);
      dv.setUint16(w, r32() & 0xffff, true);
      dv.setUint16(2 * w, r32() & 0xffff, true);
      for (let k = 0; k < 8; k++) put80(mem, 7 * w + 10 * k, value80());
      break;
    }
  }
}

export function generateX87(perInsn: number, opts: { transcendental: boolean }): X87Case[] {
  const cases: X87Case[] = [];
  const gens = instructions();
  for (let n = 0; n < perInsn; n++) {
    for (const g0 of instructions().length ? gens : []) {
      if (g0.approx && !opts.transcendental) continue;
      const g = { ...g0, bytes: [...g0.bytes] };
      // re-randomise the ST(i) operand of register forms
      if (g.bytes.length === 2 && g.bytes[1] >= 0xc0 && !g.mem && /st\(i\)|fxch|ffree|fucom|fcomi|fcmov/.test(g.name) && !/fucompp/.test(g.name)) g.bytes[1] = (g.bytes[1] & 0xf8) | rnd(8);
      const img = new Uint8Array(108), mem = new Uint8Array(128);
      for (let k = 0; k < 128; k++) mem[k] = rnd(256);
      memBytes(g.mem, mem);
      const pc = rnd(4), rcv = rnd(4);
      const masks = rnd(4) === 0 ? rnd(64) : 0x3f;
      const fcw = 0x40 | masks | (pc << 8) | (rcv << 10);
      const topv = rnd(8);
      const sticky = rnd(64) & masks & 0x3f;
      const fsw = (topv << 11) | sticky | (rnd(16) & 1 ? C0 : 0) | (rnd(2) ? C1 : 0) | (rnd(2) ? C2 : 0) | (rnd(2) ? C3 : 0) | (sticky & 1 && rnd(2) ? 0x40 : 0);
      const dv = new DataView(img.buffer);
      dv.setUint32(0, 0xffff0000 | fcw, true);
      dv.setUint32(4, 0xffff0000 | fsw, true);
      let tag = 0;
      for (let s = 0; s < 8; s++) {
        let v = value80();
        if (s === 0 && g.st0) v = g.st0 === 'pos' ? abs80(value80('pos')) : value80(g.st0);
        if (s === 1 && g.st1) v = value80(g.st1 === 'pos' ? 'pos' : g.st1);
        put80(img, 28 + 10 * s, v);
        const empty = rnd(s < 2 ? 16 : 5) === 0;
        if (empty) tag |= 3 << (2 * ((topv + s) & 7));
      }
      dv.setUint32(8, 0xffff0000 | tag, true);
      cases.push({ name: g.name, bytes: g.bytes, img, mem, flags: rnd(0x1000) & 0x8d5, rax: next64(), fswIgnore: g.ign ?? 0, approx: g.approx, memIgnore: g.memIgnore });
    }
  }
  return cases;
}
