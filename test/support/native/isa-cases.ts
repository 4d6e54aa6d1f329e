/**
 * Differential cases on the FXSAVE-image harness of sse-diff.ts (XMM/MM registers, MXCSR, the 64-byte buffer
 * at [rdi], RAX and the flags) for the instruction families beyond SSE3, one generator per family:
 * memory forms of MOVBE and CRC32, 64-bit integer → float conversions under every MXCSR.RC, SSSE3 (MMX and
 * XMM forms), SSE4.1 and SSE4.2. Register operands are drawn from xmm0-7 / mm0-7 (xmm0 is also the
 * implicit mask of the variable blends); memory operands are [rdi], 16-byte aligned.
 */
import { fill, fillFloat, next64, rnd, SseCase } from './sse-diff';

/** `exact`: the instruction keeps the MXCSR exception flags, so they are compared. */
interface Gen { name: string; bytes: number[]; lanes?: 'ps' | 'pd'; mxcsr?: number; rax?: bigint; flagsOut?: boolean; exact?: boolean }

const r8 = (): number => rnd(8);
const regRm = (): number => 0xc0 | (r8() << 3) | r8();
const memRm = (): number => (r8() << 3) | 7;

/** Random machine state around one instruction: MM (with x87 TOP/tags), XMM (integer bytes or float lanes), memory. */
function build(g: Gen): SseCase {
  const img = new Uint8Array(512), mem = new Uint8Array(64);
  const dv = new DataView(img.buffer);
  dv.setUint16(0, 0x37f, true);
  dv.setUint16(2, rnd(8) << 11, true);
  img[4] = rnd(256);
  dv.setUint32(24, g.mxcsr ?? 0x1f80, true);
  dv.setUint32(28, 0xffff, true);
  for (let r = 0; r < 8; r++) { fill(img, 32 + 16 * r, 8); img[40 + 16 * r] = rnd(256); img[41 + 16 * r] = rnd(256); }
  for (let r = 0; r < 16; r++) { if (g.lanes) fillFloat(img, 160 + 16 * r, g.lanes === 'pd'); else fill(img, 160 + 16 * r, 16); }
  if (g.lanes) { fillFloat(mem, 0, g.lanes === 'pd'); fillFloat(mem, 16, g.lanes === 'pd'); } else fill(mem, 0, 64);
  // the blend masks in xmm0: sign bits set about half the time
  return { name: g.name, bytes: g.bytes, img, mem, flags: rnd(0x1000) & 0x8d5, rax: g.rax ?? next64(), mxcsrIgnore: !g.exact && (g.lanes || g.mxcsr !== undefined) ? 0x3f : 0 };
}

/** MXCSR with a random rounding control and, sometimes, DAZ/FTZ. */
const mxcsr = (daz = true): number => 0x1f80 | (rnd(4) << 13) | (daz && rnd(3) === 0 ? [0x40, 0x8000, 0x8040][rnd(3)] : 0);

/** A 64-bit integer that needs rounding to fit binary32/binary64: set bits far apart, ties, extremes. */
function wideInt(): bigint {
  switch (rnd(5)) {
    case 0: return [0x1000001000000001n, 0x1000001000000000n, -0x1000001000000001n, 0x8000000000000000n, 0x7fffffffffffffffn, 0xffffff7fffffffffn, 0x20000000000001n, 0x20000000000003n, -0x20000000000001n][rnd(9)];
    case 1: return BigInt.asIntN(64, (1n << BigInt(rnd(63))) + (1n << BigInt(rnd(40))) + BigInt(rnd(3)));
    case 2: return -BigInt(rnd(1 << 30)) * (1n << BigInt(rnd(33)));
    default: return BigInt.asIntN(64, next64());
  }
}

export function generateGpMem(perInsn: number): SseCase[] {
  const out: SseCase[] = [];
  for (let n = 0; n < perInsn; n++) {
    const gens: Gen[] = [
      { name: 'movbe r16,m16', bytes: [0x66, 0x0f, 0x38, 0xf0, 0x07] }, { name: 'movbe r32,m32', bytes: [0x0f, 0x38, 0xf0, 0x07] },
      { name: 'movbe r64,m64', bytes: [0x48, 0x0f, 0x38, 0xf0, 0x07] }, { name: 'movbe m16,r16', bytes: [0x66, 0x0f, 0x38, 0xf1, 0x07] },
      { name: 'movbe m32,r32', bytes: [0x0f, 0x38, 0xf1, 0x07] }, { name: 'movbe m64,r64', bytes: [0x48, 0x0f, 0x38, 0xf1, 0x07] },
      { name: 'crc32 r32,m8', bytes: [0xf2, 0x0f, 0x38, 0xf0, 0x07] }, { name: 'crc32 r32,m16', bytes: [0x66, 0xf2, 0x0f, 0x38, 0xf1, 0x07] },
      { name: 'crc32 r32,m32', bytes: [0xf2, 0x0f, 0x38, 0xf1, 0x07] }, { name: 'crc32 r64,m64', bytes: [0xf2, 0x48, 0x0f, 0x38, 0xf1, 0x07] },
      { name: 'adcx r64,m64', bytes: [0x66, 0x48, 0x0f, 0x38, 0xf6, 0x07] }, { name: 'adox r32,m32', bytes: [0xf3, 0x0f, 0x38, 0xf6, 0x07] },
    ];
    for (const g of gens) out.push(build(g));
  }
  return out;
}

export function generateCvt64(perInsn: number): SseCase[] {
  const out: SseCase[] = [];
  for (let n = 0; n < perInsn; n++) {
    for (const [name, pf] of [['cvtsi2ss', 0xf3], ['cvtsi2sd', 0xf2]] as const) {
      out.push(build({ name: `${name} xmm,r64`, bytes: [pf, 0x48, 0x0f, 0x2a, 0xc0 | (r8() << 3)], mxcsr: mxcsr(false), rax: wideInt(), exact: true }));
      out.push(build({ name: `${name} xmm,r32`, bytes: [pf, 0x0f, 0x2a, 0xc0 | (r8() << 3)], mxcsr: mxcsr(false), rax: wideInt(), exact: true }));
      out.push(build({ name: `${name} xmm,m64`, bytes: [pf, 0x48, 0x0f, 0x2a, memRm()], mxcsr: mxcsr(false), exact: true }));
    }
  }
  return out;
}

/** SSSE3: 0F38 00-0B, 1C-1E and 0F3A 0F (PALIGNR), each as MMX (NP) and XMM (66), register and memory. */
export function generateSsse3(perInsn: number): SseCase[] {
  const ops: [string, number][] = [
    ['pshufb', 0x00], ['phaddw', 0x01], ['phaddd', 0x02], ['phaddsw', 0x03], ['pmaddubsw', 0x04], ['phsubw', 0x05],
    ['phsubd', 0x06], ['phsubsw', 0x07], ['psignb', 0x08], ['psignw', 0x09], ['psignd', 0x0a], ['pmulhrsw', 0x0b],
    ['pabsb', 0x1c], ['pabsw', 0x1d], ['pabsd', 0x1e],
  ];
  const out: SseCase[] = [];
  for (let n = 0; n < perInsn; n++) {
    for (const [name, op] of ops) {
      out.push(build({ name: `${name} mm`, bytes: [0x0f, 0x38, op, regRm()] }), build({ name: `${name} mm,m64`, bytes: [0x0f, 0x38, op, memRm()] }));
      out.push(build({ name: `${name} xmm`, bytes: [0x66, 0x0f, 0x38, op, regRm()] }), build({ name: `${name} xmm,m128`, bytes: [0x66, 0x0f, 0x38, op, memRm()] }));
    }
    const imm = (): number => (rnd(4) ? rnd(34) : rnd(256));
    out.push(build({ name: 'palignr mm', bytes: [0x0f, 0x3a, 0x0f, regRm(), imm()] }), build({ name: 'palignr mm,m64', bytes: [0x0f, 0x3a, 0x0f, memRm(), imm()] }));
    out.push(build({ name: 'palignr xmm', bytes: [0x66, 0x0f, 0x3a, 0x0f, regRm(), imm()] }), build({ name: 'palignr xmm,m128', bytes: [0x66, 0x0f, 0x3a, 0x0f, memRm(), imm()] }));
  }
  return out;
}

/** SSE4.1: every instruction in register and memory forms; the float ones with NaNs, denormals, DAZ/FTZ. */
export function generateSse41(perInsn: number): SseCase[] {
  const intOps: [string, number][] = [
    ['pblendvb', 0x10], ['blendvps', 0x14], ['blendvpd', 0x15], ['ptest', 0x17],
    ['pmovsxbw', 0x20], ['pmovsxbd', 0x21], ['pmovsxbq', 0x22], ['pmovsxwd', 0x23], ['pmovsxwq', 0x24], ['pmovsxdq', 0x25],
    ['pmuldq', 0x28], ['pcmpeqq', 0x29], ['packusdw', 0x2b],
    ['pmovzxbw', 0x30], ['pmovzxbd', 0x31], ['pmovzxbq', 0x32], ['pmovzxwd', 0x33], ['pmovzxwq', 0x34], ['pmovzxdq', 0x35],
    ['pminsb', 0x38], ['pminsd', 0x39], ['pminuw', 0x3a], ['pminud', 0x3b], ['pmaxsb', 0x3c], ['pmaxsd', 0x3d], ['pmaxuw', 0x3e], ['pmaxud', 0x3f],
    ['pmulld', 0x40], ['phminposuw', 0x41],
  ];
  const out: SseCase[] = [];
  for (let n = 0; n < perInsn; n++) {
    for (const [name, op] of intOps) {
      out.push(build({ name: `${name} xmm`, bytes: [0x66, 0x0f, 0x38, op, regRm()] }), build({ name: `${name} xmm,mem`, bytes: [0x66, 0x0f, 0x38, op, memRm()] }));
    }
    out.push(build({ name: 'movntdqa', bytes: [0x66, 0x0f, 0x38, 0x2a, memRm()] }));
    for (const [name, op] of [['blendps', 0x0c], ['blendpd', 0x0d], ['pblendw', 0x0e], ['mpsadbw', 0x42]] as const) {
      out.push(build({ name: `${name} xmm`, bytes: [0x66, 0x0f, 0x3a, op, regRm(), rnd(256)] }), build({ name: `${name} xmm,m128`, bytes: [0x66, 0x0f, 0x3a, op, memRm(), rnd(256)] }));
    }
    // extracts to RAX or [rdi], inserts from RAX or [rdi]
    for (const [name, pre, op] of [['pextrb', [], 0x14], ['pextrw', [], 0x15], ['pextrd', [], 0x16], ['pextrq', [0x48], 0x16], ['extractps', [], 0x17], ['pinsrb', [], 0x20], ['insertps', [], 0x21], ['pinsrd', [], 0x22], ['pinsrq', [0x48], 0x22]] as [string, number[], number][]) {
      out.push(build({ name: `${name} reg`, bytes: [0x66, ...pre, 0x0f, 0x3a, op, op === 0x21 ? regRm() : 0xc0 | (r8() << 3), rnd(4) ? rnd(16) : rnd(256)] }));
      out.push(build({ name: `${name} mem`, bytes: [0x66, ...pre, 0x0f, 0x3a, op, memRm(), rnd(256)] }));
    }
    // rounding: imm8 modes 0-3, MXCSR.RC (imm8[2]), precision suppression (imm8[3])
    for (const [name, op, lanes] of [['roundps', 0x08, 'ps'], ['roundpd', 0x09, 'pd'], ['roundss', 0x0a, 'ps'], ['roundsd', 0x0b, 'pd']] as const) {
      out.push(build({ name: `${name} xmm`, bytes: [0x66, 0x0f, 0x3a, op, regRm(), rnd(16)], lanes, mxcsr: mxcsr(), exact: true }));
      out.push(build({ name: `${name} xmm,mem`, bytes: [0x66, 0x0f, 0x3a, op, memRm(), rnd(16)], lanes, mxcsr: mxcsr(), exact: true }));
    }
    // dot products: every step rounds by MXCSR.RC and raises the MXCSR flags (sse-float.ts); DAZ/FTZ vary
    for (const [name, op, lanes] of [['dpps', 0x40, 'ps'], ['dppd', 0x41, 'pd']] as const) {
      out.push(build({ name: `${name} xmm`, bytes: [0x66, 0x0f, 0x3a, op, regRm(), rnd(256)], lanes, mxcsr: mxcsr(), exact: true }));
      out.push(build({ name: `${name} xmm,m128`, bytes: [0x66, 0x0f, 0x3a, op, memRm(), rnd(256)], lanes, mxcsr: mxcsr(), exact: true }));
    }
  }
  return out;
}

/**
 * SSE4.2: PCMPGTQ and the string compares PCMPESTRI/ESTRM/ISTRI/ISTRM over every imm8 control, with strings
 * made of few distinct characters (so matches happen), zero terminators at random places, explicit lengths
 * in rAX/rDX (negative and oversized too, 32- and 64-bit with REX.W) and unaligned memory operands.
 */
export function generateSse42(perInsn: number): SseCase[] {
  const out: SseCase[] = [];
  for (let n = 0; n < perInsn; n++) {
    out.push(build({ name: 'pcmpgtq xmm', bytes: [0x66, 0x0f, 0x38, 0x37, regRm()] }), build({ name: 'pcmpgtq xmm,m128', bytes: [0x66, 0x0f, 0x38, 0x37, memRm()] }));
    for (const [name, op] of [['pcmpestrm', 0x60], ['pcmpestri', 0x61], ['pcmpistrm', 0x62], ['pcmpistri', 0x63]] as const) {
      for (const form of ['reg', 'mem', 'rex.w']) {
        const src = r8(), dst = r8();
        // the memory form is [rdi + disp8]: unaligned
        const operand = form === 'mem' ? [0x47 | (dst << 3), rnd(16)] : [0xc0 | (dst << 3) | src];
        const k = build({ name: `${name} ${form}`, bytes: [0x66, ...(form === 'rex.w' ? [0x48] : []), 0x0f, 0x3a, op, ...operand, rnd(256)] });
        // strings over a small alphabet with zeros now and then
        const alpha = [0, 0x41, 0x42, 0x61, 0x7f, 0x80, 0xff, 0x20].slice(0, 2 + rnd(7));
        const put = (b: Uint8Array, o: number): void => { for (let j = 0; j < 16; j++) b[o + j] = rnd(12) === 0 ? 0 : alpha[rnd(alpha.length)]; };
        for (let r = 0; r < 8; r++) put(k.img, 160 + 16 * r);
        put(k.mem, 0); put(k.mem, 16); put(k.mem, 32);
        // rAX, rDX: small lengths mostly, sometimes negative or huge
        const len = (): bigint => (rnd(4) ? BigInt(rnd(20)) : rnd(2) ? -BigInt(rnd(20)) : next64());
        k.rax = len();
        k.rdx = len();
        out.push(k);
      }
    }
  }
  return out;
}

/** PCLMULQDQ with every quadword selection (imm8 bits 0 and 4; the other bits are ignored). */
export function generatePclmul(perInsn: number): SseCase[] {
  const out: SseCase[] = [];
  for (let n = 0; n < perInsn; n++) {
    out.push(build({ name: 'pclmulqdq xmm', bytes: [0x66, 0x0f, 0x3a, 0x44, regRm(), rnd(256)] }), build({ name: 'pclmulqdq xmm,m128', bytes: [0x66, 0x0f, 0x3a, 0x44, memRm(), rnd(256)] }));
  }
  return out;
}

/** The families, for test/fuzz/diff-run.ts: name, host CPUID flags (/proc/cpuinfo names) and generator. */
export const ISA_FAMILIES: { name: string; hostFeatures: string[]; generate: (perInsn: number) => SseCase[] }[] = [
  { name: 'MOVBE/CRC32/ADX memory', hostFeatures: ['movbe', 'sse4_2', 'adx'], generate: generateGpMem },
  { name: 'CVTSI2SS/SD', hostFeatures: ['sse2'], generate: generateCvt64 },
  { name: 'SSSE3', hostFeatures: ['ssse3'], generate: generateSsse3 },
  { name: 'SSE4.1', hostFeatures: ['sse4_1'], generate: generateSse41 },
  { name: 'SSE4.2', hostFeatures: ['sse4_2'], generate: generateSse42 },
  { name: 'PCLMULQDQ', hostFeatures: ['pclmulqdq'], generate: generatePclmul },
];
