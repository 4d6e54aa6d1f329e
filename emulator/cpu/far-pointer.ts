import type { Cpu } from './cpu';
import { ud } from './fault';
import { Imm, Insn } from './insn';
import { loadDataSegment } from './segments';
import { Seg } from './state';
import { def } from './table';

/**
 * Far-pointer loads LES/LDS (C4/C5) and LSS/LFS/LGS (0F B2/B4/B5) (SDM Vol. 2 "LDS/LES/LFS/LGS/LSS"): read
 * m16:16, m16:32 (or m16:64 with REX.W) — the offset first, then the selector above it — load the segment
 * register with the selector (real mode: base = selector × 16; protected mode: the descriptor checks of
 * MOV Sreg, loadDataSegment), then the general register with the offset. A fault in the segment load leaves
 * the register unchanged. A register operand is #UD. C4/C5 are VEX prefixes in 64-bit mode (decoder.ts), so
 * LES/LDS do not exist there. Unlike MOV SS, LSS does not inhibit interrupts for the next instruction.
 */
function loadFarPointer(seg: number) {
  return (c: Cpu, i: Insn): void => {
    if (i.mod === 3) ud(`L${['E', 'C', 'S', 'D', 'F', 'G'][seg]}S with a register operand`);
    const size = i.osz;
    const la = c.memAddr(i, size + 2, false);
    const lo = size === 8 ? c.rd64(la) : c.rd(la, size);
    const hi = size === 8 ? c.hi : 0;
    const selector = c.rd(c.addLinear(la, size), 2);
    loadDataSegment(c, seg, selector);
    c.writeReg(i.reg, i.rex, size, lo, hi);
  };
}

def(0xc4, 'les', true, Imm.NONE, loadFarPointer(Seg.ES), { i64: true });
def(0xc5, 'lds', true, Imm.NONE, loadFarPointer(Seg.DS), { i64: true });
def(0x1b2, 'lss', true, Imm.NONE, loadFarPointer(Seg.SS), { endsBlock: true });
def(0x1b4, 'lfs', true, Imm.NONE, loadFarPointer(Seg.FS));
def(0x1b5, 'lgs', true, Imm.NONE, loadFarPointer(Seg.GS));
