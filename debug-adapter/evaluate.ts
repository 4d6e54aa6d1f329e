/**
 * The evaluate request (Debug Console, Watch, hovers): `gdt[N]`, `idt[N]`, `tss`, `walk EXPR`, or an address
 * expression (expression.ts) over the stopped CPU's registers, the symbols and guest memory; and the same
 * expressions wherever another request takes an address (addressArg).
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import { gdtRequest, idtRequest, pageWalkRequest, tssRequest } from './custom-requests';
import { compileExpression } from './expression';
import { UserError, type SessionState } from './session-state';
import { hex, REGISTERS_32 } from './variables';

export function evaluate(s: SessionState, a: DebugProtocol.EvaluateArguments): DebugProtocol.EvaluateResponse['body'] {
  const expr = String(a.expression ?? '').trim();
  if (!expr) throw new UserError('nothing to evaluate');
  const rt = s.rt!;
  const json = (v: unknown) => ({ result: JSON.stringify(v, null, 1), variablesReference: 0 });
  let m: RegExpExecArray | null;
  if ((m = /^gdt\[(\d+)\]$/i.exec(expr))) {
    const e = gdtRequest(rt).entries.find((x) => x.index === Number(m![1]));
    if (!e) throw new UserError(`GDT entry ${m[1]} is beyond GDTR.limit`);
    return { result: `${e.summary}  raw ${e.raw.join(' ')}${e.problems.length ? '  ⚠ ' + e.problems.join('; ') : ''}`, variablesReference: 0 };
  }
  if ((m = /^idt\[(\w+)\]$/i.exec(expr))) {
    const v = Number(m[1]);
    const g = idtRequest(rt, s.symbols, () => undefined).gates.find((x) => x.vector === v);
    if (!g) throw new UserError(`IDT gate ${m[1]} is beyond IDTR.limit`);
    return { result: `${g.summary}${g.symbol ? ` → ${g.symbol}` : ''}  raw ${g.raw.join(' ')}${g.problems.length ? '  ⚠ ' + g.problems.join('; ') : ''}`, variablesReference: 0 };
  }
  if (/^tss$/i.test(expr)) return json(tssRequest(rt, s.symbols));
  if ((m = /^walk\s+(.+)$/i.exec(expr))) {
    const w = pageWalkRequest(rt, evalExpression(s, m[1]));
    return { result: w.mapped ? `${w.address} → ${w.physical} (${w.levels.map((l) => `${l.level}[${l.index}]`).join(' → ')})` : `${w.address}: ${w.stopReason}`, variablesReference: 0 };
  }
  const v = evalExpression(s, expr);
  const sym = s.symbols?.describe(v);
  return { result: `0x${v.toString(16)} (${v})${sym ? ` <${sym}>` : ''}`, variablesReference: 0, memoryReference: hex(v), type: 'u64' };
}

/** Evaluate an address/value expression: registers ($rax or rax), symbols, *(u64*)ADDR. */
export function evalExpression(s: SessionState, text: string): bigint {
  const rt = s.rt;
  const regs = rt?.state().regs as Record<string, bigint> | undefined;
  const lookup = (name: string): bigint | undefined => {
    const n = name.startsWith('$') ? name.slice(1) : name;
    if (regs && n.toLowerCase() in regs) return regs[n.toLowerCase()];
    if (regs && n.toLowerCase() in REGISTERS_32) return regs[REGISTERS_32[n.toLowerCase()]] & 0xffffffffn;
    return s.symbols?.lookup(name)?.address;
  };
  const read = (addr: bigint, size: number): bigint | undefined => {
    const r = rt?.readLinear(addr, size);
    if (!r || r.readable < size) return undefined;
    let v = 0n;
    for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(r.data[i]);
    return v;
  };
  try {
    return compileExpression(text).evaluate({ lookup, read });
  } catch (e) {
    throw new UserError(`${text}: ${(e as Error).message}`);
  }
}

/** A request's address argument: a non-negative number, or an expression string. */
export function addressArg(s: SessionState, v: unknown, what: string): bigint {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v !== 'string' || !v.trim()) throw new UserError(`'${what}' must be an address: a hex string like 0xdeadbeaf, a number or a symbol`);
  return evalExpression(s, v);
}
