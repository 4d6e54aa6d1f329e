/**
 * The fuzz rig: one sandboxed Machine that runs random instruction streams, each from a fresh power-on
 * state, in 64-bit, 32-bit protected (paging off, 32-bit paging, PAE) and compatibility mode, with random
 * registers and, for some streams, hostile page tables (reserved bits, self-references, frames past RAM or in
 * MMIO) and garbage descriptor tables (GDT, IDT, TSS, GDTR/IDTR limits) plus a "trigger" instruction that
 * makes the CPU use them (INT n, far JMP/CALL, IRET, RETF, segment loads, LTR/LLDT, SYSCALL/SYSRET …).
 *
 * A stream is a pure function of (seed, index): `generate` derives everything from a PRNG seeded by both,
 * so `node out/test/fuzz/run.js --seed S --only I` replays stream I exactly. Every stream must end in a
 * guest-visible StopInfo (budget, halt, triple-fault shutdown, debug exit); a host exception is a bug.
 */
import { StopInfo } from '../../emulator/api';
import { Machine } from '../../emulator/machine';
import { describeChain } from '../../emulator/report';
import { decodeGdt } from '../../emulator/inspect/gdt';
import { decodeIdt } from '../../emulator/inspect/idt';
import { decodeTss32, decodeTss64 } from '../../emulator/inspect/tss';
import { walkPage } from '../../emulator/inspect/pagewalk';
import { Attr, Cr0, Cr4, Efer, Seg } from '../../emulator/cpu/state';

export const MODES = ['long64', 'prot32', 'prot32-paging', 'prot32-pae', 'compat32'] as const;
export type Mode = typeof MODES[number];

/** Guest physical layout (2 MiB of RAM). */
const PML4 = 0x1000, PDPT = 0x2000, PD = 0x3000, PT = 0x4000;
const GDT = 0x5000, LDT = 0x5800, IDT = 0x6000, TSS = 0x7000, STACK = 0x8f00, DATA = 0x9000, IST_STACK = 0xaf00;
export const CODE = 0x10000;
const RAM_MB = 2;

/** mulberry32: small, fast, good enough for fuzzing; state is one uint32. */
export class Rng {
  private s: number;
  constructor(seed: number, index: number) {
    // splitmix-style mix of (seed, index) so neighbouring indices give unrelated streams.
    let h = (seed ^ Math.imul(index, 0x9e3779b1)) >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    this.s = (h ^ (h >>> 16)) >>> 0;
  }
  u32(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** 0 .. n-1 */
  below(n: number): number { return this.u32() % n; }
  chance(p: number): boolean { return this.u32() < p * 4294967296; }
  pick<T>(a: readonly T[]): T { return a[this.below(a.length)]; }
}

/**
 * A structured program in place of the random code: bytes placed at code + at, where RIP starts. `real`: the
 * CPU is in real mode (rig.run's `segments` variation), where the program's 32-bit instructions need 66/67
 * prefixes.
 */
export type Program = (rng: Rng, mode: Mode, code: number, data: number, real: boolean) => { bytes: Uint8Array; at: number };

/** What one stream did, for the histogram and for reproduction. */
export interface StreamResult {
  index: number;
  mode: Mode;
  hostilePaging: boolean;
  hostileTables: boolean;
  /** Histogram key: 'budget', 'halt', 'triple fault', 'exit', … or 'HOST ERROR'. */
  outcome: string;
  /** Mnemonic of the first exception raised ('none' if none). */
  firstException: string;
  exceptions: number;
  code: Uint8Array;
  error?: string;
  /** rig.run's `segments` variation, when it applied: 'real mode' or 'based segments'. */
  variant?: string;
}

/** Instructions that make the CPU consult descriptor tables, the TSS or the IDT. */
const TRIGGERS: number[][] = [
  [0x0f, 0x0b], // ud2
  [0xcd, -1], // int imm8
  [0xcc], // int3
  [0xce], // into
  [0xff, 0x28], // jmp far [rax]
  [0x48, 0xff, 0x28], // rex.w jmp far [rax] (m16:64)
  [0xff, 0x18], // call far [rax]
  [0x48, 0xff, 0x18], // rex.w call far [rax]
  [0xcf], // iret
  [0x48, 0xcf], // iretq
  [0xcb], // retf
  [0x48, 0xcb], // retfq
  [0xca, -1, 0x00], // retf imm16
  [0x8e, 0xd0], // mov ss, ax
  [0x8e, 0xd8], // mov ds, ax
  [0x8e, 0xc0], // mov es, ax
  [0x8e, 0xe0], // mov fs, ax
  [0x8e, 0xe8], // mov gs, ax
  [0x0f, 0xa1], // pop fs
  [0x0f, 0x00, 0xd8], // ltr ax
  [0x0f, 0x00, 0xd0], // lldt ax
  [0x0f, 0x00, 0xe0], // verr ax
  [0x0f, 0x02, 0xc0], // lar eax, eax
  [0x0f, 0x03, 0xc0], // lsl eax, eax
  [0x0f, 0x01, 0x10], // lgdt [rax]
  [0x0f, 0x01, 0x18], // lidt [rax]
  [0x0f, 0x05], // syscall
  [0x0f, 0x07], // sysret
  [0x48, 0x0f, 0x07], // sysretq
  [0x0f, 0x34], // sysenter
  [0x0f, 0x35], // sysexit
  [0xea, -1, -1, -1, -1, -1, 0x00], // jmp far ptr16:32 (invalid in 64-bit mode)
  [0x9a, -1, -1, -1, -1, -1, 0x00], // call far ptr16:32
  [0xf7, 0xf1], // div ecx
  [0x0f, 0x22, 0xc0], // mov cr0, rax
  [0x0f, 0x22, 0xd8], // mov cr3, rax
  [0x0f, 0x22, 0xe0], // mov cr4, rax
  [0x0f, 0x30], // wrmsr
  [0x0f, 0x32], // rdmsr
  [0xfb, 0xf4], // sti; hlt
  [0x0f, 0x01, 0xf8], // swapgs
  [0xe6, -1], // out imm8, al
  [0xee], // out dx, al
  [0x17], // pop ss (invalid in 64-bit mode)
  [0x0f, 0xae, 0x00], // fxsave [rax]
  [0x0f, 0xae, 0x08], // fxrstor [rax]
  [0x0f, 0x01, 0xd1], // xsetbv
];

/** Addresses a hostile page-table entry likes to point at. */
const MMIO_FRAMES = [0xfee00000, 0xfec00000, 0xb8000, 0xa0000, 0xfffff000, 0xe0000000];

export class FuzzRig {
  readonly machine: Machine;
  private events = 0;
  private first = '';

  constructor() {
    this.machine = Machine.create({ memoryMB: RAM_MB, onTripleFault: 'stop' });
    this.machine.on('exception', (e) => {
      if (e.phase === 'raised') {
        if (this.events === 0) this.first = e.name.startsWith('INT ') ? 'INT n' : e.name.startsWith('IRQ') ? 'IRQ' : e.name;
        this.events++;
      }
    });
  }

  /**
   * Run stream `index` of `seed` with an instruction budget; never throws. `segments` (the translator's
   * differential test, jit-diff.ts): outside long mode, now and then real mode or data segments with a base and
   * a limit instead of flat ones (see varySegments), drawn from their own generator so the streams stay those of
   * `npm run fuzz`.
   */
  run(seed: number, index: number, budget: number, inspect = false, program?: Program, segments = false): StreamResult {
    const rng = new Rng(seed, index);
    const mode = MODES[rng.below(MODES.length)];
    const hostilePaging = mode !== 'prot32' && rng.chance(0.35);
    const hostileTables = rng.chance(0.35);
    const res: StreamResult = { index, mode, hostilePaging, hostileTables, outcome: '', firstException: 'none', exceptions: 0, code: new Uint8Array(0) };
    this.events = 0;
    this.first = 'none';
    try {
      res.code = this.setup(rng, mode, hostilePaging, hostileTables);
      const real = segments && this.varySegments(new Rng(seed ^ 0x5e6, index), mode);
      if (real) res.variant = 'real mode';
      else if (segments && this.machine.cpu.segBase[Seg.DS] !== 0) res.variant = 'based segments';
      if (program) {
        // The same machine state, with a structured program in place of the random stream (structured-program.ts).
        const p = program(new Rng(seed ^ 0x7e610, index), mode, CODE, DATA, real);
        this.machine.mem.u8.set(p.bytes, CODE + p.at);
        this.machine.cpu.rip = (real ? 0 : CODE) + p.at;
        this.machine.cpu.flushCode();
        res.code = p.bytes;
      }
      let stop: StopInfo = this.machine.run(budget);
      // A guest reset request re-enters at the reset vector; the budget still bounds the stream.
      res.outcome = outcomeName(stop);
      if (inspect) this.inspect(stop);
    } catch (e) {
      res.outcome = 'HOST ERROR';
      res.error = e instanceof Error ? e.stack ?? e.message : String(e);
    }
    res.exceptions = this.events;
    res.firstException = this.first;
    return res;
  }

  /** What the debugger does at a stop: describe the chain and decode the tables (must not throw either). */
  private inspect(stop: StopInfo): void {
    const m = this.machine;
    const st = m.state();
    describeChain(m.faultChain());
    const read = (a: bigint, n: number): Uint8Array | undefined => {
      const r = m.readLinear(a, n);
      return r.readable === n ? r.data : undefined;
    };
    const readPhys = (a: bigint, n: number): Uint8Array | undefined => (a + BigInt(n) <= BigInt(m.mem.size) ? m.readPhysical(a, n) : undefined);
    const long = st.mode === 'long' || st.mode === 'compatibility';
    decodeGdt(read, st.gdtr.base, st.gdtr.limit, long);
    decodeIdt(read, st.idtr.base, st.idtr.limit, long);
    if (st.tr.selector) {
      if (long) decodeTss64(read, st.tr.base, st.tr.limit);
      else decodeTss32(read, st.tr.base, st.tr.limit);
    }
    walkPage(readPhys, { cr0: st.regs.cr0, cr3: st.regs.cr3, cr4: st.regs.cr4, efer: st.regs.efer }, st.regs.rip);
    if (stop.event) walkPage(readPhys, { cr0: st.regs.cr0, cr3: st.regs.cr3, cr4: st.regs.cr4, efer: st.regs.efer }, stop.event.cr2);
  }

  /**
   * Outside long mode, with its own generator: real mode (a third of the time: CS based at CODE, the data
   * segments at random paragraphs below DATA, 64 KiB limits, paging off) or, another third, data segments
   * (ES, SS, DS, FS, GS) with random paragraph bases and limits from 64 KiB to 4 GiB, CS still flat. Returns
   * whether the CPU is now in real mode. Such segments make translated memory operands compute base + offset
   * and check the limit (jit-operands.ts address), which flat segments never do.
   */
  private varySegments(rng: Rng, mode: Mode): boolean {
    const c = this.machine.cpu;
    if (mode === 'long64' || mode === 'compat32') return false;
    const pick = rng.below(3);
    if (pick === 0) return false;
    const base = (): number => rng.below(DATA >> 4) << 4;
    if (pick === 1) {
      c.cr0 &= ~(Cr0.PE | Cr0.PG);
      for (const s of [Seg.ES, Seg.SS, Seg.DS, Seg.FS, Seg.GS, Seg.CS]) {
        const b = s === Seg.CS ? CODE : base();
        c.segSel[s] = b >>> 4; c.segBase[s] = b; c.segLimit[s] = 0xffff;
        c.segAttr[s] = Attr.P | Attr.S | (s === Seg.CS ? 0xb : 0x3);
      }
      c.rip -= CODE;
      // A 16-bit stack moves SP alone: ESP's upper half must survive every push and pop.
      c.r[8] = (rng.u32() & 0xffff0000) | (c.r[8] & 0xffff);
      c.setCpl(0);
    } else {
      for (const s of [Seg.ES, Seg.SS, Seg.DS, Seg.FS, Seg.GS]) {
        c.segBase[s] = base();
        c.segLimit[s] = rng.pick([0xffff, 0xfffff, 0xffffffff, DATA + 0x400 + rng.below(0x400)]);
      }
    }
    c.flushTlb();
    c.flushCode();
    c.updateMode();
    return pick === 1;
  }

  /** Power on and build the stream's machine state; returns the code bytes placed at CODE. */
  private setup(rng: Rng, mode: Mode, hostilePaging: boolean, hostileTables: boolean): Uint8Array {
    const m = this.machine;
    m.reset();
    const c = m.cpu;
    const u8 = m.mem.u8;
    const dv = m.mem.view;
    const long = mode === 'long64' || mode === 'compat32';

    // --- GDT: the usual flat descriptors (index: selector >> 3).
    const gdt: [number, number][] = [
      [0, 0],
      [0x0000ffff, 0x00af9a00], // 0x08 64-bit code, DPL 0
      [0x0000ffff, 0x00cf9200], // 0x10 data, DPL 0
      [0x0000ffff, 0x00cf9a00], // 0x18 32-bit code, DPL 0
      [0x0000ffff, 0x00cff200], // 0x20 data, DPL 3
      [0x0000ffff, 0x00affa00], // 0x28 64-bit code, DPL 3
      [0x0000ffff, 0x00cffa00], // 0x30 32-bit code, DPL 3
      [(TSS << 16) | 0x67, 0x00008900], // 0x38 TSS (available), 16 bytes in long mode
      [0, 0],
      [0x0000ffff, 0x000f9a00], // 0x48 16-bit code
      [(LDT << 16) | 0xff, 0x00008200], // 0x50 LDT
      [0, 0],
      [0x0000ffff, 0x00cf9e00], // 0x60 conforming 32-bit code
      [0x0000ffff, 0x00af9e00], // 0x68 conforming 64-bit code
    ];
    for (let k = 0; k < gdt.length; k++) { dv.setUint32(GDT + 8 * k, gdt[k][0], true); dv.setUint32(GDT + 8 * k + 4, gdt[k][1], true); }
    for (let k = 0; k < 32; k++) dv.setUint32(LDT + 4 * k, rng.u32(), true);
    let gdtLimit = gdt.length * 8 - 1;

    // --- IDT: every gate points at a random spot in the code page.
    const handlerCs = mode === 'long64' || mode === 'compat32' ? 0x08 : 0x18;
    for (let v = 0; v < 256; v++) {
      const off = CODE + rng.below(4096);
      const ist = long && rng.chance(0.2) ? 1 + rng.below(2) : 0;
      const dpl = rng.chance(0.5) ? 0x6000 : 0;
      const type = rng.chance(0.5) ? 0x8e00 : 0x8f00;
      if (long) {
        const a = IDT + v * 16;
        dv.setUint32(a, (handlerCs << 16) | (off & 0xffff), true);
        dv.setUint32(a + 4, (off & 0xffff0000) | type | dpl | ist, true);
        dv.setUint32(a + 8, 0, true);
        dv.setUint32(a + 12, 0, true);
      } else {
        const a = IDT + v * 8;
        dv.setUint32(a, (handlerCs << 16) | (off & 0xffff), true);
        dv.setUint32(a + 4, (off & 0xffff0000) | type | dpl, true);
      }
    }
    let idtLimit = long ? 0xfff : 0x7ff;

    // --- TSS: RSP0/ESP0+SS0 and two IST stacks.
    if (long) {
      dv.setUint32(TSS + 4, STACK, true);
      dv.setUint32(TSS + 0x24, IST_STACK, true);
      dv.setUint32(TSS + 0x2c, IST_STACK - 0x400, true);
      dv.setUint16(TSS + 0x66, 0x68, true);
    } else {
      dv.setUint32(TSS + 4, STACK, true);
      dv.setUint32(TSS + 8, 0x10, true);
    }

    // --- random data for far pointers, descriptors loaded via [rax], FXRSTOR images …
    for (let k = 0; k < 1024; k += 4) dv.setUint32(DATA + k, rng.u32(), true);
    for (let k = 0; k < 8; k++) dv.setUint16(DATA + 4 + 2 * k, rng.below(0x70), true); // plausible selectors

    // --- paging
    let cr3 = 0, cr0 = Cr0.PE | Cr0.ET | Cr0.NE | Cr0.MP | (rng.chance(0.5) ? Cr0.WP : 0), cr4 = Cr4.OSFXSR | Cr4.OSXMMEXCPT;
    let efer = 0;
    const user = rng.chance(0.25);
    const U = 4;
    if (mode === 'long64' || mode === 'compat32' || mode === 'prot32-pae') {
      cr0 |= Cr0.PG;
      cr4 |= Cr4.PAE;
      const flags = 3 | U;
      if (mode === 'prot32-pae') {
        dv.setUint32(PML4, PD | 1, true); // the PDPT (4 entries, 32-byte aligned) sits at PML4
        cr3 = PML4;
      } else {
        dv.setUint32(PML4, PDPT | flags, true);
        dv.setUint32(PDPT, PD | flags, true);
        cr3 = PML4;
        efer = Efer.LME | Efer.LMA | (rng.chance(0.5) ? Efer.NXE : 0) | (rng.chance(0.5) ? Efer.SCE : 0);
      }
      dv.setUint32(PD, PT | flags, true);
      for (let p = 0; p < 512; p++) dv.setUint32(PT + 8 * p, (p * 4096) | flags, true);
      if (rng.chance(0.3)) dv.setUint32(PD + 8, 0x200000 | 0x80 | flags, true); // a 2 MiB page past RAM
      if (hostilePaging) this.corrupt64(rng, mode === 'prot32-pae');
    } else if (mode === 'prot32-paging') {
      cr0 |= Cr0.PG;
      if (rng.chance(0.5)) cr4 |= Cr4.PSE;
      dv.setUint32(PML4, PT | 3 | U, true);
      for (let p = 0; p < 512; p++) dv.setUint32(PT + 4 * p, (p * 4096) | 3 | U, true);
      dv.setUint32(PML4 + 4, 0x400000 | 0x80 | 3, true); // 4 MiB page (with PSE) past RAM
      cr3 = PML4;
      if (hostilePaging) this.corrupt32(rng);
    }
    const cr4Extras = [Cr4.SMEP, Cr4.SMAP, Cr4.OSXSAVE, Cr4.PGE, Cr4.TSD, Cr4.UMIP, Cr4.FSGSBASE, Cr4.DE, Cr4.PCE];
    for (const b of cr4Extras) if (rng.chance(0.15)) cr4 |= b;

    // --- hostile descriptor tables
    if (hostileTables) {
      const n = 1 + rng.below(6);
      for (let k = 0; k < n; k++) {
        const which = rng.below(5);
        if (which === 0) { // a GDT entry: random bytes or a crafted descriptor with random type bits
          const idx = rng.below(16);
          const lo = rng.chance(0.5) ? rng.u32() : (rng.u32() & 0xffff0000) | rng.below(0x10000);
          const hi = rng.chance(0.5) ? rng.u32() : (rng.u32() & 0xff0000ff) | ((rng.below(256) << 8) | (rng.below(16) << 20));
          dv.setUint32(GDT + 8 * idx, lo, true);
          dv.setUint32(GDT + 8 * idx + 4, hi, true);
        } else if (which === 1) { // IDT gates
          const v = rng.chance(0.5) ? rng.below(32) : rng.below(256);
          const a = IDT + v * (long ? 16 : 8);
          const sel = rng.chance(0.7) ? rng.below(0x70) : rng.below(0x10000);
          dv.setUint32(a, (sel << 16) | rng.below(0x10000), true);
          dv.setUint32(a + 4, rng.chance(0.5) ? rng.u32() : (rng.u32() & 0xffff0000) | (rng.below(256) << 8) | rng.below(8), true);
          if (long) { dv.setUint32(a + 8, rng.chance(0.5) ? 0 : rng.u32(), true); dv.setUint32(a + 12, rng.u32(), true); }
        } else if (which === 2) { // TSS fields: stacks anywhere (non-canonical, unmapped, MMIO, unaligned)
          const off = rng.below(0x68) & ~3;
          dv.setUint32(TSS + off, rng.chance(0.5) ? rng.u32() : rng.pick([0, 0xfee00000, 0x1ffffc, 0xffff8000, 0x7fff, 0x10]), true);
        } else if (which === 3) {
          gdtLimit = rng.chance(0.5) ? rng.below(0x80) : rng.below(0x10000);
        } else {
          idtLimit = rng.chance(0.5) ? rng.below(0x1000) : rng.below(0x10000);
        }
      }
    }

    // --- code: an optional trigger, then random bytes
    const len = 1 + rng.below(96);
    const code = new Uint8Array(len + 8 + 2 * 24 + 8 * 7);
    let at = 0;
    if (hostileTables || rng.chance(0.2)) {
      for (const b of rng.pick(TRIGGERS)) code[at++] = b < 0 ? rng.below(256) : b;
    }
    // an x87 stream: escape opcodes with random ModRM bytes (register forms twice as often), from a random
    // x87 state with some exceptions unmasked, so #MF, stack faults and FERR# paths run too
    const x87 = rng.chance(0.15);
    if (x87) {
      const n = 4 + rng.below(20);
      for (let k = 0; k < n; k++) { code[at++] = 0xd8 + rng.below(8); code[at++] = rng.chance(0.66) ? 0xc0 | rng.below(64) : rng.below(256) & 0xc7; }
    }
    // a three-byte-opcode stream: SSSE3/SSE4 (0F 38 / 0F 3A, NP or 66), ADX/MOVBE/CRC32 and VEX-encoded
    // BMI1/BMI2 (C4 maps 0F38/0F3A), with random ModRM and immediates
    if (!x87 && rng.chance(0.15)) {
      const n = 2 + rng.below(8);
      for (let k = 0; k < n; k++) {
        if (rng.chance(0.3)) { code[at++] = 0xc4; code[at++] = (rng.below(8) << 5) | (2 + rng.below(2)); code[at++] = rng.below(256) & 0xfb; }
        else {
          const pf = rng.below(4);
          if (pf) code[at++] = [0x66, 0xf3, 0xf2][pf - 1];
          code[at++] = 0x0f; code[at++] = rng.chance(0.6) ? 0x38 : 0x3a;
        }
        code[at++] = rng.chance(0.5) ? rng.below(0x42) : 0xf0 + rng.below(8);
        code[at++] = rng.chance(0.6) ? 0xc0 | rng.below(64) : rng.below(256) & 0xc7;
        code[at++] = rng.below(256);
      }
    }
    // a VEX stream: AVX (2-byte C5 and 3-byte C4 with maps 0F/0F38/0F3A, random R/X/B, W, vvvv, L and pp),
    // random opcodes, ModRM and imm8, with CR4.OSXSAVE and XCR0 = x87|SSE|AVX most of the time
    const avx = !x87 && rng.chance(0.1);
    if (avx) {
      const n = 2 + rng.below(10);
      for (let k = 0; k < n; k++) {
        if (rng.chance(0.5)) { code[at++] = 0xc5; code[at++] = rng.below(256); }
        else { code[at++] = 0xc4; code[at++] = (rng.below(8) << 5) | (1 + rng.below(3)); code[at++] = rng.below(256); }
        code[at++] = rng.below(256);
        code[at++] = rng.chance(0.6) ? 0xc0 | rng.below(64) : rng.below(256) & 0xc7;
        code[at++] = rng.below(256);
      }
      if (rng.chance(0.9)) cr4 |= Cr4.OSXSAVE;
    }
    for (let k = 0; k < len; k++) code[at++] = rng.below(256);
    const bytes = code.subarray(0, at);
    u8.set(bytes, CODE);
    // The rest of the code page: more random bytes where IDT handlers land.
    for (let k = (at + 3) & ~3; k < 4096; k += 4) dv.setUint32(CODE + k, rng.u32(), true);

    // --- CPU state
    c.cr0 = cr0; c.cr3 = cr3; c.cr4 = cr4; c.efer = efer;
    c.xcr0 = avx && rng.chance(0.9) ? 7 : 1;
    c.gdtrBase = GDT; c.gdtrLimit = gdtLimit;
    c.idtrBase = IDT; c.idtrLimit = idtLimit;
    const set = (s: number, sel: number): void => {
      const hi = gdt[sel >> 3][1];
      c.segSel[s] = sel; c.segBase[s] = 0; c.segLimit[s] = hi & 0x800000 ? 0xffffffff : 0xffff;
      c.segAttr[s] = ((hi >>> 8) & 0xf0ff) | 1;
    };
    const cpl3 = user && mode !== 'prot32';
    const csSel = mode === 'long64' ? (cpl3 ? 0x2b : 0x08) : cpl3 ? 0x33 : 0x18;
    const dsSel = cpl3 ? 0x23 : 0x10;
    for (const s of [Seg.ES, Seg.SS, Seg.DS, Seg.FS, Seg.GS]) set(s, dsSel);
    set(Seg.CS, csSel & ~3);
    c.segSel[Seg.CS] = csSel;
    c.setCpl(cpl3 ? 3 : 0);
    if (rng.chance(0.85)) {
      c.segSel[Seg.TR] = 0x38; c.segBase[Seg.TR] = TSS; c.segLimit[Seg.TR] = 0x67; c.segAttr[Seg.TR] = long ? 0x8b : 0x8b;
    }
    c.flags = 2 | (rng.chance(0.3) ? 0x200 : 0) | (rng.chance(0.05) ? 0x100 : 0) | (rng.chance(0.1) ? 0x400 : 0) | (rng.chance(0.1) ? 0x3000 : 0) | (rng.u32() & 0x8d5);
    c.lfOp = 0;
    for (let r = 0; r < 16; r++) {
      const kind = rng.below(6);
      const lo = kind === 0 ? rng.u32() | 0 : kind === 1 ? DATA + rng.below(512) : kind === 2 ? rng.below(0x70) : kind === 3 ? 0 : kind === 4 ? rng.below(0x200000) : -1;
      const hi = kind === 0 && long ? rng.u32() | 0 : kind === 5 ? -1 : 0;
      c.setReg64(r, lo, hi);
    }
    // RCX is a REP count: mostly small; a huge one now and then (a long REP yields every 64 Ki iterations,
    // each yield counting as one instruction, so it costs wall time but stays bounded).
    c.setReg64(1, rng.chance(0.02) ? rng.u32() | 0 : rng.below(256), 0);
    c.setReg64(0, DATA + (rng.below(64) << 2), 0); // rax: far pointers / descriptor images for the triggers
    c.setReg64(4, STACK - rng.below(64) * 8, 0); // rsp
    c.rip = CODE;
    c.star = rng.chance(0.5) ? 0x00180008 : rng.u32(); c.starHi = rng.chance(0.5) ? 0x00230008 : rng.u32();
    c.lstarLo = CODE + rng.below(4096); c.lstarHi = rng.chance(0.9) ? 0 : rng.u32() | 0;
    c.fmask = rng.u32();
    if (x87) {
      c.fcw = (rng.chance(0.5) ? 0x3f : rng.below(64)) | (rng.below(16) << 8) | 0x40;
      c.fsw = rng.below(8) << 11;
      c.ftw = rng.below(256);
      for (let k = 0; k < 128; k++) c.fpuRegs[k] = rng.below(256);
      if (rng.chance(0.2)) c.cr0 &= ~Cr0.NE;
      if (rng.chance(0.05)) c.cr0 |= rng.chance(0.5) ? Cr0.TS : Cr0.EM;
    }
    c.flushTlb();
    c.flushCode();
    c.updateMode();
    return bytes.slice();
  }

  /** Random hostile entries in the 64-bit-format tables (long mode and PAE). */
  private corrupt64(rng: Rng, pae: boolean): void {
    const dv = this.machine.mem.view;
    const tables = pae ? [PML4, PD, PT] : [PML4, PDPT, PD, PT];
    const n = 1 + rng.below(6);
    for (let k = 0; k < n; k++) {
      const t = rng.pick(tables);
      // Indices the stream is sure to use: 0 in the upper levels, code/stack/table pages in the PT.
      const idx = t === PT ? rng.pick([0x10, 0x8, 0x9, 0xa, 0x1, 0x2, 0x3, 0x4, 0x5, 0x6, 0x7, rng.below(512)])
        : t === PML4 && pae ? rng.below(4) : rng.chance(0.7) ? 0 : rng.below(512);
      const flags = rng.below(0x1000) | 1;
      let lo: number, hi = 0;
      switch (rng.below(7)) {
        case 0: lo = rng.u32(); hi = rng.u32(); break;
        case 1: lo = rng.pick(tables) | flags; break; // self-reference / loop
        case 2: lo = (0x40000000 + rng.below(0x10000) * 4096) | flags; hi = rng.chance(0.5) ? 0 : rng.below(0x100); break; // past RAM
        case 3: lo = (rng.pick(MMIO_FRAMES) | flags) >>> 0; break;
        case 4: lo = (rng.below(512) * 4096) | flags; hi = 1 << (8 + rng.below(12)); break; // reserved bits 40..51
        case 5: lo = (rng.below(512) * 4096) | flags | 0x80 | (rng.below(256) << 13); break; // PS with reserved low bits
        default: lo = (rng.below(512) * 4096) | flags; hi = 0x80000000; break; // NX
      }
      if (rng.chance(0.1)) lo &= ~1;
      dv.setUint32(t + idx * 8, lo >>> 0, true);
      dv.setUint32(t + idx * 8 + 4, hi >>> 0, true);
    }
  }

  /** Random hostile entries in 32-bit paging's page directory and table. */
  private corrupt32(rng: Rng): void {
    const dv = this.machine.mem.view;
    const n = 1 + rng.below(6);
    for (let k = 0; k < n; k++) {
      const t = rng.chance(0.5) ? PML4 : PT;
      const idx = t === PT ? rng.pick([0x10, 0x8, 0x9, 0x1, 0x4, 0x5, 0x6, 0x7, rng.below(1024)]) : rng.chance(0.7) ? 0 : rng.below(1024);
      const flags = rng.below(0x1000) | 1;
      const v = rng.pick([rng.u32(), PML4 | flags, PT | flags, (0x40000000 | flags) >>> 0, (0xfee00000 | flags) >>> 0, (0xffc00000 | 0x80 | flags) >>> 0, 0x2000 | 0x80 | flags]);
      dv.setUint32(t + idx * 4, v >>> 0, true);
    }
  }
}

function outcomeName(s: StopInfo): string {
  switch (s.reason) {
    case 'shutdown': return 'triple fault';
    case 'budget': return 'budget';
    default: return s.reason;
  }
}

export function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}
