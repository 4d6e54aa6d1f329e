import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeInstructions } from '../../debug-adapter/disassemble';

test('far JMP/CALL with an immediate pointer read selector:offset, with no near branch target', () => {
  // jmp F000:0000 (the reset vector's), call 7000:1234, and 66 EA: jmp 0008:12345678 from 16-bit code.
  const code = Uint8Array.from([0xea, 0x00, 0x00, 0x00, 0xf0, 0x9a, 0x34, 0x12, 0x00, 0x70, 0x66, 0xea, 0x78, 0x56, 0x34, 0x12, 0x08, 0x00, 0xeb, 0xfe]);
  const insns = decodeInstructions(code, 0xf1000n, 16, 4, () => 'sym', 0xf0000n);
  assert.deepEqual(insns.map((i) => i.text.replace(/\s+/g, ' ')), ['jmp far 0xf000:0x0', 'call far 0x7000:0x1234', 'data32 jmp far 0x8:0x12345678', 'jmp short 0x1012 <sym>']);
  assert.deepEqual(insns.slice(0, 3).map((i) => i.branchTarget), [undefined, undefined, undefined], 'where a far branch lands depends on the mode');
  assert.equal(insns[1].isCall, true);
  assert.equal(insns[3].branchTarget, 0xf1012n, 'a near jump keeps its linear target (segment base + IP)');
});
