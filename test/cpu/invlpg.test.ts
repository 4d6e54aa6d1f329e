import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cpu, Exit } from '../../emulator/cpu/cpu';
import { FAULT } from '../../emulator/cpu/fault';
import { Attr, Seg } from '../../emulator/cpu/state';
import { CODE, enablePaging, makeCpu, runCode, sameWithAndWithoutTranslation } from '../support/cpu-harness';

/**
 * INVLPG (SDM Vol. 2A): it reads no memory, so its operand is only a linear address (segment base + offset, no
 * limit or canonical check; a non-canonical address in 64-bit mode makes it a NOP); only CPL > 0 faults (#GP(0)).
 * It is serializing (SDM Vol. 3 §9.3): the instruction after it is fetched through the page tables again when its
 * page was the one invalidated, so a decoded or translated block does not run on past it on that page.
 */

const LA = 0x40000000;
const FRAME_A = 0x30000;
const FRAME_B = 0x31000;

/** Physical address of the PTE mapping `la` (4-level tables in the harness's identity-mapped RAM). */
function pteAddress(c: Cpu, la: number): number {
  const v = c.mem.view;
  let table = c.cr3;
  for (const shift of [39, 30, 21]) table = v.getUint32(table + 8 * (Math.floor(la / 2 ** shift) & 511), true) & ~0xfff;
  return table + 8 * ((la >>> 12) & 511);
}

describe('INVLPG', () => {
  it('is a NOP for a non-canonical address in 64-bit mode (no #GP)', () => {
    // mov rax, 0x8000000000000000 ; invlpg [rax] ; mov rbx, 0x7fffffffffff ; invlpg [rbx+1] ; invlpg [rbx] ; hlt
    const code = [0x48, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x0f, 0x01, 0x38, 0x48, 0xbb, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0, 0,
      0x0f, 0x01, 0x7b, 0x01, 0x0f, 0x01, 0x3b, 0xf4];
    const cpu = makeCpu();
    const r = runCode(cpu, code, 10);
    assert.equal(r.exit, Exit.HALT, `ran to HLT (vector ${r.vector})`);
    assert.equal(cpu.rip, CODE + code.length);
  });

  it('takes no segment check outside 64-bit mode: an offset beyond the DS limit does not fault', () => {
    // invlpg [eax] ; hlt   (32-bit protected mode, DS limit 0xfff, EAX = 0x5000)
    const cpu = makeCpu();
    cpu.efer = 0;
    cpu.segAttr[Seg.CS] = 0xb | Attr.S | Attr.P | Attr.DB | Attr.G;
    cpu.segLimit[Seg.DS] = 0xfff;
    cpu.segAttr[Seg.DS] = 0x3 | Attr.S | Attr.P | Attr.DB;
    cpu.updateMode();
    cpu.setReg64(0, 0x5000, 0);
    const r = runCode(cpu, [0x0f, 0x01, 0x38, 0xf4], 5);
    assert.equal(r.exit, Exit.HALT, `ran to HLT (vector ${r.vector})`);
  });

  it('invalidates the page at FS.base + offset: a read after it sees the new PTE, one before it the TLB entry', () => {
    // mov r8,[rsi] ; mov [r15],r14 ; mov r9,[rsi] ; invlpg [fs:rax] ; mov r10,[rsi] ; hlt
    const code = [0x4c, 0x8b, 0x06, 0x4d, 0x89, 0x37, 0x4c, 0x8b, 0x0e, 0x64, 0x0f, 0x01, 0x38, 0x4c, 0x8b, 0x16, 0xf4];
    for (const threshold of [1, 1000]) {
      const { on } = sameWithAndWithoutTranslation(code, 100, (c) => {
        c.jitThreshold = threshold;
        enablePaging(c)(BigInt(LA), FRAME_A);
        c.mem.view.setUint32(FRAME_A, 111, true);
        c.mem.view.setUint32(FRAME_B, 222, true);
        c.setReg64(6, LA, 0);
        c.setReg64(15, pteAddress(c, LA), 0);
        c.setReg64(14, FRAME_B | 3, 0);
        c.segBase[Seg.FS] = LA - 0x123000;
        c.setReg64(0, 0x123000, 0);
      });
      assert.deepEqual([on.c.r[16], on.c.r[18], on.c.r[20]], [111, 111, 222], 'r8, r9 (stale TLB entry), r10 (after INVLPG)');
    }
  });

  it('of the page the block runs from: the next instruction comes through the new mapping, translated or not', () => {
    // At LA (frame A): mov [r15],r14 (the PTE of LA now points at frame B) ; invlpg [rsi] ; mov eax,1 ; hlt.
    // Frame B holds mov eax,2 at the same offset.
    const code = [0x4d, 0x89, 0x37, 0x0f, 0x01, 0x3e, 0xb8, 0x01, 0x00, 0x00, 0x00, 0xf4];
    for (const threshold of [1, 1000]) {
      const { on } = sameWithAndWithoutTranslation(code, 100, (c) => {
        c.jitThreshold = threshold;
        enablePaging(c)(BigInt(LA), FRAME_A);
        c.mem.u8.set(code, FRAME_A);
        c.mem.u8.set(code, FRAME_B);
        c.mem.u8[FRAME_B + 7] = 2;
        c.setReg64(6, LA, 0);
        c.setReg64(15, pteAddress(c, LA), 0);
        c.setReg64(14, FRAME_B | 3, 0);
        c.rip = LA;
      });
      assert.equal(on.exits[on.exits.length - 1], Exit.HALT);
      assert.equal(on.c.r[0], 2, 'EAX from frame B');
    }
  });

  it('at CPL 3 raises #GP(0) from a translated loop with the flags of the instruction before it', () => {
    // loop: add r8, rcx ; invlpg [rsi] ; inc ecx ; cmp ecx, 100000 ; jne loop ; hlt  (paging off; CPL 3 after 5,000)
    const code = [0x49, 0x01, 0xc8, 0x0f, 0x01, 0x3e, 0xff, 0xc1, 0x81, 0xf9, 0xa0, 0x86, 0x01, 0x00, 0x75, 0xf0, 0xf4];
    const { on } = sameWithAndWithoutTranslation(code, 100_000, (c) => {
      c.setReg64(6, 0x20000, 0);
      c.setReg64(8, -7, -1);
    }, (c) => c.setCpl(3));
    const blocks = (on.c as unknown as { blocks: Map<number, { fn: unknown }> }).blocks;
    assert.ok([...blocks.values()].some((b) => b.fn !== null), 'the loop was translated');
    assert.equal(on.exits[on.exits.length - 1], Exit.FAULT);
    assert.equal(FAULT.vector, 13);
    assert.equal(on.insnStart, CODE + 3, 'at the INVLPG');
  });
});
