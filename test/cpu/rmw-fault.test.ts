// A read-modify-write instruction whose store faults changes nothing (SDM Vol. 3 §6.5: a fault is reported with
// the state before the instruction): neither memory nor RFLAGS. ADC reads CF, so a wrong CF after the fault
// would make the instruction's restart after the #PF handler compute a different sum. Checked with block
// translation off and on (the fault inside a translated loop).
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { Cr0 } from '../../emulator/cpu/state';
import { FAULT } from '../../emulator/cpu/fault';
import { Exit, PAGE_TABLES, enablePaging, peek, runSnippet } from '../support/cpu-harness';

/** CF, ZF, SF, OF, AF, PF. */
const ARITH = 0x8d5;
const READ_ONLY = 0x200000;
const ITERATIONS = 100;

/**
 * The second 2 MiB page (0x200000) read-only with CR0.WP, and a loop that ADCs zero with CF set into successive
 * dwords up to it: `L: stc; adc [rbx], eax; lea rbx, [rbx + 8]; jmp L`. Each ADC leaves CF = 0; the one that
 * reaches the read-only page must fault with CF = 1 from the STC before it.
 */
function setup(c: import('../../emulator/cpu/cpu').Cpu): void {
  enablePaging(c);
  new DataView(c.mem.u8.buffer, c.mem.u8.byteOffset).setUint32(PAGE_TABLES + 0x2000 + 8, READ_ONLY | 0x81, true); // P, PS, not R/W
  c.cr0 |= Cr0.WP;
  c.flushTlb();
  c.setReg64(3, READ_ONLY - ITERATIONS * 8, 0); // RBX
  c.setReg64(0, 0, 0); // RAX
}

for (const [name, insn] of [
  ['adc [rbx], eax', [0x11, 0x03]],
  ['sbb [rbx], eax', [0x19, 0x03]],
  ['adc dword [rbx], 0 (group 1 imm8)', [0x83, 0x13, 0x00]],
  ['rcl dword [rbx], 1', [0xd1, 0x13]],
  ['inc dword [rbx]', [0xff, 0x03]],
  ['xadd [rbx], eax', [0x0f, 0xc1, 0x03]],
  ['shl dword [rbx], 3', [0xc1, 0x23, 0x03]],
  ['neg dword [rbx]', [0xf7, 0x1b]],
  ['not qword [rbx]', [0x48, 0xf7, 0x13]],
] as const) {
  describe(`a faulting store of ${name}`, () => {
    for (const jit of [false, true]) {
      it(`leaves RFLAGS and memory as before the instruction (translation ${jit ? 'on' : 'off'})`, () => {
        const body = [0xf9, ...insn, 0x48, 0x8d, 0x5b, 0x08];
        const code = [...body, 0xeb, (-(body.length + 2)) & 0xff];
        const r = runSnippet(code, jit, 10_000, setup);
        assert.deepEqual(r.exits, [Exit.FAULT]);
        assert.equal(FAULT.vector, 14);
        assert.equal(FAULT.errorCode, 3, '#PF: present, write');
        assert.equal(FAULT.pfAddress, READ_ONLY);
        assert.equal(r.n, ITERATIONS * 4 + 1, 'the STC before the faulting instruction retired, the instruction did not');
        // STC set CF; nothing after it may have changed an arithmetic flag: the flags are those the interpreter
        // has when it stops right after that STC.
        assert.equal(r.flags & 1, 1, `CF after the fault: flags ${r.flags.toString(16)}`);
        const before = runSnippet(code, false, ITERATIONS * 4 + 1, setup);
        assert.deepEqual(before.exits, [Exit.BUDGET]);
        assert.equal(r.flags & ARITH, before.flags & ARITH);
        assert.deepEqual(peek(r.c, READ_ONLY, 4), [0, 0, 0, 0]);
      });
    }
  });
}
