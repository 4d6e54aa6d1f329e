import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FAULT } from '../../emulator/cpu/fault';
import { MCA_BANKS } from '../../emulator/cpu/mca';
import { CPU_MODELS } from '../../emulator/cpu/cpuid';
import { cpuModel, readMsr, writeMsr } from '../../emulator/cpu/system';
import { resetCpu } from '../../emulator/cpu/reset';
import { makeCpu } from '../support/cpu-harness';

function gpOf(fn: () => void): number {
  try {
    fn();
  } catch (e) {
    if (e !== FAULT) throw e;
    return FAULT.vector;
  }
  return -1;
}

function withVendor(vendor: string, fn: () => void): void {
  const saved = cpuModel.current;
  cpuModel.current = { ...CPU_MODELS.faultline, vendor };
  try {
    fn();
  } finally {
    cpuModel.current = saved;
  }
}

test('MCG_CAP reports the banks and MCG_CTL_P; each bank holds CTL (Intel: 0s or 1s), STATUS (clear only), ADDR and MISC', () => withVendor('GenuineIntel', () => {
  const c = makeCpu();
  const [cap] = readMsr(c, 0x179);
  assert.equal(cap & 0xff, MCA_BANKS);
  assert.ok(cap & 0x100, 'MCG_CTL_P');
  for (let i = 0; i < MCA_BANKS; i++) {
    const base = 0x400 + 4 * i;
    writeMsr(c, base, -1, -1);
    assert.deepEqual(readMsr(c, base), [-1, -1]);
    assert.equal(gpOf(() => writeMsr(c, base, 0xaaaaaaaa | 0, 0xaaaaaaaa | 0)), 13, 'CTL: other values #GP');
    writeMsr(c, base + 1, 0, 0);
    assert.equal(gpOf(() => writeMsr(c, base + 1, 1, 0)), 13, 'STATUS: only 0');
    writeMsr(c, base + 2, 0x12345678, 0x9abc);
    assert.deepEqual(readMsr(c, base + 2), [0x12345678, 0x9abc]);
    writeMsr(c, base + 3, -1, 0x7fffffff);
    assert.deepEqual(readMsr(c, base + 3), [-1, 0x7fffffff]);
  }
  writeMsr(c, 0x17b, -1, -1);
  assert.deepEqual(readMsr(c, 0x17b), [-1, -1]);
  assert.equal(gpOf(() => readMsr(c, 0x400 + 4 * MCA_BANKS)), 13, 'a bank past MCG_CAP.Count does not exist');
  assert.equal(gpOf(() => writeMsr(c, 0x400 + 4 * MCA_BANKS, 0, 0)), 13);
}));

test('MCi_CTL also takes all 1s with bit 10 and/or 0 clear (KVM; Linux clears MC4_CTL bit 10 on AMD family 0Fh); MCG_CTL only 0s or 1s', () => withVendor('AuthenticAMD', () => {
  const c = makeCpu();
  writeMsr(c, 0x410, 0xfffffbff | 0, -1);
  assert.deepEqual(readMsr(c, 0x410), [0xfffffbff | 0, -1]);
  writeMsr(c, 0x400, 0xfffffbfe | 0, -1);
  assert.deepEqual(readMsr(c, 0x400), [0xfffffbfe | 0, -1]);
  assert.equal(gpOf(() => writeMsr(c, 0x400, 0x12, 0)), 13);
  assert.equal(gpOf(() => writeMsr(c, 0x400, 0xfffffffd | 0, -1)), 13, 'only bits 10 and 0 may be clear');
  assert.equal(gpOf(() => writeMsr(c, 0x17b, 0x12, 0)), 13);
  assert.equal(gpOf(() => writeMsr(c, 0x401, 1, 0)), 13, 'STATUS: only 0');
}));

test('after reset MCG_CAP and the CTL registers read what QEMU 7.2 gives (GRUB\'s rdmsr under qemu64): 0x0100010a, MCG_CTL and MCi_CTL all 1s', () => {
  const c = makeCpu();
  resetCpu(c);
  assert.deepEqual(readMsr(c, 0x179), [0x0100010a, 0], 'MCG_CAP: 10 banks, MCG_CTL_P, MCG_SER_P');
  assert.deepEqual(readMsr(c, 0x17b), [-1, -1], 'MCG_CTL');
  for (let i = 0; i < MCA_BANKS; i++) {
    assert.deepEqual(readMsr(c, 0x400 + 4 * i), [-1, -1], `MC${i}_CTL`);
    for (let r = 1; r < 4; r++) assert.deepEqual(readMsr(c, 0x400 + 4 * i + r), [0, 0]);
  }
});
