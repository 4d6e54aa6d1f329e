/**
 * Differential testing against the host CPU: builds exec-insn.c with gcc into a temp dir, runs register-only
 * instructions natively and in the emulator with the same inputs, and compares registers and the flags the
 * SDM defines for each instruction. Used by test/cpu/native-diff.test.ts and test/fuzz/diff-run.ts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCpu, poke, CODE } from '../cpu-harness';
import { getFlags } from '../../../emulator/cpu/flags';
import { Exit } from '../../../emulator/cpu/cpu';

const CF = 0x1, PF = 0x4, AF = 0x10, ZF = 0x40, SF = 0x80, OF = 0x800;
const ALL = CF | PF | AF | ZF | SF | OF;
/** Registers the native stub loads, in its order, as emulator register numbers: rax rbx rcx rdx rsi r8 r9. */
const REGS = [0, 3, 1, 2, 6, 8, 9];

export interface Case {
  name: string;
  bytes: number[];
  /** rax rbx rcx rdx rsi r8 r9 */
  regs: bigint[];
  flags: number;
  /** Flags to compare (the ones the SDM defines for this instruction and input). */
  mask: number;
  /** Registers (indices into regs) not to compare (architecturally undefined results). */
  skipRegs?: number[];
}

/** Path of the compiled exec-insn.c harness, or the reason it is unavailable. */
export function buildNative(): { path?: string; reason?: string } {
  return buildHarness('exec-insn');
}

/** Build test/support/native/NAME.c with gcc into a temp dir: its path, or the reason it is unavailable. */
export function buildHarness(name: string): { path?: string; reason?: string } {
  if (process.arch !== 'x64' || process.platform !== 'linux') return { reason: 'native differential tests need an x86-64 Linux host' };
  const gcc = spawnSync('gcc', ['--version']);
  if (gcc.error || gcc.status !== 0) return { reason: 'gcc is not installed; install gcc to run the native differential tests' };
  const src = join(__dirname, '..', '..', '..', '..', 'test', 'support', 'native', `${name}.c`);
  if (!existsSync(src)) return { reason: `cannot find ${src}` };
  const out = join(mkdtempSync(join(tmpdir(), `faultline-${name}-`)), name);
  execFileSync('gcc', ['-O1', '-o', out, src]);
  return { path: out };
}

export function hostHas(feature: string): boolean {
  try { return new RegExp(`\\b${feature}\\b`).test(readFileSync('/proc/cpuinfo', 'utf8')); } catch { return false; }
}

const hex = (v: bigint): string => BigInt.asUintN(64, v).toString(16);

export function runNative(path: string, cases: Case[]): bigint[][] {
  const input = cases.map((c) => `${Buffer.from(c.bytes).toString('hex')} ${c.regs.map(hex).join(' ')} ${c.flags.toString(16)}`).join('\n') + '\n';
  const out = execFileSync(path, { input, maxBuffer: 1 << 28 }).toString().trim().split('\n');
  return out.map((l) => l.split(' ').map((h) => BigInt('0x' + h)));
}

let cpu: ReturnType<typeof makeCpu> | undefined;
export function runEmu(c: Case): bigint[] {
  cpu ??= makeCpu();
  for (let k = 0; k < 7; k++) {
    const v = BigInt.asUintN(64, c.regs[k]);
    cpu.setReg64(REGS[k], Number(v & 0xffffffffn) | 0, Number(v >> 32n) | 0);
  }
  cpu.lfOp = 0;
  cpu.flags = (c.flags & 0x8d5) | 2;
  poke(cpu, CODE, c.bytes);
  cpu.flushCode();
  cpu.rip = CODE;
  if (cpu.run(1) !== Exit.BUDGET) return [];
  const res = REGS.map((r) => (BigInt(cpu!.r[2 * r + 1] >>> 0) << 32n) | BigInt(cpu!.r[2 * r] >>> 0));
  res.push(BigInt(getFlags(cpu) & 0x8d5));
  return res;
}

/** Compare; returns one line per mismatching case (empty when all agree). */
export function compare(cases: Case[], native: bigint[][]): string[] {
  const bad: string[] = [];
  const names = ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'r8', 'r9'];
  cases.forEach((c, k) => {
    const n = native[k], e = runEmu(c);
    const diffs: string[] = [];
    if (e.length === 0) diffs.push('emulator faulted');
    else {
      for (let r = 0; r < 7; r++) if (!c.skipRegs?.includes(r) && n[r] !== e[r]) diffs.push(`${names[r]} native ${hex(n[r])} emu ${hex(e[r])}`);
      const nf = Number(n[7]) & c.mask, ef = Number(e[7]) & c.mask;
      if (nf !== ef) diffs.push(`flags native ${nf.toString(16)} emu ${ef.toString(16)} (mask ${c.mask.toString(16)})`);
    }
    if (diffs.length) bad.push(`${c.name} ${Buffer.from(c.bytes).toString('hex')} in=[${c.regs.map(hex).join(' ')} f=${c.flags.toString(16)}]: ${diffs.join('; ')}`);
  });
  return bad;
}

// ------------------------------------------------------------------------------------ case generation
let seed = 0x9e3779b97f4a7c15n;
export function reseed(s: bigint): void { seed = BigInt.asUintN(64, s) || 1n; }
export function next64(): bigint {
  seed ^= BigInt.asUintN(64, seed << 13n); seed ^= seed >> 7n; seed ^= BigInt.asUintN(64, seed << 17n);
  return seed;
}
export function rnd(n: number): number { return Number(next64() % BigInt(n)); }
export function value(): bigint {
  switch (rnd(6)) {
    case 0: return BigInt(rnd(5)) - 2n;
    case 1: return [0x7fn, 0x80n, 0xffn, 0x7fffn, 0x8000n, 0xffffn, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x7fffffffffffffffn, 0x8000000000000000n][rnd(11)];
    case 2: return BigInt(rnd(256));
    default: return next64();
  }
}

/** Encode [F3] [66] [REX.W] opcode modrm imm for operand size 1/2/4/8. */
function enc(size: number, op: number[], modrm: number, imm: number[] = []): number[] {
  const rep = op[0] === 0xf3 ? [0xf3] : [];
  const opc = rep.length ? op.slice(1) : op;
  return [...rep, ...(size === 2 ? [0x66] : []), ...(size === 8 ? [0x48] : []), ...opc, modrm, ...imm];
}

export function generate(perInsn: number, opts: { bmi1: boolean; abm: boolean; popcnt: boolean }): Case[] {
  const cases: Case[] = [];
  const regs = (): bigint[] => [value(), value(), value(), value(), value(), value(), value()];
  const flags = (): number => rnd(0x1000) & 0x8d5;
  const aluNames = ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'];
  for (let k = 0; k < perInsn; k++) {
    for (const size of [1, 2, 4, 8]) {
      const w = size === 1 ? 0 : 1;
      const bits = size * 8;
      for (let op = 0; op < 8; op++) {
        const logic = op === 1 || op === 4 || op === 6;
        cases.push({ name: `${aluNames[op]}${bits}`, bytes: enc(size, [op * 8 + w], 0xd8), regs: regs(), flags: flags(), mask: logic ? ALL & ~AF : ALL });
      }
      cases.push({ name: `test${bits}`, bytes: enc(size, [0x84 + w], 0xd8), regs: regs(), flags: flags(), mask: ALL & ~AF });
      cases.push({ name: `inc${bits}`, bytes: enc(size, [0xfe + w], 0xc0), regs: regs(), flags: flags(), mask: ALL });
      cases.push({ name: `dec${bits}`, bytes: enc(size, [0xfe + w], 0xc8), regs: regs(), flags: flags(), mask: ALL });
      cases.push({ name: `not${bits}`, bytes: enc(size, [0xf6 + w], 0xd0), regs: regs(), flags: flags(), mask: ALL });
      cases.push({ name: `neg${bits}`, bytes: enc(size, [0xf6 + w], 0xd8), regs: regs(), flags: flags(), mask: ALL });
      // Shifts and rotates of rAX by CL.
      for (let op = 0; op < 8; op++) {
        if (op === 6) continue;
        const r = regs();
        const cnt = rnd(4) === 0 ? rnd(256) : rnd(bits + 2);
        r[2] = BigInt(cnt);
        const m = cnt & (size === 8 ? 63 : 31);
        let mask = ALL;
        if (m !== 0) {
          if (op >= 4) { mask = CF | SF | ZF | PF | (m === 1 ? OF : 0); if (m > bits) mask &= ~CF; }
          else mask = ALL & ~(m === 1 ? 0 : OF);
        }
        cases.push({ name: `${['rol', 'ror', 'rcl', 'rcr', 'shl', 'shr', 'sal', 'sar'][op]}${bits}`, bytes: enc(size, [0xd2 + w], 0xc0 | (op << 3)), regs: r, flags: flags(), mask });
      }
      if (size === 1) {
        cases.push({ name: 'mul8', bytes: [0xf6, 0xe3], regs: regs(), flags: flags(), mask: CF | OF });
        cases.push({ name: 'imul8', bytes: [0xf6, 0xeb], regs: regs(), flags: flags(), mask: CF | OF });
      } else {
        for (const [name, opc] of [['shld', 0xa5], ['shrd', 0xad]] as const) {
          const r = regs();
          const cnt = size === 2 ? rnd(17) : rnd(bits);
          r[2] = BigInt(cnt);
          const mask = cnt === 0 ? ALL : CF | SF | ZF | PF | (cnt === 1 ? OF : 0);
          cases.push({ name: `${name}${bits}`, bytes: enc(size, [0x0f, opc], 0xd8), regs: r, flags: flags(), mask });
        }
        cases.push({ name: `mul${bits}`, bytes: enc(size, [0xf7], 0xe3), regs: regs(), flags: flags(), mask: CF | OF });
        cases.push({ name: `imul1op${bits}`, bytes: enc(size, [0xf7], 0xeb), regs: regs(), flags: flags(), mask: CF | OF });
        cases.push({ name: `imul2op${bits}`, bytes: enc(size, [0x0f, 0xaf], 0xc3), regs: regs(), flags: flags(), mask: CF | OF });
        cases.push({ name: `imul3op${bits}`, bytes: enc(size, [0x6b], 0xc3, [rnd(256)]), regs: regs(), flags: flags(), mask: CF | OF });
        // DIV/IDIV by rBX with inputs that cannot raise #DE.
        const r = regs();
        let d = BigInt.asUintN(bits, r[1]); if (d === 0n) d = 1n; r[1] = d;
        r[3] = BigInt.asUintN(bits, r[3]) % d;
        cases.push({ name: `div${bits}`, bytes: enc(size, [0xf7], 0xf3), regs: r, flags: flags(), mask: 0 });
        const r2 = regs();
        let d2 = BigInt.asIntN(bits, r2[1]); if (d2 === 0n || d2 === -1n) d2 = 7n; r2[1] = d2;
        r2[3] = BigInt.asIntN(bits, r2[0]) < 0n ? -1n : 0n;
        cases.push({ name: `idiv${bits}`, bytes: enc(size, [0xf7], 0xfb), regs: r2, flags: flags(), mask: 0 });
        // Wide dividends (rDX not just rAX's extension) built as quotient·divisor + remainder, with divisors of
        // every magnitude (below 2^16, below 2^37, full width): the quotient always fits, so no #DE.
        for (const signed of [false, true]) {
          const rw = regs();
          const mag = [16n, 37n, BigInt(bits)][rnd(3)];
          let d = BigInt.asUintN(Number(mag < BigInt(bits) ? mag : BigInt(bits)), next64());
          if (signed) { d = BigInt.asIntN(bits, d); if (rnd(2)) d = -d; if (d === 0n || d === -1n) d = 3n; }
          else if (d === 0n) d = 5n;
          const q = signed ? BigInt.asIntN(bits, next64()) : BigInt.asUintN(bits, next64());
          const ad = d < 0n ? -d : d;
          let rem = BigInt.asUintN(bits, next64()) % ad;
          const n = q * d + (q * d < 0n ? -rem : rem);
          const fits = signed ? BigInt.asIntN(bits, n / d) === n / d : (n >= 0n && n / d <= (1n << BigInt(bits)) - 1n);
          if (!fits) { rem = 0n; }
          const nn = fits ? n : q * d;
          rw[0] = BigInt.asUintN(bits, nn); rw[3] = BigInt.asUintN(bits, nn >> BigInt(bits)); rw[1] = BigInt.asUintN(bits, d);
          cases.push({ name: `${signed ? 'idiv' : 'div'}wide${bits}`, bytes: enc(size, [0xf7], signed ? 0xfb : 0xf3), regs: rw, flags: flags(), mask: 0 });
        }
        for (const [name, opc] of [['bt', 0xa3], ['bts', 0xab], ['btr', 0xb3], ['btc', 0xbb]] as const) {
          cases.push({ name: `${name}${bits}`, bytes: enc(size, [0x0f, opc], 0xd8), regs: regs(), flags: flags(), mask: CF });
        }
        cases.push({ name: `btimm${bits}`, bytes: enc(size, [0x0f, 0xba], 0xe0 | ((4 + rnd(4)) << 3), [rnd(256)]), regs: regs(), flags: flags(), mask: CF });
        for (const [name, opc] of [['bsf', 0xbc], ['bsr', 0xbd]] as const) {
          const rb = regs();
          if (rnd(8) === 0) rb[1] = 0n;
          const zero = BigInt.asUintN(bits, rb[1]) === 0n;
          cases.push({ name: `${name}${bits}`, bytes: enc(size, [0x0f, opc], 0xc3), regs: rb, flags: flags(), mask: ZF, skipRegs: zero ? [0] : [] });
        }
        const r3 = regs(); if (rnd(8) === 0) r3[1] = 0n;
        if (opts.bmi1) cases.push({ name: `tzcnt${bits}`, bytes: enc(size, [0xf3, 0x0f, 0xbc], 0xc3), regs: r3, flags: flags(), mask: CF | ZF });
        if (opts.abm) cases.push({ name: `lzcnt${bits}`, bytes: enc(size, [0xf3, 0x0f, 0xbd], 0xc3), regs: r3, flags: flags(), mask: CF | ZF });
        if (opts.popcnt) cases.push({ name: `popcnt${bits}`, bytes: enc(size, [0xf3, 0x0f, 0xb8], 0xc3), regs: regs(), flags: flags(), mask: ALL });
        if (size !== 2) cases.push({ name: `bswap${bits}`, bytes: size === 8 ? [0x48, 0x0f, 0xc8] : [0x0f, 0xc8], regs: regs(), flags: flags(), mask: ALL });
      }
      // CMPXCHG rDX, rBX (accumulator rAX; equal about half the time) and XADD rDX, rBX.
      const rc = regs();
      if (rnd(2)) rc[3] = rc[0];
      cases.push({ name: `cmpxchg${bits}`, bytes: enc(size, [0x0f, 0xb0 + w], 0xda), regs: rc, flags: flags(), mask: ALL });
      cases.push({ name: `xadd${bits}`, bytes: enc(size, [0x0f, 0xc0 + w], 0xda), regs: regs(), flags: flags(), mask: ALL });
    }
  }
  return cases;
}
