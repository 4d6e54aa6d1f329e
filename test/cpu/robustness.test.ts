import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Attr, Seg } from '../../emulator/cpu/state';
import { Exit, makeCpu, peek, poke, runCode } from '../support/cpu-harness';

/** Guest inputs that once crashed the host (found by the fuzzer, test/fuzz/), as instruction tests. */
function cpu32() {
  const cpu = makeCpu();
  cpu.efer = 0;
  cpu.segAttr[Seg.CS] = 0xb | Attr.S | Attr.P | Attr.DB | Attr.G;
  cpu.updateMode();
  cpu.flushTlb();
  return cpu;
}

describe('CPU robustness (regressions found by the fuzzer)', () => {
  it('ENTER with nesting level wraps EBP-k*size at 2^32 (32-bit stack) instead of reading a negative address', () => {
    const cpu = cpu32();
    cpu.setReg32(4, 0x8000); // ESP
    cpu.setReg32(5, 4); // EBP: [EBP-4] = 0, [EBP-8] = 0xfffffffc (past RAM: reads all ones)
    poke(cpu, 0, [0x78, 0x56, 0x34, 0x12]);
    const r = runCode(cpu, [0xc8, 0x10, 0x00, 0x03], 1); // enter 0x10, 3
    assert.equal(r.exit, Exit.BUDGET);
    // Pushed: old EBP (4), [EBP-4] = 0x12345678, [EBP-8] = 0xffffffff, then the frame pointer 0x7ffc.
    const stack = peek(cpu, 0x8000 - 16, 16);
    assert.deepEqual(stack, [0xfc, 0x7f, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x78, 0x56, 0x34, 0x12, 4, 0, 0, 0]);
    assert.equal(cpu.r[10] >>> 0, 0x7ffc); // EBP = frame
    assert.equal(cpu.r[8] >>> 0, 0x8000 - 16 - 0x10); // ESP = frame - 12 - imm16
  });

  it('ENTER with a 16-bit stack reads [BP-k*size] wrapped at 64 KiB', () => {
    const cpu = cpu32();
    cpu.segAttr[Seg.SS] = 0x3 | Attr.S | Attr.P; // B=0: SP, limit 0xffff
    cpu.segLimit[Seg.SS] = 0xffff;
    cpu.updateMode();
    cpu.setReg32(4, 0x8000);
    cpu.setReg32(5, 0x10000 + 2); // BP = 2, upper EBP bits ignored
    poke(cpu, 0xfffe, [0xcd, 0xab]);
    const r = runCode(cpu, [0x66, 0xc8, 0x00, 0x00, 0x03], 1); // enter 0, 3 with 16-bit operands
    assert.equal(r.exit, Exit.BUDGET);
    // Pushed: BP (2), [BP-2] = [0] = 0, [BP-4] = [0xfffe] = 0xabcd, frame 0x7ffe.
    assert.deepEqual(peek(cpu, 0x8000 - 8, 8), [0xfe, 0x7f, 0xcd, 0xab, 0x00, 0x00, 0x02, 0x00]);
  });
});
