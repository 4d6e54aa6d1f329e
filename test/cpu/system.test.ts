import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CPU_MODELS } from '../../emulator/cpu/cpuid';
import { cpuModel } from '../../emulator/cpu/system';
import { Exit, makeCpu, runCode } from '../support/cpu-harness';

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

test('AMD HWCR (C001_0015) reads 0 at reset and keeps its writable bits (Xen sets FFDIS on family 0Fh); a reserved bit or an Intel model #GP(0)', () => {
  const saved = cpuModel.current;
  try {
    cpuModel.current = { ...CPU_MODELS.faultline, vendor: 'AuthenticAMD' };
    const cpu = makeCpu();
    // mov ecx, 0xc0010015; rdmsr
    const rd = [0xb9, 0x15, 0x00, 0x01, 0xc0, 0x0f, 0x32];
    cpu.r[0] = -1; cpu.r[4] = -1;
    assert.equal(runCode(cpu, rd, 2).exit, Exit.BUDGET);
    assert.deepEqual([cpu.r[0], cpu.r[4]], [0, 0]);
    // mov ecx, 0xc0010015; rdmsr; or eax, 0x40; wrmsr; xor eax, eax; rdmsr  (Xen's init_amd on family 0Fh)
    const ffdis = [0xb9, 0x15, 0x00, 0x01, 0xc0, 0x0f, 0x32, 0x83, 0xc8, 0x40, 0x0f, 0x30, 0x31, 0xc0, 0x0f, 0x32];
    assert.equal(runCode(cpu, ffdis, 6).exit, Exit.BUDGET);
    assert.deepEqual([cpu.r[0], cpu.r[4]], [0x40, 0]);
    // mov ecx, 0xc0010015; mov eax, 0x100000 (bit 20: START_FID, read-only); xor edx, edx; wrmsr
    const ro = [0xb9, 0x15, 0x00, 0x01, 0xc0, 0xb8, 0x00, 0x00, 0x10, 0x00, 0x31, 0xd2, 0x0f, 0x30];
    assert.equal(runCode(makeCpu(), ro, 4).vector, 13);
    cpuModel.current = { ...CPU_MODELS.faultline, vendor: 'GenuineIntel' };
    assert.equal(runCode(makeCpu(), rd, 2).vector, 13);
  } finally {
    cpuModel.current = saved;
  }
});

test('AMD family 0Fh Interrupt Pending Message (C001_0055) reads 0 and keeps what is written; other families #GP', () => {
  const saved = cpuModel.current;
  try {
    cpuModel.current = { ...CPU_MODELS.faultline, vendor: 'AuthenticAMD' };
    const cpu = makeCpu();
    // mov ecx, 0xc0010055; rdmsr
    const rd = [0xb9, 0x55, 0x00, 0x01, 0xc0, 0x0f, 0x32];
    cpu.r[0] = -1;
    assert.equal(runCode(cpu, rd, 2).exit, Exit.BUDGET);
    assert.equal(cpu.r[0] | cpu.r[4], 0);
    // mov ecx, 0xc0010055; mov eax, 0x02000000; xor edx, edx; wrmsr; xor eax, eax; rdmsr
    const wr = [0xb9, 0x55, 0x00, 0x01, 0xc0, 0xb8, 0x00, 0x00, 0x00, 0x02, 0x31, 0xd2, 0x0f, 0x30, 0x31, 0xc0, 0x0f, 0x32];
    assert.equal(runCode(cpu, wr, 6).exit, Exit.BUDGET);
    assert.equal(cpu.r[0], 0x02000000);
    cpuModel.current = { ...CPU_MODELS.faultline, vendor: 'AuthenticAMD', signature: 0x00800f12 }; // family 17h
    assert.equal(runCode(makeCpu(), rd, 2).vector, 13);
    cpuModel.current = { ...CPU_MODELS.faultline, vendor: 'GenuineIntel' };
    assert.equal(runCode(makeCpu(), rd, 2).vector, 13);
  } finally {
    cpuModel.current = saved;
  }
});

test('AMD PerfCtr0-3 exist but count nothing (as under QEMU TCG): WRMSR is ignored, RDMSR and RDPMC read 0; counter 4 and an Intel model #GP(0)', () => {
  const saved = cpuModel.current;
  try {
    cpuModel.current = { ...CPU_MODELS.faultline, vendor: 'AuthenticAMD' };
    const cpu = makeCpu();
    // mov ecx, 0xc0010005; mov eax, 0x42; mov edx, 0xff1234; wrmsr; mov ecx, 1; rdpmc
    const code = [0xb9, 0x05, 0x00, 0x01, 0xc0, 0xb8, 0x42, 0x00, 0x00, 0x00, 0xba, 0x34, 0x12, 0xff, 0x00, 0x0f, 0x30,
      0xb9, 0x01, 0x00, 0x00, 0x00, 0x0f, 0x33];
    assert.equal(runCode(cpu, code, 6).exit, Exit.BUDGET);
    assert.deepEqual([cpu.r[0], cpu.r[4]], [0, 0], 'RDPMC: the counter did not keep what WRMSR wrote');
    // mov ecx, 0xc0010005; rdmsr (after the write above)
    cpu.r[0] = 7; cpu.r[4] = 7;
    assert.equal(runCode(cpu, [0xb9, 0x05, 0x00, 0x01, 0xc0, 0x0f, 0x32], 2).exit, Exit.BUDGET);
    assert.deepEqual([cpu.r[0], cpu.r[4]], [0, 0], 'RDMSR PerfCtr1 reads 0');
    // mov ecx, 4; rdpmc
    assert.equal(runCode(makeCpu(), [0xb9, 0x04, 0x00, 0x00, 0x00, 0x0f, 0x33], 2).vector, 13);
    cpuModel.current = { ...CPU_MODELS.faultline, vendor: 'GenuineIntel' };
    assert.equal(runCode(makeCpu(), [0x31, 0xc9, 0x0f, 0x33], 2).vector, 13);
  } finally {
    cpuModel.current = saved;
  }
});
