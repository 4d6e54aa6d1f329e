import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cpu } from '../../emulator/cpu/cpu';
import { Attr, Seg } from '../../emulator/cpu/state';
import { sameWithAndWithoutTranslation } from '../support/cpu-harness';

/**
 * INC/DEC r16/r32 (40-4F, outside 64-bit mode) as the translator emits them inline (jit-integer.ts incDec)
 * against their handlers (alu.ts): every block translated on first sight and interpreted must stop with the same
 * registers, EIP, EFLAGS (CF kept, OF at the sign boundary, AF, the 16-bit forms' flags from the low half),
 * count and exits. SeaBIOS's byte-wise memset (`dec ecx; mov [eax+ecx], dl`) is the loop that made this worth
 * inlining; the loop's back edge after DEC recomputes its flags from the register (jit-flags.ts registerRecord).
 */
const CODE32 = 0xb | Attr.S | Attr.P | Attr.DB | Attr.G;

function protected32(c: Cpu, codeAttr = CODE32): void {
  c.efer = 0;
  c.segAttr[Seg.CS] = codeAttr;
  c.updateMode();
  c.flushTlb();
  c.jitThreshold = 1;
}

const PROGRAMS: { name: string; code: number[]; attr?: number; setup: (c: Cpu) => void }[] = [
  {
    name: 'memset loop: test ecx; je; dec ecx; mov [eax+ecx], dl; jmp',
    code: [0x85, 0xc9, 0x74, 0x06, 0x49, 0x88, 0x14, 0x08, 0xeb, 0xf6, 0x9c, 0xf4],
    setup: (c) => { c.setReg32(0, 0x20000); c.setReg32(1, 3000); c.setReg32(2, 0x5a); },
  },
  {
    name: 'dec ecx; jnz loop with CF set before and kept (adc after the loop)',
    code: [0xf9, 0x40, 0x43, 0x49, 0x75, 0xfc, 0x83, 0xd0, 0x00, 0x9c, 0xf4],
    setup: (c) => { c.setReg32(1, 500); c.setReg32(3, 0x7fffff00); },
  },
  {
    name: 'every register, across the signed and unsigned boundaries (OF, ZF, SF, AF, PF observed by pushfd)',
    code: [0x40, 0x9c, 0x41, 0x9c, 0x42, 0x9c, 0x43, 0x9c, 0x45, 0x9c, 0x46, 0x9c, 0x47, 0x9c,
      0x48, 0x9c, 0x49, 0x9c, 0x4a, 0x9c, 0x4b, 0x9c, 0x4d, 0x9c, 0x4e, 0x9c, 0x4f, 0x9c, 0x44, 0x4c, 0x9c, 0xf4],
    setup: (c) => {
      c.setReg32(0, 0x7fffffff); c.setReg32(1, -1); c.setReg32(2, 0x0f); c.setReg32(3, 0);
      c.setReg32(5, 0x80000000); c.setReg32(6, 1); c.setReg32(7, 0x10);
    },
  },
  {
    name: '16-bit forms (66 prefix): only the low half changes, flags from 16 bits',
    code: [0x66, 0x40, 0x9c, 0x66, 0x49, 0x9c, 0x66, 0x42, 0x9c, 0x66, 0x4b, 0x9c, 0x66, 0x4e, 0x75, 0xfc, 0x9c, 0xf4],
    setup: (c) => { c.setReg32(0, 0x1234ffff); c.setReg32(1, 0x56780000); c.setReg32(2, 0x7fff); c.setReg32(3, 0xabcd8000); c.setReg32(6, 0x9abc0100); },
  },
  {
    name: '16-bit code segment: 40-4F are 16-bit, 66 makes them 32-bit',
    attr: 0xb | Attr.S | Attr.P,
    code: [0x40, 0x49, 0x66, 0x42, 0x4b, 0x75, 0xfd, 0x9c, 0xf4],
    setup: (c) => { c.setReg32(0, 0xffff); c.setReg32(1, 0x10000); c.setReg32(2, 0xffffffff); c.setReg32(3, 0x30040); },
  },
];

describe('INC/DEC r16/r32 translated inline', () => {
  for (const p of PROGRAMS) {
    it(`${p.name}: the interpreter's state at every stop`, () => {
      const setup = (c: Cpu): void => { protected32(c, p.attr); c.setReg32(4, 0x80000); p.setup(c); };
      for (const budget of [1, 3, 7, 50, 1000, 100_000]) {
        const { on, off } = sameWithAndWithoutTranslation(p.code, budget, setup);
        assert.deepEqual(on.c.mem.u8.subarray(0, 0x100000), off.c.mem.u8.subarray(0, 0x100000), `${p.name}: memory after ${budget}`);
      }
    });
  }

  it('the memset loop is translated and fills the buffer', () => {
    const { on } = sameWithAndWithoutTranslation(PROGRAMS[0].code, 100_000, (c) => { protected32(c); c.setReg32(4, 0x80000); PROGRAMS[0].setup(c); });
    assert.ok(on.c.mem.u8.subarray(0x20000, 0x20000 + 3000).every((b) => b === 0x5a));
    assert.equal(on.c.mem.u8[0x20000 + 3000], 0);
    assert.equal(on.c.r[2], 0, 'ECX counted down to 0');
  });
});
