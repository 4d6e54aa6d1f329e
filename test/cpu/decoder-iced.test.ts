import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Code, Decoder, DecoderOptions } from 'iced-x86';
import { decode } from '../../emulator/cpu/decoder';
import { FAULT } from '../../emulator/cpu/fault';
import { Insn } from '../../emulator/cpu/insn';
import { TABLE, UNDEFINED } from '../../emulator/cpu/opcodes';

/**
 * Cross-check of instruction lengths against iced-x86 on random byte streams (fixed seed): whenever iced
 * decodes a valid 64-bit instruction and our table defines the opcode, the lengths must agree.
 */
test('decoded lengths agree with iced-x86 on random 64-bit byte streams', () => {
  let s = 0x2545f491;
  const rnd = (): number => { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; return s >>> 0; };
  const PREFIXES = [0x66, 0x67, 0xf2, 0xf3, 0xf0, 0x2e, 0x64, 0x65, 0x48, 0x41, 0x4c];
  const insn = new Insn();
  const bad: string[] = [];
  let compared = 0;
  for (let n = 0; n < 30000; n++) {
    const bytes = new Uint8Array(16);
    for (let k = 0; k < 16; k++) bytes[k] = rnd() & 0xff;
    let k = 0;
    const np = rnd() % 3;
    for (let p = 0; p < np; p++) bytes[k++] = PREFIXES[rnd() % PREFIXES.length];
    if (rnd() % 2) bytes[k] = 0x0f;
    const d = new Decoder(64, bytes, DecoderOptions.None);
    const ins = d.decode();
    const icedLen = ins.length;
    const valid = ins.code !== Code.INVALID;
    ins.free();
    d.free();
    if (!valid) continue;
    try {
      decode(TABLE, (j) => bytes[j], true, 4, insn, UNDEFINED);
    } catch (e) {
      if (e !== FAULT) throw e;
      bad.push(`${Buffer.from(bytes.subarray(0, icedLen)).toString('hex')}: we raise vector ${FAULT.vector}, iced length ${icedLen}`);
      continue;
    }
    if (insn.exec === UNDEFINED.exec) continue;
    compared++;
    if (insn.len !== icedLen) bad.push(`${Buffer.from(bytes.subarray(0, Math.max(icedLen, insn.len))).toString('hex')} (${insn.name}): ours ${insn.len}, iced ${icedLen}`);
  }
  assert.ok(compared > 5000, `only ${compared} instructions compared`);
  assert.deepEqual(bad.slice(0, 25), [], `${bad.length} length mismatches in ${compared} compared instructions`);
});
