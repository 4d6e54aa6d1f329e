import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IdtResponseBody } from '../../debug-adapter/protocol';
import { decodeIvtEntry } from '../../emulator/inspect/ivt';
import { idtNodes } from '../../extension/views/model/idt';

function entry(vector: number, segment: number, offset: number, symbol?: string) {
  const b = new Uint8Array([offset & 0xff, offset >> 8, segment & 0xff, segment >> 8]);
  return { ...decodeIvtEntry(b, vector), symbol };
}

test('in real mode the IDT view shows the IVT: IP:CS entries with linear address and symbol, empty ones dimmed', () => {
  const body: IdtResponseBody = { base: '0x0', limit: 0x3ff, gates: [], ivt: [entry(0, 0, 0), entry(1, 0, 0x8344, 'de_handler')] };
  const nodes = idtNodes(body);
  assert.equal(nodes[0].label, 'IVT (real mode)');
  assert.match(nodes[0].description!, /base 0x0 limit 0x3ff \(2 vectors of 4 bytes, IP:CS\)/);
  assert.equal(nodes[1].label, '0 #DE');
  assert.equal(nodes[1].dimmed, true);
  assert.equal(nodes[2].description, '0000:8344 (0x8344) de_handler');
  assert.deepEqual(nodes[2].reveal, { address: '0x8344' });
  assert.match(nodes[nodes.length - 1].label, /vectors 2–255 lie beyond IDTR.limit/);
});
