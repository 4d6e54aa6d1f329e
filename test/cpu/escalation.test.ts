import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escalate, exceptionClass, ExceptionClass } from '../../emulator/cpu/exceptions';

/** SDM Vol. 3A §6.15 Table 6-4 (classes) and Table 6-5 (conditions for generating a double fault). */
const BENIGN = [1, 2, 3, 4, 5, 6, 7, 9, 16, 17, 18, 19, 20, 21];
const CONTRIBUTORY = [0, 10, 11, 12, 13];
const PAGE_FAULT = [14];

describe('exception classes (SDM Table 6-4)', () => {
  it('#DE, #TS, #NP, #SS and #GP are contributory; #PF is a page fault; #DF aborts; the rest are benign', () => {
    for (const v of CONTRIBUTORY) assert.equal(exceptionClass(v), ExceptionClass.CONTRIBUTORY, `vector ${v}`);
    for (const v of PAGE_FAULT) assert.equal(exceptionClass(v), ExceptionClass.PAGE_FAULT);
    for (const v of BENIGN) assert.equal(exceptionClass(v), ExceptionClass.BENIGN, `vector ${v}`);
    assert.equal(exceptionClass(8), ExceptionClass.DOUBLE_FAULT);
  });
});

describe('escalation (SDM Table 6-5)', () => {
  it('a benign first exception lets any second exception be handled serially', () => {
    for (const a of BENIGN) for (const b of [...BENIGN, ...CONTRIBUTORY, ...PAGE_FAULT]) assert.equal(escalate(a, b), 'serial', `${a} then ${b}`);
  });
  it('contributory then contributory is a double fault', () => {
    for (const a of CONTRIBUTORY) for (const b of CONTRIBUTORY) assert.equal(escalate(a, b), 'double-fault', `${a} then ${b}`);
  });
  it('contributory then page fault or benign is handled serially', () => {
    for (const a of CONTRIBUTORY) for (const b of [...PAGE_FAULT, ...BENIGN]) assert.equal(escalate(a, b), 'serial', `${a} then ${b}`);
  });
  it('page fault then page fault or contributory is a double fault', () => {
    for (const b of [...PAGE_FAULT, ...CONTRIBUTORY]) assert.equal(escalate(14, b), 'double-fault', `#PF then ${b}`);
  });
  it('page fault then benign is handled serially', () => {
    for (const b of BENIGN) assert.equal(escalate(14, b), 'serial', `#PF then ${b}`);
  });
  it('a fault while delivering #DF shuts the processor down (triple fault)', () => {
    for (const b of [...BENIGN, ...CONTRIBUTORY, ...PAGE_FAULT, 8]) assert.equal(escalate(8, b), 'triple-fault', `#DF then ${b}`);
  });
});
