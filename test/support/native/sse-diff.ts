/**
 * Differential testing of MMX/SSE instructions against the host CPU: both sides run
 * `fxrstor [r12]; <insn>; fxsave [r12]` from the same FXSAVE image (MM0-7 with TOP/tags, MXCSR, XMM0-15) and
 * compare the resulting image (except the FIP/FDP pointer bytes 8-23), the 64-byte memory operand at [rdi],
 * RFLAGS, RAX, RDX and RCX (inputs: RAX, and RDX/RCX, zero unless a case sets them).
 */
import { execFileSync } from 'node:child_process';
import { buildHarness } from './diff';
import { makeCpu, poke, CODE } from '../cpu-harness';
import { getFlags } from '../../../emulator/cpu/flags';
import { Exit } from '../../../emulator/cpu/cpu';

export interface SseCase {
  name: string; bytes: number[]; img: Uint8Array; mem: Uint8Array; flags: number; rax: bigint; rdx?: bigint; rcx?: bigint;
  /** MXCSR bits not compared (none of the generated instructions needs it now: all keep the exception flags). */
  mxcsrIgnore?: number;
}
interface Result { img: Uint8Array; mem: Uint8Array; flags: number; rax: bigint; rdx: bigint; rcx: bigint }

export function buildSseNative(): { path?: string; reason?: string } {
  return buildHarness('sse-exec');
}

const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');

export function runSseNative(path: string, cases: SseCase[]): Result[] {
  const input = cases.map((c) => `${Buffer.from(c.bytes).toString('hex')} ${hexOf(c.img)} ${hexOf(c.mem)} ${c.flags.toString(16)} ${[c.rax, c.rdx ?? 0n, c.rcx ?? 0n].map((v) => BigInt.asUintN(64, v).toString(16)).join(' ')}`).join('\n') + '\n';
  const out = execFileSync(path, { input, maxBuffer: 1 << 28 }).toString().trim().split('\n');
  return out.map((l) => {
    const [img, mem, f, rax, rdx, rcx] = l.split(' ');
    return { img: Uint8Array.from(Buffer.from(img, 'hex')), mem: Uint8Array.from(Buffer.from(mem, 'hex')), flags: parseInt(f, 16), rax: BigInt('0x' + rax), rdx: BigInt('0x' + rdx), rcx: BigInt('0x' + rcx) };
  });
}

const MEM = 0x3000, IMG = 0x4000;
let cpu: ReturnType<typeof makeCpu> | undefined;

export function runSseEmu(k: SseCase): Result | string {
  cpu ??= makeCpu();
  const c = cpu;
  poke(c, IMG, k.img);
  poke(c, MEM, k.mem);
  c.setReg64(7, MEM, 0);
  c.setReg64(12, IMG, 0);
  const set = (r: number, v: bigint): void => c.setReg64(r, Number(BigInt.asUintN(32, v)) | 0, Number(BigInt.asUintN(64, v) >> 32n) | 0);
  set(0, k.rax); set(2, k.rdx ?? 0n); set(1, k.rcx ?? 0n);
  c.lfOp = 0;
  c.flags = (k.flags & 0x8d5) | 2;
  poke(c, CODE, [0x41, 0x0f, 0xae, 0x0c, 0x24, ...k.bytes, 0x41, 0x0f, 0xae, 0x04, 0x24]);
  c.flushCode();
  c.rip = CODE;
  const exit = c.run(3);
  if (exit !== Exit.BUDGET) return `emulator exit ${exit} at ${c.rip.toString(16)}`;
  const get = (r: number): bigint => (BigInt(c.r[2 * r + 1] >>> 0) << 32n) | BigInt(c.r[2 * r] >>> 0);
  return { img: Uint8Array.from(c.mem.u8.subarray(IMG, IMG + 512)), mem: Uint8Array.from(c.mem.u8.subarray(MEM, MEM + 64)), flags: getFlags(c) & 0x8d5, rax: get(0), rdx: get(2), rcx: get(1) };
}

function fields(img: Uint8Array): Record<string, string> {
  const o: Record<string, string> = {};
  o.fcw_fsw_ftw = hexOf(img.subarray(0, 6));
  o.mxcsr = hexOf(img.subarray(24, 28));
  for (let r = 0; r < 8; r++) o[`mm${r}/st${r}`] = hexOf(img.subarray(32 + 16 * r, 42 + 16 * r));
  for (let r = 0; r < 16; r++) o[`xmm${r}`] = hexOf(img.subarray(160 + 16 * r, 176 + 16 * r));
  return o;
}

/**
 * Which NaN a dot product (DPPS/DPPD, VDPPS/VDPPD) returns when more than one of its products is a NaN differs
 * between CPU models. The SDM's pseudo-code adds the products pairwise in element order, each addition keeping
 * its first operand's NaN (SDM Vol. 1 Table 4-7), which is what the emulator does (sse-float.ts); a Xeon of
 * model 0xA7 that ran this harness (2026-12) returns another product's NaN in some cases (DPPS with products 0
 * and 1 both NaN: product 1's, where the pseudo-code gives product 0's), where earlier hosts matched the
 * pseudo-code on every generated case. So for these
 * instructions only, a lane where both results are NaNs counts as agreeing: a NaN is still required where
 * the host has one, and every other lane, MXCSR flag and register must match exactly.
 * `bytes`: the register image (native then emulated), `at`/`count`: where the vector registers lie and how many,
 * `width`: bytes per register.
 */
export function acceptDotProductNaNs(name: string, nat: Uint8Array, emu: Uint8Array, at: number, count: number, width: number): void {
  const m = /^v?dpp([sd])/.exec(name);
  if (!m) return;
  const lane = m[1] === 's' ? 4 : 8;
  const isNaN = (b: Uint8Array, o: number): boolean => lane === 4
    ? (b[o + 3] & 0x7f) === 0x7f && (b[o + 2] & 0x80) !== 0 && ((b[o + 2] & 0x7f) | b[o + 1] | b[o]) !== 0
    : (b[o + 7] & 0x7f) === 0x7f && (b[o + 6] & 0xf0) === 0xf0 && ((b[o + 6] & 0x0f) | b[o + 5] | b[o + 4] | b[o + 3] | b[o + 2] | b[o + 1] | b[o]) !== 0;
  for (let r = 0; r < count; r++) {
    for (let o = at + r * width; o < at + (r + 1) * width; o += lane) {
      if (isNaN(nat, o) && isNaN(emu, o)) for (let k = 0; k < lane; k++) emu[o + k] = nat[o + k];
    }
  }
}

export function compareSse(cases: SseCase[], native: Result[]): string[] {
  const bad: string[] = [];
  cases.forEach((k, n) => {
    const nat = native[n], emu = runSseEmu(k);
    const diffs: string[] = [];
    if (typeof emu === 'string') diffs.push(emu);
    else {
      const ign = k.mxcsrIgnore ?? 0;
      for (const im of [nat.img, emu.img]) im[24] &= ~ign;
      acceptDotProductNaNs(k.name, nat.img, emu.img, 160, 16, 16);
      const a = fields(nat.img), b = fields(emu.img);
      for (const f of Object.keys(a)) if (a[f] !== b[f]) diffs.push(`${f} native ${a[f]} emu ${b[f]}`);
      if (hexOf(nat.mem) !== hexOf(emu.mem)) diffs.push(`mem native ${hexOf(nat.mem.subarray(0, 16))} emu ${hexOf(emu.mem.subarray(0, 16))}`);
      if (nat.flags !== emu.flags) diffs.push(`flags native ${nat.flags.toString(16)} emu ${emu.flags.toString(16)}`);
      if (nat.rax !== emu.rax) diffs.push(`rax native ${nat.rax.toString(16)} emu ${emu.rax.toString(16)}`);
      if (nat.rdx !== emu.rdx) diffs.push(`rdx native ${nat.rdx.toString(16)} emu ${emu.rdx.toString(16)}`);
      if (nat.rcx !== emu.rcx) diffs.push(`rcx native ${nat.rcx.toString(16)} emu ${emu.rcx.toString(16)}`);
    }
    if (diffs.length) {
      const inp = fields(k.img);
      bad.push(`${k.name} ${Buffer.from(k.bytes).toString('hex')} in=[mm0 ${inp['mm0/st0']} xmm0 ${inp.xmm0} xmm1 ${inp.xmm1} mem ${hexOf(k.mem.subarray(0, 16))}]: ${diffs.join('; ')}`);
    }
  });
  return bad;
}

// ------------------------------------------------------------------------------------ generation
let seed = 0x5eedf00dn;
export function reseedSse(s: bigint): void { seed = BigInt.asUintN(64, s) || 1n; }
export function next64(): bigint { seed ^= BigInt.asUintN(64, seed << 13n); seed ^= seed >> 7n; seed ^= BigInt.asUintN(64, seed << 17n); return seed; }
export function rnd(n: number): number { return Number(next64() % BigInt(n)); }

/** Random bytes with runs of the lane boundary values that saturation and sign tests need. */
export function fill(b: Uint8Array, o: number, n: number): void {
  const pick = rnd(4);
  for (let k = 0; k < n; k++) {
    if (pick === 0) b[o + k] = [0x00, 0xff, 0x7f, 0x80, 0x01, 0xfe][rnd(6)];
    else b[o + k] = rnd(256);
  }
}

/** Random binary32 (or binary64) lanes: ordinary values, zeros, infinities, NaNs, denormals. */
export function fillFloat(b: Uint8Array, o: number, double: boolean): void {
  const dv = new DataView(b.buffer, b.byteOffset);
  const n = double ? 2 : 4, w = double ? 8 : 4;
  for (let k = 0; k < n; k++) {
    const kind = rnd(12);
    let v: number;
    if (kind === 0) v = rnd(2) ? 0 : -0;
    else if (kind === 1) v = rnd(2) ? Infinity : -Infinity;
    else if (kind === 2) v = (rnd(2) ? 1 : -1) * rnd(100);
    else v = (rnd(2) ? 1 : -1) * Math.pow(2, rnd(40) - 20) * (1 + rnd(1 << 20) / (1 << 20));
    if (double) dv.setFloat64(o + k * w, v, true); else dv.setFloat32(o + k * w, v, true);
    if (kind === 3) { // a NaN with a payload, quiet or signalling
      if (double) { dv.setUint32(o + k * w + 4, (0x7ff00000 | rnd(0x100000) | (rnd(2) << 31)) >>> 0, true); dv.setUint32(o + k * w, rnd(0x7fffffff) | 1, true); }
      else dv.setUint32(o + k * w, (0x7f800001 | rnd(0x7fffff) | (rnd(2) << 31)) >>> 0, true);
    }
    if (kind === 4) { // denormal
      if (double) { dv.setUint32(o + k * w + 4, rnd(0x100000) | (rnd(2) << 31), true); dv.setUint32(o + k * w, rnd(0x7fffffff), true); }
      else dv.setUint32(o + k * w, (rnd(0x7fffff) | (rnd(2) << 31)) >>> 0, true);
    }
  }
}

/** Overwrite some lanes with values near the ends of the exponent range (overflow, underflow, denormals). */
export function extremes(b: Uint8Array, o: number, n: number, double: boolean): void {
  const dv = new DataView(b.buffer, b.byteOffset);
  for (let k = 0; k < n; k += double ? 8 : 4) {
    if (rnd(3) !== 0) continue;
    if (double) dv.setUint32(o + k + 4, ((rnd(2) << 31) | ([0, 1, 2, 3, 0x7fc, 0x7fd, 0x7fe, 0x3ff, 0x400, 0x36, 0x35][rnd(11)] << 20) | rnd(1 << 20)) >>> 0, true);
    else dv.setUint32(o + k, ((rnd(2) << 31) | ([0, 1, 2, 3, 0xfc, 0xfd, 0xfe, 0x3f, 0x40, 0x20, 0x60][rnd(11)] << 23) | rnd(1 << 23)) >>> 0, true);
  }
}

/** Integer MMX/SSE2 instructions: [name, 0F opcode, has MMX form]. */
const INT_OPS: [string, number, boolean][] = [
  ['punpcklbw', 0x60, true], ['punpcklwd', 0x61, true], ['punpckldq', 0x62, true], ['packsswb', 0x63, true],
  ['pcmpgtb', 0x64, true], ['pcmpgtw', 0x65, true], ['pcmpgtd', 0x66, true], ['packuswb', 0x67, true],
  ['punpckhbw', 0x68, true], ['punpckhwd', 0x69, true], ['punpckhdq', 0x6a, true], ['packssdw', 0x6b, true],
  ['punpcklqdq', 0x6c, false], ['punpckhqdq', 0x6d, false],
  ['pcmpeqb', 0x74, true], ['pcmpeqw', 0x75, true], ['pcmpeqd', 0x76, true],
  ['psrlw', 0xd1, true], ['psrld', 0xd2, true], ['psrlq', 0xd3, true], ['paddq', 0xd4, true], ['pmullw', 0xd5, true],
  ['psubusb', 0xd8, true], ['psubusw', 0xd9, true], ['pminub', 0xda, true], ['pand', 0xdb, true],
  ['paddusb', 0xdc, true], ['paddusw', 0xdd, true], ['pmaxub', 0xde, true], ['pandn', 0xdf, true],
  ['pavgb', 0xe0, true], ['psraw', 0xe1, true], ['psrad', 0xe2, true], ['pavgw', 0xe3, true],
  ['pmulhuw', 0xe4, true], ['pmulhw', 0xe5, true], ['psubsb', 0xe8, true], ['psubsw', 0xe9, true],
  ['pminsw', 0xea, true], ['por', 0xeb, true], ['paddsb', 0xec, true], ['paddsw', 0xed, true],
  ['pmaxsw', 0xee, true], ['pxor', 0xef, true], ['psllw', 0xf1, true], ['pslld', 0xf2, true], ['psllq', 0xf3, true],
  ['pmuludq', 0xf4, true], ['pmaddwd', 0xf5, true], ['psadbw', 0xf6, true],
  ['psubb', 0xf8, true], ['psubw', 0xf9, true], ['psubd', 0xfa, true], ['psubq', 0xfb, true],
  ['paddb', 0xfc, true], ['paddw', 0xfd, true], ['paddd', 0xfe, true],
];

export function generateSse(perInsn: number): SseCase[] {
  const cases: SseCase[] = [];
  const r8 = (): number => rnd(8);
  for (let n = 0; n < perInsn; n++) {
    const list: { name: string; bytes: number[] }[] = [];
    for (const [name, op, mmx] of INT_OPS) {
      const reg = (): number => 0xc0 | (r8() << 3) | r8();
      if (mmx) list.push({ name: `${name} mm`, bytes: [0x0f, op, reg()] }, { name: `${name} mm,m64`, bytes: [0x0f, op, (r8() << 3) | 7] });
      list.push({ name: `${name} xmm`, bytes: [0x66, 0x0f, op, reg()] }, { name: `${name} xmm,m128`, bytes: [0x66, 0x0f, op, (r8() << 3) | 7] });
    }
    for (const [op, kinds] of [[0x71, [2, 4, 6]], [0x72, [2, 4, 6]], [0x73, [2, 6]]] as const) {
      for (const kd of kinds) list.push({ name: `shift-imm ${op.toString(16)}/${kd} mm`, bytes: [0x0f, op, 0xc0 | (kd << 3) | r8(), rnd(4) ? rnd(20) : rnd(256)] });
      for (const kd of op === 0x73 ? [2, 3, 6, 7] : kinds) list.push({ name: `shift-imm ${op.toString(16)}/${kd} xmm`, bytes: [0x66, 0x0f, op, 0xc0 | (kd << 3) | r8(), rnd(4) ? rnd(20) : rnd(256)] });
    }
    list.push({ name: 'pshufw', bytes: [0x0f, 0x70, 0xc0 | (r8() << 3) | r8(), rnd(256)] });
    list.push({ name: 'pshufd', bytes: [0x66, 0x0f, 0x70, 0xc0 | (r8() << 3) | r8(), rnd(256)] });
    list.push({ name: 'pshufhw', bytes: [0xf3, 0x0f, 0x70, 0xc0 | (r8() << 3) | r8(), rnd(256)] });
    list.push({ name: 'pshuflw', bytes: [0xf2, 0x0f, 0x70, 0xc0 | (r8() << 3) | r8(), rnd(256)] });
    list.push({ name: 'pinsrw mm', bytes: [0x0f, 0xc4, 0xc0 | (r8() << 3), rnd(256)] }, { name: 'pinsrw xmm', bytes: [0x66, 0x0f, 0xc4, 0xc0 | (r8() << 3), rnd(256)] });
    list.push({ name: 'pextrw mm', bytes: [0x0f, 0xc5, 0xc0 | r8(), rnd(256)] }, { name: 'pextrw xmm', bytes: [0x66, 0x0f, 0xc5, 0xc0 | r8(), rnd(256)] });
    list.push({ name: 'pmovmskb mm', bytes: [0x0f, 0xd7, 0xc0 | r8()] }, { name: 'pmovmskb xmm', bytes: [0x66, 0x0f, 0xd7, 0xc0 | r8()] });
    list.push({ name: 'movq2dq', bytes: [0xf3, 0x0f, 0xd6, 0xc0 | (r8() << 3) | r8()] }, { name: 'movdq2q', bytes: [0xf2, 0x0f, 0xd6, 0xc0 | (r8() << 3) | r8()] });
    list.push({ name: 'maskmovq', bytes: [0x0f, 0xf7, 0xc0 | (r8() << 3) | r8()] }, { name: 'maskmovdqu', bytes: [0x66, 0x0f, 0xf7, 0xc0 | (r8() << 3) | r8()] });
    list.push({ name: 'movntq', bytes: [0x0f, 0xe7, (r8() << 3) | 7] }, { name: 'movq mm', bytes: [0x0f, 0x6f, 0xc0 | (r8() << 3) | r8()] });
    list.push({ name: 'movd mm,eax', bytes: [0x0f, 0x6e, 0xc0 | (r8() << 3)] }, { name: 'movq rax,mm', bytes: [0x48, 0x0f, 0x7e, 0xc0 | (r8() << 3)] });
    list.push({ name: 'emms', bytes: [0x0f, 0x77] });
    const nInt = list.length;
    // floating point: the four forms of the arithmetic, compares, SSE3 and scalar conversions
    const FLOAT: [string, number][] = [['add', 0x58], ['mul', 0x59], ['sub', 0x5c], ['min', 0x5d], ['div', 0x5e], ['max', 0x5f], ['sqrt', 0x51]];
    for (const [nm, op] of FLOAT) {
      for (const [sfx, pf] of [['ps', []], ['pd', [0x66]], ['ss', [0xf3]], ['sd', [0xf2]]] as [string, number[]][]) {
        list.push({ name: `${nm}${sfx}`, bytes: [...pf, 0x0f, op, 0xc0 | (r8() << 3) | r8()] });
      }
    }
    list.push({ name: 'ucomiss', bytes: [0x0f, 0x2e, 0xc0 | (r8() << 3) | r8()] }, { name: 'comisd', bytes: [0x66, 0x0f, 0x2f, 0xc0 | (r8() << 3) | r8()] });
    list.push({ name: 'addsubps', bytes: [0xf2, 0x0f, 0xd0, 0xc0 | (r8() << 3) | r8()] }, { name: 'addsubpd', bytes: [0x66, 0x0f, 0xd0, 0xc0 | (r8() << 3) | r8()] });
    list.push({ name: 'haddps', bytes: [0xf2, 0x0f, 0x7c, 0xc0 | (r8() << 3) | r8()] }, { name: 'haddpd', bytes: [0x66, 0x0f, 0x7c, 0xc0 | (r8() << 3) | r8()] });
    list.push({ name: 'hsubps', bytes: [0xf2, 0x0f, 0x7d, 0xc0 | (r8() << 3) | r8()] }, { name: 'hsubpd', bytes: [0x66, 0x0f, 0x7d, 0xc0 | (r8() << 3) | r8()] });
    list.push({ name: 'lddqu', bytes: [0xf2, 0x0f, 0xf0, (r8() << 3) | 7] }, { name: 'movddup', bytes: [0xf2, 0x0f, 0x12, 0xc0 | (r8() << 3) | r8()] });
    list.push({ name: 'movsldup', bytes: [0xf3, 0x0f, 0x12, 0xc0 | (r8() << 3) | r8()] }, { name: 'movshdup', bytes: [0xf3, 0x0f, 0x16, 0xc0 | (r8() << 3) | r8()] });
    list.push({ name: 'cvtss2sd', bytes: [0xf3, 0x0f, 0x5a, 0xc0 | (r8() << 3) | r8()] }, { name: 'cvtsd2ss', bytes: [0xf2, 0x0f, 0x5a, 0xc0 | (r8() << 3) | r8()] });
    list.push({ name: 'cvttsd2si', bytes: [0xf2, 0x0f, 0x2c, 0xc0 | r8()] }, { name: 'cvtss2si', bytes: [0xf3, 0x48, 0x0f, 0x2d, 0xc0 | r8()] });
    list.push({ name: 'cvtsi2sd', bytes: [0xf2, 0x48, 0x0f, 0x2a, 0xc0 | (r8() << 3)] });
    list.push({ name: 'cvtps2pd', bytes: [0x0f, 0x5a, 0xc0 | (r8() << 3) | r8()] }, { name: 'cvtpd2ps', bytes: [0x66, 0x0f, 0x5a, 0xc0 | (r8() << 3) | r8()] });
    list.push({ name: 'cvtdq2ps', bytes: [0x0f, 0x5b, 0xc0 | (r8() << 3) | r8()] }, { name: 'cvtps2dq', bytes: [0x66, 0x0f, 0x5b, 0xc0 | (r8() << 3) | r8()] }, { name: 'cvttps2dq', bytes: [0xf3, 0x0f, 0x5b, 0xc0 | (r8() << 3) | r8()] });
    list.push({ name: 'cvtdq2pd', bytes: [0xf3, 0x0f, 0xe6, 0xc0 | (r8() << 3) | r8()] }, { name: 'cvtpd2dq', bytes: [0xf2, 0x0f, 0xe6, 0xc0 | (r8() << 3) | r8()] }, { name: 'cvttpd2dq', bytes: [0x66, 0x0f, 0xe6, 0xc0 | (r8() << 3) | r8()] });
    list.push({ name: 'cvtpi2ps', bytes: [0x0f, 0x2a, 0xc0 | (r8() << 3) | r8()] }, { name: 'cvtpi2pd', bytes: [0x66, 0x0f, 0x2a, 0xc0 | (r8() << 3) | r8()] });
    list.push({ name: 'cvtps2pi', bytes: [0x0f, 0x2d, 0xc0 | (r8() << 3) | r8()] }, { name: 'cvttps2pi', bytes: [0x0f, 0x2c, 0xc0 | (r8() << 3) | r8()] });
    list.push({ name: 'cvtpd2pi', bytes: [0x66, 0x0f, 0x2d, 0xc0 | (r8() << 3) | r8()] }, { name: 'cvttpd2pi', bytes: [0x66, 0x0f, 0x2c, 0xc0 | (r8() << 3) | r8()] });
    for (const [sfx, pf] of [['ps', []], ['pd', [0x66]], ['ss', [0xf3]], ['sd', [0xf2]]] as [string, number[]][]) {
      list.push({ name: `cmp${sfx}`, bytes: [...pf, 0x0f, 0xc2, 0xc0 | (r8() << 3) | r8(), rnd(8)] });
    }
    list.forEach((g, idx) => { (g as { float?: boolean }).float = idx >= nInt; });
    for (const g of list) {
      const img = new Uint8Array(512), mem = new Uint8Array(64);
      const dv = new DataView(img.buffer);
      dv.setUint16(0, 0x37f, true);
      dv.setUint16(2, rnd(8) << 11, true);
      img[4] = rnd(256);
      const fl = (g as { float?: boolean }).float === true;
      // conversions: any rounding control; arithmetic: DAZ and FTZ now and then (the flags are not compared)
      // any rounding control, DAZ and FTZ now and then: every float instruction here honours them and keeps the flags
      dv.setUint32(24, 0x1f80 | (fl ? rnd(4) << 13 : 0) | (fl && rnd(3) === 0 ? [0x40, 0x8000, 0x8040][rnd(3)] : 0), true);
      dv.setUint32(28, 0xffff, true);
      for (let r = 0; r < 8; r++) { fill(img, 32 + 16 * r, 8); img[40 + 16 * r] = rnd(256); img[41 + 16 * r] = rnd(256); }
      const float = (g as { float?: boolean }).float === true;
      const double = /pd|sd|comisd/.test(g.name) && !/cvtss|cvtps2pd|cvtdq2pd|cvtpi2pd/.test(g.name);
      for (let r = 0; r < 16; r++) { if (float) { fillFloat(img, 160 + 16 * r, double); extremes(img, 160 + 16 * r, 16, double); } else fill(img, 160 + 16 * r, 16); }
      fill(mem, 0, 64);
      cases.push({ name: g.name, bytes: g.bytes, img, mem, flags: rnd(0x1000) & 0x8d5, rax: float ? BigInt(rnd(2) ? rnd(1000) - 500 : Number(next64() & 0xffffffffn)) : next64() });
    }
  }
  return cases;
}
