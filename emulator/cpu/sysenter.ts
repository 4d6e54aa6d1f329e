import type { Cpu } from './cpu';
import { cpuModel } from './system';
import { gp, ud } from './fault';
import { getFlags } from './flags';
import { Imm } from './insn';
import { setSegment } from './segments';
import { Attr, Cr0, Flag, Seg } from './state';
import { def } from './table';

/**
 * SYSENTER / SYSEXIT (0F 34 / 0F 35; CPUID.01H:EDX.SEP, SDM Vol. 2 SYSENTER, SYSEXIT): fast system calls
 * through the IA32_SYSENTER_CS/ESP/EIP MSRs, with flat segments built from SYSENTER_CS (CS, CS+8 for the
 * kernel; CS+16, CS+24 with RPL 3 for user mode). On the AuthenticAMD models both are #UD in long mode
 * (APM Vol. 3); legacy protected and virtual-8086 mode use them.
 */

const FLAT_CODE32 = 0xb | Attr.S | Attr.P | Attr.DB | Attr.G;
const FLAT_DATA32 = 0x3 | Attr.S | Attr.P | Attr.DB | Attr.G;

function longModeCheck(c: Cpu, what: string): void {
  if (c.lma && cpuModel.current.vendor === 'AuthenticAMD') ud(`${what} in long mode on an AMD CPU model`);
}

def(0x134, 'sysenter', false, Imm.NONE, (c) => {
  longModeCheck(c, 'SYSENTER');
  if (!(c.cr0 & Cr0.PE)) gp(0, 'SYSENTER in real mode');
  const cs = c.sysenterCs & 0xfffc;
  if (cs === 0) gp(0, 'SYSENTER with IA32_SYSENTER_CS = 0');
  const fl = getFlags(c);
  c.lfOp = 0;
  c.flags = fl & ~(Flag.VM | Flag.IF | Flag.RF);
  setSegment(c, Seg.CS, cs, 0, 0xffffffff, FLAT_CODE32);
  setSegment(c, Seg.SS, cs + 8, 0, 0xffffffff, FLAT_DATA32);
  c.setCpl(0);
  c.updateMode();
  c.setReg32(4, c.sysenterEsp | 0);
  c.rip = c.sysenterEip >>> 0;
}, { endsBlock: true });

def(0x135, 'sysexit', false, Imm.NONE, (c) => {
  longModeCheck(c, 'SYSEXIT');
  if (!(c.cr0 & Cr0.PE) || (c.flags & Flag.VM)) gp(0, 'SYSEXIT outside protected mode');
  if (c.cpl !== 0) gp(0, 'SYSEXIT at CPL > 0');
  const base = c.sysenterCs & 0xfffc;
  if (base === 0) gp(0, 'SYSEXIT with IA32_SYSENTER_CS = 0');
  setSegment(c, Seg.CS, (base + 16) | 3, 0, 0xffffffff, FLAT_CODE32 | (3 << Attr.DPL_SHIFT));
  setSegment(c, Seg.SS, (base + 24) | 3, 0, 0xffffffff, FLAT_DATA32 | (3 << Attr.DPL_SHIFT));
  c.setCpl(3);
  c.updateMode();
  c.setReg32(4, c.r[2]); // ESP ← ECX
  c.rip = c.r[4] >>> 0; // EIP ← EDX (r[2*2])
}, { endsBlock: true });
