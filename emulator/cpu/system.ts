import type { Cpu } from './cpu';
import { cpuid, CPU_MODELS, CpuModel } from './cpuid';
import { gp, raise, ud } from './fault';
import { getFlags } from './flags';
import { Imm, Insn } from './insn';
import { desc, readDescriptor, setSegment, upperHalfType, wideBaseCanonical } from './segments';
import { Attr, Cr0, Cr4, Efer, Flag, Seg, TWO32, TWO48 } from './state';
import { debugRegsChanged, generalDetect, noteIoAccess } from './debug';
import { isMcaMsr, MCG_CAP, readMca, writeMca } from './mca';
import { MSR_PKRS, rdpkru, writePkrs, wrpkru } from './pkeys';
import { noteDeviceRead, timeReadWaits, WRITES_IN, WRITES_RDTSC, WRITES_RDTSCP } from './spin-wait';
import { def } from './table';

/**
 * System instructions: MOV to/from CR0/2/3/4/8 and DR0-7, LGDT/LIDT/SGDT/SIDT/LTR/LLDT/STR/SLDT/SMSW/LMSW,
 * INVLPG, RDMSR/WRMSR, RDTSC/RDTSCP, CPUID, HLT, CLI/STI (with the STI shadow), flag-bit instructions,
 * IN/OUT (with the IOPL / I/O-bitmap check), SYSCALL/SYSRET, SWAPGS, CLTS, WBINVD/INVD, UD2.
 */

/** The CPU model CPUID reports; set by the machine. */
export const cpuModel: { current: CpuModel } = { current: CPU_MODELS.faultline };

function requireCpl0(c: Cpu, what: string): void {
  if (c.cpl !== 0) gp(0, `${what} at CPL ${c.cpl} (needs CPL 0)`);
}

// -------------------------------------------------------------------------------- control registers
const CR0_RESERVED_HI = -1; // bits 63:32 must be 0

export function writeCr0(c: Cpu, lo: number, hi: number): void {
  if (hi !== 0 && c.long) gp(0, 'CR0 bits 63:32 are reserved');
  const v = lo | Cr0.ET;
  if ((v & Cr0.PG) && !(v & Cr0.PE)) gp(0, 'CR0.PG=1 requires CR0.PE=1');
  if (!(v & Cr0.CD) && (v & Cr0.NW)) gp(0, 'CR0.NW=1 with CD=0');
  const old = c.cr0;
  if ((v & Cr0.PG) && !(old & Cr0.PG) && (c.efer & Efer.LME)) {
    if (!(c.cr4 & Cr4.PAE)) gp(0, 'enabling long mode paging requires CR4.PAE=1');
    c.efer |= Efer.LMA;
  }
  if (!(v & Cr0.PG) && (old & Cr0.PG) && c.lma) {
    if (c.long) gp(0, 'clearing CR0.PG in 64-bit mode');
    c.efer &= ~Efer.LMA;
  }
  c.cr0 = v;
  // Real-address mode runs at privilege 0 (SDM §20.1); the CS cache keeps its RPL for a later PE=1.
  if (!(v & Cr0.PE) && c.cpl !== 0) c.setCpl(0);
  // Paging or write-protect changes invalidate translations. PE alone does not (SDM Vol. 3 §4.10.4.1 lists
  // the CR0 writes that invalidate TLBs: those changing PG, CD, NW or WP): with PG=0 on both sides (PG requires
  // PE) a linear address is its physical address in either mode, and the entries' privilege tag follows CPL.
  // Firmware switches between real and protected mode thousands of times per boot (SeaBIOS's call16/call32).
  if ((old ^ v) & (Cr0.PG | Cr0.WP)) c.flushTlb();
  c.updateMode();
}

export function writeCr4(c: Cpu, lo: number, hi: number): void {
  const allowed = Cr4.VME | Cr4.PVI | Cr4.TSD | Cr4.DE | Cr4.PSE | Cr4.PAE | Cr4.MCE | Cr4.PGE | Cr4.PCE |
    Cr4.OSFXSR | Cr4.OSXMMEXCPT | Cr4.UMIP | Cr4.SMEP | Cr4.SMAP | Cr4.PKE | Cr4.PKS | (cpuModel.current.xcr0Mask ? Cr4.OSXSAVE : 0) |
    (cpuModel.current.leaf7Ebx & 1 ? Cr4.FSGSBASE : 0);
  if (hi !== 0 || (lo & ~allowed)) gp(0, `CR4 value 0x${(lo >>> 0).toString(16)} sets reserved or unsupported bits`);
  if (c.lma && !(lo & Cr4.PAE)) gp(0, 'clearing CR4.PAE in long mode');
  const m = cpuModel.current;
  if ((lo & Cr4.SMEP) && !(m.leaf7Ebx & (1 << 7))) gp(0, 'SMEP not supported by this CPU model');
  if ((lo & Cr4.SMAP) && !(m.leaf7Ebx & (1 << 20))) gp(0, 'SMAP not supported by this CPU model');
  if ((lo & Cr4.UMIP) && !(m.leaf7Ecx & (1 << 2))) gp(0, 'UMIP not supported by this CPU model');
  if ((lo & Cr4.PKE) && !(m.leaf7Ecx & (1 << 3))) gp(0, 'PKU not supported by this CPU model');
  if ((lo & Cr4.PKS) && !(m.leaf7Ecx & (1 << 31))) gp(0, 'PKS not supported by this CPU model');
  const old = c.cr4;
  c.cr4 = lo;
  if ((old ^ lo) & (Cr4.PGE | Cr4.PAE | Cr4.PSE | Cr4.SMEP | Cr4.SMAP | Cr4.PKE | Cr4.PKS)) c.flushTlb();
}

export function writeCr3(c: Cpu, lo: number, hi: number): void {
  if (c.lma && (hi >>> 0) >= 1 << (40 - 32)) gp(0, 'CR3 sets bits beyond MAXPHYADDR');
  c.cr3 = (hi >>> 0) * TWO32 + (lo >>> 0);
  c.flushTlb();
}

def(0x120, 'mov from cr', true, Imm.NONE, (c, i) => {
  requireCpl0(c, 'MOV from CR');
  let lo = 0, hi = 0;
  switch (i.reg) {
    case 0: lo = c.cr0; break;
    case 2: { const v = c.cr2; lo = v | 0; hi = Math.floor(v / TWO32) | 0; if (c.lma && v >= TWO48 / 2) hi |= 0xffff0000; break; }
    case 3: lo = c.cr3 | 0; hi = Math.floor(c.cr3 / TWO32) | 0; break;
    case 4: lo = c.cr4; break;
    case 8: lo = c.host.readCr8 ? c.host.readCr8() : c.cr8; break;
    default: ud(`MOV from CR${i.reg}`);
  }
  c.writeReg(i.rm, 0, c.long ? 8 : 4, lo, hi);
}, { regOnly: true });

def(0x122, 'mov to cr', true, Imm.NONE, (c, i) => {
  requireCpl0(c, 'MOV to CR');
  const lo = c.r[2 * i.rm];
  const hi = c.long ? c.r[2 * i.rm + 1] : 0;
  switch (i.reg) {
    case 0: writeCr0(c, lo, hi); break;
    case 2: {
      // CR2 holds a linear address; keep the 48-bit linear form like the fault path.
      c.cr2 = (hi & 0xffff) * TWO32 + (lo >>> 0);
      break;
    }
    case 3: writeCr3(c, lo, hi); break;
    case 4: writeCr4(c, lo, hi); break;
    case 8: if (hi !== 0 || (lo & ~0xf)) gp(0, 'CR8 reserved bits'); c.cr8 = lo & 0xf; c.host.writeCr8?.(c.cr8); break;
    default: ud(`MOV to CR${i.reg}`);
  }
}, { regOnly: true, endsBlock: true });

def(0x121, 'mov from dr', true, Imm.NONE, (c, i) => {
  requireCpl0(c, 'MOV from DR');
  let r = i.reg;
  if (r === 4 || r === 5) { if (c.cr4 & Cr4.DE) ud('DR4/DR5 with CR4.DE=1'); r += 2; }
  if (r > 7) ud();
  generalDetect(c);
  const v = c.dr[r];
  c.writeReg(i.rm, 0, c.long ? 8 : 4, v | 0, Math.floor(v / TWO32) | 0);
}, { regOnly: true });
def(0x123, 'mov to dr', true, Imm.NONE, (c, i) => {
  requireCpl0(c, 'MOV to DR');
  let r = i.reg;
  if (r === 4 || r === 5) { if (c.cr4 & Cr4.DE) ud('DR4/DR5 with CR4.DE=1'); r += 2; }
  if (r > 7) ud();
  generalDetect(c);
  const lo = c.r[2 * i.rm] >>> 0, hi = c.long ? c.r[2 * i.rm + 1] >>> 0 : 0;
  if ((r === 6 || r === 7) && hi !== 0) gp(0, `DR${r} bits 63:32 must be 0`);
  // DR6: bits 31:16 and 11:4 read as 1, bit 12 as 0; DR7: bit 10 reads as 1, bits 15:14, 12 and 11 as 0.
  c.dr[r] = r === 6 ? ((lo | 0xffff0ff0) & ~0x1000) >>> 0 : r === 7 ? ((lo | 0x400) & ~0xd800) >>> 0 : hi * TWO32 + lo;
  // A new breakpoint applies from the next instruction: end the block so the run loop sees it.
  if (r !== 6) debugRegsChanged(c);
}, { regOnly: true, endsBlock: true });

// ---------------------------------------------------------------------------- descriptor tables
function tableOperand(c: Cpu, i: Insn): number {
  if (i.mod === 3) ud('descriptor-table instruction with a register operand');
  return c.memAddr(i, c.long ? 10 : 6, false);
}

function group7(c: Cpu, i: Insn): void {
  const op = i.reg & 7;
  if (i.mod === 3 && op !== 4 && op !== 6) return group7Reg(c, i);
  switch (op) {
    case 0: case 1: { // SGDT / SIDT
      if ((c.cr4 & Cr4.UMIP) && c.cpl > 0) gp(0, 'SGDT/SIDT at CPL > 0 with CR4.UMIP=1');
      const la = c.memAddr(i, c.long ? 10 : 6, true);
      const base = op === 0 ? c.gdtrBase : c.idtrBase;
      const limit = op === 0 ? c.gdtrLimit : c.idtrLimit;
      c.wr(la, 2, limit);
      if (c.long) {
        const s = base >= TWO48 / 2 ? base - TWO48 : base;
        c.wr64(c.addLinear(la, 2), s | 0, Math.floor(s / TWO32) | 0);
      } else c.wr(c.addLinear(la, 2), 4, i.osz === 2 ? base & 0xffffff : base | 0);
      return;
    }
    case 2: case 3: { // LGDT / LIDT
      requireCpl0(c, op === 2 ? 'LGDT' : 'LIDT');
      const la = tableOperand(c, i);
      const limit = c.rd(la, 2);
      let base: number;
      if (c.long) {
        const lo = c.rd64(c.addLinear(la, 2));
        const hi = c.hi;
        if ((hi << 16) >> 16 !== hi) gp(0, `${op === 2 ? 'LGDT' : 'LIDT'} with a non-canonical base`);
        base = (hi & 0xffff) * TWO32 + (lo >>> 0);
      } else {
        base = c.rd(c.addLinear(la, 2), 4) >>> 0;
        if (i.osz === 2) base &= 0xffffff;
      }
      if (op === 2) { c.gdtrBase = base; c.gdtrLimit = limit; } else { c.idtrBase = base; c.idtrLimit = limit; }
      return;
    }
    case 4: // SMSW: a memory operand is always 16 bits; a register gets CR0 at the operand size (SDM SMSW)
      if ((c.cr4 & Cr4.UMIP) && c.cpl > 0) gp(0, 'SMSW at CPL > 0 with CR4.UMIP=1');
      if (i.mod === 3) c.writeReg(i.rm, i.rex, i.osz, c.cr0, 0);
      else c.writeE(i, 2, c.cr0, 0);
      return;
    case 6: { // LMSW: only PE (can't be cleared), MP, EM, TS
      requireCpl0(c, 'LMSW');
      const v = c.readE(i, 2);
      writeCr0(c, (c.cr0 & ~0xe) | (v & 0xf) | (c.cr0 & Cr0.PE), 0);
      return;
    }
    case 7: { // INVLPG
      requireCpl0(c, 'INVLPG');
      // No memory access, so no segment check (SDM Vol. 2A INVLPG lists #GP(0) only for CPL > 0, as QEMU: the
      // segment base plus the offset); in 64-bit mode a non-canonical address makes it a NOP.
      const off = c.ea(i);
      const seg = c.segOf(i);
      if (c.long) {
        const b = seg >= Seg.FS ? c.segBase[seg] : 0;
        const a = off + (b >= TWO48 / 2 ? b - TWO48 : b);
        if (a >= -TWO48 / 2 && a < TWO48 / 2) c.invalidatePage(a < 0 ? a + TWO48 : a);
      } else {
        c.invalidatePage((c.segBase[seg] + off) % TWO32);
      }
      return;
    }
    default: ud();
  }
}

function group7Reg(c: Cpu, i: Insn): void {
  const modrm = 0xc0 | ((i.reg & 7) << 3) | (i.rm & 7);
  switch (modrm) {
    case 0xf8: { // SWAPGS
      if (!c.long) ud('SWAPGS outside 64-bit mode');
      requireCpl0(c, 'SWAPGS');
      const t = c.segBase[Seg.GS];
      c.segBase[Seg.GS] = c.kernelGsBase;
      c.kernelGsBase = t;
      return;
    }
    case 0xf9: // RDTSCP
      if (readTsc(c, true)) c.setReg32(1, c.tscAux);
      return;
    case 0xd0: { // XGETBV
      if (!(c.cr4 & Cr4.OSXSAVE)) ud('XGETBV with CR4.OSXSAVE=0');
      if (c.r[2] !== 0) gp(0, 'XGETBV of an unknown XCR');
      c.setReg32(0, c.xcr0);
      c.setReg32(2, 0);
      return;
    }
    case 0xd1: { // XSETBV
      if (!(c.cr4 & Cr4.OSXSAVE)) ud('XSETBV with CR4.OSXSAVE=0');
      requireCpl0(c, 'XSETBV');
      const v = c.r[0] >>> 0;
      if (c.r[2] !== 0 || c.r[4] !== 0 || !(v & 1) || (v & ~cpuModel.current.xcr0Mask) || ((v & 4) && !(v & 2))) gp(0, 'XSETBV with an invalid XCR0 value');
      c.xcr0 = v;
      return;
    }
    case 0xee: // RDPKRU
      if (!(cpuModel.current.leaf7Ecx & (1 << 3))) ud('RDPKRU without PKU');
      return rdpkru(c);
    case 0xef: // WRPKRU
      if (!(cpuModel.current.leaf7Ecx & (1 << 3))) ud('WRPKRU without PKU');
      return wrpkru(c);
    case 0xca: case 0xcb: // CLAC / STAC
      if (!(cpuModel.current.leaf7Ebx & (1 << 20))) ud('CLAC/STAC without SMAP');
      requireCpl0(c, 'CLAC/STAC');
      getFlags(c);
      if (modrm === 0xca) c.flags &= ~Flag.AC; else c.flags |= Flag.AC;
      return;
    default: ud(`0F 01 ${modrm.toString(16)}`);
  }
}
def(0x101, 'grp7', true, Imm.NONE, group7, { endsBlock: true });

function group6(c: Cpu, i: Insn): void {
  const op = i.reg & 7;
  if (!(c.cr0 & Cr0.PE) || (c.flags & Flag.VM)) ud('system segment instruction in real mode');
  switch (op) {
    case 0: case 1: { // SLDT / STR
      if ((c.cr4 & Cr4.UMIP) && c.cpl > 0) gp(0, 'SLDT/STR at CPL > 0 with CR4.UMIP=1');
      const v = c.segSel[op === 0 ? Seg.LDTR : Seg.TR];
      if (i.mod === 3) c.writeReg(i.rm, i.rex, i.osz, v, 0); else c.writeE(i, 2, v, 0);
      return;
    }
    case 2: { // LLDT
      requireCpl0(c, 'LLDT');
      const sel = c.readE(i, 2);
      if ((sel & 0xfffc) === 0) { c.segSel[Seg.LDTR] = sel; c.segAttr[Seg.LDTR] = 0; return; }
      if (sel & 4) gp(sel & 0xfffc, 'LLDT selector points into the LDT');
      if (!readDescriptor(c, sel, c.lma)) gp(sel & 0xfffc, `LLDT selector 0x${sel.toString(16)} is beyond the GDT limit${c.lma ? ' (16-byte descriptors in IA-32e mode)' : ''}`);
      if ((desc.attr & (Attr.S | 0xf)) !== 0x2) gp(sel & 0xfffc, `LLDT selector 0x${sel.toString(16)} is not an LDT descriptor`);
      if (!(desc.attr & Attr.P)) raise(11, sel & 0xfffc, 'LDT descriptor not present');
      if (c.lma) checkWideSystemDescriptor(sel, 'LDT');
      setSegment(c, Seg.LDTR, sel, desc.base, desc.limit, desc.attr);
      return;
    }
    case 3: { // LTR
      requireCpl0(c, 'LTR');
      const sel = c.readE(i, 2);
      if ((sel & 0xfffc) === 0) gp(0, 'LTR with a null selector');
      if (sel & 4) gp(sel & 0xfffc, 'LTR selector points into the LDT');
      if (!readDescriptor(c, sel, c.lma)) gp(sel & 0xfffc, `LTR selector 0x${sel.toString(16)} is beyond the GDT limit${c.lma ? ' (16-byte descriptors in IA-32e mode)' : ''}`);
      const type = desc.attr & (Attr.S | 0xf);
      if (type !== 0x9 && type !== 0x1) gp(sel & 0xfffc, `LTR selector 0x${sel.toString(16)} is not an available TSS descriptor (type 0x${(desc.attr & 0xf).toString(16)})`);
      if (c.lma && type !== 0x9) gp(sel & 0xfffc, 'LTR of a 16-bit TSS in IA-32e mode');
      if (!(desc.attr & Attr.P)) raise(11, sel & 0xfffc, 'TSS descriptor not present');
      if (c.lma) checkWideSystemDescriptor(sel, 'TSS');
      // Mark it busy in the GDT.
      const la = c.addLinear(c.gdtrBase, (sel & 0xfff8) + 4);
      c.sysWr(la, 4, desc.hi | 0x200);
      setSegment(c, Seg.TR, sel, desc.base, desc.limit, desc.attr | 0x2);
      return;
    }
    case 4: case 5: { // VERR / VERW
      const sel = c.readE(i, 2);
      let ok = false;
      if ((sel & 0xfffc) !== 0 && readDescriptor(c, sel)) {
        const a = desc.attr;
        const dpl = (a >> Attr.DPL_SHIFT) & 3;
        const conformingCode = (a & (Attr.CODE | Attr.DC)) === (Attr.CODE | Attr.DC);
        if ((a & Attr.S) && (conformingCode || (dpl >= c.cpl && dpl >= (sel & 3)))) {
          ok = op === 4 ? (!(a & Attr.CODE) || (a & Attr.RW) !== 0) : (!(a & Attr.CODE) && (a & Attr.RW) !== 0);
        }
      }
      getFlags(c);
      if (ok) c.flags |= Flag.ZF; else c.flags &= ~Flag.ZF;
      return;
    }
    default: ud();
  }
}
def(0x100, 'grp6', true, Imm.NONE, group6);

/**
 * The IA-32e checks on the 16-byte LDT/TSS descriptor in `desc` that LLDT and LTR make after type and
 * presence (QEMU's order): bits 12:8 of the dword at +12 must be 0 (SDM Figure 7-4), and the base must be
 * canonical (Bochs LLDT_Ew/LTR_Ew; QEMU skips both for LLDT and tests only bits 11:8 for LTR).
 */
function checkWideSystemDescriptor(sel: number, what: 'LDT' | 'TSS'): void {
  const upper = upperHalfType();
  if (upper !== 0) {
    gp(sel & 0xfffc, `the upper half of the 16-byte ${what} descriptor 0x${(sel & 0xfff8).toString(16)} has bits 12:8 = 0x${upper.toString(16)} at +12; they must be 0 (SDM Figure 7-4)`);
  }
  if (!wideBaseCanonical()) {
    gp(sel & 0xfffc, `the ${what} descriptor 0x${(sel & 0xfff8).toString(16)} has a non-canonical base (bits 63:32 = 0x${(desc.hi2 >>> 0).toString(16)})`);
  }
}

// -------------------------------------------------------------------------------------- MSRs, TSC
export const MSR = {
  TSC: 0x10, APIC_BASE: 0x1b, SYSENTER_CS: 0x174, SYSENTER_ESP: 0x175, SYSENTER_EIP: 0x176, MISC_ENABLE: 0x1a0,
  PAT: 0x277, EFER: 0xc0000080, STAR: 0xc0000081, LSTAR: 0xc0000082, CSTAR: 0xc0000083, FMASK: 0xc0000084,
  FS_BASE: 0xc0000100, GS_BASE: 0xc0000101, KERNEL_GS_BASE: 0xc0000102, TSC_AUX: 0xc0000103,
};

/** RDTSC (and RDTSCP's TSC part): false if the CPU waits first (spin-wait.ts) and the instruction runs again. */
function readTsc(c: Cpu, rdtscp: boolean): boolean {
  if ((c.cr4 & Cr4.TSD) && c.cpl > 0) gp(0, 'RDTSC at CPL > 0 with CR4.TSD=1');
  const now = c.clock.instructions;
  if (timeReadWaits(c, now, rdtscp ? WRITES_RDTSCP : WRITES_RDTSC)) return false;
  const t = now + c.tscOffset;
  c.spinRead = t;
  c.setReg32(0, t | 0);
  c.setReg32(2, Math.floor(t / TWO32) | 0);
  return true;
}

function linearMsr(v: number): [number, number] {
  const s = v >= TWO48 / 2 ? v - TWO48 : v;
  return [s | 0, Math.floor(s / TWO32) | 0];
}

function canonicalOrGp(lo: number, hi: number, what: string): number {
  if ((hi << 16) >> 16 !== hi) gp(0, `${what} must be canonical`);
  return (hi & 0xffff) * TWO32 + (lo >>> 0);
}

/**
 * PerfEvtSel0 (C001_0000); PerfEvtSel0-3 then PerfCtr0-3 follow, the legacy PMU every AMD64 CPU has. Faultline
 * counts no events, so it does what QEMU TCG does with them: they exist (no #GP), read 0 and ignore writes. Software
 * that checks whether the counters work (Linux's check_hw_exists writes a counter and reads it back) then finds no
 * usable PMU ("PMU not available due to virtualization", as under QEMU), instead of counters that never count and
 * an NMI watchdog whose overflow never comes.
 */
const AMD_PERF = 0xc0010000;
/**
 * SYSCFG (C001_0010, APM Vol. 2 §7.9.1): every AMD64 CPU has it; its MtrrFixDram bits extend the fixed MTRRs, so
 * it is kept with them. Linux reads it (k8_check_syscfg_dram_mod_en) on AMD family 0Fh and later.
 */
const AMD_SYSCFG = 0xc0010010;
const isAmdSyscfg = (index: number): boolean => index === AMD_SYSCFG && cpuModel.current.vendor === 'AuthenticAMD';
/**
 * The Interrupt Pending Message register (C001_0055, BKDG for family 0Fh): IntPndMsg/C1eOnCmpHalt/SmiOnCmpHalt.
 * It reads 0 (C1E off) until written. Linux reads it on family 0Fh models with erratum 400 (amd_e400_c1e_apic_setup's
 * arch_post_acpi_subsys_init) to decide whether C1E can stop the APIC timer; QEMU's qemu64 is such a model.
 */
const AMD_INT_PEND = 0xc0010055;
const isAmdIntPend = (index: number): boolean => index === AMD_INT_PEND && cpuModel.current.vendor === 'AuthenticAMD' &&
  (cpuModel.current.signature & 0x0ff00f00) === 0x00000f00; // family 0Fh: base family 0xf, extended family 0

/**
 * HWCR, the Hardware Configuration Register (C001_0015): every AMD64 CPU has it (APM Vol. 2 "MSR Cross-Reference";
 * family 0Fh BKDG). Xen's init_amd sets its FFDIS bit (TLB flush filter off) on family 0Fh with a plain RDMSR and
 * WRMSR, Linux with the _safe accessors. The bits family 0Fh defines as read/write are kept as written (SMMLOCK,
 * SLOWFENCE, TLBCACHEDIS, INVD_WBINVD, FFDIS, DISLOCK, IGNNE_EM, HLTXSPCYCEN, SMISPCYCDIS, RSMSPCYCDIS, SSEDIS,
 * WRAP32DIS, MCi_STATUS_WREN; none changes what this CPU does); it reads 0 at reset (START_FID, bits 24:20, is 0:
 * no P-states), and a write of any other bit is #GP(0). QEMU 7.2 TCG reads every MSR it does not know as 0 and
 * ignores writes to it; this one exists on the hardware the model names.
 */
const AMD_HWCR = 0xc0010015;
const HWCR_WRITABLE = 0x1 | 0x2 | 0x8 | 0x10 | 0x40 | 0x80 | 0x100 | 0x1000 | 0x2000 | 0x4000 | 0x8000 | 0x20000 | 0x40000;
const isAmdHwcr = (index: number): boolean => index === AMD_HWCR && cpuModel.current.vendor === 'AuthenticAMD';

export function readMsr(c: Cpu, index: number): [number, number] {
  switch (index) {
    case MSR.TSC: { const t = c.clock.instructions + c.tscOffset; return [t | 0, Math.floor(t / TWO32) | 0]; }
    case MSR.EFER: return [c.efer, 0];
    case MSR.STAR: return [c.star, c.starHi];
    case MSR.LSTAR: return [c.lstarLo, c.lstarHi];
    case MSR.CSTAR: return [c.cstarLo, c.cstarHi];
    case MSR.FMASK: return [c.fmask, 0];
    case MSR.FS_BASE: return linearMsr(c.segBase[Seg.FS]);
    case MSR.GS_BASE: return linearMsr(c.segBase[Seg.GS]);
    case MSR.KERNEL_GS_BASE: return linearMsr(c.kernelGsBase);
    case MSR.TSC_AUX: return [c.tscAux, 0];
    case MSR.SYSENTER_CS: return [c.sysenterCs, 0];
    case MSR.SYSENTER_ESP: return linearMsr(c.sysenterEsp);
    case MSR.SYSENTER_EIP: return linearMsr(c.sysenterEip);
    case MSR.PAT: return [c.pat[0], c.pat[1]];
    case MSR.MISC_ENABLE: return [c.miscEnable | 0, Math.floor(c.miscEnable / TWO32) | 0];
    case 0xfe: return [0x508, 0]; // MTRRcap: 8 variable ranges, fixed ranges, WC
    case 0x179: return [MCG_CAP, 0]; // MCG_CAP (mca.ts)
    case 0x17a: return [0, 0]; // MCG_STATUS
    case MSR_PKRS: if (cpuModel.current.leaf7Ecx & (1 << 31)) return [c.pkrs, 0]; break;
    case 0x8b: return [0, 0]; // microcode revision
  }
  if (isMcaMsr(index)) return readMca(c, index);
  if (isAmdIntPend(index)) return [c.amdIntPend, 0];
  if (isAmdHwcr(index)) return [c.amdHwcr, 0];
  if ((index >= 0x200 && index <= 0x20f) || index === 0x250 || index === 0x258 || index === 0x259 ||
      (index >= 0x268 && index <= 0x26f) || index === 0x2ff || isAmdSyscfg(index)) {
    return c.mtrr.get(index) ?? [0, 0];
  }
  if (index >= AMD_PERF && index <= AMD_PERF + 7 && cpuModel.current.vendor === 'AuthenticAMD') return [0, 0];
  const h = c.host.readMsr(index);
  if (h) return h;
  return gp(0, `RDMSR of unknown MSR 0x${index.toString(16)}`);
}

export function writeMsr(c: Cpu, index: number, lo: number, hi: number): void {
  switch (index) {
    case MSR.TSC: c.tscOffset = (hi >>> 0) * TWO32 + (lo >>> 0) - c.clock.instructions; return;
    case MSR.EFER: {
      const m = cpuModel.current;
      let allowed = Efer.SCE | Efer.LME | Efer.LMA;
      if (m.ext1Edx & (1 << 20)) allowed |= Efer.NXE;
      if (hi !== 0 || (lo & ~allowed)) gp(0, `EFER value 0x${(lo >>> 0).toString(16)} sets reserved bits`);
      if (((lo ^ c.efer) & Efer.LME) && (c.cr0 & Cr0.PG)) gp(0, 'changing EFER.LME while paging is enabled');
      const old = c.efer;
      c.efer = (lo & ~Efer.LMA) | (old & Efer.LMA);
      if ((old ^ c.efer) & Efer.NXE) c.flushTlb();
      c.updateMode();
      return;
    }
    case MSR.STAR: c.star = lo; c.starHi = hi; return;
    case MSR.LSTAR: canonicalOrGp(lo, hi, 'LSTAR'); c.lstarLo = lo; c.lstarHi = hi; return;
    case MSR.CSTAR: canonicalOrGp(lo, hi, 'CSTAR'); c.cstarLo = lo; c.cstarHi = hi; return;
    case MSR.FMASK: c.fmask = lo; return;
    case MSR.FS_BASE: c.segBase[Seg.FS] = canonicalOrGp(lo, hi, 'FS.base'); return;
    case MSR.GS_BASE: c.segBase[Seg.GS] = canonicalOrGp(lo, hi, 'GS.base'); return;
    case MSR.KERNEL_GS_BASE: c.kernelGsBase = canonicalOrGp(lo, hi, 'KERNEL_GS_BASE'); return;
    case MSR.TSC_AUX: if (hi !== 0) gp(0, 'TSC_AUX bits 63:32 are reserved'); c.tscAux = lo; return;
    case MSR.SYSENTER_CS: c.sysenterCs = lo & 0xffff; return;
    case MSR.SYSENTER_ESP: c.sysenterEsp = canonicalOrGp(lo, hi, 'SYSENTER_ESP'); return;
    case MSR.SYSENTER_EIP: c.sysenterEip = canonicalOrGp(lo, hi, 'SYSENTER_EIP'); return;
    case MSR.PAT: {
      for (let k = 0; k < 8; k++) {
        const t = ((k < 4 ? lo : hi) >>> ((k & 3) * 8)) & 0xff;
        if (t === 2 || t === 3 || t > 7) gp(0, 'PAT entry with a reserved memory type');
      }
      c.pat = [lo, hi];
      return;
    }
    case MSR.MISC_ENABLE: c.miscEnable = (hi >>> 0) * TWO32 + (lo >>> 0); return; // all 64 bits (bit 34: XD disable)
    case 0x179: case 0xfe: gp(0, `WRMSR to read-only MSR 0x${index.toString(16)}`); return;
    case 0x17a: return;
  }
  if (isMcaMsr(index)) return writeMca(c, index, lo, hi);
  if (isAmdIntPend(index)) {
    if (hi !== 0) gp(0, 'C001_0055 bits 63:32 are reserved');
    c.amdIntPend = lo;
    return;
  }
  if (isAmdHwcr(index)) {
    if (hi !== 0 || (lo & ~HWCR_WRITABLE) !== 0) gp(0, `HWCR value 0x${(lo >>> 0).toString(16)} sets bits that are reserved or read-only`);
    c.amdHwcr = lo;
    return;
  }
  if ((index >= 0x200 && index <= 0x20f) || index === 0x250 || index === 0x258 || index === 0x259 ||
      (index >= 0x268 && index <= 0x26f) || index === 0x2ff || isAmdSyscfg(index)) {
    c.mtrr.set(index, [lo, hi]);
    return;
  }
  if (index >= AMD_PERF && index <= AMD_PERF + 7 && cpuModel.current.vendor === 'AuthenticAMD') return;
  if (index === MSR_PKRS && (cpuModel.current.leaf7Ecx & (1 << 31))) return writePkrs(c, lo, hi);
  if (c.host.writeMsr(index, lo, hi)) return;
  gp(0, `WRMSR to unknown MSR 0x${index.toString(16)}`);
}

def(0x132, 'rdmsr', false, Imm.NONE, (c) => {
  requireCpl0(c, 'RDMSR');
  const [lo, hi] = readMsr(c, c.r[2] >>> 0);
  c.setReg32(0, lo);
  c.setReg32(2, hi);
});
def(0x130, 'wrmsr', false, Imm.NONE, (c) => {
  requireCpl0(c, 'WRMSR');
  writeMsr(c, c.r[2] >>> 0, c.r[0], c.r[4]);
}, { endsBlock: true });
def(0x131, 'rdtsc', false, Imm.NONE, (c) => { readTsc(c, false); });
/**
 * RDPMC (0F 33): EDX:EAX = performance counter ECX. On an AMD model counters 0-3 are the legacy PerfCtr0-3
 * (C001_0004-7; APM Vol. 3 RDPMC), which read 0 (no events are counted: see AMD_PERF); an Intel model reports no
 * architectural performance monitoring (CPUID leaf 0Ah absent), so it has none. #GP(0) at CPL > 0 with CR4.PCE = 0,
 * and for a counter that does not exist.
 */
def(0x133, 'rdpmc', false, Imm.NONE, (c) => {
  if (c.cpl > 0 && !(c.cr4 & Cr4.PCE)) gp(0, 'RDPMC at CPL > 0 with CR4.PCE=0');
  const n = c.r[2] >>> 0;
  if (cpuModel.current.vendor !== 'AuthenticAMD' || n > 3) gp(0, `RDPMC of performance counter ${n}, which this CPU does not have`);
  c.setReg32(0, 0);
  c.setReg32(2, 0);
});
def(0x1a2, 'cpuid', false, Imm.NONE, (c) => cpuid(c, cpuModel.current));

// ------------------------------------------------------------------------------ HLT, flags, misc
def(0xf4, 'hlt', false, Imm.NONE, (c) => {
  requireCpl0(c, 'HLT');
  c.halted = true;
}, { endsBlock: true });

function iopl(c: Cpu): number {
  return (c.flags >>> 12) & 3;
}
def(0xfa, 'cli', false, Imm.NONE, (c) => {
  if ((c.cr0 & Cr0.PE) && c.cpl > iopl(c)) gp(0, `CLI at CPL ${c.cpl} > IOPL ${iopl(c)}`);
  c.flags &= ~Flag.IF;
});
def(0xfb, 'sti', false, Imm.NONE, (c) => {
  if ((c.cr0 & Cr0.PE) && c.cpl > iopl(c)) gp(0, `STI at CPL ${c.cpl} > IOPL ${iopl(c)}`);
  // STI shadow: interrupts are recognized only after the next instruction (SDM STI). STI does not end its block:
  // the run loop's interpreter ends one after an instruction that leaves an interrupt pending with IF set, and
  // the run loop then runs the next instruction alone before taking it.
  if (!(c.flags & Flag.IF)) c.shadowUntil = c.clock.instructions + 2;
  c.flags |= Flag.IF;
});
def(0xf5, 'cmc', false, Imm.NONE, (c) => { getFlags(c); c.flags ^= Flag.CF; });
def(0xf8, 'clc', false, Imm.NONE, (c) => { getFlags(c); c.flags &= ~Flag.CF; });
def(0xf9, 'stc', false, Imm.NONE, (c) => { getFlags(c); c.flags |= Flag.CF; });
def(0xfc, 'cld', false, Imm.NONE, (c) => { c.flags &= ~Flag.DF; });
def(0xfd, 'std', false, Imm.NONE, (c) => { c.flags |= Flag.DF; });
def(0x106, 'clts', false, Imm.NONE, (c) => { requireCpl0(c, 'CLTS'); c.cr0 &= ~Cr0.TS; });
def(0x108, 'invd', false, Imm.NONE, (c) => requireCpl0(c, 'INVD'));
def(0x109, 'wbinvd', false, Imm.NONE, (c) => requireCpl0(c, 'WBINVD'));
def(0x10b, 'ud2', false, Imm.NONE, () => ud('UD2'), { endsBlock: true });
def(0x1b9, 'ud1', true, Imm.NONE, () => ud('UD1'), { endsBlock: true });
def(0x1ff, 'ud0', true, Imm.NONE, () => ud('UD0'), { endsBlock: true });

// ------------------------------------------------------------------------------------------ I/O
/** IOPL and TSS I/O-permission-bitmap check (SDM Vol. 1 §19.5). */
export function checkIo(c: Cpu, port: number, size: number): void {
  if (!(c.cr0 & Cr0.PE) || (c.cpl <= iopl(c) && !(c.flags & Flag.VM))) return;
  const tr = Seg.TR;
  const limit = c.segLimit[tr];
  if (!(c.segAttr[tr] & Attr.P) || limit < 0x67) gp(0, `I/O port 0x${port.toString(16)} at CPL ${c.cpl} > IOPL without a TSS I/O bitmap`);
  const base = c.segBase[tr];
  const iomap = c.sysRd(c.addLinear(base, 0x66), 2);
  const byte = iomap + (port >>> 3);
  if (byte + 1 > limit) gp(0, `I/O port 0x${port.toString(16)} beyond the TSS I/O bitmap`);
  const bits = c.sysRd(c.addLinear(base, byte), 2);
  const mask = ((1 << size) - 1) << (port & 7);
  if (bits & mask) gp(0, `I/O port 0x${port.toString(16)} denied by the TSS I/O bitmap`);
}

function portIn(c: Cpu, port: number, size: number): number {
  checkIo(c, port, size);
  if (c.dr[7] & 0xff) noteIoAccess(c, port, size);
  noteDeviceRead(c, port);
  return c.bus.inPort(port, size);
}
function portOut(c: Cpu, port: number, size: number, v: number): void {
  checkIo(c, port, size);
  c.devTouched = true;
  if (c.dr[7] & 0xff) noteIoAccess(c, port, size);
  c.bus.outPort(port, size, size === 4 ? v >>> 0 : v & (size === 1 ? 0xff : 0xffff));
}
const ioSize = (i: Insn, byteForm: boolean): number => (byteForm ? 1 : i.osz === 2 ? 2 : 4);
/**
 * IN AL/AX/EAX: the port's value into the accumulator. A read of a clock port (the ACPI PM timer) that a loop
 * spins on waits first (spin-wait.ts): the instruction then runs again at the wait's end.
 */
function inAcc(c: Cpu, port: number, size: number): void {
  if (!c.bus.portIsClock(port)) {
    c.writeReg(0, 0, size, portIn(c, port, size), 0);
    return;
  }
  checkIo(c, port, size);
  if (c.dr[7] & 0xff) noteIoAccess(c, port, size);
  if (timeReadWaits(c, c.clock.instructions, WRITES_IN)) return;
  const v = c.bus.inPort(port, size);
  c.spinRead = v >>> 0;
  c.writeReg(0, 0, size, v, 0);
}
def(0xe4, 'in', false, Imm.IB, (c, i) => inAcc(c, i.imm & 0xff, 1));
def(0xe5, 'in', false, Imm.IB, (c, i) => inAcc(c, i.imm & 0xff, ioSize(i, false)));
def(0xec, 'in', false, Imm.NONE, (c) => inAcc(c, c.r[4] & 0xffff, 1));
def(0xed, 'in', false, Imm.NONE, (c, i) => inAcc(c, c.r[4] & 0xffff, ioSize(i, false)));
def(0xe6, 'out', false, Imm.IB, (c, i) => portOut(c, i.imm & 0xff, 1, c.r[0]), { endsBlock: true });
def(0xe7, 'out', false, Imm.IB, (c, i) => portOut(c, i.imm & 0xff, ioSize(i, false), c.r[0]), { endsBlock: true });
def(0xee, 'out', false, Imm.NONE, (c) => portOut(c, c.r[4] & 0xffff, 1, c.r[0]), { endsBlock: true });
def(0xef, 'out', false, Imm.NONE, (c, i) => portOut(c, c.r[4] & 0xffff, ioSize(i, false), c.r[0]), { endsBlock: true });
export { portIn, portOut };

// -------------------------------------------------------------------------------- SYSCALL/SYSRET
// SYSCALL in compatibility mode is vendor-specific: AMD64 enters 64-bit mode at CSTAR (APM Vol. 3 SYSCALL),
// Intel raises #UD (SDM Vol. 2 SYSCALL: CS.L = 0 → #UD). RCX gets the zero-extended return EIP there.
def(0x105, 'syscall', false, Imm.NONE, (c) => {
  if (!(c.efer & Efer.SCE) || !c.lma) ud('SYSCALL with EFER.SCE=0 or outside long mode');
  const fromLong = c.long;
  if (!fromLong && cpuModel.current.vendor !== 'AuthenticAMD') ud('SYSCALL in compatibility mode on an Intel CPU model');
  const next = c.ripHalves();
  c.setReg64(1, next, fromLong ? c.hi : 0);
  const fl = getFlags(c);
  c.setReg64(11, fl & ~Flag.RF, 0);
  const csSel = (c.starHi & 0xfffc);
  setSegment(c, Seg.CS, csSel, 0, 0xffffffff, 0xb | Attr.S | Attr.P | Attr.L | Attr.G);
  setSegment(c, Seg.SS, csSel + 8, 0, 0xffffffff, 0x3 | Attr.S | Attr.P | Attr.DB | Attr.G);
  c.setCpl(0);
  c.updateMode();
  c.flags = (fl & ~c.fmask & ~Flag.RF) | Flag.FIXED1;
  if (fromLong) c.jumpTo64(c.lstarLo, c.lstarHi); else c.jumpTo64(c.cstarLo, c.cstarHi);
}, { endsBlock: true });

def(0x107, 'sysret', false, Imm.NONE, (c, i) => {
  if (!(c.efer & Efer.SCE) || !c.lma) ud('SYSRET with EFER.SCE=0 or outside long mode');
  requireCpl0(c, 'SYSRET');
  const base = (c.starHi >>> 16) & 0xfffc;
  const to64 = i.osz === 8;
  if (to64 && (c.r[3] << 16) >> 16 !== c.r[3]) gp(0, 'SYSRET to a non-canonical RCX');
  const csSel = (to64 ? base + 16 : base) | 3;
  setSegment(c, Seg.CS, csSel, 0, 0xffffffff, 0xb | Attr.S | Attr.P | (3 << Attr.DPL_SHIFT) | Attr.G | (to64 ? Attr.L : Attr.DB));
  c.segSel[Seg.SS] = (base + 8) | 3;
  c.segAttr[Seg.SS] = 0x3 | Attr.S | Attr.P | (3 << Attr.DPL_SHIFT) | Attr.DB | Attr.G;
  c.segBase[Seg.SS] = 0;
  c.segLimit[Seg.SS] = 0xffffffff;
  c.setCpl(3);
  c.updateMode();
  c.lfOp = 0;
  c.flags = ((c.r[22] & 0x3c7fd7) | Flag.FIXED1) & ~Flag.RF;
  if (to64) c.jumpTo64(c.r[2], c.r[3]); else c.rip = c.r[2] >>> 0;
  // The single-step check of SYSCALL/SYSRET looks at TF after the instruction (cpu.ts debugStep): a SYSRET
  // that sets TF traps right away, at the user-mode return address.
  if (c.flags & Flag.TF) c.singleStepTrap();
}, { endsBlock: true });
void CR0_RESERVED_HI;
