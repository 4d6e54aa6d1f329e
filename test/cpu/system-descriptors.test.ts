import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Cpu } from '../../emulator/cpu/cpu';
import { EventKind, deliver } from '../../emulator/cpu/exceptions';
import { FAULT } from '../../emulator/cpu/fault';
import { Attr, Seg } from '../../emulator/cpu/state';
import { CODE, enablePaging, makeCpu, peek, poke, reg, runCode } from '../support/cpu-harness';

/**
 * The 16-byte system descriptors of IA-32e mode (SDM Vol. 3A §7.2.3 Figure 7-4, §5.8.3.1 Figure 5-9, §6.14.1
 * Figure 6-8) at the bases higher-half kernels use: LTR, LLDT, 64-bit call gates (JMP/CALL far) and IDT gates.
 * The dword at +8 is base/offset bits 63:32; bits 12:8 of the dword at +12 must be 0 (#GP(selector)), the
 * rest of that dword is not checked; an IDT gate's dword at +12 is reserved and not checked at all.
 */

const GDT = 0x10000;
const IDT = 0x11000;
const POINTER = 0x9000;
const SEL = { code: 0x08, data: 0x10, tss: 0x18, ldt: 0x28, gate: 0x38, code32: 0x48 } as const;
const MASK48 = (1n << 48n) - 1n;

/** The bases the issue names: a low kernel, the start of the higher half, a PML4[511] kernel, -mcmodel=kernel. */
const BASES: bigint[] = [0x0000_0000_0010_3048n, 0xffff_8000_0020_3048n, 0xffff_ff80_0010_4048n, 0xffff_ffff_8010_5048n];
/** A physical page for each base's page (the first is below 4 MiB and identity-mapped). */
const PHYS = [0x103000, 0x250000, 0x260000, 0x270000];

function w32(c: Cpu, at: number, v: number): void {
  poke(c, at, [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff]);
}
function w64(c: Cpu, at: number, v: bigint): void {
  w32(c, at, Number(v & 0xffffffffn));
  w32(c, at + 4, Number((v >> 32n) & 0xffffffffn));
}
function r64(c: Cpu, at: number): bigint {
  const b = peek(c, at, 8);
  return b.reduceRight((acc, x) => (acc << 8n) | BigInt(x), 0n);
}
const lo32 = (v: bigint) => Number(v & 0xffffffffn);
const hi32 = (v: bigint) => Number((v >> 32n) & 0xffffffffn);

/** A 16-byte system descriptor (TSS, LDT): type byte, 64-bit base, limit, and the dword at +12. */
function systemDescriptor(c: Cpu, sel: number, typeByte: number, base: bigint, limit: number, upper = 0): void {
  const at = GDT + sel;
  w32(c, at, (limit & 0xffff) | ((lo32(base) & 0xffff) << 16));
  w32(c, at + 4, ((lo32(base) >>> 16) & 0xff) | (typeByte << 8) | (limit & 0xf0000) | (lo32(base) & 0xff000000));
  w32(c, at + 8, hi32(base));
  w32(c, at + 12, upper);
}

/** A 64-bit call gate (type 0xC) to selector:offset. */
function callGate(c: Cpu, sel: number, target: number, offset: bigint, upper = 0): void {
  const at = GDT + sel;
  w32(c, at, (lo32(offset) & 0xffff) | (target << 16));
  w32(c, at + 4, (lo32(offset) & 0xffff0000) | 0x8c00);
  w32(c, at + 8, hi32(offset));
  w32(c, at + 12, upper);
}

/** A 64-bit IDT gate: `typeBits` is bits 15:8 of the second dword (0x8E interrupt gate, present, DPL 0). */
function idtGate(c: Cpu, vector: number, offset: bigint, ist: number, reserved: number, typeBits = 0x8e): void {
  const at = IDT + vector * 16;
  w32(c, at, (lo32(offset) & 0xffff) | (SEL.code << 16));
  w32(c, at + 4, (lo32(offset) & 0xffff0000) | (typeBits << 8) | ist);
  w32(c, at + 8, hi32(offset));
  w32(c, at + 12, reserved);
}

/** A CPU in 64-bit mode with paging, a GDT (code, data, 32-bit code) and an IDT; `base` mapped to `phys`. */
function machine(base: bigint, phys: number): Cpu {
  const c = makeCpu();
  const map = enablePaging(c);
  if (base >= 0x400000n) map(base & ~0xfffn, phys);
  w64(c, GDT + SEL.code, 0x00af9a000000ffffn);
  w64(c, GDT + SEL.data, 0x00cf92000000ffffn);
  w64(c, GDT + SEL.code32, 0x00cf9a000000ffffn);
  c.gdtrBase = GDT;
  c.gdtrLimit = 0x4f;
  c.idtrBase = IDT;
  c.idtrLimit = 256 * 16 - 1;
  return c;
}

/** Physical address of linear `la` in the page machine() mapped for `base`. */
function physOf(base: bigint, phys: number, la: bigint): number {
  return base < 0x400000n ? Number(la) : phys + Number(la & 0xfffn);
}

const MOV_AX = (sel: number) => [0x66, 0xb8, sel & 0xff, sel >> 8];
const LTR_AX = [0x0f, 0x00, 0xd8];
const LLDT_AX = [0x0f, 0x00, 0xd0];
const MOV_DS_AX = [0x8e, 0xd8];
/** mov rax, POINTER; jmp far [rax] / call far [rax] (REX.W FF /5, /3: m16:64). */
const FAR_VIA_POINTER = (call: boolean) => [0x48, 0xb8, ...[0, 0x90, 0, 0, 0, 0, 0, 0], 0x48, 0xff, call ? 0x18 : 0x28];

function busy(c: Cpu, sel: number): boolean {
  return ((peek(c, GDT + sel + 5, 1)[0] >> 1) & 1) === 1;
}

function hex(v: bigint): string {
  return `0x${BigInt.asUintN(64, v).toString(16)}`;
}

describe('LTR of a 16-byte TSS descriptor in IA-32e mode', () => {
  for (const [i, base] of BASES.entries()) {
    it(`loads a TSS at ${hex(base)}: TR.base, busy bit, and the IST it names is read from there`, () => {
      const c = machine(base, PHYS[i]);
      systemDescriptor(c, SEL.tss, 0x89, base, 0x67);
      const ist1 = (base & ~0xfffn) + 0xff0n;
      w64(c, physOf(base, PHYS[i], base + 0x24n), ist1);
      const r = runCode(c, [...MOV_AX(SEL.tss), ...LTR_AX], 2);
      assert.equal(r.vector, -1, `no fault (got vector ${r.vector}, error 0x${r.errorCode.toString(16)}: ${FAULT.reason})`);
      assert.equal(c.segSel[Seg.TR], SEL.tss);
      assert.equal(BigInt(c.segBase[Seg.TR]), base & MASK48, 'TR.base is the full base (kept as its low 48 bits)');
      assert.equal(c.segLimit[Seg.TR], 0x67);
      assert.ok(busy(c, SEL.tss), 'the descriptor is marked busy in the GDT');

      // #DF through an IST gate whose handler is in the same higher half; garbage in the gate's reserved dword.
      const handler = (base & ~0xfffn) + 0x800n;
      idtGate(c, 8, handler, 1, 0xdeadbeef);
      deliver(c, 8, 0, EventKind.EXCEPTION);
      assert.equal(BigInt(c.rip), handler & MASK48, 'RIP is the gate offset with bits 63:32 from +8');
      assert.equal(reg(c, 4), BigInt.asUintN(64, ist1 - 48n), 'RSP is IST1 (read through TR.base) minus the 6-qword frame');
      assert.equal(r64(c, physOf(base, PHYS[i], ist1 - 48n)), 0n, 'error code');
      assert.equal(r64(c, physOf(base, PHYS[i], ist1 - 40n)), BigInt(CODE + 7), 'return RIP');
      assert.equal(r64(c, physOf(base, PHYS[i], ist1 - 32n)), BigInt(SEL.code), 'CS');
    });
  }

  for (const upper of [0x100, 0x800, 0x1000, 0x1f00]) {
    it(`#GP(selector) when bits 12:8 at +12 are 0x${(upper >> 8).toString(16)}; TR and the busy bit stay as they were`, () => {
      const base = BASES[3];
      const c = machine(base, PHYS[3]);
      systemDescriptor(c, SEL.tss, 0x89, base, 0x67, upper);
      const r = runCode(c, [...MOV_AX(SEL.tss), ...LTR_AX], 2);
      assert.equal(r.vector, 13);
      assert.equal(r.errorCode, SEL.tss);
      assert.match(FAULT.reason, /upper half of the 16-byte TSS descriptor/);
      assert.equal(c.segSel[Seg.TR], 0);
      assert.ok(!busy(c, SEL.tss));
    });
  }

  it('ignores the other bits of the dword at +12 (31:13 and 7:0)', () => {
    const base = BASES[2];
    const c = machine(base, PHYS[2]);
    systemDescriptor(c, SEL.tss, 0x89, base, 0x67, 0xffffe0ff | 0);
    const r = runCode(c, [...MOV_AX(SEL.tss), ...LTR_AX], 2);
    assert.equal(r.vector, -1, FAULT.reason);
    assert.equal(BigInt(c.segBase[Seg.TR]), base & MASK48);
  });

  it('a base whose bits 63:48 do not copy bit 47 is #GP(selector)', () => {
    const c = machine(BASES[0], PHYS[0]);
    systemDescriptor(c, SEL.tss, 0x89, 0x0000_8000_0010_3048n, 0x67);
    const r = runCode(c, [...MOV_AX(SEL.tss), ...LTR_AX], 2);
    assert.equal(r.vector, 13);
    assert.equal(r.errorCode, SEL.tss);
    assert.match(FAULT.reason, /non-canonical base/);
  });

  it('not present is #NP(selector) before the upper half is looked at (QEMU helper_ltr order)', () => {
    const c = machine(BASES[3], PHYS[3]);
    systemDescriptor(c, SEL.tss, 0x09, BASES[3], 0x67, 0x1f00);
    const r = runCode(c, [...MOV_AX(SEL.tss), ...LTR_AX], 2);
    assert.equal(r.vector, 11);
    assert.equal(r.errorCode, SEL.tss);
  });

  it('in compatibility mode the descriptor is 16 bytes too (IA-32e mode, not only 64-bit mode)', () => {
    const c = machine(BASES[3], PHYS[3]);
    systemDescriptor(c, SEL.tss, 0x89, BASES[3], 0x67);
    c.segAttr[Seg.CS] = (c.segAttr[Seg.CS] & ~Attr.L) | Attr.DB; // 32-bit code segment under EFER.LMA
    c.updateMode();
    const r = runCode(c, [...MOV_AX(SEL.tss), ...LTR_AX], 2);
    assert.equal(r.vector, -1, FAULT.reason);
    assert.equal(BigInt(c.segBase[Seg.TR]), BASES[3] & MASK48, 'bits 63:32 of the base come from +8');
  });

  it('a descriptor whose 16 bytes pass the GDT limit is #GP(selector)', () => {
    const c = machine(BASES[0], PHYS[0]);
    systemDescriptor(c, SEL.tss, 0x89, BASES[0], 0x67);
    c.gdtrLimit = SEL.tss + 7 + 4; // covers the first 8 bytes only
    const r = runCode(c, [...MOV_AX(SEL.tss), ...LTR_AX], 2);
    assert.equal(r.vector, 13);
    assert.equal(r.errorCode, SEL.tss);
  });
});

describe('LLDT of a 16-byte LDT descriptor in IA-32e mode', () => {
  for (const [i, base] of BASES.entries()) {
    it(`loads an LDT at ${hex(base)} and a segment load reads its descriptors from there`, () => {
      const c = machine(base, PHYS[i]);
      systemDescriptor(c, SEL.ldt, 0x82, base, 0xf);
      // LDT entry 0: a data segment with a limit nothing else has.
      w64(c, physOf(base, PHYS[i], base), 0x0000_9200_0000_abcdn);
      const r = runCode(c, [...MOV_AX(SEL.ldt), ...LLDT_AX, ...MOV_AX(0x4), ...MOV_DS_AX], 4);
      assert.equal(r.vector, -1, FAULT.reason);
      assert.equal(BigInt(c.segBase[Seg.LDTR]), base & MASK48);
      assert.equal(c.segSel[Seg.DS], 0x4);
      assert.equal(c.segLimit[Seg.DS], 0xabcd, 'DS came from the LDT at the 64-bit base');
    });
  }

  for (const upper of [0x200, 0x1000]) {
    it(`#GP(selector) when bits 12:8 at +12 are 0x${(upper >> 8).toString(16)}`, () => {
      const c = machine(BASES[1], PHYS[1]);
      systemDescriptor(c, SEL.ldt, 0x82, BASES[1], 0xf, upper);
      const r = runCode(c, [...MOV_AX(SEL.ldt), ...LLDT_AX], 2);
      assert.equal(r.vector, 13);
      assert.equal(r.errorCode, SEL.ldt);
      assert.equal(c.segSel[Seg.LDTR], 0);
    });
  }
});

describe('JMP and CALL far through a 64-bit call gate', () => {
  for (const [i, base] of BASES.entries()) {
    for (const call of [false, true]) {
      it(`${call ? 'CALL' : 'JMP'} to a gate whose offset is ${hex(base)}`, () => {
        const c = machine(base, PHYS[i]);
        callGate(c, SEL.gate, SEL.code, base);
        w64(c, POINTER, 0x1122334455667788n); // the offset part of the pointer is ignored for a gate
        poke(c, POINTER + 8, [SEL.gate, 0]);
        const code = FAR_VIA_POINTER(call);
        const rsp = reg(c, 4);
        const r = runCode(c, code, 2);
        assert.equal(r.vector, -1, FAULT.reason);
        assert.equal(BigInt(c.rip), base & MASK48);
        assert.equal(c.segSel[Seg.CS], SEL.code);
        if (call) {
          assert.equal(reg(c, 4), rsp - 16n, 'CALL pushes CS and RIP as qwords');
          assert.equal(r64(c, Number(rsp - 8n)), BigInt(SEL.code));
          assert.equal(r64(c, Number(rsp - 16n)), BigInt(CODE + code.length));
        } else {
          assert.equal(reg(c, 4), rsp);
        }
      });
    }
  }

  for (const call of [false, true]) {
    for (const upper of [0x100, 0x1000]) {
      it(`${call ? 'CALL' : 'JMP'}: #GP(gate selector) when the gate's bits 12:8 at +12 are 0x${(upper >> 8).toString(16)}`, () => {
        const c = machine(BASES[3], PHYS[3]);
        callGate(c, SEL.gate, SEL.code, BASES[3], upper);
        poke(c, POINTER + 8, [SEL.gate, 0]);
        const r = runCode(c, FAR_VIA_POINTER(call), 2);
        assert.equal(r.vector, 13);
        assert.equal(r.errorCode, SEL.gate);
        assert.equal(c.rip, CODE + 10, 'RIP stays on the far transfer');
      });
    }
  }

  it('#GP(gate selector) when the upper half is beyond the GDT limit', () => {
    const c = machine(BASES[0], PHYS[0]);
    callGate(c, SEL.gate, SEL.code, BASES[0]);
    c.gdtrLimit = SEL.gate + 7;
    poke(c, POINTER + 8, [SEL.gate, 0]);
    const r = runCode(c, FAR_VIA_POINTER(false), 2);
    assert.equal(r.vector, 13);
    assert.equal(r.errorCode, SEL.gate);
  });

  it('#GP(target selector) when the gate targets a 32-bit code segment (IA-32e gates need L=1)', () => {
    const c = machine(BASES[0], PHYS[0]);
    callGate(c, SEL.gate, SEL.code32, BASES[0]);
    poke(c, POINTER + 8, [SEL.gate, 0]);
    const r = runCode(c, FAR_VIA_POINTER(true), 2);
    assert.equal(r.vector, 13);
    assert.equal(r.errorCode, SEL.code32);
  });
});

describe('64-bit IDT gates', () => {
  it('a code-segment descriptor (S=1) with type 0xE in the IDT is no gate: #GP(vector×8+2+EXT)', () => {
    const c = machine(BASES[0], PHYS[0]);
    idtGate(c, 13, BASES[0], 0, 0, 0x9e);
    assert.throws(() => deliver(c, 13, 0, EventKind.EXCEPTION), (e) => e === FAULT);
    assert.equal(FAULT.vector, 13);
    assert.equal(FAULT.errorCode, 13 * 8 + 2 + 1);
  });

  it('a handler offset whose bits 63:32 are not canonical is #GP(EXT)', () => {
    const c = machine(BASES[0], PHYS[0]);
    idtGate(c, 3, 0x0000_8000_0000_1000n, 0, 0);
    assert.throws(() => deliver(c, 3, -1, EventKind.SOFTWARE), (e) => e === FAULT);
    assert.equal(FAULT.vector, 13);
    assert.equal(FAULT.errorCode, 0);
  });
});
