import { VirtualClock } from '../clock';
import { IoBus } from '../devices/bus';
import { PhysicalMemory } from '../memory/phys';
import { decode } from './decoder';
import { FAULT, gp, raise, ss } from './fault';
import { Insn, OpcodeSpec } from './insn';
import { BlockFn, BLOCK_QUIET, translateBlock } from './jit';
import { isCondBranch, opSize } from './jit-classify';
import { POLL_DX, POLL_MEMORY, POLL_NONE, pollLoopPort, pollReads } from './poll-loop';
import { Access, walk, walkOut } from './paging';
import { Attr, Cr0, Cr4, CpuState, Flag, Seg, TWO32, TWO47, TWO48, widenFields } from './state';
import { cpuModel } from './system';
import { dataBpOnPage, DR6_B_MASK, DR6_BS, noteDataAccess } from './debug';

/** 2^32, 2^47, 2^48 as literals in the compiled code (small bytecode for the helpers V8 must inline: addr64). */
const enum Big { TWO32 = 4294967296, TWO47 = 140737488355328, TWO48 = 281474976710656 }

/**
 * Whether the stack access of `size` bytes at RSP = (hi:lo) is canonical: lin()'s test (offset in
 * [-2^47, 2^47 - size]) on the halves. The stack fast paths (push, pop, peek) use it; the rest go through lin().
 */
function canonicalSp(lo: number, hi: number, size: number): boolean {
  return hi >= -0x8000 && (hi < 0x7fff || (hi === 0x7fff && (lo >>> 0) <= 0x100000000 - size));
}

/**
 * `a % 2^32` (a linear address outside 64-bit mode: base + offset wraps at 4 GiB). `%` on a double is a
 * call into V8's runtime (fmod), tens of nanoseconds per memory access; the common case needs none.
 */
export function wrap32(a: number): number {
  return a >= 0 && a < TWO32 ? a : a % TWO32;
}

/** Why Cpu.run() returned. */
export const enum Exit {
  BUDGET = 0,
  /** A GuestFault was raised; FAULT holds it and RIP is at the faulting instruction (traps: after it). */
  FAULT = 1,
  /** An external interrupt is deliverable (IF=1, no shadow). */
  IRQ = 2,
  /** HLT executed, or still halted. */
  HALT = 3,
  /** stopRequested was set (pause, breakpoint, watchpoint, device exit/reset). */
  STOP = 4,
  /** An NMI is deliverable (not blocked by a previous NMI or the MOV SS/STI shadow; IF does not matter). */
  NMI = 5,
}

/**
 * Software TLB entries per access kind (direct-mapped by the low bits of the virtual page number). 2^16
 * pages = 256 MiB of linear space, so working sets like kvm-unit-tests sieve's 100 MB array stay resident.
 */
export const TLB_SIZE = 1 << 16;
export const TLB_MASK = TLB_SIZE - 1;
/** Watched access kinds of a debugger watchpoint (WatchRange.kinds). */
export const WATCH_WRITE = 1;
export const WATCH_READ = 2;

/** A debugger watchpoint: linear [start, end), stopping after an instruction that accesses it as `kinds` says. */
export interface WatchRange { start: number; end: number; kinds: number }

/**
 * Read translations of MMIO pages (the local APIC, IOAPIC, VGA, HPET windows), which the TLB never holds: a
 * kernel that reads its APIC ID at every lock (xv6: mycpu() in pushcli/popcli) would page-walk each time.
 */
const MMIO_TLB_SIZE = 16;
/** TLB generations (Cpu.rb/wb): the bias's 12 low bits hold the user bit and 11 bits of generation. */
const TLB_GENERATIONS = 2048;
const MAX_BLOCK = 64;
/**
 * A block that reaches MAX_BLOCK instructions is decoded on, up to this many, to see whether a branch back to
 * its start follows on the same page: a loop body that long (the Linux decompressor's BCJ filter: 75
 * instructions, 64 M iterations) then becomes one loop block that its translation iterates in place, instead of
 * two blocks entered in turn each iteration. Without such a branch the block ends at MAX_BLOCK as before.
 */
const MAX_LOOP_BLOCK = 192;

/** Whether `insn`, ending `end` bytes into its block, is a Jcc or JMP rel back to the block's start (a loop). */
function branchesToStart(insn: Insn, end: number): boolean {
  return (isCondBranch(insn) || insn.op === 0xeb || insn.op === 0xe9) && end + insn.imm === 0;
}
/** Slots of the direct-mapped block cache (a kernel's code spans megabytes: 16 Ki slots by the low bits collided). */
const BLOCK_CACHE = 1 << 16;
/**
 * Its slots at first: it doubles whenever the blocks outnumber half its slots, up to BLOCK_CACHE. A 64 Ki-slot JS
 * array costs ~2 ms to allocate and fill in a fresh process, where a short kernel builds a hundred blocks.
 */
const BLOCK_CACHE_FIRST = 1 << 10;
/** Stores that find only stale code marks (Cpu.invalidateCode) before a page's marks are rebuilt from its blocks. */
const STALE_STORES = 16;
/**
 * Executions of a non-loop block before it is translated to JS (jit.ts). A translation costs ~0.8 ms of CPU
 * (0.3 ms generating ~6 KB of JS per block on the Linux kernel, 0.5 ms in new Function, then V8's optimizing
 * compiler on a background thread, which competes for the same two cores), and V8 runs it in its bytecode
 * interpreter until the function has run long enough to be optimized: code that runs only thousands of times is
 * faster in the (optimized) interpreter. Measured on the Linux boot's kernel initialization (610 M instructions
 * after decompression, CPU time, same process): 1024: 30.6-38.1 s, no translation: 21.0-22.9 s, 4096: 25.6-32.3 s,
 * 8000: 19.2 s, 20 000: 19.1-22.2 s, 40 000: 16.2-19.7 s, 100 000: 21.0 s; bench-paging and the first 1.5 G
 * instructions of sieve alike at 1024 and 20 000 (their hot code is loops). SeaBIOS's POST is short blocks
 * between mode switches and port I/O, most run a few thousand times (reset -> kernel entry: 0.8 s of CPU
 * translating after 64 runs, 0.45 s after 20 000, as without translation). GRUB from an ISO (reset -> the
 * kernel's entry, bench/boot.ts, CPU time, best of 3-4 interleaved runs): 20 000: 3.67-4.1 s, 40 000: 3.2 s,
 * 50 000: 3.0-3.2 s, 100 000: 3.1 s; the floppy boot (its 20 ms FDC wait is hot real-mode blocks) alike at 20 000
 * and 50 000, 6% slower at 100 000. 40 000 is also the Linux figure's best above.
 */
const JIT_THRESHOLD = 40_000;
/**
 * A loop block (one that branches back to its start) is translated once it has iterated 64 times in a row: one
 * call of its translation runs many iterations, so V8 optimizes it while it runs (bench-paging is ~10% faster
 * than at 1024). In a row, not 64 times in all: a short loop entered again and again (a string copy, a delay of
 * a few rounds) waits for JIT_THRESHOLD like any block. SeaBIOS's POST with a kernel translated 16 loops at 64 in
 * all, and 13 of them then retired under 13 000 instructions each: each a new Function and a V8 compile for
 * nothing; 8 of them never ran 64 times in a row (the memset and memcpy loops that retire millions still do).
 */
const LOOP_JIT_THRESHOLD = 64;

/** A run of decoded instructions from one physical start address, ending at a branch or page end. */
export class Block {
  // Fields in the order the run loop reads them (chained(), then the block's own): one or two cache lines per
  // block touched instead of three; a kernel's interpreted blocks are many more than the caches hold.
  /**
   * Chaining (Cpu.run): the last two blocks that ran right after this one, each with the linear RIP it started
   * at and the TLB epoch (plus the user bit) it was found under. While the epoch holds, that linear address
   * still maps to the same physical block, so the run loop skips the TLB and block-cache lookups.
   */
  next: Block | null = null;
  nextLa = -1;
  nextEp = -1;
  /**
   * The code mode it was decoded for (0: 16-bit, 1: 32-bit, 2: 64-bit), or -1 once dropped (invalidateCode): the
   * chain check's comparison with the running mode also tells a dropped block (V8 tests a boolean field as any
   * value), and `valid` is derived from it.
   */
  mode: number;
  /** insns.length, kept beside the fields runChain reads (insns is an object of its own: one more cache line). */
  n = 0;
  insns: Insn[] = [];
  /** The translated block (jit.ts), once it is hot; null while interpreted. */
  fn: BlockFn | null = null;
  hits = 0;
  /** A loop block's iterations in a row: runs that came right after its own previous run (see LOOP_JIT_THRESHOLD). */
  streak = 0;
  /** The port it polls when the block is a polling loop (poll-loop.ts), else POLL_NONE. */
  pollPort = POLL_NONE;
  /** The block ends in a branch back to its start (a loop its translation iterates in place). */
  loops = false;
  next2: Block | null = null;
  next2La = -1;
  next2Ep = -1;
  /** Linear RIP the breakpoint check was computed for, and its result. */
  bpRip = -1;
  bpGen = -1;
  hasBp = false;
  /** The polling loop reads memory too (its reads must hit RAM or ROM for its iterations to be skipped). */
  pollMem = false;
  /**
   * Its bytes in physical memory: first and last byte on the start page, and on the page its last instruction
   * runs into (lo2 = -1 when it stays on one page). A store drops only the blocks whose bytes it overlaps.
   */
  lo = -1;
  hi = -1;
  lo2 = -1;
  hi2 = -1;
  constructor(readonly key: number, mode: number) { this.mode = mode; }

  /** Not dropped by a store to its code or a remap of its bytes (invalidateCode). */
  get valid(): boolean { return this.mode >= 0; }
}

/** Interface the machine provides for things the CPU core does not own. */
export interface CpuHost {
  /** Read/write an MSR the CPU does not store itself (APIC, …); return undefined if unknown (→ #GP). */
  readMsr(index: number): [number, number] | undefined;
  writeMsr(index: number, lo: number, hi: number): boolean;
  /** CR8 is the local APIC's TPR[7:4] (SDM Vol. 3A §11.8.6.1); without these the CPU keeps its own CR8. */
  readCr8?(): number;
  writeCr8?(value: number): void;
  /** Called when paging structures or modes change in ways the machine tracks (optional). */
  onModeChange?(): void;
}

/**
 * The CPU: architectural state (CpuState) plus the memory pipeline (segmentation → software TLB → page walk
 * → physical memory), the decode cache of blocks, and the run loop. Instruction semantics live in the family
 * files (alu.ts, control.ts, …) as handlers listed in opcodes.ts.
 */
export class Cpu extends CpuState {
  /** High half of the last 64-bit read (rd64/readE with size 8) and of some results. */
  hi = 0;
  /** Set to make run() return Exit.STOP after the current instruction. */
  stopRequested = false;
  /** Translate hot blocks to JS (jit.ts). Off: every instruction runs through the interpreter. */
  jit = true;
  /** Executions of a block before it is translated (tests lower it to 1 to translate everything at once). */
  jitThreshold = JIT_THRESHOLD;
  /** Retire polling loops' identical iterations at once (poll-loop.ts); off only to compare in tests. */
  pollSkip = true;
  /** Let a spinning RDTSC wait as a slow instruction (spin-wait.ts; MachineOptions.fastWaits). */
  waitSkip = true;
  /** An access hit a watched range (details in watchHit*): the first byte of the range it touched. */
  watchHitAddr = -1;
  watchHitSize = 0;
  /** The hit range's kinds (WATCH_WRITE | WATCH_READ) and whether the access was a write. */
  watchHitKinds = 0;
  watchHitWrite = false;
  /** Interrupt request line from the interrupt router (level, polled at block boundaries). */
  irqPending: () => boolean = () => false;
  /** The same request as a field, tested after every instruction so interrupts are taken at an exact count. */
  irqLine: { pending: boolean; nmiPending: boolean } = { pending: false, nmiPending: false };
  /** FERR# (x87 errors with CR0.NE=0; false when FNINIT/FNCLEX clear them): the board routes it to IRQ 13. */
  ferr: ((asserted: boolean) => void) | null = null;
  host: CpuHost = { readMsr: () => undefined, writeMsr: () => false };
  /** Initial APIC ID (CPUID.01H:EBX[31:24]): the CPU's number in the machine, 0 for the BSP. */
  apicId = 0;
  /** CPUs in the machine (CPUID reports them as cores of one package, as QEMU's -smp N). */
  cpuCount = 1;
  /** PAUSE asked to end this CPU's turn (smp > 1; the machine's scheduler clears it). */
  yieldCpu = false;
  /** Whether another CPU could run now (the machine's scheduler answers; PAUSE yields only then). */
  otherCpuRunnable: () => boolean = () => false;
  /**
   * The other CPUs sharing this memory (null with one CPU). Decoded code is tracked per CPU, but the code-page
   * map is shared: a page that becomes code drops the write-TLB entries of every CPU (so any CPU's store to it
   * invalidates), and flushCode keeps a page marked while another CPU still holds blocks there.
   */
  peers: Cpu[] | null = null;

  /**
   * Software TLB, one array per access kind (paging.ts Access). Slot s = (la >>> 12) & TLB_MASK holds at
   * [2s] tag = linear page base + rb (reads, fetches) or + wb (writes) and at [2s+1] the physical page base,
   * side by side so a lookup touches one cache line (strided guests miss the host cache on every access). The
   * tag needs no division: `la & 0xfff` and `la >>> 12` are exact on the 48-bit linear address. Translated
   * blocks (jit.ts) read rTlb/wTlb directly.
   *
   * The bias's low 12 bits are the user bit and a generation (rb = ub + 2 * rGen, wb = ub + 2 * wGen), both
   * generations at least 1: an entry made before the last flush carries an older generation and misses, so a
   * flush is one increment instead of clearing 3 MiB, and a zero entry (fresh memory) is empty, so the arrays
   * need no filling, and their pages are touched only where translations land. After 2047 generations the
   * array is cleared and the count starts again (an old tag would otherwise match).
   */
  private readonly tlb = [new Float64Array(2 * TLB_SIZE), new Float64Array(2 * TLB_SIZE), new Float64Array(2 * TLB_SIZE)];
  readonly rTlb: Float64Array;
  readonly wTlb: Float64Array;
  /**
   * Per physical page, where it may have write-TLB entries, so marking a code page finds them without scanning
   * the TLB: 0 none, s > 0 slot s - 1 (with wSlot2, a second slot: a kernel maps its pages twice, at the
   * kernel-text alias and in the direct map), -1 possibly three or more (scan all 64 Ki slots, ~0.1 ms).
   * Flushes leave them as they are: a stale slot is checked against the page before it is cleared.
   */
  private readonly wSlot: Int32Array;
  private readonly wSlot2: Int32Array;
  /**
   * Read translations of MMIO pages, direct-mapped by the low bits of the linear page number: [2s] tag (linear
   * page base + ub, -1 empty), [2s+1] physical page base. Only the linear → physical step is cached, as a TLB
   * entry would be (set by the walk that set the accessed bits, dropped with the TLB); every access still goes
   * to PhysicalMemory.read, which sends it to the device (or to RAM if the range has moved away).
   */
  private readonly mTlb = new Float64Array(2 * MMIO_TLB_SIZE).fill(-1);
  /** 1 while CPL = 3 (part of every TLB tag, so user and supervisor translations never mix). */
  ub = 0;
  /** Read and fetch TLB tag bias: ub + 2 * rGen (rGen: bumped by every flush). */
  rb = 2;
  private rGen = 1;
  /**
   * Write-TLB tag bias: ub + 2 * wGen. wGen moves at every flush and at every new write epoch (newWriteEpoch,
   * at each history snapshot), which makes every write entry miss at once, so the next write to each page marks
   * it dirty again; the miss re-arms a stale entry of the same page from an epoch since the last flush (wFloor)
   * without a page walk (translate).
   */
  wb = 2;
  private wGen = 1;
  private wFloor = 1;
  readonly dv: DataView;
  readonly u8: Uint8Array;

  private readonly blocks = new Map<number, Block>();
  /** Direct-mapped front of `blocks` by physical address (a Map lookup per block costs more than the block). */
  private blockCache: (Block | undefined)[] = new Array<Block | undefined>(BLOCK_CACHE_FIRST).fill(undefined);
  /** blockCache.length - 1: a block's slot is (phys ^ (phys >>> 16)) & blockMask. */
  private blockMask = BLOCK_CACHE_FIRST - 1;
  private readonly pageBlocks = new Map<number, Block[]>();
  /** A write hit a page with decoded code: the running block must stop after this instruction (translated blocks test it too). */
  codeDirty = false;

  /** Breakpoints by linear address of the instruction (CS base + IP outside 64-bit mode: seg*16+off in real mode). */
  readonly breakpoints = new Set<number>();
  bpGen = 0;
  /** Watched linear ranges [start, end) for the debugger's watchpoints; `kinds`: WATCH_WRITE, WATCH_READ or both. */
  watch: WatchRange[] = [];
  /** DR0-3 enabled as guest data breakpoints (bit n), their 48-bit linear addresses, and the set the TLB reflects (debug.ts). */
  dataBp = 0;
  readonly drLinear = new Float64Array(4);
  readonly dataBpAt = new Float64Array(4);

  private readonly scratch = new Insn();

  constructor(readonly mem: PhysicalMemory, readonly bus: IoBus, readonly clock: VirtualClock, readonly table: (OpcodeSpec | undefined)[], private readonly undefinedOp: OpcodeSpec) {
    super();
    // Doubles from the start (see WIDE_STATE_FIELDS): rd64's high word, the fetch address, the TLB epoch (which
    // grows by 2 at every flush) and a watchpoint hit's address.
    widenFields(this, ['hi', 'fetchLa', 'tlbEpoch', 'watchHitAddr']);
    this.rTlb = this.tlb[Access.READ];
    this.wTlb = this.tlb[Access.WRITE];
    this.dv = mem.view;
    this.u8 = mem.u8;
    this.wSlot = new Int32Array(mem.codePages.length);
    this.wSlot2 = new Int32Array(mem.codePages.length);
    mem.notifyCodeWrite = (page, addr, len) => this.invalidateCode(page, addr, len);
    mem.onDataBesideCode = (page) => this.releaseCodePage(page);
    this.flushTlb();
  }

  // ------------------------------------------------------------------------------------------ TLB
  /**
   * Bumped by 2 whenever cached translations or decoded blocks are dropped (flushTlb, invalidatePage,
   * flushCode): a chained block (Block.next) found under an older epoch is looked up again. Even, so the user
   * bit can be added to it.
   */
  tlbEpoch = 0;

  /**
   * Drop every cached translation (CR3 write, CR0/CR4 paging changes, watchpoints). Not at a CPL change: each
   * tag carries the user bit (ub), so user and supervisor translations never mix, as QEMU keeps one TLB per MMU
   * index and hardware keeps its entries across privilege changes.
   */
  flushTlb(): void {
    if (++this.rGen === TLB_GENERATIONS) {
      this.rTlb.fill(0);
      this.tlb[Access.EXEC].fill(0);
      this.rGen = 1;
    }
    this.newWriteEpoch();
    this.wFloor = this.wGen;
    this.mTlb.fill(-1);
    this.tlbEpoch += 2;
    this.setCpl(this.cpl);
  }

  /** Start a dirty-tracking epoch: the next write to every page goes through translate() again (history). */
  newWriteEpoch(): void {
    if (++this.wGen === TLB_GENERATIONS) {
      this.wTlb.fill(0);
      this.wGen = 1;
      this.wFloor = 1;
    }
    this.wb = this.ub + 2 * this.wGen;
  }

  /**
   * The board drives the A20 gate (8042 output port, port 0x92). Translations made under the other setting
   * are dropped; decoded blocks are keyed by physical address, so they stay valid.
   */
  setA20(enabled: boolean): void {
    if (this.a20 === enabled) return;
    this.a20 = enabled;
    this.flushTlb();
  }

  /**
   * INVLPG: drop the translations of one linear page. When it is the page the rest of the running block is
   * fetched from (RIP's, or the next one, which the block's last instruction may run into), the block ends after
   * this instruction (codeDirty), so the next instruction is fetched through the page tables again.
   */
  invalidatePage(la: number): void {
    const i = (la >>> 12) & TLB_MASK;
    for (let k = 0; k < 3; k++) this.tlb[k][2 * i] = -1;
    this.mTlb[2 * ((la >>> 12) & (MMIO_TLB_SIZE - 1))] = -1;
    this.tlbEpoch += 2;
    const code = this.codeLinear();
    const d = (la - (la & 0xfff)) - (code - (code & 0xfff));
    if (d === 0 || d === 4096) this.codeDirty = true;
  }

  /** Call after CPL changes. */
  setCpl(cpl: number): void {
    this.cpl = cpl;
    this.ub = cpl === 3 ? 1 : 0;
    this.rb = this.ub + 2 * this.rGen;
    this.wb = this.ub + 2 * this.wGen;
  }

  /**
   * Linear → physical for one access, through the page tables when CR0.PG=1. Fills the TLB for RAM pages
   * (never for MMIO, code pages on the write side, or watched pages). `user` is false for implicit
   * supervisor accesses (descriptor tables, TSS, delivery pushes at CPL 0).
   */
  translate(la: number, access: Access, user: boolean, implicitSupervisor = false): number {
    // An implicit supervisor access at CPL 0-2 is checked as an explicit one (sysRd): it may use and fill the TLB.
    const own = user === (this.ub === 1) && (!implicitSupervisor || this.ub === 0);
    if (access === Access.WRITE && own) {
      const pageBase = this.writeTlbPage(la);
      if (pageBase >= 0) return pageBase + (la & 0xfff);
    }
    let phys: number;
    let pageSize = 4096;
    let cacheable = true;
    if (this.cr0 & Cr0.PG) {
      walk(this.mem, this, la, access, user, implicitSupervisor);
      phys = walkOut.phys;
      pageSize = walkOut.pageSize;
      // SMAP: whether a supervisor data access to a user page faults depends on RFLAGS.AC at each access
      // (STAC/CLAC/POPF change it without a TLB flush), so such translations are not cached.
      if (walkOut.user && !user && access !== Access.EXEC && (this.cr4 & Cr4.SMAP)) cacheable = false;
    } else {
      phys = wrap32(la);
    }
    // A20 masked: bit 20 of the physical address reads as 0 (the 8086 wrap at 1 MiB). Cached translations
    // carry the masked address, so only this miss path pays for it (setA20 flushes the TLB).
    if (!this.a20 && (phys & 0x100000) !== 0) phys -= 0x100000;
    // `& 0xfff` is exact on any non-negative integer below 2^53 (`%` on a double is a call into V8's runtime).
    const pageBase = phys - (phys & 0xfff);
    const mmio = access === Access.WRITE ? this.bus.pageHasMmio(pageBase) : this.bus.pageReadsMmio(pageBase);
    if (cacheable && pageBase + 4096 <= this.mem.size && !mmio && own) {
      const page = pageBase >>> 12;
      // Pages with a watched range stay out of the TLB of the watched access kind, so those accesses take
      // rdSlow/wrSlow, which check the ranges.
      if ((access !== Access.WRITE || (!this.mem.codePages[page] && !this.isWatched(la, WATCH_WRITE))) &&
          (access !== Access.READ || !this.isWatched(la, WATCH_READ)) &&
          (this.dataBp === 0 || access === Access.EXEC || !dataBpOnPage(this, la))) {
        const i = (la >>> 12) & TLB_MASK;
        this.tlb[access][2 * i] = la - (la & 0xfff) + (access === Access.WRITE ? this.wb : this.rb);
        this.tlb[access][2 * i + 1] = pageBase;
        if (access === Access.WRITE) {
          this.mem.markWritten(page);
          const s = this.wSlot[page], s2 = this.wSlot2[page];
          if (s === 0 || s === i + 1) this.wSlot[page] = i + 1;
          else if (s > 0 && (s2 === 0 || s2 === i + 1)) this.wSlot2[page] = i + 1;
          else this.wSlot[page] = -1;
          // A walk that allows a write allows a read of the page as well (R/W only restricts writes; U/S, SMAP
          // and the protection key's AD are checked alike, WD only restricts writes), and it has set the accessed
          // bits a read would set: the read TLB gets the page too, unless it is watched for reads. A kernel that
          // fills a buffer and then reads it walks once per page, not twice.
          if (!this.isWatched(la, WATCH_READ)) {
            this.rTlb[2 * i] = la - (la & 0xfff) + this.rb;
            this.rTlb[2 * i + 1] = pageBase;
          }
        }
      }
    } else if (mmio && access === Access.READ && cacheable && own) {
      // rdSlow looks these up (it still notes data breakpoints and watchpoints for every access).
      const m = 2 * ((la >>> 12) & (MMIO_TLB_SIZE - 1));
      this.mTlb[m] = la - (la & 0xfff) + this.rb;
      this.mTlb[m + 1] = pageBase;
    }
    void pageSize;
    return phys;
  }

  /**
   * A translated block's TLB miss (jit-operands.ts): the page walk of a read or write of `size` bytes at `la`
   * (faulting as Cpu.rd/wr would), which fills the TLB as translate() does. Returns the physical page base when
   * the TLB now maps the page for this access (the block then reads or writes RAM itself), else -1 and the block
   * calls Cpu.rd/wr: an access across a page end, with data breakpoints set, or a page the TLB never maps (MMIO,
   * a code page for writes, a watched page, SMAP).
   */
  tlbFill(la: number, size: number, write: boolean): number {
    const off = la & 0xfff;
    if (off > 4096 - size || this.dataBp !== 0) return -1;
    // A read of an MMIO page whose translation is cached (the local APIC's ID register at every lock in xv6):
    // the TLB never maps it, and the block's Cpu.rd finds it in mTlb without this page walk.
    if (!write && this.mTlb[2 * ((la >>> 12) & (MMIO_TLB_SIZE - 1))] === la - off + this.rb) return -1;
    this.translate(la, write ? Access.WRITE : Access.READ, this.ub === 1);
    return this.tlbPage(la, write);
  }

  /**
   * After a translated block's slow memory path or handler call (jit.ts, Gen.endsBlock): whether the block leaves
   * where the interpreter would end its block: decoded code was written, a stop was requested, a timer deadline
   * moved before `passEnd` (the count at the end of the block's pass), or an interrupt became deliverable (the
   * interpreter ends a block after the instruction that made one deliverable). One call instead of the test
   * written out at every such site: a translation's source is what V8 parses and compiles.
   */
  endsBlock(passEnd: number): boolean {
    return this.codeDirty || this.stopRequested || this.clock.nextDeadline < passEnd || ((this.flags & Flag.IF) !== 0 && this.irqLine.pending);
  }

  /**
   * Physical address of a data access at `la` by the current privilege: the TLB's when it maps the page (an entry
   * is only ever a RAM page the access may use as is: Cpu.translate), else translate()'s page walk, which faults.
   */
  physical(la: number, write: boolean): number {
    const page = write ? this.writeTlbPage(la) : this.tlbPage(la, false);
    return page >= 0 ? page + (la & 0xfff) : this.translate(la, write ? Access.WRITE : Access.READ, this.ub === 1);
  }

  /** The physical page base the TLB maps linear `la` to for a data read or write by the current privilege, or -1. */
  tlbPage(la: number, write: boolean): number {
    const t = write ? this.wTlb : this.rTlb;
    const i = 2 * ((la >>> 12) & TLB_MASK);
    return t[i] === la - (la & 0xfff) + (write ? this.wb : this.rb) ? t[i + 1] : -1;
  }

  /**
   * The physical page base the write TLB maps `la` to for the current privilege, or -1, counting an entry from
   * an earlier write epoch (same page, same privilege: still a valid translation): it is re-armed, the page
   * marked written again (the history's dirty tracking), without a page walk. Whoever writes through the TLB
   * after a snapshot (a REP MOVS running on from page to page) finds its pages as before the snapshot.
   */
  writeTlbPage(la: number): number {
    const i = (la >>> 12) & TLB_MASK;
    const d = this.wTlb[2 * i] - (la - (la & 0xfff)) - this.ub;
    // d = 2 * the entry's generation: live, or from an earlier write epoch since the last flush (wFloor).
    if (d < 2 * this.wFloor || d >= 4096 || (d & 1) !== 0) return -1;
    const pageBase = this.wTlb[2 * i + 1];
    if (d !== this.wb - this.ub) {
      this.mem.markWritten(pageBase >>> 12);
      this.wTlb[2 * i] = la - (la & 0xfff) + this.wb;
    }
    return pageBase;
  }

  private isWatched(la: number, kind: number): boolean {
    if (this.watch.length === 0) return false;
    const p = la - (la % 4096);
    for (const w of this.watch) if ((w.kinds & kind) !== 0 && w.start < p + 4096 && w.end > p) return true;
    return false;
  }

  // ------------------------------------------------------------------------------ linear access
  /** Read `size` (1, 2, 4) bytes at linear `la` as an int32 (zero-extended for 1 and 2). */
  rd(la: number, size: number): number {
    const i = (la >>> 12) & TLB_MASK;
    const off = la & 0xfff;
    const t = this.rTlb;
    if (t[2 * i] === la - off + this.rb && off <= 4096 - size) {
      const pa = t[2 * i + 1] + off;
      return size === 4 ? this.dv.getInt32(pa, true) : size === 1 ? this.u8[pa] : this.dv.getUint16(pa, true);
    }
    return this.rdSlow(la, size, this.ub === 1);
  }

  rd8(la: number): number { return this.rd(la, 1); }
  rd16(la: number): number { return this.rd(la, 2); }
  rd32(la: number): number { return this.rd(la, 4); }

  /** 64-bit read: returns the low half, the high half in this.hi. */
  rd64(la: number): number {
    const i = (la >>> 12) & TLB_MASK;
    const off = la & 0xfff;
    const t = this.rTlb;
    if (t[2 * i] === la - off + this.rb && off <= 4088) {
      const pa = t[2 * i + 1] + off;
      this.hi = this.dv.getInt32(pa + 4, true);
      return this.dv.getInt32(pa, true);
    }
    return this.rd64Miss(la);
  }

  /**
   * rd64 on a TLB miss or across a page end. Out of line, as every slow path the hot helpers (rd64, wr64, ea,
   * lin) have: V8 inlines a helper into a handler only while their bytecode fits its budget, and a helper left
   * out of line takes and returns a kernel's linear addresses (above 2^31) as heap numbers, one allocation each.
   */
  private rd64Miss(la: number): number {
    const i = (la >>> 12) & TLB_MASK;
    const off = la & 0xfff;
    const t = this.rTlb;
    const lo = this.rdSlow(la, 4, this.ub === 1);
    // The low half's miss filled the TLB (a RAM page, not watched, no data breakpoint on it): the high half
    // is on the same page, so it is read there without a second page walk.
    if (t[2 * i] === la - off + this.rb && off <= 4088) {
      this.hi = this.dv.getInt32(t[2 * i + 1] + off + 4, true);
      return lo;
    }
    this.hi = this.rdSlow(this.addLinear(la, 4), 4, this.ub === 1);
    return lo;
  }

  /** Write `size` (1, 2, 4) bytes of `v` at linear `la`. */
  wr(la: number, size: number, v: number): void {
    const i = (la >>> 12) & TLB_MASK;
    const off = la & 0xfff;
    const t = this.wTlb;
    if (t[2 * i] === la - off + this.wb && off <= 4096 - size) {
      const pa = t[2 * i + 1] + off;
      if (size === 4) this.dv.setInt32(pa, v, true);
      else if (size === 1) this.u8[pa] = v;
      else this.dv.setUint16(pa, v, true);
      return;
    }
    this.wrSlow(la, size, v, this.ub === 1, false);
  }

  wr8(la: number, v: number): void { this.wr(la, 1, v); }
  wr16(la: number, v: number): void { this.wr(la, 2, v); }
  wr32(la: number, v: number): void { this.wr(la, 4, v); }

  wr64(la: number, lo: number, hi: number): void {
    const i = (la >>> 12) & TLB_MASK;
    const off = la & 0xfff;
    const t = this.wTlb;
    if (t[2 * i] === la - off + this.wb && off <= 4088) {
      const pa = t[2 * i + 1] + off;
      this.dv.setInt32(pa, lo, true);
      this.dv.setInt32(pa + 4, hi, true);
      return;
    }
    this.wr64Miss(la, lo, hi);
  }

  /** wr64 on a TLB miss or across a page end (out of line: see rd64Miss). */
  private wr64Miss(la: number, lo: number, hi: number): void {
    const i = (la >>> 12) & TLB_MASK;
    const off = la & 0xfff;
    const t = this.wTlb;
    // Check both halves' translations before writing either (a faulting write changes nothing).
    const user = this.ub === 1;
    const la2 = this.addLinear(la, 4);
    this.translate(la, Access.WRITE, user);
    // The miss filled the write TLB (a RAM page marked dirty, no decoded code, not watched, no data breakpoint
    // on it: Cpu.translate): both halves are on that page and are written there.
    if (t[2 * i] === la - off + this.wb && off <= 4088) {
      const pa = t[2 * i + 1] + off;
      this.dv.setInt32(pa, lo, true);
      this.dv.setInt32(pa + 4, hi, true);
      return;
    }
    this.translate(this.addLinear(la, 7), Access.WRITE, user);
    this.wrSlow(la, 4, lo, user, false);
    this.wrSlow(la2, 4, hi, user, false);
  }

  /**
   * A read-modify-write instruction's check, between its read and its computation, that the destination may be
   * written: a fault it raises leaves RFLAGS and registers as before the instruction (SDM Vol. 3 §6.5), which a
   * store after the flag computation would not. Fills the write TLB, so the store that follows hits it. The read
   * has already faulted if the page is absent, so the error code stays the read's there, as under QEMU.
   */
  probeWrite(la: number, size: number): void {
    const i = (la >>> 12) & TLB_MASK;
    const off = la & 0xfff;
    if (this.wTlb[2 * i] === la - off + this.wb && off <= 4096 - size) return;
    const user = this.ub === 1;
    this.translate(la, Access.WRITE, user);
    if (off > 4096 - size) this.translate(this.addLinear(la, size - 1), Access.WRITE, user);
  }

  /**
   * Supervisor (implicit) accesses: descriptor tables, TSS, IDT, delivery stack pushes. At CPL 0-2 (ub = 0)
   * they are checked as the CPU's own supervisor accesses are (SDM Vol. 3 §4.6: they differ only under SMAP with
   * RFLAGS.AC = 1, whose translations are never cached), so they use the TLB; firmware reloading segment
   * registers on every mode switch reads the GDT thousands of times.
   */
  sysRd(la: number, size: number): number {
    if (this.ub === 0) {
      const i = (la >>> 12) & TLB_MASK;
      const off = la & 0xfff;
      if (this.rTlb[2 * i] === la - off && off <= 4096 - size) {
        const pa = this.rTlb[2 * i + 1] + off;
        return size === 4 ? this.dv.getInt32(pa, true) : size === 1 ? this.u8[pa] : this.dv.getUint16(pa, true);
      }
    }
    return this.rdSlow(la, size, false, true);
  }

  sysWr(la: number, size: number, v: number): void {
    if (this.ub === 0) {
      const i = (la >>> 12) & TLB_MASK;
      const off = la & 0xfff;
      if (this.wTlb[2 * i] === la - off + this.wb && off <= 4096 - size) {
        const pa = this.wTlb[2 * i + 1] + off;
        if (size === 4) this.dv.setInt32(pa, v, true);
        else if (size === 1) this.u8[pa] = v;
        else this.dv.setUint16(pa, v, true);
        return;
      }
    }
    this.wrSlow(la, size, v, false, true);
  }

  /** la + n in the current linear space (wraps at 2^48 in long mode, 2^32 otherwise). */
  addLinear(la: number, n: number): number {
    const r = la + n;
    if (this.lma) return r >= 0 && r < TWO48 ? r : r % TWO48;
    return wrap32(r);
  }

  rdSlow(la: number, size: number, user: boolean, implicit = false): number {
    const off = la & 0xfff;
    if (this.dataBp !== 0 && !implicit) noteDataAccess(this, la, size, false);
    if (off + size <= 4096) {
      const m = 2 * ((la >>> 12) & (MMIO_TLB_SIZE - 1));
      const pa = this.mTlb[m] === la - off + this.rb && user === (this.ub === 1) && !implicit ? this.mTlb[m + 1] + off : this.translate(la, Access.READ, user, implicit);
      if (this.watch.length !== 0) this.noteWatch(la, size, false);
      if (this.bus.readsMmioAt(pa)) this.devTouched = true;
      return this.mem.read(pa, size) | 0;
    }
    let v = 0;
    // Translate both pages first so a fault reports the right page before any device read happens.
    this.translate(la, Access.READ, user, implicit);
    this.translate(this.addLinear(la, size - 1), Access.READ, user, implicit);
    if (this.watch.length !== 0) this.noteWatch(la, size, false);
    for (let k = size - 1; k >= 0; k--) {
      const pa = this.translate(this.addLinear(la, k), Access.READ, user, implicit);
      if (this.bus.readsMmioAt(pa)) this.devTouched = true;
      const b = this.mem.read8(pa);
      v = (v << 8) | b;
    }
    return size === 4 ? v | 0 : v;
  }

  wrSlow(la: number, size: number, v: number, user: boolean, implicit: boolean): void {
    const off = la & 0xfff;
    if (this.dataBp !== 0 && !implicit) noteDataAccess(this, la, size, true);
    if (off + size <= 4096) {
      const pa = this.translate(la, Access.WRITE, user, implicit);
      this.noteWatch(la, size, true);
      if (!this.bus.noMmioAt(pa)) this.devTouched = true;
      this.mem.write(pa, size, size === 4 ? v >>> 0 : v & (size === 1 ? 0xff : 0xffff));
      return;
    }
    const pa0 = this.translate(la, Access.WRITE, user, implicit);
    this.translate(this.addLinear(la, size - 1), Access.WRITE, user, implicit);
    this.noteWatch(la, size, true);
    void pa0;
    for (let k = 0; k < size; k++) {
      const pa = this.translate(this.addLinear(la, k), Access.WRITE, user, implicit);
      if (!this.bus.noMmioAt(pa)) this.devTouched = true;
      this.mem.write8(pa, (v >>> (8 * k)) & 0xff);
    }
  }

  /**
   * A completed translation of an access to [la, la+size): stop after this instruction when it touches a
   * range watched for its kind. A write hit replaces a read hit of the same instruction (read-modify-write),
   * so a write watchpoint on the same bytes reports the write.
   */
  private noteWatch(la: number, size: number, write: boolean): void {
    if (this.watch.length === 0 || (this.watchHitAddr >= 0 && (!write || this.watchHitWrite))) return;
    const kind = write ? WATCH_WRITE : WATCH_READ;
    for (const w of this.watch) {
      if ((w.kinds & kind) !== 0 && la < w.end && la + size > w.start) {
        this.watchHitAddr = Math.max(la, w.start);
        this.watchHitSize = size;
        this.watchHitKinds = w.kinds;
        this.watchHitWrite = write;
        this.stopRequested = true;
        return;
      }
    }
  }

  // ---------------------------------------------------------------------------- segmentation
  /**
   * Effective address (offset within the segment) of the memory operand. In 64-bit address size it is the
   * signed 64-bit value as a number (exact for |value| < 2^52, the slow path handles the rest); in 32/16-bit
   * address size it is the zero-extended offset.
   */
  ea(i: Insn): number {
    // 64- and 32-bit addressing inline (small, so V8 inlines ea into the handlers: see rd64Miss); 16-bit and
    // huge 64-bit registers out of line.
    if (i.asz === 4) {
      let a = i.disp;
      if (i.base >= 0) a += this.r[2 * i.base];
      if (i.index >= 0) a += this.r[2 * i.index] << i.scale;
      return a >>> 0;
    }
    if (i.asz !== 8) return this.ea16(i);
    let a = i.disp;
    if (i.ripRel) {
      a += this.rip >= TWO47 ? this.rip - TWO48 : this.rip;
    } else if (i.base >= 0) {
      const hi = this.r[2 * i.base + 1];
      if (hi > 0xfffff || hi < -0x100000) return this.ea64Slow(i);
      a += hi * TWO32 + (this.r[2 * i.base] >>> 0);
    }
    if (i.index >= 0) {
      const hi = this.r[2 * i.index + 1];
      if (hi > 0xfffff || hi < -0x100000) return this.ea64Slow(i);
      a += (hi * TWO32 + (this.r[2 * i.index] >>> 0)) * (1 << i.scale);
    }
    return a;
  }

  /** ea() with 16-bit addressing. */
  private ea16(i: Insn): number {
    let a = i.disp;
    if (i.base >= 0) a += this.r[2 * i.base] & 0xffff;
    if (i.index >= 0) a += this.r[2 * i.index] & 0xffff;
    return a & 0xffff;
  }

  /**
   * LEA's 64-bit result: base + index × scale + displacement (RIP-relative: the next instruction's RIP +
   * displacement) modulo 2^64, exact for every register value (LEA is arithmetic as much as addressing; Linux's
   * word-at-a-time string code adds 0xfefefefefefefeff with it). Low half returned, high half in c.hi.
   * Integer halves only: no BigInt, no allocation.
   */
  lea64(i: Insn): number {
    let lo = i.disp >>> 0, hi = i.disp >> 31;
    let l2 = 0, h2 = 0;
    if (i.ripRel) {
      const r = this.rip >= TWO47 ? this.rip - TWO48 : this.rip;
      l2 = r >>> 0; h2 = Math.floor(r / TWO32) | 0;
      const s = lo + l2; lo = s >>> 0; hi = (hi + h2 + (s > 0xffffffff ? 1 : 0)) | 0;
    }
    if (i.base >= 0) {
      l2 = this.r[2 * i.base] >>> 0; h2 = this.r[2 * i.base + 1];
      const s = lo + l2; lo = s >>> 0; hi = (hi + h2 + (s > 0xffffffff ? 1 : 0)) | 0;
    }
    if (i.index >= 0) {
      l2 = this.r[2 * i.index] >>> 0; h2 = this.r[2 * i.index + 1];
      if (i.scale) { h2 = (h2 << i.scale) | (l2 >>> (32 - i.scale)); l2 = (l2 << i.scale) >>> 0; }
      const s = lo + l2; lo = s >>> 0; hi = (hi + h2 + (s > 0xffffffff ? 1 : 0)) | 0;
    }
    this.hi = hi;
    return lo | 0;
  }

  /** Exact 64-bit effective address for huge register values (lea64's sum), as a signed number when canonical. */
  private ea64Slow(i: Insn): number {
    const lo = this.lea64(i) >>> 0, hi = this.hi;
    // Any non-canonical value maps to a number outside ±2^47, which lin() rejects with #GP/#SS.
    if ((hi << 16) >> 16 !== hi) return hi < 0 ? -TWO47 * 4 : TWO47 * 4;
    return hi * TWO32 + lo;
  }

  /** Segment of the memory operand. */
  segOf(i: Insn): number {
    return i.seg >= 0 ? i.seg : i.defaultSS ? Seg.SS : Seg.DS;
  }

  /**
   * Segment + offset → linear address, with the checks of the current mode: canonical form in 64-bit mode
   * (#SS(0) for stack references, #GP(0) otherwise: SDM §3.3.7.1), present/limit/type checks otherwise.
   */
  lin(seg: number, off: number, size: number, write: boolean): number {
    if (this.long) {
      let a = off;
      if (seg >= Seg.FS) {
        const b = this.segBase[seg];
        a += b >= TWO47 ? b - TWO48 : b;
      }
      if (a < -TWO47 || a + size > TWO47) this.nonCanonical(seg);
      return a < 0 ? a + TWO48 : a;
    }
    const attr = this.segAttr[seg];
    // The common case, one test: a present, expand-up, writable data segment (every access allowed, in any
    // mode; real mode checks only the limit) and an offset inside the limit.
    if ((attr & (Attr.P | Attr.CODE | Attr.DC | Attr.RW)) === (Attr.P | Attr.RW) && off + size - 1 <= this.segLimit[seg]) {
      return wrap32(this.segBase[seg] + off);
    }
    return this.linChecked(seg, off, size, write, attr);
  }

  /** #SS(0) for a stack reference, else #GP(0): a non-canonical address in 64-bit mode (SDM §3.3.7.1). */
  private nonCanonical(seg: number): never {
    if (seg === Seg.SS) ss(0, 'non-canonical stack address');
    gp(0, 'non-canonical address');
  }

  /** lin() outside 64-bit mode with every check: the access rights, expand-down and limit faults. */
  private linChecked(seg: number, off: number, size: number, write: boolean, attr: number): number {
    if (this.cr0 & Cr0.PE) {
      if (!(attr & Attr.P)) {
        if (seg === Seg.SS) ss(0, 'stack segment not usable');
        gp(0, `${['ES', 'CS', 'SS', 'DS', 'FS', 'GS'][seg]} holds a null selector`);
      }
      if (write && ((attr & Attr.CODE) || !(attr & Attr.RW))) gp(0, 'write to a read-only or code segment');
      if (!write && (attr & Attr.CODE) && !(attr & Attr.RW) && seg !== Seg.CS) gp(0, 'read from an execute-only segment');
    }
    const limit = this.segLimit[seg];
    if ((attr & (Attr.CODE | Attr.DC)) === Attr.DC) {
      // Expand-down data segment: valid offsets are (limit, max].
      const max = attr & Attr.DB ? 0xffffffff : 0xffff;
      if (off <= limit || off + size - 1 > max) {
        if (seg === Seg.SS) ss(0, 'stack offset outside an expand-down segment');
        gp(0, 'offset outside an expand-down segment');
      }
    } else if (off + size - 1 > limit) {
      if (seg === Seg.SS) ss(0, `stack offset 0x${off.toString(16)} beyond the segment limit`);
      gp(0, `offset 0x${off.toString(16)} beyond the segment limit 0x${limit.toString(16)}`);
    }
    return wrap32(this.segBase[seg] + off);
  }

  /**
   * flatSegments() as of the translated block being entered outside 64-bit mode: run() sets it before it calls a
   * translation, and the blocks runChain enters after it share it (a quiet block changes no segment, CR0 or mode).
   * A translation reads it at entry instead of computing it (~25 ns, a third of a short block's entry in xv6).
   */
  flatMask = 0;

  /**
   * The segment masks of translated blocks outside 64-bit mode (jit.ts). Bits 0-15, flat segments (base 0,
   * limit 4 GiB): bit s, writes through segment s need no check beyond the offset range; bit s+8, reads. Bits
   * 16-31, the same for segments of any base and limit whose accesses need only the limit check (present,
   * expand-up, usable as lin() would allow), so a translation computes base + offset inline (real mode, 16-bit
   * protected mode, segments with a base).
   */
  flatSegments(): number {
    let m = 0;
    const pe = (this.cr0 & Cr0.PE) !== 0;
    for (let s = 0; s < 6; s++) {
      const a = this.segAttr[s];
      if ((a & (Attr.CODE | Attr.DC)) === Attr.DC || (pe && (a & Attr.P) === 0)) continue;
      let r = 0;
      if (!pe || (a & Attr.CODE) === 0 || (a & Attr.RW) !== 0 || s === Seg.CS) r |= 1 << (s + 8);
      if (!pe || ((a & Attr.CODE) === 0 && (a & Attr.RW) !== 0)) r |= 1 << s;
      m |= r << 16;
      if (this.segBase[s] === 0 && this.segLimit[s] === 0xffffffff) m |= r;
    }
    return m;
  }

  // ------------------------------------------------------------------------ operand helpers
  /** Linear address of the memory operand for an access of `size` bytes. */
  memAddr(i: Insn, size: number, write: boolean): number {
    if (i.asz === 8 && this.long) return this.addr64(i, size, write);
    return this.lin(this.segOf(i), this.ea(i), size, write);
  }

  /**
   * memAddr with 64-bit addressing: ea() and lin()'s 64-bit paths in one small function, which V8 inlines into
   * the handlers of 64-bit code (where ea and lin, with their 32/16-bit paths, exceed its inlining budget and
   * return kernel addresses as heap numbers). Huge register values take the general path.
   */
  private addr64(i: Insn, size: number, write: boolean): number {
    const r = this.r;
    const base = i.base, index = i.index;
    let a = i.disp;
    if (i.ripRel) {
      const rip = this.rip;
      a += rip >= Big.TWO47 ? rip - Big.TWO48 : rip;
    } else if (base >= 0) {
      const hi = r[2 * base + 1];
      if (hi > 0xfffff || hi < -0x100000) return this.memAddrSlow(i, size, write);
      a += hi * Big.TWO32 + (r[2 * base] >>> 0);
    }
    if (index >= 0) {
      const hi = r[2 * index + 1];
      if (hi > 0xfffff || hi < -0x100000) return this.memAddrSlow(i, size, write);
      a += (hi * Big.TWO32 + (r[2 * index] >>> 0)) * (1 << i.scale);
    }
    // 64-bit mode: only FS and GS have a base (segOf's default SS/DS do not).
    const seg = i.seg;
    if (seg >= Seg.FS) {
      const b = this.segBase[seg];
      a += b >= Big.TWO47 ? b - Big.TWO48 : b;
    }
    if (a < -Big.TWO47 || a + size > Big.TWO47) this.nonCanonical(this.segOf(i));
    return a < 0 ? a + Big.TWO48 : a;
  }

  /** memAddr's general path (addr64 with huge register values). */
  private memAddrSlow(i: Insn, size: number, write: boolean): number {
    return this.lin(this.segOf(i), this.ea(i), size, write);
  }

  /** Linear address of a moffs operand (MOV A0-A3): the offset is an absolute address in the segment. */
  moffsAddr(i: Insn, size: number, write: boolean): number {
    const off = i.asz === 8 ? i.immHi * TWO32 + (i.imm >>> 0) : i.asz === 4 ? i.imm >>> 0 : i.imm & 0xffff;
    return this.lin(i.seg >= 0 ? i.seg : Seg.DS, off, size, write);
  }

  /** Read the r/m operand (register or memory) of `size` bytes; 64-bit: hi half in this.hi. */
  readE(i: Insn, size: number): number {
    if (i.mod === 3) {
      const r = i.rm;
      switch (size) {
        case 1: return this.getReg8(r, i.rex);
        case 2: return this.r[2 * r] & 0xffff;
        case 4: return this.r[2 * r];
        default: this.hi = this.r[2 * r + 1]; return this.r[2 * r];
      }
    }
    const la = this.memAddr(i, size, false);
    return size === 8 ? this.rd64(la) : this.rd(la, size);
  }

  /** Write the r/m operand. For size 4 on a register the upper half is zeroed (SDM §3.4.1.1). */
  writeE(i: Insn, size: number, lo: number, hi: number): void {
    if (i.mod === 3) {
      this.writeReg(i.rm, i.rex, size, lo, hi);
      return;
    }
    const la = this.memAddr(i, size, true);
    if (size === 8) this.wr64(la, lo, hi);
    else this.wr(la, size, lo);
  }

  /** Read a register operand of `size` bytes (hi in this.hi for 8). */
  readReg(r: number, rex: number, size: number): number {
    switch (size) {
      case 1: return this.getReg8(r, rex);
      case 2: return this.r[2 * r] & 0xffff;
      case 4: return this.r[2 * r];
      default: this.hi = this.r[2 * r + 1]; return this.r[2 * r];
    }
  }

  writeReg(r: number, rex: number, size: number, lo: number, hi: number): void {
    switch (size) {
      case 1: this.setReg8(r, rex, lo); break;
      case 2: this.r[2 * r] = (this.r[2 * r] & 0xffff0000) | (lo & 0xffff); break;
      case 4: this.r[2 * r] = lo; this.r[2 * r + 1] = 0; break;
      default: this.r[2 * r] = lo; this.r[2 * r + 1] = hi; break;
    }
  }

  // -------------------------------------------------------------------------------- stack
  /** Current stack pointer as an offset in SS (signed number in 64-bit mode). */
  private spOffset(): number {
    if (this.stackSize === 8) return this.r[9] * TWO32 + (this.r[8] >>> 0);
    if (this.stackSize === 4) return this.r[8] >>> 0;
    return this.r[8] & 0xffff;
  }

  private setSp(v: number): void {
    if (this.stackSize === 8) {
      this.r[8] = v | 0;
      this.r[9] = Math.floor(v / TWO32) | 0;
    } else if (this.stackSize === 4) {
      this.r[8] = v | 0;
      this.r[9] = 0;
    } else {
      this.r[8] = (this.r[8] & 0xffff0000) | (v & 0xffff);
    }
  }

  private wrapSp(v: number): number {
    if (this.stackSize === 8) return v;
    if (this.stackSize === 4) return v >>> 0;
    return v & 0xffff;
  }

  /** PUSH of `size` bytes (2, 4, 8); the write happens before RSP changes, so a fault leaves RSP intact. */
  push(size: number, lo: number, hi: number): void {
    if (this.stackSize === 8 && size === 8) {
      // 64-bit mode, 64-bit push: RSP - 8 in halves (no division); a non-canonical result takes the path below,
      // which raises its #SS.
      const l = this.r[8], h = this.r[9];
      const nl = (l - 8) | 0, nh = (l >>> 0) < 8 ? (h - 1) | 0 : h;
      if (canonicalSp(nl, nh, 8)) {
        this.wr64((nh & 0xffff) * TWO32 + (nl >>> 0), lo, hi);
        this.r[8] = nl;
        this.r[9] = nh;
        return;
      }
    }
    if (this.stackSize === 4 && size !== 8) {
      // 32-bit stack (protected-mode kernels): ESP as an unsigned offset, the upper half of RSP zeroed.
      const sp32 = (this.r[8] - size) >>> 0;
      this.wr(this.lin(Seg.SS, sp32, size, true), size, lo);
      this.r[8] = sp32 | 0;
      this.r[9] = 0;
      return;
    }
    const sp = this.wrapSp(this.spOffset() - size);
    const la = this.lin(Seg.SS, sp, size, true);
    if (size === 8) this.wr64(la, lo, hi);
    else this.wr(la, size, lo);
    this.setSp(sp);
  }

  /** POP of `size` bytes: returns lo (hi in this.hi for 8). RSP changes only after the read succeeds. */
  pop(size: number): number {
    if (this.stackSize === 8 && size === 8) {
      const l = this.r[8], h = this.r[9];
      if (canonicalSp(l, h, 8)) {
        const v = this.rd64((h & 0xffff) * TWO32 + (l >>> 0));
        this.r[8] = (l + 8) | 0;
        this.r[9] = (l >>> 0) >= 0xfffffff8 ? (h + 1) | 0 : h;
        return v;
      }
    }
    if (this.stackSize === 4 && size !== 8) {
      const sp32 = this.r[8] >>> 0;
      const v32 = this.rd(this.lin(Seg.SS, sp32, size, false), size);
      this.r[8] = (sp32 + size) | 0;
      this.r[9] = 0;
      return v32;
    }
    const sp = this.spOffset();
    const la = this.lin(Seg.SS, sp, size, false);
    const v = size === 8 ? this.rd64(la) : this.rd(la, size);
    this.setSp(this.wrapSp(sp + size));
    return v;
  }

  /** Read at RSP+offset without popping (RET imm, IRET, LEAVE helpers). */
  peek(offset: number, size: number): number {
    if (this.stackSize === 8 && size === 8 && offset === 0 && canonicalSp(this.r[8], this.r[9], 8)) {
      return this.rd64((this.r[9] & 0xffff) * TWO32 + (this.r[8] >>> 0));
    }
    if (this.stackSize === 4 && size !== 8) return this.rd(this.lin(Seg.SS, (this.r[8] + offset) >>> 0, size, false), size);
    const sp = this.wrapSp(this.spOffset() + offset);
    const la = this.lin(Seg.SS, sp, size, false);
    return size === 8 ? this.rd64(la) : this.rd(la, size);
  }

  adjustSp(delta: number): void {
    if (this.stackSize === 4) { this.r[8] = (this.r[8] + delta) | 0; this.r[9] = 0; return; }
    if (this.stackSize === 8 && delta >= 0 && delta < TWO32) {
      // RSP + delta in halves: what setSp stores for the sum (its low 32 bits, then floor(sum / 2^32) | 0).
      const l = this.r[8];
      this.r[8] = (l + delta) | 0;
      if ((l >>> 0) + delta > 0xffffffff) this.r[9] = (this.r[9] + 1) | 0;
      return;
    }
    this.setSp(this.wrapSp(this.spOffset() + delta));
  }

  // ------------------------------------------------------------------------------- control
  /** Set RIP to a 64-bit target given as halves; #GP(0) if not canonical (SDM: the fault is on the branch). */
  jumpTo64(lo: number, hi: number): void {
    if ((hi << 16) >> 16 !== hi) gp(0, 'branch to a non-canonical address');
    this.rip = (hi & 0xffff) * TWO32 + (lo >>> 0);
  }

  /** Set RIP for a near branch target of the given operand size (truncated outside 64-bit mode). */
  jumpNear(lo: number, hi: number, size: number): void {
    if (size === 8) this.jumpTo64(lo, hi);
    else {
      const t = size === 4 ? lo >>> 0 : lo & 0xffff;
      if (t > this.segLimit[Seg.CS] && (this.cr0 & Cr0.PE)) gp(0, 'branch target beyond the CS limit');
      this.rip = t;
    }
  }

  /** RIP as lo/hi halves (the canonical 64-bit value); hi in this.hi. */
  ripHalves(): number {
    const r = this.rip;
    if (!this.long) { this.hi = 0; return r | 0; }
    this.hi = r >= TWO47 ? (Math.floor(r / TWO32) | 0xffff0000) : Math.floor(r / TWO32);
    return r | 0;
  }

  /** RIP relative by a signed displacement (Jcc/JMP/CALL rel). */
  relTarget(disp: number, size: number): void {
    if (!this.long) {
      const t = size === 2 ? (this.rip + disp) & 0xffff : (this.rip + disp) >>> 0;
      if (t > this.segLimit[Seg.CS] && (this.cr0 & Cr0.PE)) gp(0, 'branch target beyond the CS limit');
      this.rip = t;
      return;
    }
    let t = this.rip + disp;
    if (t < 0) t += TWO48;
    else if (t >= TWO48) t -= TWO48;
    // Crossing out of the canonical range (e.g. 0x7fff… → 0x8000…) is a #GP on the branch.
    if ((this.rip < TWO47) !== (t < TWO47) && Math.abs(disp) < TWO47) {
      if ((this.rip < TWO47 && disp > 0) || (this.rip >= TWO47 && disp < 0)) gp(0, 'branch to a non-canonical address');
    }
    this.rip = t;
  }

  // ----------------------------------------------------------------------------- decode cache
  /** Stores that reached invalidateCode through marks of dropped blocks, and dropped nothing, since the last re-marking. */
  private staleStores = 0;

  /** Linear address of RIP (CS base added outside 64-bit mode). */
  codeLinear(): number {
    return this.long ? this.rip : wrap32(this.segBase[Seg.CS] + this.rip);
  }

  /**
   * A store of `len` bytes at physical `addr` landed in a marked chunk of code page `page`: drop the blocks of
   * that page whose bytes it overlaps (QEMU invalidates by range too) and let the running block stop after this
   * instruction. Blocks beside the store keep their decoded instructions, their hit counts and translations (a
   * boot loader storing its variables next to its own code, as GRUB's real-mode switch does on every BIOS call,
   * would otherwise re-decode the whole page each time). The dropped blocks' bytes stay marked until
   * STALE_STORES stores have found only such marks; the page stops being code once no CPU holds blocks on it.
   */
  invalidateCode(page: number, addr: number, len: number): void {
    const list = this.pageBlocks.get(page);
    const last = addr + len - 1;
    let dropped = 0;
    if (list) {
      let keep = 0;
      for (let k = 0; k < list.length; k++) {
        const b = list[k];
        if (!b.valid) continue;
        if ((b.lo <= last && b.hi >= addr) || (b.lo2 >= 0 && b.lo2 <= last && b.hi2 >= addr)) {
          b.mode = -1;
          if (this.blocks.get(b.key) === b) this.blocks.delete(b.key);
          dropped++;
        } else {
          list[keep++] = b;
        }
      }
      list.length = keep;
      if (keep === 0) this.pageBlocks.delete(page);
    }
    if (dropped !== 0) this.codeDirty = true;
    if (page >= this.mem.codePages.length) return;
    if (!this.pageBlocks.has(page)) {
      if (this.peers !== null && this.peers.some((p) => p !== this && p.pageBlocks.has(page))) return;
      this.mem.codePages[page] = 0;
      this.mem.clearCode(page);
    } else if (dropped === 0 && this.peers === null && ++this.staleStores >= STALE_STORES) {
      // Stores keep landing on bytes whose blocks are gone (the marks are left behind when blocks are dropped):
      // mark again only the bytes the remaining blocks cover (peers' blocks would need theirs too: left marked).
      // Done at a drop, it cost more than the drop: GRUB re-patches and re-decodes one block of its BIOS-call
      // trampoline on a page of ~100 blocks before every BIOS call, and the bytes it patches are marked again
      // when the block is decoded again anyway.
      this.staleStores = 0;
      this.mem.clearCode(page);
      const lo = page * 4096, hi = lo + 4095;
      for (const b of list!) {
        if (b.lo <= hi && b.hi >= lo) this.mem.markCode(Math.max(b.lo, lo), Math.min(b.hi, hi));
        if (b.lo2 >= 0 && b.lo2 <= hi && b.hi2 >= lo) this.mem.markCode(Math.max(b.lo2, lo), Math.min(b.hi2, hi));
      }
    }
  }

  /**
   * Stores keep landing beside decoded code on physical `page` (PhysicalMemory.onDataBesideCode), each through
   * the slow path, since the write TLB never maps a code page: SeaBIOS's stack shares a page with 32-bit code it
   * ran once, and its 20 ms wait for the floppy controller pushed there 1.7 million times. When none of the page's
   * blocks is translated, drop them all: the page leaves the code map, its stores use the write TLB again, and a
   * dropped block that runs again is simply decoded again. A translated block keeps the page (its translation is
   * worth more than the stores). Decoded blocks are a cache: what the guest sees does not change. One CPU only
   * (with peers, each CPU's blocks would have to agree).
   */
  private releaseCodePage(page: number): void {
    if (this.peers !== null) return;
    const list = this.pageBlocks.get(page);
    if (list === undefined) return;
    for (const b of list) if (b.valid && b.fn !== null) return;
    this.invalidateCode(page, page * 4096, 4096);
  }

  /** Drop every decoded block (mode change, reset, snapshot restore). */
  flushCode(): void {
    for (const [page] of this.pageBlocks) {
      if (this.peers !== null && this.peers.some((p) => p !== this && p.pageBlocks.has(page))) continue;
      this.mem.codePages[page] = 0;
      this.mem.clearCode(page);
    }
    this.blocks.clear();
    this.pageBlocks.clear();
    this.blockCache.fill(undefined);
    // Dropped blocks stay `valid`: the new epoch keeps the run loop from following a chain to one.
    this.tlbEpoch += 2;
  }

  /**
   * The physical range [base, base + size) now reads from somewhere else (the i440FX's PAM moved a BIOS segment
   * between ROM and shadow RAM, a PCI BAR moved): drop the decoded blocks with bytes in it, as a store there would.
   * Blocks elsewhere keep their decoding, hit counts and translations: SeaBIOS flips the PAM and sizes BARs during
   * its POST, and flushing every block each time re-decoded ~700 blocks and re-translated its hot loops (each a
   * new Function compiled by V8 again) on every boot.
   */
  invalidateCodeRange(base: number, size: number): void {
    const first = Math.floor(base / 4096), last = Math.floor((base + size - 1) / 4096);
    const pages: number[] = [];
    for (const page of this.pageBlocks.keys()) if (page >= first && page <= last) pages.push(page);
    for (const page of pages) {
      const lo = Math.max(base, page * 4096);
      this.invalidateCode(page, lo, Math.min(base + size, page * 4096 + 4096) - lo);
    }
  }

  /** Mark the bytes an instruction occupies as code (from `start`; `end` is its last byte's address). */
  private markCodeBytes(start: number, end: number, crossesPage: boolean): void {
    if (crossesPage) {
      // The instruction continues on another physical page: to the end of the first, from the start of the second.
      this.mem.markCode(start, start - (start & 0xfff) + 0xfff);
      this.mem.markCode(end - (end & 0xfff), end);
      return;
    }
    this.mem.markCode(start, end);
  }

  private markCodePage(page: number, b: Block): void {
    let list = this.pageBlocks.get(page);
    if (!list) {
      list = [];
      this.pageBlocks.set(page, list);
      if (!this.mem.codePages[page]) {
        this.mem.codePages[page] = 1;
        // Writes to this page must now take the slow path: drop write-TLB entries that map it.
        this.dropWriteMapping(page);
        if (this.peers !== null) for (const p of this.peers) if (p !== this) p.dropWriteMapping(page);
      }
    }
    list.push(b);
  }

  /** Writes to physical `page` must take the slow path: drop write-TLB entries that map it. */
  private dropWriteMapping(page: number): void {
    const s = this.wSlot[page], s2 = this.wSlot2[page];
    if (s === 0) return;
    const base = page * 4096;
    const t = this.wTlb;
    if (s > 0) {
      if (t[2 * (s - 1) + 1] === base) t[2 * (s - 1)] = -1;
      if (s2 > 0 && t[2 * (s2 - 1) + 1] === base) t[2 * (s2 - 1)] = -1;
    } else {
      for (let i = 0; i < 2 * TLB_SIZE; i += 2) if (t[i + 1] === base) t[i] = -1;
    }
    this.wSlot[page] = 0;
    this.wSlot2[page] = 0;
  }

  private fetchLa = 0;
  private readonly fetchByte = (k: number): number => {
    const la = this.addLinear(this.fetchLa, k);
    if (!this.long && !(la - this.segBase[Seg.CS] <= this.segLimit[Seg.CS] || this.segLimit[Seg.CS] === 0xffffffff)) {
      gp(0, 'instruction fetch beyond the CS limit');
    }
    return this.mem.read8(this.fetchPhys(la)); // MMIO too: code runs from ROM and from PAM-routed BIOS shadow areas
  };

  /** Physical address of code at linear `la`: the fetch TLB, else a page walk (translate fills the TLB). */
  private fetchPhys(la: number): number {
    const ti = (la >>> 12) & TLB_MASK;
    const xTlb = this.tlb[Access.EXEC];
    if (xTlb[2 * ti] === la - (la & 0xfff) + this.rb) return xTlb[2 * ti + 1] + (la & 0xfff);
    return this.translate(la, Access.EXEC, this.ub === 1);
  }

  /** Decode a block starting at the current RIP (whose physical address is `phys`). */
  private buildBlock(key: number, phys: number, mode: number): Block {
    const b = new Block(key, mode);
    b.lo = phys;
    const startLa = this.codeLinear();
    const startPage = Math.floor(phys / 4096);
    let offset = 0;
    let lastPage = startPage;
    for (let n = 0; n < MAX_BLOCK; n++) {
      if (n === MAX_BLOCK - 1 && !b.loops && this.loopBeyond(b, startLa, offset, startPage)) break;
      const insn = new Insn();
      this.fetchLa = this.addLinear(startLa, offset);
      try {
        decode(this.table, this.fetchByte, this.long, this.codeSize, insn, this.undefinedOp);
      } catch (e) {
        if (e !== FAULT || n === 0) throw e;
        break; // the fault belongs to a later instruction: end the block before it
      }
      b.insns.push(insn);
      // Which physical pages does this instruction touch? (An instruction may cross a page.)
      const endLa = this.addLinear(this.fetchLa, insn.len - 1);
      const endPhys = this.fetchPhys(endLa);
      const endPage = Math.floor(endPhys / 4096);
      if (endPage !== lastPage) this.markCodePage(endPage, b);
      this.markCodeBytes(phys + offset, endPhys, endPage !== startPage);
      if (endPage !== startPage) { b.hi = startPage * 4096 + 4095; b.lo2 = endPhys - (endPhys & 0xfff); b.hi2 = endPhys; }
      else b.hi = endPhys;
      offset += insn.len;
      // A conditional branch ends the block only when taken (run() and jit.ts leave on a RIP change), so
      // loops whose body holds a Jcc still become one block that translated code can iterate in place.
      if (branchesToStart(insn, offset)) b.loops = true;
      if (insn.endsBlock && (!isCondBranch(insn) || ((startLa + offset) & 0xfff) > 4096 - 15)) break;
      // A loop's back edge ends its block: what follows the loop runs once per loop exit, so it becomes a
      // block of its own, and the loop's translation stays small (V8 compiles it faster and tighter).
      if (isCondBranch(insn) && offset + insn.imm === 0) break;
      if (endPage !== startPage || ((startLa + offset) & 0xfff) === 0) break;
      lastPage = endPage;
    }
    this.markCodePage(startPage, b);
    b.n = b.insns.length;
    b.pollPort = pollLoopPort(b.insns);
    b.pollMem = b.pollPort !== POLL_NONE && pollReads(b.insns);
    this.blocks.set(key, b);
    if (this.blocks.size > (this.blockMask + 1) >>> 1 && this.blockMask < BLOCK_CACHE - 1) {
      // The slots refill from `blocks` as the blocks are looked up again.
      this.blockMask = 2 * this.blockMask + 1;
      this.blockCache = new Array<Block | undefined>(this.blockMask + 1).fill(undefined);
    }
    return b;
  }

  /**
   * Block b, `offset` bytes long at linear `startLa` (physical page `startPage`), has one instruction left
   * before MAX_BLOCK: decode on (up to MAX_LOOP_BLOCK instructions) while the block would go on, on its first page.
   * If a branch back to its start follows, those instructions join the block (a loop block, see MAX_LOOP_BLOCK):
   * true. Otherwise nothing changes (false) and buildBlock decodes its last instruction as usual.
   */
  private loopBeyond(b: Block, startLa: number, offset: number, startPage: number): boolean {
    const more: Insn[] = [];
    let end = offset;
    for (let n = b.insns.length; n < MAX_LOOP_BLOCK; n++) {
      // Never decode into the next page here (its page walk would set accessed bits for code that may not run).
      if (((startLa + end) & 0xfff) > 4096 - 15) return false;
      const insn = new Insn();
      this.fetchLa = this.addLinear(startLa, end);
      try {
        decode(this.table, this.fetchByte, this.long, this.codeSize, insn, this.undefinedOp);
      } catch (e) {
        if (e !== FAULT) throw e;
        return false;
      }
      more.push(insn);
      end += insn.len;
      if (branchesToStart(insn, end)) {
        const startPhys = b.lo;
        for (const i of more) b.insns.push(i);
        this.markCodeBytes(startPhys + offset, startPhys + end - 1, false);
        b.hi = startPhys + end - 1;
        b.loops = true;
        return true;
      }
      if (insn.endsBlock && !isCondBranch(insn)) return false;
    }
    return false;
  }

  // The block lookups take the linear RIP from the CPU (codeLinear), not as an argument: a kernel's linear
  // addresses are above 2^31, so V8 would pass one as a heap number (an allocation) wherever it does not inline.

  /** `prev`'s remembered successor (Block.next, next2) at the current linear RIP, TLB epoch `ep` and `mode`, or null. */
  private chained(prev: Block, ep: number, mode: number): Block | null {
    // codeLinear() by the mode the caller computed from `long` (a test of the number, not of a boolean field).
    const la = mode === 2 ? this.rip : wrap32(this.segBase[Seg.CS] + this.rip);
    let c = prev.next;
    if (prev.nextLa === la && prev.nextEp === ep && c !== null && c.mode === mode) return c;
    c = prev.next2;
    if (prev.next2La === la && prev.next2Ep === ep && c !== null && c.mode === mode) return c;
    return null;
  }

  /** Record `b` (found at the current linear RIP under TLB epoch `ep`) as the most recent successor of `prev`. */
  private linkNext(prev: Block, b: Block, ep: number): void {
    prev.next2 = prev.next; prev.next2La = prev.nextLa; prev.next2Ep = prev.nextEp;
    prev.next = b; prev.nextLa = this.codeLinear(); prev.nextEp = ep;
  }

  /**
   * The block at the current linear RIP in `mode` when the fetch TLB maps it and the block cache holds it, else
   * null: no page walk, no decoding, nothing that can fault or change state (runChain relies on that).
   */
  private cachedBlock(mode: number): Block | null {
    const la = this.codeLinear();
    const ti = (la >>> 12) & TLB_MASK;
    const xTlb = this.tlb[Access.EXEC];
    if (xTlb[2 * ti] !== la - (la & 0xfff) + this.rb) return null;
    const phys = xTlb[2 * ti + 1] + (la & 0xfff);
    const b = this.blockCache[(phys ^ (phys >>> 16)) & this.blockMask];
    return b !== undefined && b.key === phys * 4 + mode && b.mode === mode ? b : null;
  }

  /** The block at the current linear RIP in `mode`: a page walk if the fetch TLB misses, decoding if no block is cached. */
  private findBlock(mode: number): Block {
    const phys = this.fetchPhys(this.codeLinear());
    const key = phys * 4 + mode;
    const slot = (phys ^ (phys >>> 16)) & this.blockMask;
    let found = this.blockCache[slot];
    if (found === undefined || found.key !== key || found.mode !== mode) {
      found = this.blocks.get(key);
      if (found === undefined) found = this.buildBlock(key, phys, mode);
      this.blockCache[slot] = found;
    }
    return found;
  }

  /** Whether a breakpoint lies inside block `b` starting at the current RIP (cached per block and breakpoint generation). */
  private blockHasBreakpoint(b: Block): boolean {
    const rip = this.rip;
    if (b.bpRip === rip && b.bpGen === this.bpGen) return b.hasBp;
    let r = rip;
    let has = false;
    for (const insn of b.insns) {
      if (this.breakpoints.has(this.long ? r : (this.segBase[Seg.CS] + r) % TWO32)) { has = true; break; }
      r += insn.len;
    }
    b.bpRip = rip;
    b.bpGen = this.bpGen;
    b.hasBp = has;
    return has;
  }

  // -------------------------------------------------------------------------------- run loop
  /**
   * Execute until `budget` instructions have retired or something needs the machine's attention.
   * `skipBreakpointAt`: a breakpoint at this linear address is not reported before the first instruction (resuming
   * from a breakpoint stop).
   */
  run(budget: number, skipBreakpointAt = -1): Exit {
    // Determinism (reverse debugging, replay): a block also ends when a timer is due or an interrupt became
    // deliverable, so timers fire and interrupts are taken at the same instruction count however the run is
    // sliced and wherever decoded blocks happen to start.
    const clock = this.clock;
    const end = clock.instructions + budget;
    let skipBp = skipBreakpointAt;
    let prev: Block | null = null;
    for (;;) {
      if (clock.instructions >= clock.nextDeadline) clock.fire();
      if (this.stopRequested) return Exit.STOP;
      // NMIs are recognized whatever IF is, until delivery blocks them up to the next IRET (SDM Vol. 3 §6.7.1),
      // and not in the shadow of MOV SS/POP SS/STI (§6.8.3). They win over INTR (§6.9, Table 6-2).
      if (this.irqLine.nmiPending && !this.nmiBlocked && clock.instructions >= this.shadowUntil) {
        this.halted = false;
        return Exit.NMI;
      }
      if ((this.flags & Flag.IF) && clock.instructions >= this.shadowUntil && this.irqPending()) {
        this.halted = false;
        return Exit.IRQ;
      }
      if (this.halted) return Exit.HALT;
      if (clock.instructions >= end) return Exit.BUDGET;
      // Waiting at an RDTSC (spin-wait.ts): time passes to the wait's end, the next timer or the budget.
      if (this.stallUntil > clock.instructions) {
        const t = this.stallUntil < clock.nextDeadline ? this.stallUntil : clock.nextDeadline;
        clock.instructions = t < end ? t : end;
        prev = null;
        continue;
      }
      try {
        // A fault fetching this block's first instruction is reported at it (SDM §6.5: faults point at the
        // faulting instruction), not at the instruction that branched here.
        this.insnStart = this.rip;
        const la = this.codeLinear();
        const mode = this.long ? 2 : this.codeSize === 4 ? 1 : 0;
        const ep = this.tlbEpoch + this.ub;
        const last = prev;
        let b: Block | null = prev !== null ? this.chained(prev, ep, mode) : null;
        if (b === null) {
          b = this.findBlock(mode);
          // Remember it as prev's successor (translate() and buildBlock only fill entries: the epoch is still ep).
          if (prev !== null) this.linkNext(prev, b, ep);
        }
        prev = b;
        const insns = b.insns;
        const n = insns.length;
        if (((this.flags & (Flag.TF | Flag.RF)) !== 0 || (this.dr[7] & 0xff) !== 0) && !(this.breakpoints.size !== 0 && this.breakpoints.has(la) && la !== skipBp)) {
          skipBp = -1;
          this.codeDirty = false;
          if (this.debugStep(insns[0])) return Exit.FAULT;
          continue;
        }
        // With a breakpoint inside this block, run it one checked instruction at a time (never translated).
        const checkBp = this.breakpoints.size !== 0 && this.blockHasBreakpoint(b);
        if (!checkBp) {
          skipBp = -1;
          this.codeDirty = false;
          if (b.fn === null && this.jit && b.pollPort === POLL_NONE) {
            // A run right after the same block's run started where that one branched back to: one more iteration.
            if (b.loops) b.streak = last === b ? b.streak + 1 : 1;
            if (++b.hits >= this.jitThreshold || (b.loops && b.streak >= Math.min(this.jitThreshold, LOOP_JIT_THRESHOLD))) {
              b.fn = translateBlock(insns, this.long, TLB_MASK);
            }
          }
          // In an interrupt shadow (STI, MOV SS, POP SS) with an interrupt waiting and IF set, the interpreter
          // takes it after the block's first instruction; a translation checks only after handler calls and slow
          // paths, so it would take it at the block's end.
          if (b.fn !== null && clock.instructions + n <= end && clock.instructions + n <= clock.nextDeadline && this.jit &&
            (clock.instructions >= this.shadowUntil || !this.irqLine.pending || (this.flags & Flag.IF) === 0)) {
            // Chaining: outside an interrupt shadow, a translated block that returns BLOCK_QUIET changed only
            // registers, arithmetic flags, RAM through the TLB, RIP and the count, so every check above still
            // holds for its successor but the count against the budget and the timer deadline (which only device
            // code moves) and, with breakpoints set, whether one is inside the successor; a successor found in
            // its chain entries and translated runs next without the others.
            const chain = clock.instructions >= this.shadowUntil;
            if (!this.long) this.flatMask = this.flatSegments();
            if (b.fn(this, clock, end) === BLOCK_QUIET && chain) prev = this.runChain(b, mode, ep, end);
            this.codeDirty = false;
            continue;
          }
        }
        const blockRip = this.rip, blockStart = clock.instructions;
        // A polling loop: until when the port reads what this iteration's IN will read (asked before it runs).
        const pollUntil = b.pollPort === POLL_NONE || !this.pollSkip || checkBp ? 0
          : b.pollPort === POLL_MEMORY ? Infinity : this.bus.portStableUntil(b.pollPort === POLL_DX ? this.r[4] & 0xffff : b.pollPort, blockStart);
        if (!checkBp) {
          this.interpret(insns, n, end);
        } else {
          for (let k = 0; k < n; k++) {
            const bla = this.codeLinear();
            if (this.breakpoints.has(bla) && bla !== skipBp) {
              this.stopRequested = true;
              this.breakpointHit = true;
              return Exit.STOP;
            }
            skipBp = -1;
            const insn = insns[k];
            const next = this.rip + insn.len;
            this.insnStart = this.rip;
            this.rip = next;
            insn.exec(this, insn);
            clock.instructions++;
            if (this.rip !== next || this.codeDirty || this.stopRequested || clock.instructions >= end || clock.instructions >= clock.nextDeadline || (this.irqLine.pending && (this.flags & Flag.IF) !== 0)) break;
          }
        }
        this.codeDirty = false;
        // A polling loop that just went round (back at its start, every instruction run): its next
        // iterations are the same one until the port may change.
        if (pollUntil > clock.instructions && this.rip === blockRip && clock.instructions - blockStart === n && (!b.pollMem || this.pollReadsRam(insns))) this.skipPolls(n, pollUntil, end);
      } catch (e) {
        if (e !== FAULT) throw e;
        if (!this.faultIsTrap) this.rip = this.insnStart;
        this.faultRf = this.faultIsTrap ? 0 : Flag.RF;
        if (this.dbHits !== 0) this.dataBpAtEvent();
        // A faulting instruction did not complete: its watched accesses count when it runs again (as DRn hits).
        if (!this.faultIsTrap) this.watchHitAddr = -1;
        this.faultIsTrap = false;
        return Exit.FAULT;
      }
    }
  }

  /**
   * The interpreter's hot loop: a block's instructions without breakpoints (run() has the loop with the check),
   * until one branches, writes code, asks to stop, an interrupt becomes deliverable, a timer is due or the budget
   * (`end`) is spent. A method of its own, so V8 optimises it small, apart from run().
   */
  private interpret(insns: Insn[], n: number, end: number): void {
    const clock = this.clock;
    const irqLine = this.irqLine;
    for (let k = 0; k < n; k++) {
      const insn = insns[k];
      const rip = this.rip;
      const next = rip + insn.len;
      this.insnStart = rip;
      this.rip = next;
      insn.exec(this, insn);
      const ic = ++clock.instructions;
      if (this.rip !== next || this.codeDirty || this.stopRequested || ic >= end || ic >= clock.nextDeadline || (irqLine.pending && (this.flags & Flag.IF) !== 0)) return;
    }
  }

  /**
   * The translated successors of `b` while each returns BLOCK_QUIET (see run()): the mode and the TLB epoch are
   * still `mode` and `ep`, segments unchanged, no interrupt, stop or halt pending. A successor with a breakpoint
   * inside is left to run(), which runs it one checked instruction at a time. Returns the last block run (run()'s
   * prev); the next one, if any, starts in run() with every check.
   */
  private runChain(b: Block, mode: number, ep: number, end: number): Block {
    const clock = this.clock;
    const lim = end < clock.nextDeadline ? end : clock.nextDeadline;
    // Only the debugger sets breakpoints, never while the CPU runs.
    const bps = this.breakpoints.size !== 0;
    for (;;) {
      let c = this.chained(b, ep, mode);
      if (c === null) {
        c = this.cachedBlock(mode);
        if (c === null) return b;
        this.linkNext(b, c, ep);
      }
      const f = c.fn;
      if (f === null || clock.instructions + c.n > lim || (bps && this.blockHasBreakpoint(c))) return b;
      b = c;
      this.insnStart = this.rip;
      if (f(this, clock, end) !== BLOCK_QUIET) return b;
    }
  }

  /**
   * Retire a polling loop's next iterations at once (poll-loop.ts): as many whole iterations as end before the
   * polled port may change (stable since before the iteration that just ran, so every skipped IN reads what
   * its IN read), the next timer deadline and the budget, minus one that runs for real. Registers, flags and
   * RIP are what those iterations would leave, since each leaves what the last one left.
   */
  private skipPolls(n: number, stableUntil: number, end: number): void {
    const clock = this.clock;
    const now = clock.instructions;
    const limit = Math.min(stableUntil, clock.nextDeadline, end);
    const k = Math.floor((limit - now) / n) - 1;
    if (k > 0) clock.instructions = now + k * n;
  }

  /**
   * Whether a polling loop's memory reads (poll-loop.ts) all hit RAM or ROM through the TLB, with nothing
   * watching reads: what a skipped iteration would read is then what the last one read. Asked right after an
   * iteration, so the registers (and the addresses) are those of the next one.
   */
  private pollReadsRam(insns: readonly Insn[]): boolean {
    if (this.watch.length !== 0 || this.dataBp !== 0 || (this.dr[7] & 0xff) !== 0) return false;
    for (const i of insns) {
      if (!(i.op === 0xa0 || i.op === 0xa1 || (i.hasModrm && i.mod !== 3))) continue;
      // MOVZX/MOVSX read a byte or a word; the others their operand size.
      const size = i.op === 0x1b6 || i.op === 0x1be ? 1 : i.op === 0x1b7 || i.op === 0x1bf ? 2 : opSize(i);
      const la = i.op === 0xa0 || i.op === 0xa1 ? this.moffsAddr(i, size, false) : this.memAddr(i, size, false);
      for (const a of [la, la + size - 1]) {
        const page = this.tlbPage(a, false);
        if (page < 0 || this.bus.pageReadsMmio(page)) return false;
      }
    }
    return true;
  }

  /** Set by handlers raising a trap-class event (INT n, INT3, INTO): RIP stays after the instruction. */
  faultIsTrap = false;
  /** Set when run() stopped at a breakpoint. */
  breakpointHit = false;

  /** Decode (without caching) the instruction at a linear address, for tracing; undefined if unreadable. */
  decodeAt(la: number): Insn | undefined {
    this.fetchLa = la;
    try {
      decode(this.table, this.fetchByte, this.long, this.codeSize, this.scratch, this.undefinedOp);
      return this.scratch;
    } catch (e) {
      if (e !== FAULT) throw e;
      return undefined;
    }
  }

  /**
   * One instruction alone while RFLAGS.TF or RF = 1, DR7 enables a breakpoint, or a #DB is pending; true if
   * a #DB is in FAULT (SDM Vol. 3 ch. 18; the data/I/O breakpoint matching is in debug.ts).
   * Before it: a data-breakpoint #DB left pending by a software interrupt is delivered (before the handler's
   * first instruction); then DR0-3 instruction breakpoints (R/W = 00) matching its linear address raise the
   * #DB fault with DR6.B0-3, unless RF = 1 (§18.3.1.1, §18.3.1.5). In the shadow of MOV SS/POP SS they are
   * suppressed on Intel and delivered on AMD (see cpuid.ts). Completing the instruction clears RF (IRET sets
   * it from the stack).
   * After it: the #DB trap for the data/I/O breakpoints it hit (DR6.B0-3 say which) and, if TF was 1, the
   * single-step trap (DR6.BS, §18.3.1.4), one #DB for both. An instruction that loads SS (MOV SS, POP SS)
   * holds both back for one more instruction (§6.8.3): single-step is not reported for it, its data hits are
   * reported after the next instruction. SYSCALL traps only if TF is still set after it (FMASK normally
   * clears it); a SYSRET that sets TF raises the trap itself (singleStepTrap). A fault in the instruction
   * propagates to run()'s catch (dataBpAtEvent), and its delivery clears TF.
   */
  private debugStep(insn: Insn): boolean {
    const dr7 = this.dr[7];
    const inShadow = this.clock.instructions < this.dbShadowUntil;
    this.faultRf = 0;
    if (this.dbHits !== 0 && !inShadow) {
      this.dr[6] = ((this.dr[6] & ~DR6_B_MASK) | this.dbHits) >>> 0;
      FAULT.vector = 1;
      FAULT.errorCode = -1;
      FAULT.reason = `data breakpoint (DR6.B${31 - Math.clz32(this.dbHits & -this.dbHits)})`;
      this.dbHits = 0;
      return true;
    }
    if ((dr7 & 0xff) !== 0 && (this.flags & Flag.RF) === 0 && (!inShadow || cpuModel.current.vendor === 'AuthenticAMD')) {
      const la = this.codeLinear();
      let hit = 0;
      for (let n = 0; n < 4; n++) {
        if (((dr7 >>> (2 * n)) & 3) !== 0 && ((dr7 >>> (16 + 4 * n)) & 3) === 0 && this.drLinear[n] === la) hit |= 1 << n;
      }
      if (hit !== 0) {
        this.dr[6] = ((this.dr[6] & ~DR6_B_MASK) | hit) >>> 0;
        FAULT.vector = 1;
        FAULT.errorCode = -1;
        FAULT.reason = `instruction breakpoint (DR6.B${31 - Math.clz32(hit & -hit)})`;
        return true;
      }
    }
    const tf = this.flags & Flag.TF;
    this.insnStart = this.rip;
    this.rip += insn.len;
    insn.exec(this, insn);
    this.clock.instructions++;
    if (insn.op !== 0xcf) this.flags &= ~Flag.RF;
    // MOV SS / POP SS: #DB traps wait until after the next instruction.
    if (this.dbShadowUntil === this.clock.instructions + 1) return false;
    const step = tf !== 0 && !(insn.op === 0x105 && (this.flags & Flag.TF) === 0);
    const hits = this.dbHits;
    if (!step && hits === 0) return false;
    this.dbHits = 0;
    let dr6 = hits !== 0 ? (this.dr[6] & ~DR6_B_MASK) | hits : this.dr[6];
    if (step) dr6 |= DR6_BS;
    this.dr[6] = dr6 >>> 0;
    FAULT.vector = 1;
    FAULT.errorCode = -1;
    FAULT.reason = hits !== 0 ? `data breakpoint (DR6.B${31 - Math.clz32(hits & -hits)})` : 'single-step trap (RFLAGS.TF=1)';
    return true;
  }

  /**
   * An instruction raised an event with data-breakpoint hits noted: INT n/INT3/INTO completed, so the #DB
   * stays pending and is delivered before the handler's first instruction; ICEBP's #DB reports them with its
   * own; a fault restarts the instruction, so they are dropped (it hits again when it completes).
   */
  private dataBpAtEvent(): void {
    if (this.softIntPending) { this.dbShadowUntil = -1; return; }
    if (this.faultIsTrap && FAULT.vector === 1) this.dr[6] = ((this.dr[6] & ~DR6_B_MASK) | this.dbHits) >>> 0;
    this.dbHits = 0;
  }

  /** Raise the single-step trap from a handler (RIP already after the instruction). */
  singleStepTrap(): never {
    this.dr[6] = (this.dr[6] | 0x4000) >>> 0;
    this.faultIsTrap = true;
    return raise(1, -1, 'single-step trap (RFLAGS.TF=1)');
  }

  /** Raise a trap-class software interrupt from a handler (RIP already after the instruction). */
  softwareInterrupt(vector: number): never {
    this.faultIsTrap = true;
    this.softIntPending = true;
    return raise(vector, -1, `INT 0x${vector.toString(16)}`);
  }
  softIntPending = false;
}
