import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostHas } from '../support/native/diff';
import { buildSseNative, compareSse, reseedSse, runSseNative, SseCase } from '../support/native/sse-diff';
import { generateCvt64, generateGpMem, generatePclmul, generateSse41, generateSse42, generateSsse3 } from '../support/native/isa-cases';

/**
 * Host-CPU differential tests of the families beyond SSE3 on the FXSAVE-image harness (test/support/native/
 * isa-cases.ts): each compares XMM/MM/x87 state, MXCSR, the memory buffer, RAX and the flags.
 */
const native = buildSseNative();

function check(seed: bigint, gen: () => SseCase[], features: string[]): void {
  reseedSse(seed);
  const cases = gen();
  const out = runSseNative(native.path!, cases);
  assert.equal(out.length, cases.length);
  const bad = compareSse(cases, out);
  assert.deepEqual(bad.slice(0, 20), [], `${bad.length} of ${cases.length} cases differ (${features.join(', ')})`);
}
const skip = (...features: string[]): string | undefined => native.reason ?? (features.find((f) => !hostHas(f)) ? `the host CPU lacks ${features.filter((f) => !hostHas(f)).join(', ')}` : undefined);

test('MOVBE, CRC32, ADCX and ADOX memory forms agree with the host CPU', { skip: skip('movbe', 'sse4_2', 'adx') }, () => {
  check(0x3b3en, () => generateGpMem(200), ['movbe', 'sse4_2', 'adx']);
});

test('CVTSI2SS/CVTSI2SD from 64- and 32-bit integers round once, by MXCSR.RC, as the host CPU does', { skip: skip('sse2') }, () => {
  check(0xc7c7n, () => generateCvt64(300), ['sse2']);
});
test('SSSE3 (PSHUFB, PHADD/PHSUB W/D/SW, PMADDUBSW, PMULHRSW, PSIGN, PABS, PALIGNR; MMX and XMM, register and memory) agrees with the host CPU', { skip: skip('ssse3') }, () => {
  check(0x55e3n, () => generateSsse3(60), ['ssse3']);
});

test('SSE4.1 (blends, PTEST, PMOVSX/ZX, PMULDQ/PMULLD, PCMPEQQ, PACKUSDW, PMIN/PMAX, PHMINPOSUW, MPSADBW, MOVNTDQA, ROUND*, DPPS/DPPD, PEXTR*/PINSR*/EXTRACTPS/INSERTPS) agrees with the host CPU', { skip: skip('sse4_1') }, () => {
  check(0x5e41n, () => generateSse41(40), ['sse4_1']);
});

test('SSE4.2 (PCMPGTQ; PCMPESTRI/ESTRM/ISTRI/ISTRM over every control byte, explicit and implicit lengths) agrees with the host CPU', { skip: skip('sse4_2') }, () => {
  check(0x5e42n, () => generateSse42(150), ['sse4_2']);
});

test('PCLMULQDQ (every quadword selection, register and memory) agrees with the host CPU', { skip: skip('pclmulqdq') }, () => {
  check(0xc1a0n, () => generatePclmul(300), ['pclmulqdq']);
});
