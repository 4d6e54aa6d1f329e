import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Attr, Cr0, Cr4, Seg } from '../../emulator/cpu/state';
import { Exit, makeCpu, reg, runCode, setReg } from '../support/cpu-harness';

/**
 * The exception rules of the families beyond SSE3 (SDM Vol. 2 §2.3.x exception classes and each
 * instruction's "Exceptions" section): the host-CPU differential tests cover results, these cover the faults
 * a user-mode harness cannot provoke (CR0/CR4 bits) and the encodings hardware rejects.
 */
const RAX = 0, RCX = 1, RBX = 3, RSI = 6;
const MEM = 0x2000;

function vector(code: number[], setup?: (c: ReturnType<typeof makeCpu>) => void): number {
  const c = makeCpu();
  setReg(c, RSI, BigInt(MEM));
  setup?.(c);
  const r = runCode(c, code);
  return r.exit === Exit.FAULT ? r.vector : -1;
}

test('VEX-encoded BMI: VEX.L=1, a 66/F2/F3/REX prefix before VEX, BLS* with ModRM.reg 0/4+ and RORX with vvvv != 1111b are #UD', () => {
  assert.equal(vector([0xc4, 0xe2, 0xe0, 0xf2, 0xc1]), -1, 'andn rax, rbx, rcx');
  assert.equal(vector([0xc4, 0xe2, 0xe4, 0xf2, 0xc1]), 6, 'VEX.L=1');
  assert.equal(vector([0x66, 0xc4, 0xe2, 0xe0, 0xf2, 0xc1]), 6, '66 before VEX');
  assert.equal(vector([0x48, 0xc4, 0xe2, 0xe0, 0xf2, 0xc1]), 6, 'REX before VEX');
  assert.equal(vector([0xc4, 0xe2, 0xe8, 0xf3, 0xc1]), 6, 'group 17 /0');
  assert.equal(vector([0xc4, 0xe2, 0xe8, 0xf3, 0xe1]), 6, 'group 17 /4');
  assert.equal(vector([0xc4, 0xe3, 0x7b, 0xf0, 0xc1, 0x05]), -1, 'rorx eax, ecx, 5');
  assert.equal(vector([0xc4, 0xe3, 0x73, 0xf0, 0xc1, 0x05]), 6, 'rorx with vvvv = 1');
  assert.equal(vector([0xc4, 0xe2, 0x61, 0xf2, 0xc1]), 6, 'andn with pp = 66');
});

test('BMI, ADX, MOVBE and CRC32 do not depend on CR4.OSFXSR, CR0.EM or CR0.TS (general-purpose instructions)', () => {
  const noSse = (c: ReturnType<typeof makeCpu>): void => { c.cr4 &= ~(Cr4.OSFXSR | Cr4.OSXSAVE); c.cr0 |= Cr0.EM | Cr0.TS; };
  for (const code of [[0xc4, 0xe2, 0xe0, 0xf2, 0xc1], [0x66, 0x0f, 0x38, 0xf6, 0xc1], [0x0f, 0x38, 0xf0, 0x06], [0xf2, 0x0f, 0x38, 0xf1, 0xc1]]) {
    assert.equal(vector(code, noSse), -1, code.map((b) => b.toString(16)).join(' '));
  }
});

test('MOVBE with a register operand, ADCX/ADOX without 66/F3 and F3-prefixed MOVBE are #UD', () => {
  assert.equal(vector([0x0f, 0x38, 0xf0, 0xc1]), 6);
  assert.equal(vector([0x0f, 0x38, 0xf1, 0xc1]), 6);
  assert.equal(vector([0x0f, 0x38, 0xf6, 0xc1]), 6);
  assert.equal(vector([0xf2, 0x0f, 0x38, 0xf6, 0xc1]), 6);
  assert.equal(vector([0xf3, 0x0f, 0x38, 0xf0, 0x06]), 6);
});

test('SSSE3/SSE4: #UD without the 66 prefix (SSE4) or with CR4.OSFXSR=0 or CR0.EM=1, #NM with CR0.TS=1', () => {
  const pmulld = [0x66, 0x0f, 0x38, 0x40, 0xc1];
  assert.equal(vector(pmulld), -1);
  assert.equal(vector([0x0f, 0x38, 0x40, 0xc1]), 6, 'NP 0F38 40');
  assert.equal(vector([0xf3, 0x0f, 0x38, 0x40, 0xc1]), 6, 'F3 0F38 40');
  assert.equal(vector(pmulld, (c) => { c.cr4 &= ~Cr4.OSFXSR; }), 6);
  assert.equal(vector(pmulld, (c) => { c.cr0 |= Cr0.EM; }), 6);
  assert.equal(vector(pmulld, (c) => { c.cr0 |= Cr0.TS; }), 7);
  // the MMX form of an SSSE3 instruction follows the MMX rules: #NM with TS, #UD with EM
  assert.equal(vector([0x0f, 0x38, 0x00, 0xc1], (c) => { c.cr0 |= Cr0.TS; }), 7);
  assert.equal(vector([0x0f, 0x38, 0x00, 0xc1], (c) => { c.cr0 |= Cr0.EM; }), 6);
  assert.equal(vector([0x66, 0x0f, 0x38, 0x2a, 0xc1]), 6, 'MOVNTDQA from a register');
});

test('legacy-SSE alignment: 128-bit operands of SSSE3/SSE4.1 must be 16-byte aligned; element loads and PCMPxSTRx need not be', () => {
  const at = (off: number) => (c: ReturnType<typeof makeCpu>): void => { setReg(c, RSI, BigInt(MEM + off)); };
  assert.equal(vector([0x66, 0x0f, 0x38, 0x40, 0x06], at(0)), -1, 'pmulld xmm0, [rsi] aligned');
  assert.equal(vector([0x66, 0x0f, 0x38, 0x40, 0x06], at(4)), 13, 'pmulld misaligned');
  assert.equal(vector([0x66, 0x0f, 0x38, 0x00, 0x06], at(8)), 13, 'pshufb misaligned');
  assert.equal(vector([0x0f, 0x38, 0x00, 0x06], at(3)), -1, 'pshufb mm, m64 misaligned is fine');
  assert.equal(vector([0x66, 0x0f, 0x38, 0x30, 0x06], at(3)), -1, 'pmovzxbw m64 misaligned');
  assert.equal(vector([0x66, 0x0f, 0x3a, 0x63, 0x06, 0x0c], at(5)), -1, 'pcmpistri m128 misaligned');
  assert.equal(vector([0x66, 0x0f, 0x3a, 0x0a, 0x06, 0x00], at(2)), -1, 'roundss m32 misaligned');
});

test('in 32-bit protected mode VEX.W is ignored: BMI operates on 32 bits', () => {
  const c = makeCpu();
  c.efer = 0;
  c.segAttr[Seg.CS] = 0xb | Attr.S | Attr.P | Attr.DB | Attr.G;
  c.updateMode();
  c.flushTlb();
  setReg(c, RBX, 0xf0n);
  setReg(c, RCX, 0x3c8n);
  // andn eax, ebx, ecx with VEX.W=1 (C4 E2 E0): still 32-bit outside 64-bit mode
  const r = runCode(c, [0xc4, 0xe2, 0xe0, 0xf2, 0xc1]);
  assert.equal(r.exit, Exit.BUDGET);
  assert.equal(reg(c, RAX) & 0xffffffffn, 0x308n);
  // C4 with ModRM.mod != 11b in 32-bit mode is LES, not VEX
  setReg(c, RSI, BigInt(MEM));
  const les = runCode(c, [0xc4, 0x06]);
  assert.notEqual(les.vector, 6, 'LES decodes');
});
