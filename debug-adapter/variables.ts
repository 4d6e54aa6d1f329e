/**
 * Scopes and variables for a stopped machine: General, Segments, Control, Tables, Last exception. Values
 * are hex strings; pointers carry a memoryReference; flag registers expand into their bits.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { CpuStateView, ExceptionEvent, RegisterName, SegmentState } from '../emulator/api';
import {
  CR0_BITS, CR3_BITS, CR4_BITS, EFER_BITS, RFLAGS_BITS, SEGMENT_ATTRIBUTE_BITS, fieldValue, summarizeBits, type BitField,
} from './register-bits';

export const GENERAL_REGISTERS: RegisterName[] = [
  'rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'rsp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'rip', 'rflags',
];
export const CONTROL_REGISTERS: RegisterName[] = ['cr0', 'cr2', 'cr3', 'cr4', 'cr8', 'efer'];
/** Outside 64-bit mode the General scope shows the 32-bit names (low halves); expressions and setVariable take them too. */
export const REGISTERS_32: Record<string, RegisterName> = {
  eax: 'rax', ebx: 'rbx', ecx: 'rcx', edx: 'rdx', esi: 'rsi', edi: 'rdi', ebp: 'rbp', esp: 'rsp', eip: 'rip', eflags: 'rflags',
};
const POINTERS = new Set<string>(['rsp', 'rbp', 'rip', 'cr2', 'cr3']);
const BITS: Partial<Record<RegisterName, BitField[]>> = { rflags: RFLAGS_BITS, cr0: CR0_BITS, cr3: CR3_BITS, cr4: CR4_BITS, efer: EFER_BITS };

export function hex64(v: bigint): string {
  return '0x' + BigInt.asUintN(64, v).toString(16).padStart(16, '0');
}
export function hex(v: bigint | number): string {
  return '0x' + v.toString(16);
}

type Producer = () => DebugProtocol.Variable[];

export interface VariableContext {
  state: CpuStateView;
  lastException?: ExceptionEvent;
  diagnosis: string[];
  describe(address: bigint): string | undefined;
}

/** Variable references for one stop; discarded when the machine runs again. */
export class VariableStore {
  private readonly producers: Producer[] = [];

  constructor(private readonly ctx: VariableContext) {}

  private ref(p: Producer): number {
    this.producers.push(p);
    return this.producers.length; // references start at 1
  }

  scopes(): DebugProtocol.Scope[] {
    const s = this.ctx.state;
    const list: DebugProtocol.Scope[] = [
      { name: 'General', variablesReference: this.ref(() => this.general()), presentationHint: 'registers', expensive: false, namedVariables: GENERAL_REGISTERS.length },
      { name: 'Segments', variablesReference: this.ref(() => this.segments()), presentationHint: 'registers', expensive: false },
      { name: 'Control', variablesReference: this.ref(() => this.control()), presentationHint: 'registers', expensive: false },
      { name: 'Tables', variablesReference: this.ref(() => this.tables()), presentationHint: 'registers', expensive: false },
    ];
    if (this.ctx.lastException) list.push({ name: 'Last exception', variablesReference: this.ref(() => this.exception()), expensive: false });
    void s;
    return list;
  }

  variables(ref: number): DebugProtocol.Variable[] | undefined {
    const p = this.producers[ref - 1];
    return p ? p() : undefined;
  }

  /** `shown`: the 32-bit name to present instead (value = the low half). */
  private register(name: RegisterName, shown?: string): DebugProtocol.Variable {
    const v = shown ? this.ctx.state.regs[name] & 0xffffffffn : this.ctx.state.regs[name];
    const bits = BITS[name];
    const sym = name === 'rip' ? this.ctx.describe(v) : undefined;
    const digits = shown ? '0x' + v.toString(16).padStart(8, '0') : hex64(v);
    const value = digits + (bits ? `  [${summarizeBits(v, bits)}]` : '') + (sym ? `  <${sym}>` : '');
    return {
      name: (shown ?? name).toUpperCase(), value, evaluateName: `$${shown ?? name}`,
      variablesReference: bits ? this.ref(() => bitVariables(v, bits)) : 0,
      memoryReference: POINTERS.has(name) ? hex(v) : undefined,
      type: shown ? 'u32' : 'u64',
    };
  }

  private general(): DebugProtocol.Variable[] {
    const s = this.ctx.state;
    if (s.mode === 'real') return [...this.realModePointers(), ...Object.entries(REGISTERS_32).map(([shown, r]) => this.register(r, shown))];
    if (s.mode !== 'long') return Object.entries(REGISTERS_32).map(([shown, r]) => this.register(r, shown));
    return GENERAL_REGISTERS.map((r) => this.register(r));
  }

  /**
   * Real mode: the addresses the CPU forms, as segment:offset with their linear address (segment × 16 +
   * offset): CS:IP (symbol and disassembly), SS:SP, SS:BP, DS:SI, ES:DI.
   */
  private realModePointers(): DebugProtocol.Variable[] {
    const s = this.ctx.state;
    const w4 = (v: bigint | number) => BigInt(v).toString(16).padStart(4, '0').toUpperCase();
    const pair = (name: string, seg: SegmentState, off: bigint, code = false): DebugProtocol.Variable => {
      const o = off & 0xffffn;
      const linear = seg.base + o;
      const sym = code ? this.ctx.describe(linear) : undefined;
      return {
        name, value: `${w4(seg.selector)}:${w4(o)}  (${hex(linear)})${sym ? `  <${sym}>` : ''}`, variablesReference: 0,
        memoryReference: hex(linear), presentationHint: { attributes: ['readOnly'] },
      };
    };
    return [
      pair('CS:IP', s.cs, s.regs.rip, true), pair('SS:SP', s.ss, s.regs.rsp), pair('SS:BP', s.ss, s.regs.rbp),
      pair('DS:SI', s.ds, s.regs.rsi), pair('ES:DI', s.es, s.regs.rdi),
    ];
  }

  private control(): DebugProtocol.Variable[] {
    const out = CONTROL_REGISTERS.map((r) => this.register(r));
    const s = this.ctx.state;
    out.push({ name: 'mode', value: `${s.mode}, CPL ${s.cpl}${s.halted ? ', halted' : ''}`, variablesReference: 0 });
    out.push({ name: 'instructions', value: String(s.instructionCount), variablesReference: 0 });
    return out;
  }

  private segment(name: string, seg: SegmentState, pointer = false): DebugProtocol.Variable {
    const attrs = BigInt(seg.attributes);
    const value = `${hex(seg.selector)}  base ${hex(seg.base)} limit ${hex(seg.limit)} [${summarizeBits(attrs, SEGMENT_ATTRIBUTE_BITS)}]`;
    return {
      name, value, variablesReference: this.ref(() => [
        { name: 'selector', value: hex(seg.selector), variablesReference: 0 },
        { name: 'index', value: String(seg.selector >> 3), variablesReference: 0 },
        { name: 'TI', value: seg.selector & 4 ? 'LDT' : 'GDT', variablesReference: 0 },
        { name: 'RPL', value: String(seg.selector & 3), variablesReference: 0 },
        { name: 'base', value: hex64(seg.base), variablesReference: 0, memoryReference: pointer ? hex(seg.base) : undefined },
        { name: 'limit', value: hex(seg.limit), variablesReference: 0 },
        { name: 'attributes', value: hex(seg.attributes), variablesReference: this.ref(() => bitVariables(attrs, SEGMENT_ATTRIBUTE_BITS)) },
      ]),
      memoryReference: pointer ? hex(seg.base) : undefined,
    };
  }

  private segments(): DebugProtocol.Variable[] {
    const s = this.ctx.state;
    return (['cs', 'ss', 'ds', 'es', 'fs', 'gs'] as const).map((n) => this.segment(n.toUpperCase(), s[n]));
  }

  private tables(): DebugProtocol.Variable[] {
    const s = this.ctx.state;
    const table = (name: string, t: { base: bigint; limit: number }): DebugProtocol.Variable => ({
      name, value: `base ${hex64(t.base)} limit ${hex(t.limit)}`, memoryReference: hex(t.base),
      variablesReference: this.ref(() => [
        { name: 'base', value: hex64(t.base), variablesReference: 0, memoryReference: hex(t.base) },
        { name: 'limit', value: hex(t.limit), variablesReference: 0 },
      ]),
    });
    return [table('GDTR', s.gdtr), table('IDTR', s.idtr), this.segment('TR', s.tr, true), this.segment('LDTR', s.ldtr, true)];
  }

  private exception(): DebugProtocol.Variable[] {
    const e = this.ctx.lastException!;
    const v = (name: string, value: string, memoryReference?: string): DebugProtocol.Variable => ({ name, value, variablesReference: 0, memoryReference });
    const out = [
      v('name', `${e.name} (vector ${e.vector})`),
      v('phase', e.phase),
      v('errorCode', e.errorCode === undefined ? 'none' : hex(e.errorCode)),
      v('cr2', hex64(e.cr2), hex(e.cr2)),
      v('rip', hex64(e.rip) + (this.ctx.describe(e.rip) ? `  <${this.ctx.describe(e.rip)}>` : ''), hex(e.rip)),
      v('rsp', hex64(e.rsp), hex(e.rsp)),
      v('reason', e.reason),
    ];
    if (e.realMode) {
      const linear = BigInt(e.cs) * 16n + (e.rip & 0xffffn);
      out.splice(5, 0, v('cs:ip', `${e.cs.toString(16).padStart(4, '0').toUpperCase()}:${(e.rip & 0xffffn).toString(16).padStart(4, '0').toUpperCase()}  (${hex(linear)}, real mode: delivered through the IVT, no error code)`, hex(linear)));
    }
    if (e.access) out.push(v('access', `${e.access.fetch ? 'fetch' : e.access.write ? 'write' : 'read'} ${hex(e.access.address)} (${e.access.cause})`));
    this.ctx.diagnosis.forEach((d, i) => out.push(v(`diagnosis[${i}]`, d)));
    return out;
  }
}

function bitVariables(value: bigint, fields: BitField[]): DebugProtocol.Variable[] {
  return fields.map((f) => ({ name: f[0], value: String(fieldValue(value, f)), variablesReference: 0 }));
}

/** Parse a register value typed by the user: hex (0x…), decimal, or negative decimal. */
export function parseRegisterValue(text: string): bigint | undefined {
  const t = text.trim().split(/\s/)[0];
  try {
    if (/^-?(0x[0-9a-f_]+|\d[\d_]*)$/i.test(t)) return BigInt.asUintN(64, BigInt(t.replace(/_/g, '')));
  } catch { /* fall through */ }
  return undefined;
}
