import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { test } from 'node:test';

/**
 * What loading the adapter costs before a launch: iced-x86 (a wasm disassembler) is instantiated on the first
 * disassembly or instruction step, not when the adapter module loads. Checked in a fresh process, since other
 * tests in this one may have loaded the library already.
 */
test('the adapter loads without iced-x86, and the first disassembly loads it and decodes', () => {
  const out = path.resolve(__dirname, '..', '..');
  const script = `
    const loaded = () => Object.keys(require.cache).some((k) => k.includes('iced-x86'));
    require(${JSON.stringify(path.join(out, 'debug-adapter', 'index.js'))});
    const before = loaded();
    const { decodeInstructions } = require(${JSON.stringify(path.join(out, 'debug-adapter', 'disassemble.js'))});
    const between = loaded();
    const insns = decodeInstructions(new Uint8Array([0xe8, 0x00, 0x00, 0x00, 0x00, 0xc3]), 0x1000n, 64, 2);
    console.log(JSON.stringify({ before, between, after: loaded(), text: insns.map((i) => i.text), call: insns[0].isCall, flow: insns[1].flow }));`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const res = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.deepEqual(res, { before: false, between: false, after: true, text: ['call    0x0000000000001005', 'ret'], call: true, flow: 'return' });
});
