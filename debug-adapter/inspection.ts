/**
 * The stopped machine's state for the views: stackTrace (the unwinder's frames, stack.ts, with symbols and
 * source lines), scopes and variables (variables.ts VariableStore) and setVariable. Frames and variables are
 * computed once per stop for the focused CPU and cached in the session state until the machine runs again.
 */
import { InvalidatedEvent } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { RegisterName } from '../emulator/api';
import { hasErrorCode } from '../emulator/cpu/vectors';
import { diagnose } from '../emulator/diagnose';
import { UserError, type SessionState } from './session-state';
import { focus, THREAD_ID } from './threads';
import { stackLinear, unwind, type UnwoundFrame } from './stack';
import { CONTROL_REGISTERS, GENERAL_REGISTERS, REGISTERS_32, hex, parseRegisterValue, VariableStore } from './variables';

/** The focused CPU's call stack, innermost first (cached for this stop). */
export function frames(s: SessionState): UnwoundFrame[] {
  s.stopCache ??= {};
  if (!s.stopCache.frames) {
    const st = s.rt!.state();
    const long = st.codeBits === 64;
    // Real mode: the unwinder works on linear addresses (segment × 16 + offset) and 16-bit stack words.
    const real = st.mode === 'real' ? { csBase: st.cs.base, ssBase: st.ss.base } : undefined;
    const sp = stackLinear(st);
    const bp = real ? real.ssBase + (st.regs.rbp & 0xffffn) : st.regs.rbp;
    s.stopCache.frames = unwind(s.rt!, s.symbols, { rip: st.pc, rsp: sp, rbp: bp, long, real },
      s.rt!.faultChain(), hasErrorCode, 2000);
  }
  return s.stopCache.frames;
}

export function stackTrace(s: SessionState, a: DebugProtocol.StackTraceArguments): DebugProtocol.StackTraceResponse['body'] {
  if (a.threadId !== undefined) focus(s, Number(a.threadId) - THREAD_ID);
  const all = frames(s);
  const start = Math.max(0, Number(a.startFrame) || 0);
  const levels = Number(a.levels) > 0 ? Number(a.levels) : all.length;
  const out: DebugProtocol.StackFrame[] = all.slice(start, start + levels).map((f, i) => {
    const id = start + i + 1;
    if (f.kind === 'exception') {
      return { id, name: f.label ?? '⚡ exception', line: 0, column: 0, presentationHint: 'label', instructionPointerReference: hex(f.pc) };
    }
    const lookup = start + i === 0 || all[start + i - 1]?.kind === 'exception' ? f.pc : f.pc - 1n;
    const name = s.symbols?.describe(f.pc) ?? hex(f.pc);
    const loc = s.symbols?.lineAt(lookup);
    const frame: DebugProtocol.StackFrame = { id, name, line: loc?.line ?? 0, column: loc ? Math.max(1, loc.column) : 0, instructionPointerReference: hex(f.pc) };
    if (loc) frame.source = s.sources.source(loc.file);
    else frame.presentationHint = 'subtle';
    return frame;
  });
  return { stackFrames: out, totalFrames: all.length };
}

/** The focused CPU's scopes and variables (cached for this stop). */
export function variableStore(s: SessionState): VariableStore {
  s.stopCache ??= {};
  if (!s.stopCache.vars) {
    const rt = s.rt!;
    const lastException = s.lastException;
    s.stopCache.vars = new VariableStore({
      state: rt.state(), lastException,
      diagnosis: lastException ? diagnose(rt, rt.faultChain()) : [],
      describe: (a) => s.symbols?.describe(a),
    });
  }
  return s.stopCache.vars;
}

export function variables(s: SessionState, a: DebugProtocol.VariablesArguments): DebugProtocol.VariablesResponse['body'] {
  const vars = variableStore(s).variables(Number(a.variablesReference));
  if (!vars) throw new UserError(`variablesReference ${a.variablesReference} is not valid (it expires when the machine runs)`);
  return { variables: vars };
}

export function setVariable(s: SessionState, a: DebugProtocol.SetVariableArguments): DebugProtocol.SetVariableResponse['body'] {
  const given = String(a.name ?? '').toLowerCase();
  const name = (REGISTERS_32[given] ?? given) as RegisterName;
  if (![...GENERAL_REGISTERS, ...CONTROL_REGISTERS].includes(name)) throw new UserError(`only registers can be set (RAX…R15 or EAX…EDI, RIP/EIP, RFLAGS/EFLAGS, CR0…EFER); '${a.name}' is not one`);
  const v = parseRegisterValue(String(a.value ?? ''));
  if (v === undefined) throw new UserError(`'${a.value}' is not a number; write hex (0x…) or decimal`);
  const narrow = name !== given;
  if (narrow && v > 0xffffffffn) throw new UserError(`${given.toUpperCase()} is 32 bits wide; ${a.value} does not fit`);
  s.rt!.setRegister(name, v);
  s.invalidate();
  s.sendEvent(new InvalidatedEvent(['variables', 'stacks']));
  const now = s.rt!.state().regs[name];
  return { value: narrow ? '0x' + (now & 0xffffffffn).toString(16).padStart(8, '0') : '0x' + now.toString(16).padStart(16, '0') };
}
