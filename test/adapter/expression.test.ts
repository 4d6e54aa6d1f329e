import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileExpression, ExpressionError } from '../../debug-adapter/expression';
import { ExceptionFilterSet, exceptionBreakpointFilters, exceptionFilterId } from '../../debug-adapter/exception-filters';
import type { ExceptionEvent } from '../../emulator/api';

const fields: Record<string, bigint> = { cr2: 0xdeadbeafn, errorCode: 2n, vector: 14n, rip: 0x100990n };
const ctx = { lookup: (n: string) => fields[n] };

test('conditions compare, mask and combine as unsigned 64-bit values', () => {
  assert.equal(compileExpression('cr2 == 0xdeadbeaf').evaluate(ctx), 1n);
  assert.equal(compileExpression('errorCode & 2').evaluate(ctx), 2n);
  assert.equal(compileExpression('errorCode & 1').evaluate(ctx), 0n);
  assert.equal(compileExpression('vector == 14 && (rip >= 0x100000 || 0)').evaluate(ctx), 1n);
  assert.equal(compileExpression('1 + 2 * 3 << 1').evaluate(ctx), 14n);
  assert.equal(compileExpression('-1').evaluate(ctx), (1n << 64n) - 1n);
  assert.equal(compileExpression('!(cr2 != 0xdeadbeaf)').evaluate(ctx), 1n);
});

test('dereferences go through the reader with the cast size', () => {
  const reads: [bigint, number][] = [];
  const v = compileExpression('*(u32*)(rip + 4) + *0x10').evaluate({ lookup: ctx.lookup, read: (a, n) => { reads.push([a, n]); return 1n; } });
  assert.equal(v, 2n);
  assert.deepEqual(reads, [[0x100994n, 4], [0x10n, 8]]);
});

test('bad expressions are rejected with a position, never evaluated as JavaScript', () => {
  for (const bad of ['cr2 ==', 'process.exit(1)', 'a; b', '0x', '(1', '"x"', 'rip = 1']) {
    assert.throws(() => compileExpression(bad).evaluate(ctx), ExpressionError, bad);
  }
  assert.throws(() => compileExpression('1 / (errorCode - 2)').evaluate(ctx), /division by zero/);
  assert.throws(() => compileExpression('nope').evaluate(ctx), /unknown name 'nope'/);
});

function pf(extra: Partial<ExceptionEvent> = {}): ExceptionEvent {
  return {
    seq: 1, instructionCount: 10, phase: 'raised', vector: 14, name: '#PF', errorCode: 2, cr2: 0xdeadbeafn, rip: 0x100000n,
    cs: 8, rsp: 0x1000n, ss: 0x10, external: false, software: false, reason: 'page not present', ...extra,
  };
}

test('the escalating filters are on by default, the per-vector ones off', () => {
  const f = new ExceptionFilterSet();
  assert.equal(f.shouldStop(pf()), false);
  assert.equal(f.shouldStop(pf({ duringDeliveryOf: 14 })), true);
  assert.equal(f.shouldStop(pf({ vector: 8, name: '#DF', errorCode: 0 })), true);
  const defaults = exceptionBreakpointFilters().filter((x) => x.default).map((x) => x.filter);
  assert.deepEqual(defaults.sort(), ['double-fault', 'escalation', 'triple-fault']);
  const labels = exceptionBreakpointFilters().map((x) => x.label);
  assert.ok(labels.includes('#PF Page fault (14)'));
  assert.ok(labels.includes('#DE Divide error (0)'));
  assert.ok(labels.includes('#CP Control protection (21)'));
});

test('a #PF filter with a condition stops only when it holds', () => {
  const f = new ExceptionFilterSet();
  const res = f.set([], [{ filterId: exceptionFilterId(14), condition: 'cr2 == 0xdeadbeaf && errorCode & 2' }]);
  assert.deepEqual(res, [{ verified: true }]);
  assert.equal(f.shouldStop(pf()), true);
  assert.equal(f.shouldStop(pf({ cr2: 0x1000n })), false);
  assert.equal(f.shouldStop(pf({ errorCode: 0 })), false);
  const bad = f.set([], [{ filterId: exceptionFilterId(14), condition: 'cr3 == 1' }]);
  assert.equal(bad[0].verified, false);
  assert.match(bad[0].message ?? '', /unknown name cr3/);
});
