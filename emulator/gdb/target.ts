/**
 * Target descriptions (gdb manual, "Target Descriptions" and "Standard Target Features", i386 features) as
 * data: one register table per architecture, read by the XML writer (qXfer:features:read) and by the
 * register packets (g/G/p/P), so the numbering gdb learns and the bytes we send cannot disagree.
 *
 * x86-64: org.gnu.gdb.i386.core (RAX..R15 in gdb's order, RIP, EFLAGS, selectors, ST0-7, x87 control),
 * .sse (XMM0-15, MXCSR), .segments (fs_base, gs_base), .avx (YMM0h-15h) and org.gnu.gdb.i386.sys (k_gs_base,
 * CR0/2/3/4/8, EFER: gdb shows registers of a feature it does not know under their names, `info registers
 * cr3`, `p $cr0`). i386 (ELF32 kernels): the same features with 32-bit registers and XMM0-7 (fs_base and
 * gs_base in the sys feature, see build()).
 * QEMU also sends the 64-bit description for a machine still in 32-bit mode (a multiboot kernel's entry):
 * the registers are then the zero-extended 32-bit ones.
 */

export type GdbArch = 'x86-64' | 'i386' | 'i8086';

export interface RegisterDef {
  name: string;
  bits: number;
  /** A type of the XML: a predefined gdb type or one defined in TYPES below. */
  type: string;
  group?: 'general' | 'float' | 'vector' | 'system';
  feature: string;
  /** Where the value comes from (registers.ts reads and writes by this). */
  source: RegisterSource;
}

export type RegisterSource =
  | { kind: 'reg'; name: string } //       a RegisterName of the runtime API (rax, rip, rflags, cr0, fs_base …)
  | { kind: 'seg'; seg: 'cs' | 'ss' | 'ds' | 'es' | 'fs' | 'gs' }
  | { kind: 'st'; index: number }
  | { kind: 'x87'; field: 'fctrl' | 'fstat' | 'ftag' | 'fiseg' | 'fioff' | 'foseg' | 'fooff' | 'fop' }
  | { kind: 'xmm'; index: number }
  | { kind: 'ymmh'; index: number }
  | { kind: 'mxcsr' };

const CORE = 'org.gnu.gdb.i386.core';
const SSE = 'org.gnu.gdb.i386.sse';
const SEGMENTS = 'org.gnu.gdb.i386.segments';
const AVX = 'org.gnu.gdb.i386.avx';
const SYS = 'org.gnu.gdb.i386.sys';

function build(arch: GdbArch): RegisterDef[] {
  const wide = arch === 'x86-64';
  const segBits = arch === 'i8086' ? 16 : 32;
  const w = wide ? 64 : 32;
  const regs: RegisterDef[] = [];
  const add = (name: string, bits: number, type: string, feature: string, source: RegisterSource, group?: RegisterDef['group']) =>
    regs.push({ name, bits, type, feature, source, group });
  // gdb's register order (amd64: rax rbx rcx rdx rsi rdi rbp rsp r8-r15; i386: the hardware order).
  const gprs = wide
    ? ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'rsp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15']
    : ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi'];
  for (const g of gprs) {
    const name = wide ? g : 'e' + g.slice(1);
    const type = g === 'rsp' || g === 'rbp' ? 'data_ptr' : wide ? 'int64' : 'int32';
    add(name, w, type, CORE, { kind: 'reg', name: g }, 'general');
  }
  add(wide ? 'rip' : 'eip', w, 'code_ptr', CORE, { kind: 'reg', name: 'rip' }, 'general');
  add('eflags', 32, 'i386_eflags', CORE, { kind: 'reg', name: 'rflags' }, 'general');
  for (const s of ['cs', 'ss', 'ds', 'es', 'fs', 'gs'] as const) add(s, segBits, segBits === 16 ? 'uint16' : 'int32', CORE, { kind: 'seg', seg: s }, 'general');
  for (let k = 0; k < 8; k++) add(`st${k}`, 80, 'i387_ext', CORE, { kind: 'st', index: k }, 'float');
  for (const f of ['fctrl', 'fstat', 'ftag', 'fiseg', 'fioff', 'foseg', 'fooff', 'fop'] as const) add(f, 32, 'int', CORE, { kind: 'x87', field: f }, 'float');
  const nx = wide ? 16 : 8;
  for (let k = 0; k < nx; k++) add(`xmm${k}`, 128, 'vec128', SSE, { kind: 'xmm', index: k }, 'vector');
  add('mxcsr', 32, 'i386_mxcsr', SSE, { kind: 'mxcsr' }, 'vector');
  // gdb 13's i386 (32-bit) architecture numbers org.gnu.gdb.i386.segments past its register count and
  // asserts; there the bases go into the sys feature, where gdb still shows them by name.
  const addBases = (feature: string) => {
    add('fs_base', w, 'int', feature, { kind: 'reg', name: 'fs_base' }, 'system');
    add('gs_base', w, 'int', feature, { kind: 'reg', name: 'gs_base' }, 'system');
  };
  if (wide) addBases(SEGMENTS);
  for (let k = 0; k < nx; k++) add(`ymm${k}h`, 128, 'uint128', AVX, { kind: 'ymmh', index: k }, 'vector');
  if (!wide) addBases(SYS);
  if (wide) add('k_gs_base', 64, 'int', SYS, { kind: 'reg', name: 'kernel_gs_base' }, 'system');
  for (const cr of ['cr0', 'cr2', 'cr3', 'cr4']) add(cr, w, 'int', SYS, { kind: 'reg', name: cr }, 'system');
  if (wide) add('cr8', 64, 'int', SYS, { kind: 'reg', name: 'cr8' }, 'system');
  add('efer', w, 'int', SYS, { kind: 'reg', name: 'efer' }, 'system');
  return regs;
}

export const REGISTERS: Record<GdbArch, RegisterDef[]> = { 'x86-64': build('x86-64'), i386: build('i386'), i8086: build('i8086') };

// Types the features use (the gdb manual's i386 features define these names).
const EFLAGS_TYPE = `<flags id="i386_eflags" size="4">
  <field name="CF" start="0" end="0"/><field name="" start="1" end="1"/><field name="PF" start="2" end="2"/>
  <field name="AF" start="4" end="4"/><field name="ZF" start="6" end="6"/><field name="SF" start="7" end="7"/>
  <field name="TF" start="8" end="8"/><field name="IF" start="9" end="9"/><field name="DF" start="10" end="10"/>
  <field name="OF" start="11" end="11"/><field name="NT" start="14" end="14"/><field name="RF" start="16" end="16"/>
  <field name="VM" start="17" end="17"/><field name="AC" start="18" end="18"/><field name="VIF" start="19" end="19"/>
  <field name="VIP" start="20" end="20"/><field name="ID" start="21" end="21"/>
</flags>`;
const SSE_TYPES = `<vector id="v4f" type="ieee_single" count="4"/><vector id="v2d" type="ieee_double" count="2"/>
<vector id="v16i8" type="int8" count="16"/><vector id="v8i16" type="int16" count="8"/>
<vector id="v4i32" type="int32" count="4"/><vector id="v2i64" type="int64" count="2"/>
<union id="vec128">
  <field name="v4_float" type="v4f"/><field name="v2_double" type="v2d"/>
  <field name="v16_int8" type="v16i8"/><field name="v8_int16" type="v8i16"/><field name="v4_int32" type="v4i32"/>
  <field name="v2_int64" type="v2i64"/><field name="uint128" type="uint128"/>
</union>
<flags id="i386_mxcsr" size="4">
  <field name="IE" start="0" end="0"/><field name="DE" start="1" end="1"/><field name="ZE" start="2" end="2"/>
  <field name="OE" start="3" end="3"/><field name="UE" start="4" end="4"/><field name="PE" start="5" end="5"/>
  <field name="DAZ" start="6" end="6"/><field name="IM" start="7" end="7"/><field name="DM" start="8" end="8"/>
  <field name="ZM" start="9" end="9"/><field name="OM" start="10" end="10"/><field name="UM" start="11" end="11"/>
  <field name="PM" start="12" end="12"/><field name="FZ" start="15" end="15"/>
</flags>`;

/** The target.xml gdb reads with qXfer:features:read:target.xml (one document, features inline). */
export function targetXml(arch: GdbArch): string {
  const regs = REGISTERS[arch];
  const features: string[] = [];
  for (const f of [CORE, SSE, SEGMENTS, AVX, SYS]) {
    const mine = regs.map((r, i) => ({ r, i })).filter(({ r }) => r.feature === f);
    if (mine.length === 0) continue;
    const types = f === CORE ? EFLAGS_TYPE + '\n' : f === SSE ? SSE_TYPES + '\n' : '';
    const lines = mine.map(({ r, i }) =>
      `  <reg name="${r.name}" bitsize="${r.bits}" type="${r.type}" regnum="${i}"${r.group ? ` group="${r.group}"` : ''}/>`);
    features.push(`<feature name="${f}">\n${types}${lines.join('\n')}\n</feature>`);
  }
  return `<?xml version="1.0"?>\n<!DOCTYPE target SYSTEM "gdb-target.dtd">\n<target version="1.0">\n` +
    `<architecture>${arch === 'x86-64' ? 'i386:x86-64' : arch}</architecture>\n<osabi>none</osabi>\n${features.join('\n')}\n</target>\n`;
}
