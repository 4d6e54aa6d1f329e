import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CPU_MODELS } from '../../emulator/cpu/cpuid';
import { cpuModel } from '../../emulator/cpu/system';
import { Attr, Cr4, Seg } from '../../emulator/cpu/state';
import { Exit, makeCpu, reg, runCode, setReg } from '../support/cpu-harness';

/** RDFSBASE/RDGSBASE/WRFSBASE/WRGSBASE (fsgsbase.ts) on the 'max' model, which reports FSGSBASE. */
const RAX = 0, RCX = 1, RBX = 3;
const withMax = (f: () => void) => (): void => {
  const saved = cpuModel.current;
  cpuModel.current = CPU_MODELS.max;
  try { f(); } finally { cpuModel.current = saved; }
};
const WRFSBASE_RBX = [0xf3, 0x48, 0x0f, 0xae, 0xd3], WRGSBASE_RBX = [0xf3, 0x48, 0x0f, 0xae, 0xdb];
const RDFSBASE_RAX = [0xf3, 0x48, 0x0f, 0xae, 0xc0], RDGSBASE_RCX = [0xf3, 0x48, 0x0f, 0xae, 0xc9];

test('WRFSBASE/WRGSBASE set the segment bases that RDFSBASE/RDGSBASE, RDMSR and memory accesses see; 32-bit forms zero-extend', withMax(() => {
  const c = makeCpu();
  c.cr4 |= Cr4.FSGSBASE;
  setReg(c, RBX, 0xffff800012345000n); // canonical, upper half
  assert.equal(runCode(c, WRGSBASE_RBX).exit, Exit.BUDGET);
  assert.equal(runCode(c, RDGSBASE_RCX).exit, Exit.BUDGET);
  assert.equal(reg(c, RCX), 0xffff800012345000n);
  setReg(c, RBX, 0x3000n);
  runCode(c, WRFSBASE_RBX);
  assert.equal(c.segBase[Seg.FS], 0x3000);
  // mov rax, fs:[0] reads linear 0x3000
  c.mem.u8[0x3000] = 0x5a;
  setReg(c, RAX, 0n);
  runCode(c, [0x64, 0x48, 0x8b, 0x04, 0x25, 0, 0, 0, 0]);
  assert.equal(reg(c, RAX) & 0xffn, 0x5an);
  // rdmsr FS_BASE
  setReg(c, RCX, 0xc0000100n);
  runCode(c, [0x0f, 0x32]);
  assert.equal(reg(c, RAX), 0x3000n);
  // 32-bit forms: rdfsbase eax reads the low half, zero-extended; wrfsbase ebx writes a zero-extended base
  setReg(c, RBX, 0xffffffff87654321n);
  runCode(c, [0xf3, 0x0f, 0xae, 0xd3]);
  assert.equal(c.segBase[Seg.FS], 0x87654321);
  setReg(c, RAX, -1n);
  runCode(c, [0xf3, 0x0f, 0xae, 0xc0]);
  assert.equal(reg(c, RAX), 0x87654321n);
  assert.equal(runCode(c, RDFSBASE_RAX).exit, Exit.BUDGET);
  assert.equal(reg(c, RAX), 0x87654321n);
}));

test('FSGSBASE faults: #UD with CR4.FSGSBASE=0 or outside 64-bit mode, #GP(0) for a non-canonical base; CR4.FSGSBASE is reserved on models without it', withMax(() => {
  const c = makeCpu();
  assert.equal(runCode(c, RDFSBASE_RAX).vector, 6, 'CR4.FSGSBASE=0');
  c.cr4 |= Cr4.FSGSBASE;
  setReg(c, RBX, 0x0000800000000000n);
  const r = runCode(c, WRGSBASE_RBX);
  assert.equal(r.vector, 13);
  assert.equal(r.errorCode, 0);
  const p = makeCpu();
  p.cr4 |= Cr4.FSGSBASE;
  p.efer = 0;
  p.segAttr[Seg.CS] = 0xb | Attr.S | Attr.P | Attr.DB | Attr.G;
  p.updateMode();
  assert.equal(runCode(p, [0xf3, 0x0f, 0xae, 0xc0]).vector, 6, 'protected mode');
  // mov cr4, rax with FSGSBASE: allowed on max, #GP on faultline
  const d = makeCpu();
  setReg(d, RAX, BigInt(d.cr4 | Cr4.FSGSBASE));
  assert.equal(runCode(d, [0x0f, 0x22, 0xe0]).exit, Exit.BUDGET);
  cpuModel.current = CPU_MODELS.faultline;
  const e = makeCpu();
  setReg(e, RAX, BigInt(e.cr4 | Cr4.FSGSBASE));
  assert.equal(runCode(e, [0x0f, 0x22, 0xe0]).vector, 13);
}));
