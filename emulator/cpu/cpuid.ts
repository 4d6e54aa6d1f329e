import type { Cpu } from './cpu';
import { Cr4 } from './state';

/**
 * The CPU model CPUID reports (a coherent model: only features the emulator implements are advertised).
 *
 * Vendor: both models are AuthenticAMD, as QEMU's default qemu64 model is (family 15, model 107). Where Intel
 * and AMD differ architecturally, the emulator follows the model's vendor, and the default must be one vendor
 * coherently: kvm-unit-tests (like other guests) adapts to CPUID, and the lines QEMU TCG passes were recorded
 * against AuthenticAMD except msr (vendor=GenuineIntel, which checks nothing vendor-specific and passes
 * either way). The differences that matter here:
 *  - SYSCALL in compatibility mode enters 64-bit mode at CSTAR on AMD (APM Vol. 3 SYSCALL); Intel raises #UD
 *    (SDM Vol. 2 SYSCALL). kvm-unit-tests syscall ("syscall TF handling") needs the AMD behaviour.
 *  - An instruction breakpoint on the instruction after MOV SS: Intel suppresses it while MOV SS blocking is
 *    active (SDM Vol. 3 §6.8.3); AMD delivers it. kvm-unit-tests emulator expects whichever CPUID names.
 *  - SYSENTER/SYSEXIT are #UD in long mode on AMD (APM Vol. 3); the emulator implements neither.
 *
 * 'faultline' (default): an AuthenticAMD long-mode CPU with x87/SSE/SSE2/SSE3/SSSE3/SSE4.1/SSE4.2, FXSR, XSAVE (x87+SSE+AVX state),
 * PCLMULQDQ, POPCNT, LZCNT, MOVBE, BMI1, BMI2, ADX,
 * AVX (every VEX-encoded AVX instruction: avx*.ts; not AVX2/FMA/F16C),
 * NX, 1 GiB pages, SYSCALL, RDTSCP, x2APIC, TSC-deadline, invariant TSC, SMEP/SMAP/UMIP, CLFLUSHOPT/CLWB/PCOMMIT,
 * FSGSBASE off (as qemu64; 'max' reports it).
 * 'max': everything the emulator implements: 'faultline' plus FSGSBASE.
 * 'qemu64': QEMU's default model's vendor and feature set but SVM: QEMU's qemu64 reports AMD-V
 * (Fn8000_0001_ECX bit 2; TCG emulates it), which Faultline does not implement, so it is not reported (Syslinux's
 * cpuidtest.c32 lists "svm" under QEMU and not here; nothing else differs).
 */
export interface CpuModel {
  name: string;
  vendor: string;
  /** Leaf 1 EAX (family/model/stepping). */
  signature: number;
  leaf1Ecx: number;
  leaf1Edx: number;
  leaf7Ebx: number;
  leaf7Ecx: number;
  ext1Ecx: number;
  ext1Edx: number;
  brand: string;
  /** XCR0 bits XSAVE supports (0 = no XSAVE). */
  xcr0Mask: number;
  invariantTsc: boolean;
}

const EDX_BASE = (1 << 0) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 8) | (1 << 9) | (1 << 11) |
  (1 << 12) | (1 << 13) | (1 << 15) | (1 << 16) | (1 << 17) | (1 << 19) | (1 << 23) | (1 << 24) | (1 << 25) | (1 << 26);
// fpu de pse tsc msr pae cx8 apic sep mtrr pge cmov pat pse36 clflush mmx fxsr sse sse2 (+mce mca); DE: CR4.DE's
// I/O breakpoints and DR4/DR5 #UD (debug.ts, system.ts)

/**
 * AMD's CPUID 8000_0001h EDX repeats these bits of leaf 1 EDX (APM Vol. 3 Appendix E.4.2: fpu vme de pse tsc msr
 * pae mce cx8 apic mtrr pge mca cmov pat pse36 mmx fxsr); QEMU copies them for AMD models (CPUID_EXT2_AMD_ALIASES).
 */
const AMD_EDX_ALIASES = 0x0183f3ff;

/**
 * L1 and L2 TLB and cache descriptions of CPUID 8000_0005h and 8000_0006h (APM Vol. 3 Appendix E.4.4, E.4.5), as
 * QEMU reports them for its AMD models (target/i386/cpu.c, the legacy AMD cache info): 255-entry direct-mapped L1
 * TLBs for 2/4 MiB and 4 KiB pages, 64 KiB 2-way L1 data and instruction caches with 64-byte lines, no 2/4 MiB L2
 * TLB, 512-entry 4-way L2 TLBs for 4 KiB pages, a 512 KiB 16-way L2 and a 16 MiB 16-way L3. Linux prints the last
 * level TLB sizes from them ("Last level iTLB entries: 4KB 512, 2MB 255, 4MB 127") and memtest86+ the cache sizes.
 * They describe no behaviour: Faultline's software TLB and the absence of caches are not guest-visible.
 */
const AMD_L1_INFO = [0x01ff01ff, 0x01ff01ff, 0x40020140, 0x40020140];
const AMD_L2_INFO = [0x00000000, 0x42004200, 0x02008140, 0x00808140];

const FAULTLINE: CpuModel = {
  name: 'faultline',
  vendor: 'AuthenticAMD',
  // family 15, model 107, stepping 1: qemu64's, so guests take the code paths they take under QEMU
  signature: 0x00060fb1,
  // sse3 (0), pclmulqdq (1), ssse3 (9), cx16 (13), sse4.1 (19), sse4.2 (20), x2apic (21), movbe (22), popcnt (23),
  // tsc-deadline (24), xsave (26), avx (28: the YMM state and every AVX instruction, avx*.ts), hypervisor (31)
  leaf1Ecx: (1 << 0) | (1 << 1) | (1 << 9) | (1 << 13) | (1 << 19) | (1 << 20) | (1 << 21) | (1 << 22) | (1 << 23) |
    (1 << 24) | (1 << 26) | (1 << 28) | (1 << 31),
  leaf1Edx: EDX_BASE | (1 << 7) | (1 << 14),
  // bmi1 (3), smep (7), bmi2 (8), adx (19; bmi.ts), smap (20), pcommit (22), clflushopt (23), clwb (24):
  // the cache-line and persistent-memory hints are accepted and only check their operand (kvm-unit-tests'
  // memory test runs them)
  leaf7Ebx: (1 << 3) | (1 << 7) | (1 << 8) | (1 << 19) | (1 << 20) | (1 << 22) | (1 << 23) | (1 << 24),
  // umip (2), pku (3; OSPKE, bit 4, mirrors CR4.PKE), pks (31): protection keys (pkeys.ts)
  leaf7Ecx: (1 << 2) | (1 << 3) | (1 << 31),
  // lahf_lm (0), abm/lzcnt (5)
  ext1Ecx: (1 << 0) | (1 << 5),
  // syscall (11), nx (20), pdpe1gb (26), rdtscp (27), lm (29)
  ext1Edx: (1 << 11) | (1 << 20) | (1 << 26) | (1 << 27) | (1 << 29),
  brand: 'Faultline virtual x86-64 CPU',
  xcr0Mask: 7,
  invariantTsc: true,
};

export const CPU_MODELS: Record<string, CpuModel> = {
  faultline: FAULTLINE,
  // everything implemented: the default plus FSGSBASE (fsgsbase.ts)
  max: { ...FAULTLINE, name: 'max', leaf7Ebx: FAULTLINE.leaf7Ebx | (1 << 0) },
  qemu64: {
    name: 'qemu64',
    vendor: 'AuthenticAMD',
    signature: 0x00060fb1,
    leaf1Ecx: (1 << 0) | (1 << 13) | (1 << 31),
    leaf1Edx: EDX_BASE | (1 << 7) | (1 << 14),
    leaf7Ebx: 0,
    leaf7Ecx: 0,
    ext1Ecx: 1 << 0,
    ext1Edx: (1 << 11) | (1 << 20) | (1 << 29),
    brand: 'QEMU Virtual CPU version 2.5+',
    xcr0Mask: 0,
    invariantTsc: false,
  },
};

/** The APIC ID bits that number `n` cores in a package: ceil(log2(n)). */
function coreIdBits(n: number): number {
  return n > 1 ? 32 - Math.clz32(n - 1) : 0;
}

function str4(s: string, k: number): number {
  let v = 0;
  for (let j = 3; j >= 0; j--) v = (v << 8) | (s.charCodeAt(k + j) || 0);
  return v | 0;
}

/** Fill EAX, EBX, ECX, EDX for leaf EAX / subleaf ECX. */
/**
 * IA32_APIC_BASE.EN is clear: the processor then reports no APIC in CPUID (SDM Vol. 3A §11.4.3; AMD APM
 * Vol. 2 §16.3.1 for Fn8000_0001_EDX too).
 */
function apicDisabled(c: Cpu): boolean {
  const base = c.host.readMsr(0x1b);
  return base !== undefined && (base[0] & 0x800) === 0;
}

export function cpuid(c: Cpu, m: CpuModel): void {
  const leaf = c.r[0] >>> 0;
  const sub = c.r[2] >>> 0; // ECX (r[2 * 1])
  let a = 0, b = 0, cx = 0, d = 0;
  const vendor = m.vendor;
  switch (leaf) {
    case 0: a = 0xd; b = str4(vendor, 0); d = str4(vendor, 4); cx = str4(vendor, 8); break;
    case 1:
      a = m.signature;
      // Initial APIC ID, logical processors per package, CLFLUSH line 64 bytes. With several CPUs QEMU's
      // `-smp N` makes them N cores of one package: EBX[23:16] = N and EDX.HTT (bit 28); with one, both 0 (the
      // field is defined only with HTT set; QEMU leaves it 0).
      b = (c.apicId << 24) | ((c.cpuCount > 1 ? c.cpuCount : 0) << 16) | (8 << 8);
      cx = m.leaf1Ecx | ((c.cr4 & Cr4.OSXSAVE) && m.xcr0Mask ? 1 << 27 : 0);
      if (!m.xcr0Mask) cx &= ~(1 << 26);
      d = (m.leaf1Edx & ~(apicDisabled(c) ? 1 << 9 : 0)) | (c.cpuCount > 1 ? 1 << 28 : 0);
      break;
    case 7:
      if (sub === 0) { b = m.leaf7Ebx; cx = m.leaf7Ecx | ((c.cr4 & Cr4.PKE) ? 1 << 4 : 0); }
      break;
    case 0xb: {
      // Extended topology, as QEMU's -smp N: one package of N cores of one thread. Sub-leaf 0 is the SMT level
      // (no APIC ID bits, one thread), 1 the core level (the APIC ID bits below the package number, N logical
      // processors), then the invalid level; ECX[7:0] echoes the sub-leaf, EDX is the x2APIC ID.
      cx = sub & 0xff;
      d = c.apicId;
      if (cx === 0) { b = 1; cx |= 1 << 8; }
      else if (cx === 1) { a = coreIdBits(c.cpuCount); b = c.cpuCount; cx |= 2 << 8; }
      break;
    }
    case 0xd:
      if (!m.xcr0Mask) break;
      // Sub-leaf 0: supported XCR0 bits; EBX = area size for the current XCR0, ECX = for every bit.
      if (sub === 0) { a = m.xcr0Mask; b = c.xcr0 & 4 ? 832 : 576; cx = m.xcr0Mask & 4 ? 832 : 576; d = 0; }
      else if (sub === 1) { a = 1; } // XSAVEOPT
      else if (sub === 2 && (m.xcr0Mask & 4)) { a = 256; b = 576; } // AVX component: size, offset
      break;
    case 0x80000000: a = 0x80000008; b = str4(vendor, 0); d = str4(vendor, 4); cx = str4(vendor, 8); break;
    case 0x80000001:
      // AMD: EAX is the signature of leaf 1, and EDX repeats leaf 1's legacy feature bits (APM Vol. 3 E.4.2).
      cx = m.ext1Ecx;
      d = m.ext1Edx;
      if (vendor === 'AuthenticAMD') { a = m.signature; d |= m.leaf1Edx & AMD_EDX_ALIASES; }
      d &= ~(apicDisabled(c) ? 1 << 9 : 0);
      // CmpLegacy: several cores in the package (QEMU sets it for any vendor but Intel).
      if (c.cpuCount > 1 && vendor !== 'GenuineIntel') cx |= 1 << 1;
      break;
    case 0x80000002: case 0x80000003: case 0x80000004: {
      const s = m.brand.padEnd(48, '\0');
      const k = (leaf - 0x80000002) * 16;
      a = str4(s, k); b = str4(s, k + 4); cx = str4(s, k + 8); d = str4(s, k + 12);
      break;
    }
    case 0x80000005: if (vendor === 'AuthenticAMD') [a, b, cx, d] = AMD_L1_INFO; break;
    case 0x80000006: if (vendor === 'AuthenticAMD') [a, b, cx, d] = AMD_L2_INFO; break;
    case 0x80000007: d = m.invariantTsc ? 1 << 8 : 0; break;
    case 0x80000008:
      a = 40 | (48 << 8);
      // ECX: the APIC ID bits that number the cores (ApicIdCoreIdSize) and the package's cores less one (NC),
      // 0 with one CPU, as QEMU.
      if (c.cpuCount > 1) cx = (coreIdBits(c.cpuCount) << 12) | (c.cpuCount - 1);
      break;
    default: break;
  }
  c.setReg32(0, a);
  c.setReg32(3, b);
  c.setReg32(1, cx);
  c.setReg32(2, d);
}
