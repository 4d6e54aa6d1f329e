// The kvm-unit-tests x86 suite as upstream's runner runs it: every entry of x86/unittests.cfg (upstream commit
// in ../shared/kvm-unit-tests/UPSTREAM_COMMIT) with its parameters, the CPU model we run it on, and the entries
// left out because they need KVM itself, each with the reason. A directory of binaries holds ENTRY.flat (the
// entry's `file`, copied under the entry's name) and ENTRY.qemu-tcg.log (QEMU TCG's serial output and exit
// status, recorded with the command line in ../shared/kvm-unit-tests/README.md plus the entry's -smp, -append
// and qemu_params), the layout of ../shared/kvm-unit-tests.

export interface SuiteEntry {
  /** The binary upstream's cfg names (x86/FILE). */
  file: string;
  /** Only in this build (cfg `arch`); both builds when absent. */
  arch?: 'x86_64' | 'i386';
  /** QEMU's -cpu argument from qemu_params (the default qemu64 when absent). */
  qemuCpu?: string;
  /** Our --cpu model for it (see cpuFor). */
  cpu?: string;
  /** cfg `smp`: the machine's CPUs (MachineOptions.smp), as QEMU's -smp. */
  smp?: number;
  /** cfg `test_args`, passed as the multiboot command line (QEMU's -append). */
  args?: string;
  /** cfg `timeout` in seconds (upstream default 90). */
  timeoutS?: number;
  /** A measurement, not a check: it prints no PASS line (see BENCHMARK_ONLY in kut.ts). */
  benchmark?: string;
  /**
   * Why the test needs SeaBIOS itself (every test boots through SeaBIOS and the multiboot option ROM, as
   * qemu -kernel and Faultline's default do, when SeaBIOS is installed; these fail without it).
   */
  firmware?: string;
  /**
   * More guest instructions than DEFAULT_LIMITS gives (kut.ts), with why. The wall-clock limit grows in
   * proportion.
   */
  instructions?: { count: number; why: string };
}

const VMEXIT = 'vmexit measures the cycles per exit of an instruction (10^9-cycle loops timed by RDTSC); it prints no PASS line';

/**
 * The entries we run. Our CPU model: 'faultline' (the default; it reports a superset of what `-cpu qemu64,+x`
 * and, for what is implemented, `-cpu max` enable) unless the entry removes a feature the default reports, then
 * 'qemu64' (QEMU's default model's feature set).
 */
export const SUITE: Record<string, SuiteEntry> = {
  x2apic: { file: 'apic', arch: 'x86_64', smp: 2, qemuCpu: 'qemu64,+x2apic,+tsc-deadline', timeoutS: 30 },
  xapic: { file: 'apic', arch: 'x86_64', smp: 2, qemuCpu: 'qemu64,-x2apic,+tsc-deadline', cpu: 'qemu64', timeoutS: 60 },
  ioapic: { file: 'ioapic', arch: 'x86_64', smp: 4, qemuCpu: 'qemu64,+x2apic' },
  cmpxchg8b: { file: 'cmpxchg8b', arch: 'i386' },
  smptest: { file: 'smptest', smp: 2 },
  smptest3: { file: 'smptest', smp: 3 },
  vmexit_cpuid: { file: 'vmexit', args: 'cpuid', benchmark: VMEXIT },
  vmexit_vmcall: { file: 'vmexit', args: 'vmcall', benchmark: VMEXIT },
  vmexit_mov_from_cr8: { file: 'vmexit', args: 'mov_from_cr8', benchmark: VMEXIT },
  vmexit_mov_to_cr8: { file: 'vmexit', args: 'mov_to_cr8', benchmark: VMEXIT },
  vmexit_inl_pmtimer: { file: 'vmexit', args: 'inl_from_pmtimer', benchmark: VMEXIT },
  vmexit_ipi: { file: 'vmexit', smp: 2, args: 'ipi', benchmark: VMEXIT },
  vmexit_ipi_halt: { file: 'vmexit', smp: 2, args: 'ipi_halt', benchmark: VMEXIT },
  vmexit_ple_round_robin: { file: 'vmexit', args: 'ple_round_robin', benchmark: VMEXIT },
  vmexit_tscdeadline: { file: 'vmexit', args: 'tscdeadline', qemuCpu: 'qemu64,+x2apic,+tsc-deadline', benchmark: VMEXIT },
  vmexit_tscdeadline_immed: { file: 'vmexit', args: 'tscdeadline_immed', qemuCpu: 'qemu64,+x2apic,+tsc-deadline', benchmark: VMEXIT },
  vmexit_cr0_wp: { file: 'vmexit', smp: 2, args: 'toggle_cr0_wp', benchmark: VMEXIT },
  vmexit_cr4_pge: { file: 'vmexit', smp: 2, args: 'toggle_cr4_pge', benchmark: VMEXIT },
  access: { file: 'access_test', arch: 'x86_64', qemuCpu: 'max,host-phys-bits' },
  smap: { file: 'smap', qemuCpu: 'max' },
  pku: { file: 'pku', arch: 'x86_64', qemuCpu: 'max' },
  pks: { file: 'pks', arch: 'x86_64', qemuCpu: 'max' },
  emulator: { file: 'emulator' },
  eventinj: { file: 'eventinj' },
  idt_test: { file: 'idt_test', arch: 'x86_64' },
  memory: { file: 'memory', arch: 'x86_64', qemuCpu: 'max' },
  msr: { file: 'msr', qemuCpu: 'max,vendor=GenuineIntel' },
  msr64: { file: 'msr', arch: 'x86_64', qemuCpu: 'qemu64,vendor=GenuineIntel' },
  realmode: { file: 'realmode', firmware: 'its "sti inhibit" case halts until IRQ0: SeaBIOS leaves the PIT ticking with a handler in the IVT, the direct load does not' },
  s3: {
    file: 's3',
    firmware: 'after the S3 wake-up reset SeaBIOS resumes the test at the FACS waking vector (CMOS 0x0F = 0xFE)',
    instructions: { count: 2_500_000_000, why: 'virtual time: it polls the RTC up to a second (UIP) before it suspends, and sleeps up to a second until the RTC alarm wakes it (10^9 ns each; the sleep passes without executing)' },
  },
  setjmp: { file: 'setjmp' },
  sieve: { file: 'sieve', timeoutS: 180, benchmark: 'CPU- and paging-heavy: npm run bench runs it' },
  syscall: { file: 'syscall', arch: 'x86_64', qemuCpu: 'Opteron_G1,vendor=AuthenticAMD' },
  tsc: { file: 'tsc', qemuCpu: 'max' },
  tsc_adjust: { file: 'tsc_adjust', qemuCpu: 'max' },
  xsave: { file: 'xsave', arch: 'x86_64', qemuCpu: 'max' },
  rmap_chain: { file: 'rmap_chain', arch: 'x86_64' },
  taskswitch: { file: 'taskswitch', arch: 'i386' },
  taskswitch2: { file: 'taskswitch2', arch: 'i386' },
  'pcid-enabled': { file: 'pcid', arch: 'x86_64', qemuCpu: 'qemu64,+pcid,+invpcid' },
  'pcid-disabled': { file: 'pcid', arch: 'x86_64', qemuCpu: 'qemu64,-pcid,-invpcid' },
  'pcid-asymmetric': { file: 'pcid', arch: 'x86_64', qemuCpu: 'qemu64,-pcid,+invpcid' },
  rdpru: { file: 'rdpru', arch: 'x86_64', qemuCpu: 'max' },
  umip: { file: 'umip', qemuCpu: 'qemu64,+umip' },
  la57: { file: 'la57', qemuCpu: 'max,host-phys-bits' },
  debug: { file: 'debug', arch: 'x86_64' },
  'tsx-ctrl': { file: 'tsx-ctrl', qemuCpu: 'max' },
};

/** The cfg entries left out: they test KVM (the hypervisor) itself, not the machine it presents. */
export const LEFT_OUT: Record<string, string> = {
  access_fep: 'force_emulation: KVM\'s forced-emulation prefix (ud2; "kvm") and its force_emulation_prefix module parameter',
  'access-reduced-maxphyaddr': 'needs kvm_intel.allow_smaller_maxphyaddr (KVM\'s MAXPHYADDR emulation)',
  asyncpf: '-cpu host: KVM asynchronous page faults (a paravirtual KVM feature)',
  hypercall: 'KVM hypercalls (VMCALL/VMMCALL answered by the KVM host)',
  pmu: 'accel = kvm: the host PMU through KVM',
  pmu_lbr: 'accel = kvm, -cpu host: the host\'s LBR MSRs through KVM',
  pmu_pebs: 'accel = kvm, -cpu host: the host\'s PEBS through KVM',
  vmware_backdoors: 'accel = kvm: KVM\'s enable_vmware_backdoor module parameter',
  kvmclock_test: 'kvmclock: a KVM paravirtual clock',
  svm: 'nested virtualization (AMD SVM)',
  svm_unsupported_instruction_intercept_test: 'nested virtualization (AMD SVM)',
  svm_no_npt: 'nested virtualization (AMD SVM)',
  svm_pause_filter: 'nested virtualization (AMD SVM)',
  svm_npt: 'nested virtualization (AMD SVM)',
  vmx: 'nested virtualization (Intel VMX)',
  ept: 'nested virtualization (Intel VMX/EPT)',
  'ept-mbec': 'nested virtualization (Intel VMX/EPT)',
  vmx_eoi_bitmap_ioapic_scan: 'nested virtualization (Intel VMX)',
  vmx_hlt_with_rvi_test: 'nested virtualization (Intel VMX)',
  vmx_apicv_test: 'nested virtualization (Intel VMX)',
  vmx_posted_intr_test: 'nested virtualization (Intel VMX)',
  vmx_apic_passthrough_thread: 'nested virtualization (Intel VMX)',
  vmx_init_signal_test: 'nested virtualization (Intel VMX)',
  vmx_sipi_signal_test: 'nested virtualization (Intel VMX)',
  vmx_apic_passthrough_tpr_threshold_test: 'nested virtualization (Intel VMX)',
  vmx_vmcs_shadow_test: 'nested virtualization (Intel VMX)',
  vmx_pf_exception_test: 'nested virtualization (Intel VMX)',
  vmx_pf_exception_test_fep: 'nested virtualization (Intel VMX)',
  vmx_pf_vpid_test: 'nested virtualization (Intel VMX)',
  vmx_pf_invvpid_test: 'nested virtualization (Intel VMX)',
  vmx_pf_no_vpid_test: 'nested virtualization (Intel VMX)',
  vmx_pf_exception_test_reduced_maxphyaddr: 'nested virtualization (Intel VMX)',
  hyperv_synic: 'Hyper-V enlightenments (-cpu host,hv_passthrough)',
  hyperv_connections: 'Hyper-V enlightenments (-cpu host,hv_passthrough)',
  hyperv_stimer: 'Hyper-V enlightenments (-cpu host,hv_passthrough)',
  hyperv_stimer_direct: 'Hyper-V enlightenments (-cpu host,hv_passthrough)',
  hyperv_clock: 'Hyper-V enlightenments (-cpu host,hv_passthrough)',
  intel_iommu: 'the q35 machine with kernel-irqchip=split (KVM), an Intel IOMMU and the edu device: not the pc machine',
  cet: '-enable-kvm -cpu host: the host\'s CET through KVM',
  lam: '-enable-kvm: the host\'s LAM through KVM',
};

/** Our CPU model for an entry. */
export function cpuFor(name: string): string {
  return SUITE[name]?.cpu ?? 'faultline';
}

/**
 * Lines QEMU TCG never prints because its run hangs or breaks before them, while the SDM and hardware pass
 * them. The table lists them with ours beside QEMU's FAIL lines; the gate requires them to pass, and accepts
 * status 1 (every line passed) for these tests.
 */
export const HW_ONLY_LINES: Record<string, { lines: string[]; why: string }> = {
  idt_test: {
    lines: ['Testing #GP rflags.rf', 'Testing #UD rflags.rf'],
    why: 'a fault pushes RFLAGS with RF = 1 (SDM §18.3.1.1); QEMU TCG\'s run hangs after "Starting IDT test"',
  },
  debug: {
    lines: [
      'Single-Step + ICEBP #DB w/ MOVSS blocking', 'Usermode Single-Step + ICEBP #DB w/ MOVSS blocking',
      'Single-step #DB w/ MOVSS blocking and DR7.GD=1', 'Single-step #DB w/ STI;HLT',
      'hw watchpoint (test that dr6.BS is not cleared)', 'hw watchpoint (test that dr6.BS is not set)', 'icebp',
      'MOV SS + watchpoint + ICEBP', 'MOV SS + watchpoint + int $1', 'MOV SS + watchpoint + INT3',
    ],
    why: 'ICEBP, DR7.GD, data breakpoints and their MOV SS interplay (SDM ch. 18); QEMU TCG\'s run hangs at the first ICEBP after MOV SS',
  },
  ioapic: {
    lines: [
      'ioapic logical destination mode', 'Reconfigure Remote IRR set', 'Higher priority IRQ should be blocked until IRET restores RFLAGS.IF',
      'Reconfigure self highest priority', 'Reconfigure self lower priority',
    ],
    why: 'smp 4: redirection to a logical destination and the tests after it (SDM Vol. 3 §11.6.2.2, the I/O APIC\'s redirection table); QEMU TCG\'s run hangs in "ioapic logical destination mode" (status 124)',
  },
  taskswitch2: {
    lines: ['VM86', 'lcall with cs.rpl != cs.dpl'],
    why: 'a task switch into a VM86 task and back (SDM §7.3, §20.2); under QEMU TCG the VM86 task prints garbage and the run ends with status 5',
  },
};
