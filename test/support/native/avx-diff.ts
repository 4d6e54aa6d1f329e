/**
 * Differential testing of AVX (VEX-encoded) instructions against the host CPU. Both sides run the same bytes:
 * load YMM0-15 (VMOVDQU), MXCSR, RAX/RDX/RCX and RFLAGS from a state block at [r12], run one instruction, store
 * them back; the 64-byte buffer at [rdi] is the memory operand. Compared: all 16 YMM registers (so the VEX.128
 * zeroing of bits 255:128 and the untouched registers are checked), MXCSR with its exception flags, the flags,
 * RAX/RDX/RCX and the buffer. Every AVX form of avx.ts, avx-sse.ts,
 * avx-permute.ts and avx-wide.ts has a row in FORMS: register and memory operands, VEX.128 and VEX.256,
 * registers 0-15 (VEX.R/B/vvvv), 2- and 3-byte VEX, random VEX.W where it is ignored.
 */
import { execFileSync } from 'node:child_process';
import { buildHarness } from './diff';
import { makeCpu, poke, CODE } from '../cpu-harness';
import { Exit } from '../../../emulator/cpu/cpu';
import { FAULT } from '../../../emulator/cpu/fault';
import { acceptDotProductNaNs, extremes, fill, fillFloat, next64, rnd } from './sse-diff';

export interface AvxCase { name: string; insn: number[]; state: Uint8Array; mem: Uint8Array; mxcsrIgnore: number }
interface Result { state: Uint8Array; mem: Uint8Array }

const ST = 552, MXCSR = 512, FLAGS = 520, RAX = 528, RDX = 536, RCX = 544;

export function buildAvxNative(): { path?: string; reason?: string } {
  return buildHarness('avx-exec');
}

const d32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
/** vmovdqu ymmK, [r12 + 32K] (store: vmovdqu [r12 + 32K], ymmK). */
const vmovdqu = (k: number, store: boolean): number[] => [0xc4, (k < 8 ? 0x80 : 0) | 0x41, 0x7e, store ? 0x7f : 0x6f, 0x84 | ((k & 7) << 3), 0x24, ...d32(32 * k)];
const r12 = (op: number[], reg: number, disp: number): number[] => [...op, 0x84 | (reg << 3), 0x24, ...d32(disp)];
const PRE: number[] = [
  ...r12([0x41, 0x0f, 0xae], 2, MXCSR), // ldmxcsr
  ...Array.from({ length: 16 }, (_, k) => vmovdqu(k, false)).flat(),
  ...r12([0x49, 0x8b], 0, RAX), ...r12([0x49, 0x8b], 2, RDX), ...r12([0x49, 0x8b], 1, RCX),
  ...r12([0x41, 0xff], 6, FLAGS), 0x9d, // push [r12+FLAGS]; popfq
];
const POST: number[] = [
  0x9c, ...r12([0x41, 0x8f], 0, FLAGS), // pushfq; pop [r12+FLAGS]
  ...r12([0x49, 0x89], 0, RAX), ...r12([0x49, 0x89], 2, RDX), ...r12([0x49, 0x89], 1, RCX),
  ...Array.from({ length: 16 }, (_, k) => vmovdqu(k, true)).flat(),
  ...r12([0x41, 0x0f, 0xae], 3, MXCSR), // stmxcsr
];
const STEPS = 1 + 16 + 3 + 2 + 1 + 2 + 3 + 16 + 1;
const code = (insn: number[]): number[] => [...PRE, ...insn, ...POST];
const hexOf = (b: ArrayLike<number>): string => Buffer.from(Uint8Array.from(b)).toString('hex');

export function runAvxNative(path: string, cases: AvxCase[]): Result[] {
  const input = cases.map((k) => `${hexOf(code(k.insn))} ${hexOf(k.state)} ${hexOf(k.mem)}`).join('\n') + '\n';
  const out = execFileSync(path, { input, maxBuffer: 1 << 28 }).toString().trim().split('\n');
  return out.map((l) => { const [s, m] = l.split(' '); return { state: Uint8Array.from(Buffer.from(s, 'hex')), mem: Uint8Array.from(Buffer.from(m, 'hex')) }; });
}

const MEM = 0x3000, STATE = 0x4000;
let cpu: ReturnType<typeof makeCpu> | undefined;
export function runAvxEmu(k: AvxCase): Result | string {
  cpu ??= makeCpu();
  const c = cpu;
  c.xcr0 = 7;
  poke(c, STATE, k.state);
  poke(c, MEM, k.mem);
  c.setReg64(7, MEM, 0);
  c.setReg64(12, STATE, 0);
  c.setReg64(4, 0x80000, 0);
  poke(c, CODE, code(k.insn));
  c.flushCode();
  c.rip = CODE;
  const exit = c.run(STEPS);
  if (exit !== Exit.BUDGET) return `emulator exit ${exit} (vector ${FAULT.vector}: ${FAULT.reason}) at ${c.rip.toString(16)}`;
  return { state: Uint8Array.from(c.mem.u8.subarray(STATE, STATE + ST)), mem: Uint8Array.from(c.mem.u8.subarray(MEM, MEM + 64)) };
}

export function compareAvx(cases: AvxCase[], native: Result[]): string[] {
  const bad: string[] = [];
  cases.forEach((k, n) => {
    const nat = native[n], emu = runAvxEmu(k);
    const diffs: string[] = [];
    if (typeof emu === 'string') diffs.push(emu);
    else {
      for (const s of [nat.state, emu.state]) { s[MXCSR] &= ~k.mxcsrIgnore; s[FLAGS] &= 0xd5; s[FLAGS + 1] &= 0x08; for (let b = FLAGS + 2; b < FLAGS + 8; b++) s[b] = 0; }
      acceptDotProductNaNs(k.name, nat.state, emu.state, 0, 16, 32);
      for (let r = 0; r < 16; r++) {
        const a = hexOf(nat.state.subarray(32 * r, 32 * r + 32)), b = hexOf(emu.state.subarray(32 * r, 32 * r + 32));
        if (a !== b) diffs.push(`ymm${r} native ${a} emu ${b}`);
      }
      for (const [f, o, len] of [['mxcsr', MXCSR, 4], ['flags', FLAGS, 8], ['rax', RAX, 8], ['rdx', RDX, 8], ['rcx', RCX, 8]] as const) {
        const a = hexOf(nat.state.subarray(o, o + len)), b = hexOf(emu.state.subarray(o, o + len));
        if (a !== b) diffs.push(`${f} native ${a} emu ${b}`);
      }
      if (hexOf(nat.mem) !== hexOf(emu.mem)) diffs.push(`mem native ${hexOf(nat.mem.subarray(0, 32))} emu ${hexOf(emu.mem.subarray(0, 32))}`);
    }
    if (diffs.length) {
      const ymm = (r: number): string => hexOf(k.state.subarray(32 * r, 32 * r + 32));
      bad.push(`${k.name} ${hexOf(k.insn)} in=[ymm0 ${ymm(0)} ymm1 ${ymm(1)} mxcsr ${hexOf(k.state.subarray(MXCSR, MXCSR + 4))} mem ${hexOf(k.mem.subarray(0, 32))}]: ${diffs.slice(0, 4).join('; ')}`);
    }
  });
  return bad;
}

// ------------------------------------------------------------------------------------ the forms
/**
 * One AVX form: map (1 = 0F, 2 = 0F38, 3 = 0F3A), opcode, VEX.pp (0 none, 1 66, 2 F3, 3 F2), and operands:
 * 'nds' reg ← vvvv, r/m; 'rm' reg ← r/m (vvvv 1111b); 'ndd' vvvv ← r/m with ModRM.reg = ext; 'none'.
 * rm: 'x' register or memory, 'r' register only, 'm' memory only, 'g' a general register (RAX/RDX/RCX) or
 * memory, 'G' a general register only. reg: 'x' or 'g' (a general-register destination).
 */
interface Form {
  name: string; map: number; op: number; pp: number; ops: 'nds' | 'rm' | 'ndd' | 'none';
  rm?: 'x' | 'r' | 'm' | 'g' | 'G'; reg?: 'x' | 'g'; ext?: number;
  L: number[]; imm?: 'any' | 'cmp' | 'round' | 'is4'; data: 'ps' | 'pd' | 'int' | 'str' | 'mxcsr';
  /** VEX.W: random (ignored), 0, or random where it selects the operand size. */
  w?: 'any' | 0 | 'size';
  mx?: 'rc' | 'dazftz';
}

const FORMS: Form[] = [];
const add = (f: Form): void => { FORMS.push(f); };
const PSPD: [string, number, 'ps' | 'pd'][] = [['ps', 0, 'ps'], ['pd', 1, 'pd']];
const SSSD: [string, number, 'ps' | 'pd'][] = [['ss', 2, 'ps'], ['sd', 3, 'pd']];

// moves
for (const [s, pp, data] of PSPD) {
  add({ name: `vmovu${s}`, map: 1, op: 0x10, pp, ops: 'rm', L: [0, 1], data });
  add({ name: `vmovu${s} store`, map: 1, op: 0x11, pp, ops: 'rm', L: [0, 1], data });
  add({ name: `vmova${s}`, map: 1, op: 0x28, pp, ops: 'rm', L: [0, 1], data });
  add({ name: `vmova${s} store`, map: 1, op: 0x29, pp, ops: 'rm', L: [0, 1], data });
  add({ name: `vmovnt${s}`, map: 1, op: 0x2b, pp, ops: 'rm', rm: 'm', L: [0, 1], data });
  add({ name: `vmovl${s} load`, map: 1, op: 0x12, pp, ops: 'nds', rm: 'm', L: [0], data });
  add({ name: `vmovh${s} load`, map: 1, op: 0x16, pp, ops: 'nds', rm: 'm', L: [0], data });
  add({ name: `vmovl${s} store`, map: 1, op: 0x13, pp, ops: 'rm', rm: 'm', L: [0], data });
  add({ name: `vmovh${s} store`, map: 1, op: 0x17, pp, ops: 'rm', rm: 'm', L: [0], data });
  add({ name: `vmovmsk${s}`, map: 1, op: 0x50, pp, ops: 'rm', rm: 'r', reg: 'g', L: [0, 1], data });
}
for (const [s, pp, data] of SSSD) {
  add({ name: `vmov${s} load`, map: 1, op: 0x10, pp, ops: 'rm', rm: 'm', L: [0, 1], data });
  add({ name: `vmov${s} store`, map: 1, op: 0x11, pp, ops: 'rm', rm: 'm', L: [0, 1], data });
  add({ name: `vmov${s} merge`, map: 1, op: 0x10, pp, ops: 'nds', rm: 'r', L: [0, 1], data });
  add({ name: `vmov${s} merge store-form`, map: 1, op: 0x11, pp, ops: 'nds', rm: 'r', L: [0, 1], data });
}
add({ name: 'vmovhlps', map: 1, op: 0x12, pp: 0, ops: 'nds', rm: 'r', L: [0], data: 'ps' });
add({ name: 'vmovlhps', map: 1, op: 0x16, pp: 0, ops: 'nds', rm: 'r', L: [0], data: 'ps' });
add({ name: 'vmovsldup', map: 1, op: 0x12, pp: 2, ops: 'rm', L: [0, 1], data: 'ps' });
add({ name: 'vmovshdup', map: 1, op: 0x16, pp: 2, ops: 'rm', L: [0, 1], data: 'ps' });
add({ name: 'vmovddup', map: 1, op: 0x12, pp: 3, ops: 'rm', L: [0, 1], data: 'pd' });
add({ name: 'vmovdqa', map: 1, op: 0x6f, pp: 1, ops: 'rm', L: [0, 1], data: 'int' });
add({ name: 'vmovdqu', map: 1, op: 0x6f, pp: 2, ops: 'rm', L: [0, 1], data: 'int' });
add({ name: 'vmovdqa store', map: 1, op: 0x7f, pp: 1, ops: 'rm', L: [0, 1], data: 'int' });
add({ name: 'vmovdqu store', map: 1, op: 0x7f, pp: 2, ops: 'rm', L: [0, 1], data: 'int' });
add({ name: 'vmovntdq', map: 1, op: 0xe7, pp: 1, ops: 'rm', rm: 'm', L: [0, 1], data: 'int' });
add({ name: 'vlddqu', map: 1, op: 0xf0, pp: 3, ops: 'rm', rm: 'm', L: [0, 1], data: 'int' });
add({ name: 'vmovntdqa', map: 2, op: 0x2a, pp: 1, ops: 'rm', rm: 'm', L: [0, 1], data: 'int' });
add({ name: 'vmovd/q xmm,r/m', map: 1, op: 0x6e, pp: 1, ops: 'rm', rm: 'g', L: [0], data: 'int', w: 'size' });
add({ name: 'vmovd/q r/m,xmm', map: 1, op: 0x7e, pp: 1, ops: 'rm', rm: 'g', L: [0], data: 'int', w: 'size' });
add({ name: 'vmovq xmm,xmm/m64', map: 1, op: 0x7e, pp: 2, ops: 'rm', L: [0], data: 'int' });
add({ name: 'vmovq xmm/m64,xmm', map: 1, op: 0xd6, pp: 1, ops: 'rm', L: [0], data: 'int' });
add({ name: 'vpmovmskb', map: 1, op: 0xd7, pp: 1, ops: 'rm', rm: 'r', reg: 'g', L: [0], data: 'int' });
add({ name: 'vmaskmovdqu', map: 1, op: 0xf7, pp: 1, ops: 'rm', rm: 'r', L: [0], data: 'int' });
add({ name: 'vldmxcsr', map: 1, op: 0xae, pp: 0, ops: 'rm', rm: 'm', ext: 2, L: [0], data: 'mxcsr' });
add({ name: 'vstmxcsr', map: 1, op: 0xae, pp: 0, ops: 'rm', rm: 'm', ext: 3, L: [0], data: 'mxcsr' });
add({ name: 'vzeroupper', map: 1, op: 0x77, pp: 0, ops: 'none', L: [0], data: 'int' });
add({ name: 'vzeroall', map: 1, op: 0x77, pp: 0, ops: 'none', L: [1], data: 'int' });

// float arithmetic, logic, compares, shuffles
for (const [nm, op] of [['add', 0x58], ['mul', 0x59], ['sub', 0x5c], ['min', 0x5d], ['div', 0x5e], ['max', 0x5f]] as const) {
  for (const [s, pp, data] of PSPD) add({ name: `v${nm}${s}`, map: 1, op, pp, ops: 'nds', L: [0, 1], data, mx: 'dazftz' });
  for (const [s, pp, data] of SSSD) add({ name: `v${nm}${s}`, map: 1, op, pp, ops: 'nds', L: [0, 1], data, mx: 'dazftz' });
}
for (const [s, pp, data] of PSPD) {
  add({ name: `vsqrt${s}`, map: 1, op: 0x51, pp, ops: 'rm', L: [0, 1], data, mx: 'dazftz' });
  for (const [nm, op] of [['and', 0x54], ['andn', 0x55], ['or', 0x56], ['xor', 0x57], ['unpckl', 0x14], ['unpckh', 0x15]] as const) add({ name: `v${nm}${s}`, map: 1, op, pp, ops: 'nds', L: [0, 1], data });
  add({ name: `vcmp${s}`, map: 1, op: 0xc2, pp, ops: 'nds', L: [0, 1], data, imm: 'cmp' });
  add({ name: `vshuf${s}`, map: 1, op: 0xc6, pp, ops: 'nds', L: [0, 1], data, imm: 'any' });
  add({ name: `vucomis${s[1]}`, map: 1, op: 0x2e, pp, ops: 'rm', L: [0, 1], data });
  add({ name: `vcomis${s[1]}`, map: 1, op: 0x2f, pp, ops: 'rm', L: [0, 1], data });
}
for (const [s, pp, data] of SSSD) {
  add({ name: `vsqrt${s}`, map: 1, op: 0x51, pp, ops: 'nds', L: [0, 1], data, mx: 'dazftz' });
  add({ name: `vcmp${s}`, map: 1, op: 0xc2, pp, ops: 'nds', L: [0, 1], data, imm: 'cmp' });
}
for (const [nm, op] of [['vhadd', 0x7c], ['vhsub', 0x7d], ['vaddsub', 0xd0]] as const) {
  add({ name: `${nm}pd`, map: 1, op, pp: 1, ops: 'nds', L: [0, 1], data: 'pd', mx: 'dazftz' });
  add({ name: `${nm}ps`, map: 1, op, pp: 3, ops: 'nds', L: [0, 1], data: 'ps', mx: 'dazftz' });
}

// conversions
add({ name: 'vcvtps2pd', map: 1, op: 0x5a, pp: 0, ops: 'rm', L: [0, 1], data: 'ps', mx: 'rc' });
add({ name: 'vcvtpd2ps', map: 1, op: 0x5a, pp: 1, ops: 'rm', L: [0, 1], data: 'pd', mx: 'rc' });
add({ name: 'vcvtss2sd', map: 1, op: 0x5a, pp: 2, ops: 'nds', L: [0, 1], data: 'ps', mx: 'rc' });
add({ name: 'vcvtsd2ss', map: 1, op: 0x5a, pp: 3, ops: 'nds', L: [0, 1], data: 'pd', mx: 'rc' });
add({ name: 'vcvtdq2ps', map: 1, op: 0x5b, pp: 0, ops: 'rm', L: [0, 1], data: 'int', mx: 'rc' });
add({ name: 'vcvtps2dq', map: 1, op: 0x5b, pp: 1, ops: 'rm', L: [0, 1], data: 'ps', mx: 'rc' });
add({ name: 'vcvttps2dq', map: 1, op: 0x5b, pp: 2, ops: 'rm', L: [0, 1], data: 'ps', mx: 'rc' });
add({ name: 'vcvttpd2dq', map: 1, op: 0xe6, pp: 1, ops: 'rm', L: [0, 1], data: 'pd', mx: 'rc' });
add({ name: 'vcvtdq2pd', map: 1, op: 0xe6, pp: 2, ops: 'rm', L: [0, 1], data: 'int', mx: 'rc' });
add({ name: 'vcvtpd2dq', map: 1, op: 0xe6, pp: 3, ops: 'rm', L: [0, 1], data: 'pd', mx: 'rc' });
for (const [s, pp, data] of SSSD) {
  add({ name: `vcvtsi2${s}`, map: 1, op: 0x2a, pp, ops: 'nds', rm: 'g', L: [0, 1], data, w: 'size', mx: 'rc' });
  add({ name: `vcvtt${s}2si`, map: 1, op: 0x2c, pp, ops: 'rm', reg: 'g', L: [0, 1], data, w: 'size', mx: 'rc' });
  add({ name: `vcvt${s}2si`, map: 1, op: 0x2d, pp, ops: 'rm', reg: 'g', L: [0, 1], data, w: 'size', mx: 'rc' });
}

// integer (VEX.128: the 256-bit forms are AVX2)
const INT: [string, number][] = [
  ['vpunpcklbw', 0x60], ['vpunpcklwd', 0x61], ['vpunpckldq', 0x62], ['vpacksswb', 0x63], ['vpcmpgtb', 0x64], ['vpcmpgtw', 0x65],
  ['vpcmpgtd', 0x66], ['vpackuswb', 0x67], ['vpunpckhbw', 0x68], ['vpunpckhwd', 0x69], ['vpunpckhdq', 0x6a], ['vpackssdw', 0x6b],
  ['vpunpcklqdq', 0x6c], ['vpunpckhqdq', 0x6d], ['vpcmpeqb', 0x74], ['vpcmpeqw', 0x75], ['vpcmpeqd', 0x76],
  ['vpsrlw', 0xd1], ['vpsrld', 0xd2], ['vpsrlq', 0xd3], ['vpaddq', 0xd4], ['vpmullw', 0xd5], ['vpsubusb', 0xd8], ['vpsubusw', 0xd9],
  ['vpminub', 0xda], ['vpand', 0xdb], ['vpaddusb', 0xdc], ['vpaddusw', 0xdd], ['vpmaxub', 0xde], ['vpandn', 0xdf],
  ['vpavgb', 0xe0], ['vpsraw', 0xe1], ['vpsrad', 0xe2], ['vpavgw', 0xe3], ['vpmulhuw', 0xe4], ['vpmulhw', 0xe5],
  ['vpsubsb', 0xe8], ['vpsubsw', 0xe9], ['vpminsw', 0xea], ['vpor', 0xeb], ['vpaddsb', 0xec], ['vpaddsw', 0xed], ['vpmaxsw', 0xee],
  ['vpxor', 0xef], ['vpsllw', 0xf1], ['vpslld', 0xf2], ['vpsllq', 0xf3], ['vpmuludq', 0xf4], ['vpmaddwd', 0xf5], ['vpsadbw', 0xf6],
  ['vpsubb', 0xf8], ['vpsubw', 0xf9], ['vpsubd', 0xfa], ['vpsubq', 0xfb], ['vpaddb', 0xfc], ['vpaddw', 0xfd], ['vpaddd', 0xfe],
];
for (const [name, op] of INT) add({ name, map: 1, op, pp: 1, ops: 'nds', L: [0], data: 'int' });
for (const [name, pp] of [['vpshufd', 1], ['vpshufhw', 2], ['vpshuflw', 3]] as const) add({ name, map: 1, op: 0x70, pp, ops: 'rm', L: [0], data: 'int', imm: 'any' });
for (const [op, exts] of [[0x71, [2, 4, 6]], [0x72, [2, 4, 6]], [0x73, [2, 3, 6, 7]]] as const) {
  for (const ext of exts) add({ name: `shift-imm ${op.toString(16)}/${ext}`, map: 1, op, pp: 1, ops: 'ndd', rm: 'r', ext, L: [0], data: 'int', imm: 'any' });
}
add({ name: 'vpinsrw', map: 1, op: 0xc4, pp: 1, ops: 'nds', rm: 'g', L: [0], data: 'int', imm: 'any' });
add({ name: 'vpextrw', map: 1, op: 0xc5, pp: 1, ops: 'rm', rm: 'r', reg: 'g', L: [0], data: 'int', imm: 'any' });
const NDS38: [string, number][] = [
  ['vpshufb', 0x00], ['vphaddw', 0x01], ['vphaddd', 0x02], ['vphaddsw', 0x03], ['vpmaddubsw', 0x04], ['vphsubw', 0x05], ['vphsubd', 0x06],
  ['vphsubsw', 0x07], ['vpsignb', 0x08], ['vpsignw', 0x09], ['vpsignd', 0x0a], ['vpmulhrsw', 0x0b], ['vpmuldq', 0x28], ['vpcmpeqq', 0x29],
  ['vpackusdw', 0x2b], ['vpcmpgtq', 0x37], ['vpminsb', 0x38], ['vpminsd', 0x39], ['vpminuw', 0x3a], ['vpminud', 0x3b], ['vpmaxsb', 0x3c],
  ['vpmaxsd', 0x3d], ['vpmaxuw', 0x3e], ['vpmaxud', 0x3f], ['vpmulld', 0x40],
];
for (const [name, op] of NDS38) add({ name, map: 2, op, pp: 1, ops: 'nds', L: [0], data: 'int' });
const RM38: [string, number][] = [
  ['vpabsb', 0x1c], ['vpabsw', 0x1d], ['vpabsd', 0x1e], ['vpmovsxbw', 0x20], ['vpmovsxbd', 0x21], ['vpmovsxbq', 0x22], ['vpmovsxwd', 0x23],
  ['vpmovsxwq', 0x24], ['vpmovsxdq', 0x25], ['vpmovzxbw', 0x30], ['vpmovzxbd', 0x31], ['vpmovzxbq', 0x32], ['vpmovzxwd', 0x33],
  ['vpmovzxwq', 0x34], ['vpmovzxdq', 0x35], ['vphminposuw', 0x41],
];
for (const [name, op] of RM38) add({ name, map: 2, op, pp: 1, ops: 'rm', L: [0], data: 'int' });
add({ name: 'vptest', map: 2, op: 0x17, pp: 1, ops: 'rm', L: [0, 1], data: 'int' });
add({ name: 'vtestps', map: 2, op: 0x0e, pp: 1, ops: 'rm', L: [0, 1], data: 'int', w: 0 });
add({ name: 'vtestpd', map: 2, op: 0x0f, pp: 1, ops: 'rm', L: [0, 1], data: 'int', w: 0 });
add({ name: 'vpermilps var', map: 2, op: 0x0c, pp: 1, ops: 'nds', L: [0, 1], data: 'int', w: 0 });
add({ name: 'vpermilpd var', map: 2, op: 0x0d, pp: 1, ops: 'nds', L: [0, 1], data: 'int', w: 0 });
add({ name: 'vbroadcastss', map: 2, op: 0x18, pp: 1, ops: 'rm', rm: 'm', L: [0, 1], data: 'int', w: 0 });
add({ name: 'vbroadcastsd', map: 2, op: 0x19, pp: 1, ops: 'rm', rm: 'm', L: [1], data: 'int', w: 0 });
add({ name: 'vbroadcastf128', map: 2, op: 0x1a, pp: 1, ops: 'rm', rm: 'm', L: [1], data: 'int', w: 0 });
for (const [name, op] of [['vmaskmovps load', 0x2c], ['vmaskmovpd load', 0x2d], ['vmaskmovps store', 0x2e], ['vmaskmovpd store', 0x2f]] as const) {
  add({ name, map: 2, op, pp: 1, ops: 'nds', rm: 'm', L: [0, 1], data: 'int', w: 0 });
}

// 0F3A
add({ name: 'vpermilps imm', map: 3, op: 0x04, pp: 1, ops: 'rm', L: [0, 1], data: 'int', imm: 'any', w: 0 });
add({ name: 'vpermilpd imm', map: 3, op: 0x05, pp: 1, ops: 'rm', L: [0, 1], data: 'int', imm: 'any', w: 0 });
add({ name: 'vperm2f128', map: 3, op: 0x06, pp: 1, ops: 'nds', L: [1], data: 'int', imm: 'any', w: 0 });
add({ name: 'vinsertf128', map: 3, op: 0x18, pp: 1, ops: 'nds', L: [1], data: 'int', imm: 'any', w: 0 });
add({ name: 'vextractf128', map: 3, op: 0x19, pp: 1, ops: 'rm', L: [1], data: 'int', imm: 'any', w: 0 });
add({ name: 'vroundps', map: 3, op: 0x08, pp: 1, ops: 'rm', L: [0, 1], data: 'ps', imm: 'round', mx: 'rc' });
add({ name: 'vroundpd', map: 3, op: 0x09, pp: 1, ops: 'rm', L: [0, 1], data: 'pd', imm: 'round', mx: 'rc' });
add({ name: 'vroundss', map: 3, op: 0x0a, pp: 1, ops: 'nds', L: [0, 1], data: 'ps', imm: 'round', mx: 'rc' });
add({ name: 'vroundsd', map: 3, op: 0x0b, pp: 1, ops: 'nds', L: [0, 1], data: 'pd', imm: 'round', mx: 'rc' });
add({ name: 'vblendps', map: 3, op: 0x0c, pp: 1, ops: 'nds', L: [0, 1], data: 'int', imm: 'any' });
add({ name: 'vblendpd', map: 3, op: 0x0d, pp: 1, ops: 'nds', L: [0, 1], data: 'int', imm: 'any' });
add({ name: 'vdpps', map: 3, op: 0x40, pp: 1, ops: 'nds', L: [0, 1], data: 'ps', imm: 'any', mx: 'dazftz' });
add({ name: 'vdppd', map: 3, op: 0x41, pp: 1, ops: 'nds', L: [0], data: 'pd', imm: 'any', mx: 'dazftz' });
for (const [name, op] of [['vpblendw', 0x0e], ['vpalignr', 0x0f], ['vmpsadbw', 0x42], ['vpclmulqdq', 0x44], ['vinsertps', 0x21]] as const) {
  add({ name, map: 3, op, pp: 1, ops: 'nds', L: [0], data: 'int', imm: 'any' });
}
for (const [name, op] of [['vpextrb', 0x14], ['vpextrw', 0x15], ['vpextrd/q', 0x16], ['vextractps', 0x17]] as const) {
  add({ name, map: 3, op, pp: 1, ops: 'rm', rm: 'g', L: [0], data: 'int', imm: 'any', w: op === 0x16 ? 'size' : 'any' });
}
for (const [name, op] of [['vpinsrb', 0x20], ['vpinsrd/q', 0x22]] as const) {
  add({ name, map: 3, op, pp: 1, ops: 'nds', rm: 'g', L: [0], data: 'int', imm: 'any', w: op === 0x22 ? 'size' : 'any' });
}
add({ name: 'vblendvps', map: 3, op: 0x4a, pp: 1, ops: 'nds', L: [0, 1], data: 'int', imm: 'is4', w: 0 });
add({ name: 'vblendvpd', map: 3, op: 0x4b, pp: 1, ops: 'nds', L: [0, 1], data: 'int', imm: 'is4', w: 0 });
add({ name: 'vpblendvb', map: 3, op: 0x4c, pp: 1, ops: 'nds', L: [0], data: 'int', imm: 'is4', w: 0 });
for (const [name, op] of [['vpcmpestrm', 0x60], ['vpcmpestri', 0x61], ['vpcmpistrm', 0x62], ['vpcmpistri', 0x63]] as const) {
  add({ name, map: 3, op, pp: 1, ops: 'rm', L: [0], data: 'str', imm: 'any', w: 'size' });
}

export const AVX_FORM_COUNT = FORMS.length;

/** The VEX-encoded instruction for a form with random registers (0-15), memory [rdi], VEX length and form. */
function encode(f: Form): { bytes: number[]; name: string } {
  const r16 = (): number => rnd(16);
  const gpr = (): number => [0, 2, 1][rnd(3)]; // RAX, RDX, RCX: loaded and compared by the harness
  const L = f.L[rnd(f.L.length)];
  const w = f.w === 0 ? 0 : rnd(2);
  const rmKind = f.rm ?? 'x';
  const mem = rmKind === 'm' || ((rmKind === 'x' || rmKind === 'g') && rnd(3) === 0);
  let reg = f.reg === 'g' ? gpr() : r16();
  let rm = mem ? 7 : rmKind === 'g' || rmKind === 'G' ? gpr() : r16();
  let vvvv = f.ops === 'nds' ? r16() : 0;
  if (f.ops === 'ndd') { vvvv = r16(); reg = f.ext!; }
  if (f.ops === 'rm' && f.ext !== undefined) reg = f.ext;
  if (f.ops === 'none') { reg = 0; rm = 0; }
  const modrm = f.ops === 'none' ? [] : [(mem ? 0 : 0xc0) | ((reg & 7) << 3) | (rm & 7)];
  const R = reg >> 3, B = mem ? 0 : rm >> 3;
  let vex: number[];
  if (f.map === 1 && w === 0 && B === 0 && rnd(2)) vex = [0xc5, ((R ^ 1) << 7) | ((~vvvv & 15) << 3) | (L << 2) | f.pp];
  else vex = [0xc4, ((R ^ 1) << 7) | 0x40 | ((B ^ 1) << 5) | f.map, (w << 7) | ((~vvvv & 15) << 3) | (L << 2) | f.pp];
  const imm: number[] = [];
  switch (f.imm) {
    case 'any': imm.push(rnd(256)); break;
    case 'cmp': imm.push(rnd(32)); break;
    case 'round': imm.push(rnd(16)); break;
    case 'is4': imm.push(r16() << 4); break;
  }
  const bytes = f.ops === 'none' ? [...vex, f.op] : [...vex, f.op, ...modrm, ...imm];
  return { bytes, name: `${f.name} ${L ? 'ymm' : 'xmm'}${mem ? ',mem' : ''}` };
}

/** Every form `perForm` times with random state: float lanes (NaNs, denormals, infinities) or integer bytes. */
export function generateAvx(perForm: number): AvxCase[] {
  const cases: AvxCase[] = [];
  for (let n = 0; n < perForm; n++) {
    for (const f of FORMS) {
      const { bytes, name } = encode(f);
      const state = new Uint8Array(ST), mem = new Uint8Array(64);
      const dv = new DataView(state.buffer);
      const alpha = [0, 0x41, 0x42, 0x61, 0x7f, 0x80, 0xff, 0x20].slice(0, 2 + rnd(7));
      const put = (b: Uint8Array, o: number): void => { for (let j = 0; j < 16; j++) b[o + j] = rnd(12) === 0 ? 0 : alpha[rnd(alpha.length)]; };
      for (let o = 0; o < 512; o += 16) {
        if (f.data === 'ps' || f.data === 'pd') fillFloat(state, o, f.data === 'pd'); else if (f.data === 'str') put(state, o); else fill(state, o, 16);
      }
      for (let o = 0; o < 64; o += 16) {
        if (f.data === 'ps' || f.data === 'pd') fillFloat(mem, o, f.data === 'pd'); else if (f.data === 'str') put(mem, o); else fill(mem, o, 16);
      }
      // VLDMXCSR: a valid MXCSR value (reserved bits clear) in memory
      if (f.data === 'mxcsr') { mem[2] = 0; mem[3] = 0; }
      const float = f.data === 'ps' || f.data === 'pd';
      if (float) { extremes(state, 0, 512, f.data === 'pd'); extremes(mem, 0, 64, f.data === 'pd'); }
      const rc = float || f.mx ? rnd(4) << 13 : 0;
      const dz = (float || f.mx) && rnd(3) === 0 ? [0x40, 0x8000, 0x8040][rnd(3)] : 0;
      dv.setUint32(MXCSR, 0x1f80 | rc | dz, true);
      dv.setBigUint64(FLAGS, BigInt(rnd(0x1000) & 0x8d5), true);
      const len = (): bigint => (rnd(4) ? BigInt(rnd(20)) : rnd(2) ? -BigInt(rnd(20)) : next64());
      const gp = (): bigint => (f.data === 'str' ? len() : f.mx === 'rc' && rnd(2) ? BigInt(rnd(1000) - 500) : next64());
      dv.setBigUint64(RAX, BigInt.asUintN(64, gp()), true);
      dv.setBigUint64(RDX, BigInt.asUintN(64, gp()), true);
      dv.setBigUint64(RCX, BigInt.asUintN(64, gp()), true);
      cases.push({ name, insn: bytes, state, mem, mxcsrIgnore: 0 });
    }
  }
  return cases;
}
