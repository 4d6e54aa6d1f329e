import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Code, CpuidFeature, Decoder, DecoderOptions } from 'iced-x86';
import { decode } from '../../emulator/cpu/decoder';
import { FAULT } from '../../emulator/cpu/fault';
import { Insn } from '../../emulator/cpu/insn';
import { TABLE, UNDEFINED } from '../../emulator/cpu/opcodes';
import { Exit, makeCpu, runCode, setReg } from '../support/cpu-harness';

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

/**
 * Every AVX instruction iced-x86 knows (CPUID feature AVX alone, or with PCLMULQDQ) decodes here with the same
 * length and executes without #UD; random VEX streams (2- and 3-byte VEX, maps 0F/0F38/0F3A, every pp, L, W,
 * vvvv, ModRM and imm8), in 64-bit mode with XCR0 enabling the YMM state.
 */
test('every AVX instruction in random VEX streams: the same length as iced-x86, and it executes (no #UD)', () => {
  let s = 0x7a3c91d5;
  const rnd = (): number => { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; return s >>> 0; };
  const insn = new Insn();
  const cpu = makeCpu();
  const bad: string[] = [];
  let compared = 0;
  const avxOnly = (f: Int32Array): boolean => f.length > 0 && f.includes(CpuidFeature.AVX) && f.every((x) => x === CpuidFeature.AVX || x === CpuidFeature.PCLMULQDQ);
  for (let n = 0; n < 100000; n++) {
    const bytes = new Uint8Array(16);
    for (let k = 0; k < 16; k++) bytes[k] = rnd() & 0xff;
    if (rnd() % 2) bytes[0] = 0xc5;
    else { bytes[0] = 0xc4; bytes[1] = (bytes[1] & 0xe0) | (1 + (rnd() % 3)); }
    const d = new Decoder(64, bytes, DecoderOptions.None);
    const ins = d.decode();
    const icedLen = ins.length, valid = ins.code !== Code.INVALID, avx = valid && avxOnly(ins.cpuidFeatures());
    ins.free();
    d.free();
    if (!avx) continue;
    compared++;
    const hex = Buffer.from(bytes.subarray(0, icedLen)).toString('hex');
    decode(TABLE, (j) => bytes[j], true, 4, insn, UNDEFINED);
    if (insn.exec === UNDEFINED.exec) { bad.push(`${hex}: not in our table`); continue; }
    if (insn.len !== icedLen) { bad.push(`${hex} (${insn.name}): ours ${insn.len}, iced ${icedLen}`); continue; }
    cpu.xcr0 = 7;
    setReg(cpu, 6, 0x2000n);
    const r = runCode(cpu, bytes.subarray(0, icedLen));
    if (r.exit === Exit.FAULT && r.vector === 6) bad.push(`${hex} (${insn.name}): #UD (${FAULT.reason})`);
  }
  assert.ok(compared > 3000, `only ${compared} AVX instructions compared`);
  assert.deepEqual(bad.slice(0, 25), [], `${bad.length} of ${compared} AVX instructions differ`);
});
