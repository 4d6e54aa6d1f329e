import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cpu, Exit } from '../../emulator/cpu/cpu';
import { Attr, Seg } from '../../emulator/cpu/state';
import { sameWithAndWithoutTranslation } from '../support/cpu-harness';

/**
 * MOV AL/AX/EAX to and from an absolute offset (A0-A3, moffs32) and TEST r/m, imm (F6 /0, F7 /0) as the
 * translator emits them inline (jit-integer.ts moffs, alu) against their handlers, in 32-bit protected mode:
 * every block translated on first sight and interpreted must stop with the same registers, EIP, EFLAGS,
 * count, insnStart and exits, and RAM must hold the same bytes. The offsets are read through a flat DS (inline),
 * a DS with a base and an FS override (the handler), across a page end (the handler) and beyond the DS limit
 * (#GP from the handler).
 */
const le32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];

/** The loop, with `pre` (a segment override) before each moffs instruction. */
function program(a: number, pre: number[]): number[] {
  const body = [
    ...pre, 0xa1, ...le32(a), //             loop: mov eax, [a]
    0x01, 0xc8, //                           add eax, ecx
    ...pre, 0xa3, ...le32(0x30000), //       mov [0x30000], eax
    ...pre, 0xa0, ...le32(a + 1), //         mov al, [a+1]
    ...pre, 0xa2, ...le32(0x30005), //       mov [0x30005], al
    0x66, ...pre, 0xa1, ...le32(a + 2), //   mov ax, [a+2]
    0x66, ...pre, 0xa3, ...le32(0x30007), // mov [0x30007], ax
    0xf6, 0x06, 0x80, //                     test byte [esi], 0x80
    0x0f, 0x94, 0xc3, //                     setz bl
    0x01, 0xda, //                           add edx, ebx
    0xf7, 0xc0, 0x00, 0x00, 0xff, 0x00, //   test eax, 0x00ff0000
    0x0f, 0x95, 0xc3, //                     setnz bl
    0x01, 0xda, //                           add edx, ebx
    0x66, 0xf7, 0x46, 0x01, 0x01, 0x80, //   test word [esi+1], 0x8001
    0x9c, 0x5d, //                           pushfd ; pop ebp
    0x01, 0xef, //                           add edi, ebp
    0x46, //                                 inc esi
    0x41, //                                 inc ecx
    0x81, 0xf9, ...le32(300), //             cmp ecx, 300
  ];
  return [...body, 0x75, 0x100 - (body.length + 2), 0xf4]; // jne loop ; hlt
}

interface Case { name: string; a: number; ds?: { base?: number; limit?: number }; fs?: boolean; exit: Exit }

const CASES: Case[] = [
  { name: 'flat DS', a: 0x20010, exit: Exit.HALT },
  { name: 'operand across a page end', a: 0x20ffe, exit: Exit.HALT },
  { name: 'DS with a base (linear addresses on the pages the offsets name)', a: 0x20010, ds: { base: 0x100 }, exit: Exit.HALT },
  { name: 'FS override (flat FS)', a: 0x20010, fs: true, exit: Exit.HALT },
  { name: 'offset beyond the DS limit', a: 0x20010, ds: { limit: 0x1ffff }, exit: Exit.FAULT },
];

function setup(c: Cpu, k: Case): void {
  c.efer = 0;
  c.segAttr[Seg.CS] = 0xb | Attr.S | Attr.P | Attr.DB | Attr.G;
  c.segBase[Seg.DS] = k.ds?.base ?? 0;
  c.segLimit[Seg.DS] = k.ds?.limit ?? 0xffffffff;
  c.updateMode();
  c.flushTlb();
  c.jitThreshold = 1;
  c.setReg64(6, 0x21000 - 150, 0); // esi: the TEST operands walk across a page end
  c.setReg64(4, 0x80000, 0);
  for (let n = 0; n < 0x2000; n++) c.mem.u8[0x20000 + n] = (n * 37 + 5) & 0xff;
}

describe('MOV moffs and TEST r/m, imm translated inline', () => {
  for (const k of CASES) {
    it(`${k.name}: the interpreter's state at every stop`, () => {
      const code = program(k.a, k.fs ? [0x64] : []);
      for (const budget of [3, 9, 22, 61, 300, 2_000, 100_000]) {
        const { on, off } = sameWithAndWithoutTranslation(code, budget, (c) => setup(c, k));
        assert.deepEqual(on.c.mem.u8.subarray(0x30000, 0x30110), off.c.mem.u8.subarray(0x30000, 0x30110), `${k.name}: RAM after ${budget}`);
        if (budget === 100_000) assert.equal(on.exits[on.exits.length - 1], k.exit, `${k.name} ends in ${k.exit}`);
      }
    });
  }
  it('a load into EAX that takes the handler, inside a loop whose next iteration recomputes CMP ECX, EAX\'s flags', () => {
    // loop: mov eax, [0xf0000000] (no RAM there: the handler, every time) ; adc ebx, 0 (CF of the last CMP) ;
    //       xor edx, 1 ; add eax, edx (EAX alternates -1 and 0, so CF does) ; dec ecx ; cmp ecx, eax ; jne loop ; hlt
    const code = [0xa1, 0x00, 0x00, 0x00, 0xf0, 0x83, 0xd3, 0x00, 0x83, 0xf2, 0x01, 0x01, 0xd0, 0x49, 0x39, 0xc1, 0x75, 0xee, 0xf4];
    for (const budget of [50, 400, 3_000]) {
      const { on } = sameWithAndWithoutTranslation(code, budget, (c) => { setup(c, CASES[0]); c.setReg32(1, 100_000); });
      assert.equal(on.n, budget);
    }
  });
});
