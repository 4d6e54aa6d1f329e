/**
 * Disassembly through iced-x86 (Intel syntax): decoding is the library's job; the adapter only adds
 * symbols to branch targets and tells the stepper whether an instruction is a call.
 */
import { Decoder, DecoderOptions, FlowControl, Formatter, FormatterSyntax, Instruction } from 'iced-x86';

export interface DecodedInstruction {
  address: bigint;
  length: number;
  bytes: string;
  text: string;
  /** A near call (direct or indirect): `next` steps over it. */
  isCall: boolean;
  /** Control leaves (ret/iret/jmp/int): for stepping heuristics. */
  flow: 'next' | 'call' | 'return' | 'branch' | 'interrupt' | 'other';
  branchTarget?: bigint;
  /** False if the bytes do not decode (shown as "(bad)"). */
  valid: boolean;
}

let formatter: Formatter | undefined;

/**
 * Decode up to `count` instructions from `bytes` (which start at `address`). `symbolize` names branch targets
 * ("call 0x10097e <stack_overflow>").
 */
export function decodeInstructions(bytes: Uint8Array, address: bigint, bitness: 16 | 32 | 64, count: number,
  symbolize?: (a: bigint) => string | undefined): DecodedInstruction[] {
  formatter ??= makeFormatter();
  const decoder = new Decoder(bitness, bytes, DecoderOptions.None);
  decoder.ip = address;
  const insn = new Instruction();
  const out: DecodedInstruction[] = [];
  try {
    while (out.length < count && decoder.canDecode) {
      const offset = Number(decoder.ip - address);
      decoder.decodeOut(insn);
      const len = insn.length;
      const raw = bytes.subarray(offset, offset + len);
      const valid = !insn.isInvalid;
      let text = valid ? formatter.format(insn) : '(bad)';
      const fc = insn.flowControl;
      let branchTarget: bigint | undefined;
      if (valid && (fc === FlowControl.Call || fc === FlowControl.UnconditionalBranch || fc === FlowControl.ConditionalBranch)) {
        branchTarget = insn.nearBranchTarget;
        const name = symbolize?.(branchTarget);
        if (name) text += ` <${name}>`;
      }
      out.push({
        address: insn.ip, length: len, bytes: hexBytes(raw), text, valid,
        isCall: valid && (fc === FlowControl.Call || fc === FlowControl.IndirectCall),
        flow: flowName(fc), branchTarget,
      });
    }
  } finally {
    insn.free();
    decoder.free();
  }
  return out;
}

function makeFormatter(): Formatter {
  const f = new Formatter(FormatterSyntax.Intel);
  f.firstOperandCharIndex = 8;
  f.hexPrefix = '0x';
  f.hexSuffix = '';
  f.uppercaseHex = false;
  return f;
}

function flowName(fc: FlowControl): DecodedInstruction['flow'] {
  switch (fc) {
    case FlowControl.Next: return 'next';
    case FlowControl.Call: case FlowControl.IndirectCall: return 'call';
    case FlowControl.Return: return 'return';
    case FlowControl.UnconditionalBranch: case FlowControl.ConditionalBranch: case FlowControl.IndirectBranch: return 'branch';
    case FlowControl.Interrupt: return 'interrupt';
    default: return 'other';
  }
}

function hexBytes(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}
