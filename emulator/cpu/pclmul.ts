import { ud } from './fault';
import { Imm } from './insn';
import { A, B, loadA, loadB, pfx, sseCheck, storeA } from './sse';
import { def } from './table';

/**
 * PCLMULQDQ xmm1, xmm2/m128, imm8 (66 0F3A 44; CPUID.01H:ECX.PCLMULQDQ[1]): the carry-less (GF(2)[x])
 * product of one quadword of each operand (imm8[0] picks the destination's, imm8[4] the source's) into the
 * whole 128-bit destination. 128-bit memory operands must be 16-byte aligned (legacy SSE).
 */
const R = new Int32Array(4);

def(0x344, 'pclmulqdq', true, Imm.IB, (c, i) => {
  if (pfx(i) !== 1) ud();
  sseCheck(c);
  loadB(c, i, true);
  loadA(c, i.reg);
  const sa = i.imm & 1 ? 2 : 0, sb = i.imm & 0x10 ? 2 : 0;
  const al = A[sa], ah = A[sa + 1], bl = B[sb], bh = B[sb + 1];
  R[0] = 0; R[1] = 0; R[2] = 0; R[3] = 0;
  for (let k = 0; k < 64; k++) {
    if (!((k < 32 ? bl >>> k : bh >>> (k - 32)) & 1)) continue;
    // XOR (ah:al) << k into the 128-bit result
    const w = k >>> 5, s = k & 31;
    if (s === 0) { R[w] ^= al; R[w + 1] ^= ah; }
    else { R[w] ^= al << s; R[w + 1] ^= (ah << s) | (al >>> (32 - s)); R[w + 2] ^= ah >>> (32 - s); }
  }
  A[0] = R[0]; A[1] = R[1]; A[2] = R[2]; A[3] = R[3];
  storeA(c, i.reg);
});
