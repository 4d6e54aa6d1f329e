/**
 * Disassembly through iced-x86 (Intel syntax): decoding is the library's job; the adapter only adds
 * symbols to branch targets and tells the stepper whether an instruction is a call. The library (a wasm
 * module) is loaded on the first disassembly or instruction step, not when the adapter starts: instantiating
 * it is a fifth of loading the adapter, and a launch to the first stop never needs it.
 */
import type * as IcedX86 from 'iced-x86';
import type { FlowControl, Formatter } from 'iced-x86';

let icedModule: typeof IcedX86 | undefined;
function iced(): typeof IcedX86 {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return icedModule ??= require('iced-x86') as typeof IcedX86;
}

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
 * Decode up to `count` instructions from `bytes` (which start at linear `address`). `symbolize` names branch
 * targets ("call 0x10097e <stack_overflow>"). `segBase`: the code segment's base for 16-bit code, whose IP and
 * near branch targets wrap at 64 KiB within the segment: decoding runs on offsets and the results are
 * linear again (real mode: F000:E05B is shown at 0xfe05b, a jump to IP 0x0100 lands at base + 0x100).
 */
export function decodeInstructions(bytes: Uint8Array, address: bigint, bitness: 16 | 32 | 64, count: number,
  symbolize?: (a: bigint) => string | undefined, segBase = 0n): DecodedInstruction[] {
  const { Decoder, DecoderOptions, FlowControl, Instruction, OpKind } = iced();
  formatter ??= makeFormatter();
  const decoder = new Decoder(bitness, bytes, DecoderOptions.None);
  decoder.ip = address - segBase;
  const insn = new Instruction();
  const out: DecodedInstruction[] = [];
  try {
    while (out.length < count && decoder.canDecode) {
      const offset = Number(decoder.ip + segBase - address);
      decoder.decodeOut(insn);
      const len = insn.length;
      const raw = bytes.subarray(offset, offset + len);
      const valid = !insn.isInvalid;
      let text = valid ? formatter.format(insn) : '(bad)';
      const fc = insn.flowControl;
      let branchTarget: bigint | undefined;
      const far = valid && (insn.op0Kind === OpKind.FarBranch16 || insn.op0Kind === OpKind.FarBranch32);
      if (far) {
        // JMP/CALL ptr16:16/32: iced's Intel syntax prints "offset,selector" ("jmp far 0,0xf000" at the reset
        // vector); show it as a listing does, selector:offset. Where it lands depends on the mode (real: selector ×
        // 16; protected: the descriptor's base), so no branch target is named.
        const off = insn.op0Kind === OpKind.FarBranch16 ? insn.farBranch16 : insn.farBranch32;
        text = text.replace(/far .*$/, `far 0x${insn.farBranchSelector.toString(16)}:0x${off.toString(16)}`);
      } else if (valid && (fc === FlowControl.Call || fc === FlowControl.UnconditionalBranch || fc === FlowControl.ConditionalBranch)) {
        branchTarget = insn.nearBranchTarget + segBase;
        const name = symbolize?.(branchTarget);
        if (name) text += ` <${name}>`;
      }
      out.push({
        address: insn.ip + segBase, length: len, bytes: hexBytes(raw), text, valid,
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
  const { Formatter, FormatterSyntax } = iced();
  const f = new Formatter(FormatterSyntax.Intel);
  f.firstOperandCharIndex = 8;
  f.hexPrefix = '0x';
  f.hexSuffix = '';
  f.uppercaseHex = false;
  return f;
}

function flowName(fc: FlowControl): DecodedInstruction['flow'] {
  const { FlowControl } = iced();
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
