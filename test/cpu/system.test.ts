import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CPU_MODELS } from '../../emulator/cpu/cpuid';
import { Seg } from '../../emulator/cpu/state';
import { cpuModel } from '../../emulator/cpu/system';
import { Exit, makeCpu, poke, runCode } from '../support/cpu-harness';

/** A 16-byte available 64-bit TSS descriptor (type 9) for `base`, limit 0x67, as Linux's set_tssldt_descriptor writes it. */
function tssDescriptor(base: bigint, upperType = 0): number[] {
  const lo = Number(base & 0xffffffffn), hi = Number(base >> 32n);
  return [0x67, 0, lo & 0xff, (lo >>> 8) & 0xff, (lo >>> 16) & 0xff, 0x89, 0, lo >>> 24,
    hi & 0xff, (hi >>> 8) & 0xff, (hi >>> 16) & 0xff, hi >>> 24, 0, upperType & 0x1f, 0, 0];
}

// mov ax, 0x40; ltr ax
const LTR_0x40 = [0x66, 0xb8, 0x40, 0x00, 0x0f, 0x00, 0xd8];

test('LTR in IA-32e mode loads a TSS above 4 GiB: bytes 8-11 are base 63:32, not the must-be-zero type (Linux cpu_entry_area)', () => {
  const cpu = makeCpu();
  cpu.gdtrBase = 0x3000; cpu.gdtrLimit = 0x7f;
  poke(cpu, 0x3040, tssDescriptor(0xfffffe0000001000n));
  const r = runCode(cpu, LTR_0x40, 2);
  assert.equal(r.exit, Exit.BUDGET);
  assert.equal(cpu.segSel[Seg.TR], 0x40);
  assert.equal(BigInt(cpu.segBase[Seg.TR]), 0xfffffe0000001000n);
  assert.equal(cpu.mem.u8[0x3045], 0x8b, 'the descriptor is marked busy');
});

test('LTR in IA-32e mode: a nonzero type in the descriptor\'s upper half (bytes 12-15, bits 12:8) is #GP(selector)', () => {
  const cpu = makeCpu();
  cpu.gdtrBase = 0x3000; cpu.gdtrLimit = 0x7f;
  poke(cpu, 0x3040, tssDescriptor(0x5000n, 0x9));
  const r = runCode(cpu, LTR_0x40, 2);
  assert.equal(r.exit, Exit.FAULT);
  assert.equal(r.vector, 13);
  assert.equal(r.errorCode, 0x40);
});

test('AMD SYSCFG (C001_0010) reads 0 and keeps what is written on an AMD model; on Intel it is #GP(0)', () => {
  const saved = cpuModel.current;
  try {
    cpuModel.current = { ...CPU_MODELS.faultline, vendor: 'AuthenticAMD' };
    const cpu = makeCpu();
    // mov ecx, 0xc0010010; rdmsr
    const rd = [0xb9, 0x10, 0x00, 0x01, 0xc0, 0x0f, 0x32];
    assert.equal(runCode(cpu, rd, 2).exit, Exit.BUDGET);
    assert.equal(cpu.r[0] | cpu.r[4], 0);
    // mov ecx, 0xc0010010; mov eax, 0x40000; xor edx, edx; wrmsr; xor eax, eax; rdmsr
    const wr = [0xb9, 0x10, 0x00, 0x01, 0xc0, 0xb8, 0x00, 0x00, 0x04, 0x00, 0x31, 0xd2, 0x0f, 0x30, 0x31, 0xc0, 0x0f, 0x32];
    assert.equal(runCode(cpu, wr, 6).exit, Exit.BUDGET);
    assert.equal(cpu.r[0], 0x40000);
    cpuModel.current = { ...CPU_MODELS.faultline, vendor: 'GenuineIntel' };
    const r = runCode(makeCpu(), rd, 2);
    assert.equal(r.vector, 13);
  } finally {
    cpuModel.current = saved;
  }
});
