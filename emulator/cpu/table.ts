import { ud } from './fault';
import { Handler, Imm, OpcodeSpec } from './insn';

/**
 * The opcode table: one row per opcode key (0x000-0x0ff one-byte map, 0x100-0x1ff 0F map, 0x200-0x2ff
 * 0F38 map, 0x300-0x3ff 0F3A map; VEX-encoded: 0x400-0x4ff VEX.0F, 0x500-0x5ff VEX.0F38, 0x600-0x6ff VEX.0F3A). Each instruction-family file registers its rows with def(); the
 * decoder, the disassembly cross-check and the tests read the same table.
 */
export const TABLE: (OpcodeSpec | undefined)[] = new Array(0x700);

export function def(op: number, name: string, modrm: boolean, imm: Imm, exec: Handler, extra: Partial<OpcodeSpec> = {}): void {
  if (TABLE[op]) throw new Error(`opcode 0x${op.toString(16)} defined twice (${TABLE[op]!.name} and ${name})`);
  TABLE[op] = { name, modrm, imm, exec, ...extra };
}

/** Define a run of opcodes op..op+count-1 with the same shape (e.g. PUSH r64 at 50+r). */
export function defRange(op: number, count: number, name: string, modrm: boolean, imm: Imm, exec: Handler, extra: Partial<OpcodeSpec> = {}): void {
  for (let k = 0; k < count; k++) def(op + k, name, modrm, imm, exec, extra);
}

/** What executes for an opcode the table does not define: #UD in the guest (SDM: undefined encodings). */
export const UNDEFINED: OpcodeSpec = {
  name: '(bad)',
  modrm: false,
  imm: Imm.NONE,
  exec: () => ud('undefined opcode'),
  endsBlock: true,
};
