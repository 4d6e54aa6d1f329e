/**
 * A tiny, safe expression language (no eval): exception-filter conditions (`cr2 == 0xdeadbeaf`,
 * `errorCode & 2`, `vector == 14 && rip >= 0x100000`) and the `evaluate` request (`rsp + 8`,
 * `*(u64*)0x1000`, `stack_top - rsp`). Values are unsigned 64-bit bigints; comparisons and `!` give 0/1.
 *
 *   expr   := or ; or := and ('||' and)* ; and := bor ('&&' bor)* ; bor := xor ('|' xor)* ;
 *   xor := band ('^' band)* ; band := eq ('&' eq)* ; eq := rel (('=='|'!=') rel)* ;
 *   rel := shift (('<'|'<='|'>'|'>=') shift)* ; shift := add (('<<'|'>>') add)* ;
 *   add := mul (('+'|'-') mul)* ; mul := unary (('*'|'/'|'%') unary)* ;
 *   unary := ('-'|'~'|'!') unary | '*' cast? unary | primary ; cast := '(' ('u8'|'u16'|'u32'|'u64') '*' ')'
 *   primary := number | identifier | '(' expr ')'
 */

export interface ExpressionContext {
  /** Value of an identifier (register, filter field, symbol); undefined if unknown. */
  lookup(name: string): bigint | undefined;
  /** Read `size` bytes little-endian at a guest address; undefined if unreadable. */
  read?(address: bigint, size: number): bigint | undefined;
}

export class ExpressionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExpressionError';
  }
}

type Node =
  | { k: 'num'; v: bigint }
  | { k: 'id'; name: string }
  | { k: 'un'; op: string; a: Node }
  | { k: 'deref'; size: number; a: Node }
  | { k: 'bin'; op: string; a: Node; b: Node };

export interface CompiledExpression {
  source: string;
  /** Identifiers the expression uses (for validating conditions up front). */
  identifiers: string[];
  evaluate(ctx: ExpressionContext): bigint;
}

const MASK = (1n << 64n) - 1n;
const MAX_LENGTH = 1000;

/** Parse an expression; throws ExpressionError with the position of the problem. */
export function compileExpression(source: string): CompiledExpression {
  if (typeof source !== 'string') throw new ExpressionError('the expression must be a string');
  if (source.length > MAX_LENGTH) throw new ExpressionError(`the expression is longer than ${MAX_LENGTH} characters`);
  const tokens = tokenize(source);
  const p = new Parser(tokens, source);
  const node = p.expr(0);
  if (p.pos < tokens.length) throw new ExpressionError(`unexpected '${tokens[p.pos].t}' at column ${tokens[p.pos].at + 1} in "${source}"`);
  const identifiers: string[] = [];
  collect(node, identifiers);
  return { source, identifiers, evaluate: (ctx) => evaluate(node, ctx) };
}

/** Convenience: compile and evaluate once. */
export function evaluateExpression(source: string, ctx: ExpressionContext): bigint {
  return compileExpression(source).evaluate(ctx);
}

interface Token { t: string; at: number; num?: bigint }

const OPERATORS = ['||', '&&', '==', '!=', '<=', '>=', '<<', '>>', '|', '^', '&', '<', '>', '+', '-', '*', '/', '%', '~', '!', '(', ')'];

function tokenize(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (/\s/.test(c)) { i++; continue; }
    const numMatch = /^(0[xX][0-9a-fA-F_]+|0[bB][01_]+|[0-9][0-9_]*)/.exec(s.slice(i));
    if (numMatch) {
      const text = numMatch[0].replace(/_/g, '');
      out.push({ t: numMatch[0], at: i, num: BigInt(text) & MASK });
      i += numMatch[0].length;
      if (i < s.length && /[A-Za-z_]/.test(s[i])) throw new ExpressionError(`bad number '${numMatch[0]}${s[i]}' at column ${i + 1}`);
      continue;
    }
    const idMatch = /^[A-Za-z_.$][A-Za-z0-9_.$]*/.exec(s.slice(i));
    if (idMatch) { out.push({ t: idMatch[0], at: i }); i += idMatch[0].length; continue; }
    const op = OPERATORS.find((o) => s.startsWith(o, i));
    if (!op) throw new ExpressionError(`unexpected character '${c}' at column ${i + 1} in "${s}"`);
    out.push({ t: op, at: i });
    i += op.length;
  }
  return out;
}

const BINARY: [string[], number][] = [
  [['||'], 1], [['&&'], 2], [['|'], 3], [['^'], 4], [['&'], 5], [['==', '!='], 6],
  [['<', '<=', '>', '>='], 7], [['<<', '>>'], 8], [['+', '-'], 9], [['*', '/', '%'], 10],
];
const PRECEDENCE = new Map<string, number>(BINARY.flatMap(([ops, p]) => ops.map((o) => [o, p] as [string, number])));
const CASTS: Record<string, number> = { u8: 1, u16: 2, u32: 4, u64: 8 };

class Parser {
  pos = 0;
  private depth = 0;
  constructor(private readonly tokens: Token[], private readonly source: string) {}

  private peek(): Token | undefined { return this.tokens[this.pos]; }
  private expect(t: string): void {
    const tok = this.peek();
    if (!tok || tok.t !== t) throw new ExpressionError(`expected '${t}' ${tok ? `at column ${tok.at + 1}` : 'at the end'} in "${this.source}"`);
    this.pos++;
  }

  expr(minPrec: number): Node {
    if (++this.depth > 100) throw new ExpressionError('the expression is nested too deeply');
    let left = this.unary();
    for (;;) {
      const tok = this.peek();
      const prec = tok && tok.num === undefined ? PRECEDENCE.get(tok.t) : undefined;
      if (prec === undefined || prec <= minPrec) break;
      this.pos++;
      const right = this.expr(prec);
      left = { k: 'bin', op: tok!.t, a: left, b: right };
    }
    this.depth--;
    return left;
  }

  private unary(): Node {
    const tok = this.peek();
    if (!tok) throw new ExpressionError(`the expression "${this.source}" ends too early`);
    if (tok.num === undefined && (tok.t === '-' || tok.t === '~' || tok.t === '!')) {
      this.pos++;
      return { k: 'un', op: tok.t, a: this.unary() };
    }
    if (tok.t === '*' && tok.num === undefined) {
      this.pos++;
      let size = 8;
      const a = this.tokens[this.pos], b = this.tokens[this.pos + 1], c = this.tokens[this.pos + 2], d = this.tokens[this.pos + 3];
      if (a?.t === '(' && b && CASTS[b.t] && c?.t === '*' && d?.t === ')') {
        size = CASTS[b.t];
        this.pos += 4;
      }
      return { k: 'deref', size, a: this.unary() };
    }
    return this.primary();
  }

  private primary(): Node {
    const tok = this.peek()!;
    this.pos++;
    if (tok.num !== undefined) return { k: 'num', v: tok.num };
    if (tok.t === '(') {
      const e = this.expr(0);
      this.expect(')');
      return e;
    }
    if (/^[A-Za-z_.$]/.test(tok.t)) return { k: 'id', name: tok.t };
    throw new ExpressionError(`unexpected '${tok.t}' at column ${tok.at + 1} in "${this.source}"`);
  }
}

function collect(n: Node, out: string[]): void {
  if (n.k === 'id') { if (!out.includes(n.name)) out.push(n.name); }
  else if (n.k === 'un' || n.k === 'deref') collect(n.a, out);
  else if (n.k === 'bin') { collect(n.a, out); collect(n.b, out); }
}

function evaluate(n: Node, ctx: ExpressionContext): bigint {
  switch (n.k) {
    case 'num': return n.v;
    case 'id': {
      const v = ctx.lookup(n.name);
      if (v === undefined) throw new ExpressionError(`unknown name '${n.name}'`);
      return v & MASK;
    }
    case 'un': {
      const a = evaluate(n.a, ctx);
      if (n.op === '-') return (-a) & MASK;
      if (n.op === '~') return (~a) & MASK;
      return a === 0n ? 1n : 0n;
    }
    case 'deref': {
      const addr = evaluate(n.a, ctx);
      if (!ctx.read) throw new ExpressionError('memory reads are not allowed here');
      const v = ctx.read(addr, n.size);
      if (v === undefined) throw new ExpressionError(`cannot read ${n.size} bytes at 0x${addr.toString(16)}: the address is not mapped`);
      return v;
    }
    case 'bin': {
      const a = evaluate(n.a, ctx);
      if (n.op === '&&') return a !== 0n && evaluate(n.b, ctx) !== 0n ? 1n : 0n;
      if (n.op === '||') return a !== 0n || evaluate(n.b, ctx) !== 0n ? 1n : 0n;
      const b = evaluate(n.b, ctx);
      switch (n.op) {
        case '|': return a | b;
        case '^': return a ^ b;
        case '&': return a & b;
        case '==': return a === b ? 1n : 0n;
        case '!=': return a !== b ? 1n : 0n;
        case '<': return a < b ? 1n : 0n;
        case '<=': return a <= b ? 1n : 0n;
        case '>': return a > b ? 1n : 0n;
        case '>=': return a >= b ? 1n : 0n;
        case '<<': return b >= 64n ? 0n : (a << b) & MASK;
        case '>>': return b >= 64n ? 0n : a >> b;
        case '+': return (a + b) & MASK;
        case '-': return (a - b) & MASK;
        case '*': return (a * b) & MASK;
        case '/': if (b === 0n) throw new ExpressionError('division by zero'); return a / b;
        case '%': if (b === 0n) throw new ExpressionError('division by zero'); return a % b;
      }
    }
  }
  throw new ExpressionError('internal: unknown expression node');
}
