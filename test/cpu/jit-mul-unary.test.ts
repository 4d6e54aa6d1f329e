import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Cpu } from '../../emulator/cpu/cpu';
import { FAULT } from '../../emulator/cpu/fault';
import { getFlags } from '../../emulator/cpu/flags';
import { CODE, Exit, PAGE_TABLES, enablePaging, makeCpu, poke, reg, runSnippet, setFlags, setReg } from '../support/cpu-harness';

/**
 * IMUL r64, r/m64 [, imm] (0F AF, 69, 6B), MUL/IMUL r/m32 and r/m64 (F7 /4 /5) and NOT/NEG r/m (F6/F7 /2 /3),
 * which translated blocks emit inline (jit-integer.ts imul, mulWide, unary), against exact BigInt arithmetic, interpreted and translated on first sight. IMUL
 * r64 leaves the lazy record LF.IMUL64, whose CF = OF (the signed 128-bit product does not fit in 64 bits) is
 * computed only when read: here by SETcc inside the block (jit-flags.ts), by SETcc in the next block (flags.ts
 * on the record the block's exit wrote) and by PUSHFQ. SF/ZF/PF are undefined for IMUL in the SDM and follow
 * the truncated result as QEMU and muldiv.ts set them; AF is 0.
 */

const CF = 0x1, PF = 0x4, AF = 0x10, ZF = 0x40, SF = 0x80, OF = 0x800;
const ARITH = CF | PF | AF | ZF | SF | OF;
const M64 = (1n << 64n) - 1n;

function parity(v: bigint): number {
  let b = Number(v & 0xffn), p = 1;
  while (b) { p ^= b & 1; b >>= 1; }
  return p ? PF : 0;
}

/** Result flags (ZF, SF, PF) of a `bits`-wide value. */
function resultFlags(v: bigint, bits: number): number {
  const u = BigInt.asUintN(bits, v);
  return (u === 0n ? ZF : 0) | ((u >> BigInt(bits - 1)) & 1n ? SF : 0) | parity(u);
}

/** The translated blocks' sources (Cpu's decode cache, as jit-diff.ts reads it). */
function translations(c: Cpu): string[] {
  const blocks = (c as unknown as { blocks: Map<number, { fn: unknown }> }).blocks;
  return [...blocks.values()].filter((b) => b.fn).map((b) => String(b.fn));
}

/**
 * Run `code` at CODE on `c` (one CPU for many cases: a fresh one per case costs more than the case) until HLT, from
 * zeroed registers but RSP, RFLAGS = 2 and every block translated on first sight when translation is on.
 */
function runOn(c: Cpu, code: number[], setup: (c: Cpu) => void): { exit: Exit; flags: number } {
  poke(c, CODE, code);
  c.flushCode();
  c.rip = CODE;
  c.halted = false;
  c.jitThreshold = 1;
  for (let r = 0; r < 16; r++) if (r !== 4) c.setReg64(r, 0, 0);
  setFlags(c, 2);
  setup(c);
  const exit = c.run(100);
  return { exit, flags: getFlags(c) };
}

/** Operands at the boundaries where a 64-bit signed product starts or stops fitting. */
const CORNERS: bigint[] = [0n, 1n, -1n, 2n, -2n, 3n, 1n << 31n, -(1n << 31n), (1n << 31n) - 1n, 1n << 32n, (1n << 32n) + 1n,
  3037000499n, 3037000500n, -3037000500n, 1n << 62n, -(1n << 62n), (1n << 63n) - 1n, -(1n << 63n), 0x0123456789abcdefn];

const MEM = 0x1ffc; // an 8-byte operand across the page boundary at 0x2000

/**
 * `form` (the IMUL, rax its destination, rbx or [rsi] its source), then readers of its flags: seto cl; setc dl;
 * sets r8b; setz r9b; setp r10b in the same block (`split`: after a jmp to the next instruction, in the next
 * block); pushfq; pop r11; hlt.
 */
function imulProgram(form: number[], split: boolean): number[] {
  return [...form, ...(split ? [0xeb, 0x00] : []), 0x0f, 0x90, 0xc1, 0x0f, 0x92, 0xc2, 0x41, 0x0f, 0x98, 0xc0, 0x41, 0x0f, 0x94, 0xc1,
    0x41, 0x0f, 0x9a, 0xc2, 0x9c, 0x41, 0x5b, 0xf4];
}

function imm32(v: bigint): number[] {
  const u = Number(BigInt.asUintN(32, v));
  return [u & 255, (u >>> 8) & 255, (u >>> 16) & 255, u >>> 24];
}

describe('IMUL r64 inline: the low 64 bits and CF = OF at the 2^63 boundary', () => {
  for (const jit of [false, true]) {
    it(`every form on corner operands (translation ${jit ? 'on' : 'off'})`, () => {
      let inlineChecked = 0;
      const c = makeCpu();
      c.jit = jit;
      for (const a of CORNERS) {
        for (const b of CORNERS) {
          const forms: [string, number[]][] = [
            ['imul rax, rbx', [0x48, 0x0f, 0xaf, 0xc3]],
            ['imul rax, [rsi] (across a page)', [0x48, 0x0f, 0xaf, 0x06]],
          ];
          if (b === BigInt.asIntN(32, b)) forms.push(['imul rax, rax, imm32', [0x48, 0x69, 0xc0, ...imm32(b)]]);
          if (b === BigInt.asIntN(8, b)) forms.push(['imul rax, rax, imm8', [0x48, 0x6b, 0xc0, Number(BigInt.asUintN(8, b))]]);
          for (const [name, form] of forms) {
            for (const split of [false, true]) {
              const r = runOn(c, imulProgram(form, split), () => {
                setReg(c, 0, a);
                setReg(c, 3, b);
                setReg(c, 6, BigInt(MEM));
                c.mem.view.setBigUint64(MEM, BigInt.asUintN(64, b), true);
              });
              const what = `${name}: ${a} * ${b}${split ? ', flags read in the next block' : ''}`;
              assert.equal(r.exit, Exit.HALT, what);
              const p = a * b, t = BigInt.asIntN(64, p), ovf = t !== p;
              assert.equal(reg(c, 0), BigInt.asUintN(64, t), `product ${what}`);
              assert.deepEqual([reg(c, 1), reg(c, 2)], ovf ? [1n, 1n] : [0n, 0n], `SETO/SETC ${what}`);
              assert.deepEqual([reg(c, 8), reg(c, 9), reg(c, 10)], [t < 0n ? 1n : 0n, t === 0n ? 1n : 0n, parity(t) ? 1n : 0n], `SETS/SETZ/SETP ${what}`);
              assert.equal(Number(reg(c, 11)) & ARITH, (ovf ? CF | OF : 0) | resultFlags(t, 64), `PUSHFQ ${what}`);
              assert.equal(r.flags & ARITH, (ovf ? CF | OF : 0) | resultFlags(t, 64), `RFLAGS ${what}`);
              if (jit && !split) {
                // The block starting at the IMUL runs it inline: no call of its handler (h0).
                const src = translations(c);
                assert.ok(src.length > 0 && src.every((s) => !s.includes('h0(')), `${name} is emitted inline`);
                inlineChecked++;
              }
            }
          }
        }
      }
      if (jit) assert.ok(inlineChecked > 700, `${inlineChecked} translations checked`);
    });
  }

  it('a memory source whose second page is not present faults with the destination and the flags as before', () => {
    for (const jit of [false, true]) {
      // cmp rax, rax (ZF, PF); imul rax, [rsi] (rsi = 0x1ffffc: bytes 4-7 in the absent page at 0x200000); hlt
      const r = runSnippet([0x48, 0x39, 0xc0, 0x48, 0x0f, 0xaf, 0x06, 0xf4], jit, 100, (c) => {
        c.jitThreshold = 1;
        enablePaging(c);
        c.mem.view.setUint32(PAGE_TABLES + 0x2000 + 8, 0, true); // the 2 MiB page at 0x200000: not present
        c.flushTlb();
        setReg(c, 0, 0x1234n);
        setReg(c, 6, 0x1ffffcn);
      });
      const what = `translation ${jit ? 'on' : 'off'}`;
      assert.deepEqual(r.exits, [Exit.FAULT], what);
      assert.equal(FAULT.vector, 14, what);
      assert.equal(FAULT.pfAddress, 0x200000, what);
      assert.equal(r.n, 1, `the CMP retired, the IMUL did not (${what})`);
      assert.equal(reg(r.c, 0), 0x1234n, `RAX unchanged (${what})`);
      assert.equal(r.flags & ARITH, ZF | PF, `the CMP's flags (${what})`);
    }
  });
});

describe('MUL/IMUL r/m32 and r/m64 into rDX:rAX inline', () => {
  for (const jit of [false, true]) {
    it(`both widths, register and memory sources, on corner operands (translation ${jit ? 'on' : 'off'})`, () => {
      const c = makeCpu();
      c.jit = jit;
      for (const bits of [32, 64]) {
        const w = bits === 64 ? [0x48] : [];
        for (const a0 of CORNERS) {
          for (const b0 of CORNERS) {
            for (const [name, signed, bytes] of [['mul rbx', false, [0xf7, 0xe3]], ['imul rbx', true, [0xf7, 0xeb]],
              ['mul [rsi]', false, [0xf7, 0x26]], ['imul [rsi]', true, [0xf7, 0x2e]]] as const) {
              // op; seto cl; setc r8b (flags in the block); pushfq; pop r11; hlt
              const r = runOn(c, [...w, ...bytes, 0x0f, 0x90, 0xc1, 0x41, 0x0f, 0x92, 0xc0, 0x9c, 0x41, 0x5b, 0xf4], () => {
                setReg(c, 0, a0);
                setReg(c, 2, 0x5555n); // RDX: overwritten
                setReg(c, 3, b0);
                setReg(c, 6, BigInt(MEM));
                c.mem.view.setBigUint64(MEM, BigInt.asUintN(64, b0), true);
              });
              const n = BigInt(bits);
              const a = signed ? BigInt.asIntN(bits, a0) : BigInt.asUintN(bits, a0), b = signed ? BigInt.asIntN(bits, b0) : BigInt.asUintN(bits, b0);
              const p = BigInt.asUintN(2 * bits, a * b), low = BigInt.asUintN(bits, p), high = p >> n;
              const ovf = signed ? BigInt.asIntN(bits, low) !== a * b : high !== 0n;
              const what = `${bits}-bit ${name}: ${a} * ${b}`;
              assert.equal(r.exit, Exit.HALT, what);
              assert.deepEqual([reg(c, 0), reg(c, 2)], [low, high], `rAX, rDX ${what}`);
              assert.deepEqual([reg(c, 1), reg(c, 8)], ovf ? [1n, 1n] : [0n, 0n], `SETO/SETC ${what}`);
              assert.equal(Number(reg(c, 11)) & ARITH, (ovf ? CF | OF : 0) | resultFlags(low, bits), `PUSHFQ ${what}`);
              if (jit) assert.ok(translations(c).every((s) => !s.includes('h0(')), `${what} is emitted inline`);
            }
          }
        }
      }
    });
  }
});

/** Registers' background bits: what a 8/16-bit operation must keep. */
const BACKGROUND = 0x0123456789abcdefn;
const UNARY_VALUES: bigint[] = [0n, 1n, 2n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0x8000n, 0xffffn, 0x10n, 0x0fn, 0x7fffffffn, 0x80000000n,
  0xffffffffn, 0x100000000n, (1n << 63n) - 1n, 1n << 63n, M64, 0x0123456789abcdefn];

interface UnaryForm { name: string; bits: number; bytes: number[]; at: 'al' | 'ah' | 'r10' | 'mem' }

/** NOT (/2) and NEG (/3) of al, ah, r10b/w/d, r10, and byte to qword [rsi]. */
function unaryForms(ext: 2 | 3): UnaryForm[] {
  const m = ext << 3;
  return [
    { name: 'al', bits: 8, bytes: [0xf6, 0xc0 | m], at: 'al' },
    { name: 'ah', bits: 8, bytes: [0xf6, 0xc4 | m], at: 'ah' },
    { name: 'r10b', bits: 8, bytes: [0x41, 0xf6, 0xc2 | m], at: 'r10' },
    { name: 'r10w', bits: 16, bytes: [0x66, 0x41, 0xf7, 0xc2 | m], at: 'r10' },
    { name: 'r10d', bits: 32, bytes: [0x41, 0xf7, 0xc2 | m], at: 'r10' },
    { name: 'r10', bits: 64, bytes: [0x49, 0xf7, 0xc2 | m], at: 'r10' },
    { name: 'byte [rsi]', bits: 8, bytes: [0xf6, 0x06 | m], at: 'mem' },
    { name: 'word [rsi]', bits: 16, bytes: [0x66, 0xf7, 0x06 | m], at: 'mem' },
    { name: 'dword [rsi]', bits: 32, bytes: [0xf7, 0x06 | m], at: 'mem' },
    { name: 'qword [rsi]', bits: 64, bytes: [0x48, 0xf7, 0x06 | m], at: 'mem' },
  ];
}

describe('NOT and NEG inline at every size', () => {
  for (const jit of [false, true]) {
    it(`registers (AH too) and memory across a page, flags of NEG, none changed by NOT (translation ${jit ? 'on' : 'off'})`, () => {
      const c = makeCpu();
      c.jit = jit;
      for (const ext of [2, 3] as const) {
        for (const f of unaryForms(ext)) {
          const mask = (1n << BigInt(f.bits)) - 1n;
          for (const v0 of UNARY_VALUES) {
            const x = v0 & mask;
            const res = (ext === 2 ? ~x : -x) & mask;
            // Where the operand sits, and what the whole register or qword must be afterwards.
            const shift = f.at === 'ah' ? 8n : 0n;
            const before = (BACKGROUND & ~(mask << shift)) | (x << shift);
            const after = f.bits === 32 && f.at !== 'mem' ? res : (BACKGROUND & ~(mask << shift)) | (res << shift);
            // op; pushfq; pop r11; hlt
            const r = runOn(c, [...f.bytes, 0x9c, 0x41, 0x5b, 0xf4], () => {
              setFlags(c, OF | SF | AF | CF); // NOT must leave these; NEG sets every one
              setReg(c, 6, BigInt(0x2000 - Math.max(2, f.bits / 8) + 1)); // 2- to 8-byte operands cross the page at 0x2000
              if (f.at === 'mem') c.mem.view.setBigUint64(Number(reg(c, 6)), before, true);
              else setReg(c, f.at === 'r10' ? 10 : 0, before);
            });
            const what = `${ext === 2 ? 'not' : 'neg'} ${f.name} of ${x.toString(16)}`;
            assert.equal(r.exit, Exit.HALT, what);
            const got = f.at === 'mem' ? c.mem.view.getBigUint64(Number(reg(c, 6)), true) : reg(c, f.at === 'r10' ? 10 : 0);
            assert.equal(got.toString(16), after.toString(16), what);
            const sign = 1n << BigInt(f.bits - 1);
            const flags = ext === 2 ? OF | SF | AF | CF
              : (x !== 0n ? CF : 0) | (x === sign ? OF : 0) | ((x & 0xfn) !== 0n ? AF : 0) | resultFlags(res, f.bits);
            assert.equal(Number(reg(c, 11)) & ARITH, flags, `flags ${what}`);
            if (jit) assert.ok(translations(c).every((s) => !s.includes('h0(')), `${what} is emitted inline`);
          }
        }
      }
    });
  }
});
