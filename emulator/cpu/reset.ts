import type { Cpu } from './cpu';
import { debugRegsChanged } from './debug';
import { resetMca } from './mca';
import { cpuModel } from './system';
import { Attr, CpuState, Flag, Seg } from './state';

/**
 * The processor's state after RESET (SDM Vol. 3A §9.1.1, Table 9-1), so a machine can start at the reset
 * vector: real-address mode, CS = F000h with base FFFF0000h and IP = FFF0h (§9.1.4: the first instruction is
 * fetched at FFFFFFF0h, where the BIOS ROM's far jump sits), other segments 0 with base 0, every limit FFFFh,
 * GDTR/IDTR base 0 limit FFFFh (the IVT at 0 in real mode: Table 9-1), EDX = the CPUID family/model/stepping
 * signature, CR0 = 60000010h, EFLAGS = 2, A20 enabled (QEMU's reset; the 8042 powers on with A20 set).
 *
 * The board (the PC machine) calls this on power-on and reset; a boot loader that starts the kernel in another
 * mode (multiboot direct load) then writes its entry state over it. Decoded code and cached translations are
 * dropped, since they describe the machine before the reset.
 */
export function resetCpu(c: Cpu): void {
  const fresh = new CpuState();
  c.r.fill(0);
  c.setReg32(2, cpuModel.current.signature);
  c.rip = 0xfff0;
  c.flags = Flag.FIXED1;
  c.lfOp = 0;
  // Data segments: present, read/write, accessed (Table 9-1 "Present, R/W, Accessed"), 16-bit, byte limit FFFFh.
  for (let s = 0; s < 8; s++) {
    c.segSel[s] = 0;
    c.segBase[s] = 0;
    c.segLimit[s] = 0xffff;
    c.segAttr[s] = Attr.P | Attr.S | 0x3;
  }
  c.segSel[Seg.CS] = 0xf000;
  c.segBase[Seg.CS] = 0xffff0000;
  c.segAttr[Seg.CS] = Attr.P | Attr.S | 0xb;
  // LDTR and TR hold selector 0 with base 0 and limit FFFFh; their caches are left unusable (not present) until
  // LLDT/LTR load them, so an I/O-bitmap check at CPL > IOPL before LTR faults, as under QEMU (its check_io
  // refuses the reset TR's busy type).
  c.segAttr[Seg.LDTR] = 0;
  c.segAttr[Seg.TR] = 0;
  c.gdtrBase = 0; c.gdtrLimit = 0xffff;
  c.idtrBase = 0; c.idtrLimit = 0xffff;
  c.cr0 = fresh.cr0; c.cr2 = 0; c.cr3 = 0; c.cr4 = 0; c.cr8 = 0; c.efer = 0; c.xcr0 = 1;
  c.dr.fill(0); c.dr[6] = 0xffff0ff0; c.dr[7] = 0x400;
  c.star = c.starHi = c.lstarLo = c.lstarHi = c.cstarLo = c.cstarHi = c.fmask = c.kernelGsBase = 0;
  c.sysenterCs = c.sysenterEsp = c.sysenterEip = 0;
  c.tscOffset = 0; c.tscAux = 0;
  c.shadowUntil = -1; c.halted = false; c.nmiBlocked = false;
  c.spinRip = -1; c.spinAt = 0; c.spinStreak = 0; c.spinWait = 0; c.stallUntil = 0; c.stallFrom = 0; c.devTouched = false;
  c.spinRegs.fill(0); c.spinRead = 0; c.devStableUntil = Infinity;
  c.dbShadowUntil = -1; c.dbHits = 0; c.faultRf = 0; debugRegsChanged(c);
  c.pkru = 0; c.pkrs = 0; resetMca(c); c.amdIntPend = 0; c.amdHwcr = 0;
  c.mtrr.clear(); // reset disables the MTRRs (SDM Vol. 3A §12.11.5): no range or default type survives
  c.xmm.fill(0); c.ymmHi.fill(0); c.mxcsr = 0x1f80;
  // FCW: QEMU resets it to 037Fh (FNINIT's value); Table 9-1 gives 0040H. QEMU is what guests were tested on.
  c.fpuRegs.fill(0); c.fcw = 0x37f; c.fsw = 0; c.ftw = 0; c.fop = 0; c.fip = 0; c.fdp = 0;
  c.a20 = true;
  c.setCpl(0);
  c.stopRequested = false;
  c.softIntPending = false;
  c.faultIsTrap = false;
  c.updateMode();
  c.flushTlb();
  c.flushCode();
}
