import type { Cpu } from './cpu';
import { ud } from './fault';
import { Imm, Insn } from './insn';
import { A, B, loadA, loadB, pfx, sseCheck, storeA } from './sse';
import { Arith, arith32, arith64, mxDone, R64, setMxcsrRc } from './sse-float';
import { def } from './table';

/**
 * SSE3's arithmetic (CPUID.01H:ECX.SSE3; SDM Vol. 2): ADDSUBPS/PD (F2/66 0F D0), HADDPS/PD (F2/66 0F 7C),
 * HSUBPS/PD (F2/66 0F 7D) and LDDQU (F2 0F F0). MOVSLDUP/MOVSHDUP/MOVDDUP are in sse.ts, FISTTP in
 * x87-integer.ts. The arithmetic rounds by MXCSR.RC and raises the MXCSR flags (sse-float.ts arith32/arith64).
 */

/** F2 → single precision, 66 → double; anything else is #UD. */
function precision(i: Insn): number {
  const p = pfx(i);
  if (p === 3) return 4;
  if (p === 1) return 8;
  return ud();
}

function run(f: (single: boolean) => void) {
  return (c: Cpu, i: Insn): void => {
    sseCheck(c);
    const single = precision(i) === 4;
    loadB(c, i, true);
    loadA(c, i.reg);
    setMxcsrRc(c.mxcsr);
    f(single);
    mxDone(c);
    storeA(c, i.reg);
  };
}

const T = new Int32Array(4);

def(0x1d0, 'addsubps', true, Imm.NONE, run((single) => {
  if (single) for (let k = 0; k < 4; k++) A[k] = arith32(A[k], B[k], k & 1 ? Arith.ADD : Arith.SUB);
  else for (let k = 0; k < 2; k++) { arith64(A[2 * k + 1], A[2 * k], B[2 * k + 1], B[2 * k], k & 1 ? Arith.ADD : Arith.SUB); A[2 * k] = R64.lo; A[2 * k + 1] = R64.hi; }
}));

function horizontal(isSub: boolean) {
  const f = isSub ? Arith.SUB : Arith.ADD;
  return run((single) => {
    if (single) {
      T[0] = arith32(A[0], A[1], f); T[1] = arith32(A[2], A[3], f);
      T[2] = arith32(B[0], B[1], f); T[3] = arith32(B[2], B[3], f);
      A.set(T);
    } else {
      arith64(A[1], A[0], A[3], A[2], f); T[0] = R64.lo; T[1] = R64.hi;
      arith64(B[1], B[0], B[3], B[2], f); T[2] = R64.lo; T[3] = R64.hi;
      A.set(T);
    }
  });
}
def(0x17c, 'haddps', true, Imm.NONE, horizontal(false));
def(0x17d, 'hsubps', true, Imm.NONE, horizontal(true));

// LDDQU xmm, m128 (F2 0F F0): an unaligned load.
def(0x1f0, 'lddqu', true, Imm.NONE, (c, i) => {
  sseCheck(c);
  if (pfx(i) !== 3 || i.mod === 3) ud();
  loadB(c, i, false);
  A[0] = B[0]; A[1] = B[1]; A[2] = B[2]; A[3] = B[3];
  storeA(c, i.reg);
});
