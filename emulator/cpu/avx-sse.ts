import type { Cpu } from './cpu';
import { ud } from './fault';
import { Handler, Imm, Insn } from './insn';
import { pfx, VR, vx } from './sse';
import { TABLE, def } from './table';
import { avxCheck, w0 } from './avx';
import { cvt5aWide, cvtE6Wide, movmskWide, ptestWide } from './avx-wide';
import './sse-int';
import './sse3';
import './ssse3';
import './sse41';
import './sse42';
import './pclmul';
import './sse-convert';

/**
 * The VEX forms of the SSE..SSE4.2 and PCLMULQDQ instructions (SDM Vol. 2, the V-prefixed entries), executed
 * by the legacy handlers themselves: one row per opcode says which VEX.pp prefixes exist, which of them are
 * NDS (first source VEX.vvvv, the destination ModRM.reg) or NDD (the destination VEX.vvvv: the shift-by-imm8
 * groups), which allow VEX.L=1 and which ignore VEX.L (scalar "LIG" forms). The handler runs with sse.ts's `vx`
 * state: its loadA/loadB/storeA read the VEX operands, without the legacy alignment rule; a VEX.256 form runs
 * it once per 128-bit lane (every AVX 256-bit operation of these families works lane by lane). The result is
 * committed only after all lanes ran (a fault in the second lane changes nothing), with bits 255:128 zeroed
 * for VEX.128. A form that is not lane-wise at 256 bits has its own handler (avx-wide.ts). VEX.256 integer
 * forms are AVX2: #UD here.
 */

/** VEX.pp bits: NP, 66, F3, F2 (pfx() values 0-3). */
const NP = 1, P66 = 2, F3 = 4, F2 = 8, ALL = 15, PS_PD = NP | P66, SS_SD = F3 | F2;

interface Form {
  /** Legacy opcode key whose handler runs. */
  legacy: number;
  pp: number;
  /** NDS prefixes (the others have no vvvv operand, except NDD). */
  nds?: number;
  ndd?: boolean;
  /** Prefixes whose VEX.L=1 form is the lane-wise 256-bit operation. */
  l256?: number;
  /** Prefixes of the scalar forms, which ignore VEX.L. */
  lig?: number;
  aligned?: boolean;
  /** is4: the register in imm8[7:4] is the blend mask. */
  is4?: boolean;
  /** The 256-bit form of these prefixes when it is not lane-wise. */
  wide?: [number, Handler];
}

function vexForm(op: number, name: string, f: Form): void {
  const legacy = TABLE[f.legacy];
  if (!legacy) throw new Error(`VEX form of undefined legacy opcode 0x${f.legacy.toString(16)}`);
  const exec = legacy.exec;
  const imm = f.is4 ? Imm.IB : legacy.imm;
  def(op, name, true, imm, (c: Cpu, i: Insn) => {
    const pbit = 1 << pfx(i);
    if (!(f.pp & pbit)) ud(`${name} with this VEX.pp`);
    const nds = ((f.nds ?? 0) & pbit) !== 0;
    avxCheck(c, i, nds || f.ndd === true);
    let wide = i.vexL === 1;
    if (wide && ((f.lig ?? 0) & pbit)) wide = false;
    if (wide && f.wide && (f.wide[0] & pbit)) { f.wide[1](c, i); return; }
    if (wide && !((f.l256 ?? 0) & pbit)) ud(`${name} with VEX.L=1`);
    if (f.is4) w0(i);
    vx.on = true; vx.nds = nds; vx.ndd = f.ndd === true; vx.vvvv = i.vvvv; vx.hi = 0;
    vx.bytes = wide ? 32 : 16; vx.aligned = f.aligned === true; vx.dst = -1;
    vx.mask = ((i.imm & 0xff) >>> 4) & (c.long ? 15 : 7);
    const mxcsr = c.mxcsr;
    try {
      exec(c, i);
      if (wide) { vx.hi = 1; exec(c, i); }
    } catch (e) {
      c.mxcsr = mxcsr; // a fault in the upper lane: the lower lane's MXCSR flags are not kept either
      throw e;
    } finally {
      vx.on = false;
    }
    if (vx.dst >= 0) {
      const d = vx.dst * 4, x = c.xmm, h = c.ymmHi;
      for (let k = 0; k < 4; k++) { x[d + k] = VR[k]; h[d + k] = wide ? VR[4 + k] : 0; }
    }
  });
}

/** Register the VEX form (key + 0x300) of each legacy opcode in `ops` with the same form. */
function forms(ops: number[], names: string[], f: Omit<Form, 'legacy'>): void {
  ops.forEach((op, k) => vexForm(op + 0x300, names[k], { legacy: op, ...f }));
}

// ------------------------------------------------------------------------------------------ VEX.0F
forms([0x112], ['vmovlps/vmovhlps/vmovsldup/vmovddup'], { pp: ALL, nds: PS_PD, l256: SS_SD });
forms([0x113, 0x117], ['vmovlps m64', 'vmovhps m64'], { pp: PS_PD });
forms([0x114, 0x115], ['vunpcklps', 'vunpckhps'], { pp: PS_PD, nds: PS_PD, l256: PS_PD });
forms([0x116], ['vmovhps/vmovlhps/vmovshdup'], { pp: PS_PD | F3, nds: PS_PD, l256: F3 });
forms([0x12a], ['vcvtsi2ss'], { pp: SS_SD, nds: SS_SD, lig: SS_SD });
forms([0x12c, 0x12d], ['vcvttss2si', 'vcvtss2si'], { pp: SS_SD, lig: SS_SD });
forms([0x12e, 0x12f], ['vucomiss', 'vcomiss'], { pp: PS_PD, lig: PS_PD });
forms([0x150], ['vmovmskps'], { pp: PS_PD, wide: [PS_PD, movmskWide] });
forms([0x151], ['vsqrtps'], { pp: ALL, nds: SS_SD, l256: PS_PD, lig: SS_SD });
forms([0x152, 0x153], ['vrsqrtps', 'vrcpps'], { pp: NP | F3, nds: F3, l256: NP, lig: F3 });
forms([0x154, 0x155, 0x156, 0x157], ['vandps', 'vandnps', 'vorps', 'vxorps'], { pp: PS_PD, nds: PS_PD, l256: PS_PD });
forms([0x158, 0x159, 0x15c, 0x15d, 0x15e, 0x15f], ['vaddps', 'vmulps', 'vsubps', 'vminps', 'vdivps', 'vmaxps'], { pp: ALL, nds: ALL, l256: PS_PD, lig: SS_SD });
forms([0x15a], ['vcvtps2pd'], { pp: ALL, nds: SS_SD, lig: SS_SD, wide: [PS_PD, cvt5aWide] });
forms([0x15b], ['vcvtdq2ps'], { pp: NP | P66 | F3, l256: NP | P66 | F3 });
const INT66 = [
  0x160, 0x161, 0x162, 0x163, 0x164, 0x165, 0x166, 0x167, 0x168, 0x169, 0x16a, 0x16b, 0x16c, 0x16d, 0x174, 0x175, 0x176,
  0x1d1, 0x1d2, 0x1d3, 0x1d4, 0x1d5, 0x1d8, 0x1d9, 0x1da, 0x1db, 0x1dc, 0x1dd, 0x1de, 0x1df,
  0x1e0, 0x1e1, 0x1e2, 0x1e3, 0x1e4, 0x1e5, 0x1e8, 0x1e9, 0x1ea, 0x1eb, 0x1ec, 0x1ed, 0x1ee, 0x1ef,
  0x1f1, 0x1f2, 0x1f3, 0x1f4, 0x1f5, 0x1f6, 0x1f8, 0x1f9, 0x1fa, 0x1fb, 0x1fc, 0x1fd, 0x1fe,
];
forms(INT66, INT66.map((op) => `v${TABLE[op]!.name}`), { pp: P66, nds: P66 });
forms([0x16e, 0x1d6, 0x1d7, 0x1c5, 0x1f7], ['vmovd', 'vmovq', 'vpmovmskb', 'vpextrw', 'vmaskmovdqu'], { pp: P66 });
// 66 0F 7E is VMOVD/VMOVQ r/m, xmm; F3 0F 7E is VMOVQ xmm, xmm/m64
forms([0x17e], ['vmovd/vmovq'], { pp: P66 | F3 });
forms([0x170], ['vpshufd'], { pp: P66 | F3 | F2 });
forms([0x171, 0x172, 0x173], ['vpsrlw/vpsraw/vpsllw', 'vpsrld/vpsrad/vpslld', 'vpsrlq/vpsrldq/vpsllq/vpslldq'], { pp: P66, ndd: true });
forms([0x17c, 0x17d, 0x1d0], ['vhaddps', 'vhsubps', 'vaddsubps'], { pp: P66 | F2, nds: P66 | F2, l256: P66 | F2 });
forms([0x1c2], ['vcmpps'], { pp: ALL, nds: ALL, l256: PS_PD, lig: SS_SD });
forms([0x1c4], ['vpinsrw'], { pp: P66, nds: P66 });
forms([0x1c6], ['vshufps'], { pp: PS_PD, nds: PS_PD, l256: PS_PD });
forms([0x1e6], ['vcvtdq2pd'], { pp: P66 | F3 | F2, wide: [P66 | F3 | F2, cvtE6Wide] });

// ------------------------------------------------------------------------------------------ VEX.66.0F38
const NDS38 = [0x200, 0x201, 0x202, 0x203, 0x204, 0x205, 0x206, 0x207, 0x208, 0x209, 0x20a, 0x20b, 0x228, 0x229, 0x22b, 0x237,
  0x238, 0x239, 0x23a, 0x23b, 0x23c, 0x23d, 0x23e, 0x23f, 0x240];
forms(NDS38, NDS38.map((op) => `v${TABLE[op]!.name}`), { pp: P66, nds: P66 });
const RM38 = [0x21c, 0x21d, 0x21e, 0x220, 0x221, 0x222, 0x223, 0x224, 0x225, 0x230, 0x231, 0x232, 0x233, 0x234, 0x235, 0x241];
forms(RM38, RM38.map((op) => `v${TABLE[op]!.name}`), { pp: P66 });
forms([0x217], ['vptest'], { pp: P66, wide: [P66, ptestWide] });

// ------------------------------------------------------------------------------------------ VEX.66.0F3A
forms([0x308, 0x309], ['vroundps', 'vroundpd'], { pp: P66, l256: P66 });
forms([0x30a, 0x30b], ['vroundss', 'vroundsd'], { pp: P66, nds: P66, lig: P66 });
forms([0x30c, 0x30d, 0x340], ['vblendps', 'vblendpd', 'vdpps'], { pp: P66, nds: P66, l256: P66 });
forms([0x30e, 0x30f, 0x320, 0x321, 0x322, 0x341, 0x342, 0x344], ['vpblendw', 'vpalignr', 'vpinsrb', 'vinsertps', 'vpinsrd/q', 'vdppd', 'vmpsadbw', 'vpclmulqdq'], { pp: P66, nds: P66 });
forms([0x314, 0x315, 0x316, 0x317, 0x360, 0x361, 0x362, 0x363], ['vpextrb', 'vpextrw', 'vpextrd/q', 'vextractps', 'vpcmpestrm', 'vpcmpestri', 'vpcmpistrm', 'vpcmpistri'], { pp: P66 });
// VBLENDVPS/VBLENDVPD/VPBLENDVB xmm1, xmm2, xmm3/m, xmm4 (VEX.66.0F3A 4A-4C /r is4): SSE4.1's 0F38 14/15/10
vexForm(0x64a, 'vblendvps', { legacy: 0x214, pp: P66, nds: P66, l256: P66, is4: true });
vexForm(0x64b, 'vblendvpd', { legacy: 0x215, pp: P66, nds: P66, l256: P66, is4: true });
vexForm(0x64c, 'vpblendvb', { legacy: 0x210, pp: P66, nds: P66, is4: true });
