import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cpu, Exit } from '../../emulator/cpu/cpu';
import { Attr, Flag, Seg } from '../../emulator/cpu/state';
import { resetCpu } from '../../emulator/cpu/reset';
import { CODE, sameWithAndWithoutTranslation } from '../support/cpu-harness';
import { rng } from '../support/rng';

/**
 * MOVS, CMPS, STOS, LODS and SCAS without REP as the translator emits them inline (jit-string.ts) against their
 * handler (string-ops.ts): every element size, 16/32/64-bit address sizes, DF either way, segment overrides, in
 * 64-bit mode, 32-bit protected mode (flat, and with based and limited data segments) and real mode. The
 * programs loop (so their blocks are translated) while rSI/rDI walk across page ends, and every block translated
 * on first sight and interpreted must stop with the same registers, RIP, RFLAGS, count, insnStart and exits, and
 * the same RAM; a walk past a segment limit or out of the canonical range faults at the same instruction.
 */

type Mode = 'long' | 'prot32' | 'real';
const STRING_OPS = [0xa4, 0xa5, 0xa6, 0xa7, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf];

/** One string instruction with random prefixes (size, address size, segment override), DF set around it now and then. */
function stringInsn(pick: (n: number) => number, mode: Mode): number[] {
  const op = STRING_OPS[pick(STRING_OPS.length)];
  const out: number[] = [];
  const std = pick(3) === 0;
  if (std) out.push(0xfd);
  if (pick(3) === 0) out.push([0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65][pick(6)]);
  if (pick(3) === 0) out.push(0x66);
  // Address size: 67 picks 32-bit addressing in 64-bit and real mode, 16-bit in 32-bit mode.
  if (mode === 'real' ? pick(3) !== 0 : pick(4) === 0) out.push(0x67);
  if (mode === 'long' && (op & 1) === 1 && pick(2) === 0) out.push(0x48);
  out.push(op);
  if (std) out.push(0xfc);
  return out;
}

/**
 * The loop: string instructions, each followed by a reader of what it left (PUSHF, an ADD of rAX), then the count;
 * the last iteration's flags and registers are what the comparison sees.
 */
function program(seed: number, mode: Mode): number[] {
  const pick = rng(seed);
  const body: number[] = [];
  for (let k = 0; k < 6; k++) {
    body.push(...stringInsn(pick, mode));
    if (pick(2) === 0) body.push(...(mode === 'real' ? [0x66] : []), 0x9c, ...(mode === 'real' ? [0x66] : []), 0x5d); // pushf; pop ebp
    body.push(...(mode === 'real' ? [0x66] : []), 0x01, 0xc3); // add ebx, eax
  }
  body.push(...(mode === 'real' ? [0x66] : []), 0xff, 0xc9); // dec ecx
  return [...body, 0x75, 0x100 - (body.length + 2), 0xf4]; // jnz loop ; hlt
}

function fill(c: Cpu, from: number, to: number, seed: number): void {
  for (let a = from; a < to; a++) c.mem.u8[a] = (a * 7 + seed) & 0xff;
}

/** rSI/rDI near page ends (DF either way crosses them), ECX the iteration count. */
function setup(c: Cpu, mode: Mode, seg: 'flat' | 'based' | 'limited'): void {
  c.jitThreshold = 1;
  if (mode === 'prot32') {
    c.efer = 0;
    c.segAttr[Seg.CS] = 0xb | Attr.S | Attr.P | Attr.DB | Attr.G;
    if (seg !== 'flat') {
      for (const s of [Seg.DS, Seg.ES, Seg.FS]) c.segBase[s] = 0x1230 * (s + 1);
      if (seg === 'limited') c.segLimit[Seg.ES] = 0x22100;
    }
    c.updateMode();
    c.flushTlb();
  }
  if (mode === 'real') {
    resetCpu(c);
    for (let s = 0; s < 6; s++) { c.segSel[s] = 0; c.segBase[s] = 0; c.segLimit[s] = 0xffff; c.segAttr[s] = 0x3 | Attr.S | Attr.P; }
    c.segAttr[Seg.CS] = 0xb | Attr.S | Attr.P;
    c.rip = CODE;
    c.setReg32(4, 0x8000);
    c.updateMode();
    c.flushTlb();
    c.segBase[Seg.DS] = 0x20000; c.segSel[Seg.DS] = 0x2000;
    c.segBase[Seg.ES] = 0x30000; c.segSel[Seg.ES] = 0x3000;
  }
  const lowSi = mode === 'real' ? 0x0ffa : 0x20ffa, lowDi = mode === 'real' ? 0x2005 : 0x22005;
  c.setReg64(6, lowSi, 0);
  c.setReg64(7, lowDi, 0);
  c.setReg64(0, 0x11223344, 0x55667788);
  c.setReg64(1, 120, 0);
  fill(c, 0x20000, 0x40000, 3);
}

describe('string instructions without REP translated inline', () => {
  for (const mode of ['long', 'prot32', 'real'] as Mode[]) {
    for (const seg of mode === 'prot32' ? ['flat', 'based', 'limited'] as const : ['flat'] as const) {
      it(`${mode}${seg !== 'flat' ? ` (${seg} segments)` : ''}: the interpreter's state and RAM at every stop`, () => {
        for (let seed = 1; seed <= 12; seed++) {
          const code = program(seed, mode);
          for (const budget of [7, 40, 333, 5_000]) {
            const s = (c: Cpu): void => setup(c, mode, seg);
            const { on, off } = sameWithAndWithoutTranslation(code, budget, s);
            assert.ok(Buffer.from(on.c.mem.u8).equals(Buffer.from(off.c.mem.u8)), `seed ${seed}, budget ${budget}: RAM differs`);
          }
        }
      });
    }
  }

  it('a walk past ES\'s limit faults (#GP) at the same instruction and count', () => {
    // stosd; inc ecx; jmp back: EDI climbs to the limit of a 32-bit ES.
    const code = [0xab, 0x41, 0xeb, 0xfc];
    const { on } = sameWithAndWithoutTranslation(code, 100_000, (c) => {
      setup(c, 'prot32', 'limited');
      c.setReg64(7, 0x22000, 0);
    });
    assert.equal(on.exits[on.exits.length - 1], Exit.FAULT);
    assert.equal(on.c.r[14] >>> 0, 0x22100, 'EDI at the first element past the limit');
  });

  it('a walk out of the canonical range faults (#GP) at the same instruction and count', () => {
    // lodsq; inc ecx; jmp back: RSI climbs to 2^47.
    const code = [0x48, 0xad, 0xff, 0xc1, 0xeb, 0xfa];
    const { on } = sameWithAndWithoutTranslation(code, 100_000, (c) => {
      c.jitThreshold = 1;
      c.setReg64(6, 0xfffffd00 | 0, 0x7fff);
    });
    assert.equal(on.exits[on.exits.length - 1], Exit.FAULT);
    assert.equal(on.c.r[13], 0x8000, 'RSI at 2^47');
  });

  it('MOVSB copies byte by byte with DF = 1 (the block stays translated and quiet)', () => {
    // std; loop: movsb; dec ecx; jnz loop; hlt — backwards over a page end.
    const code = [0xfd, 0xa4, 0xff, 0xc9, 0x75, 0xfa, 0xf4];
    const { on } = sameWithAndWithoutTranslation(code, 100_000, (c) => {
      setup(c, 'long', 'flat');
      c.setReg64(6, 0x21010, 0);
      c.setReg64(7, 0x30010, 0);
      c.setReg64(1, 0x40, 0);
    });
    assert.equal(on.exits[on.exits.length - 1], Exit.HALT);
    assert.deepEqual(Array.from(on.c.mem.u8.subarray(0x2ffd1, 0x30011)), Array.from(on.c.mem.u8.subarray(0x20fd1, 0x21011)));
    assert.equal(on.flags & Flag.DF, Flag.DF);
  });
});
