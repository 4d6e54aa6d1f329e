/**
 * Register values for the g/G/p/P packets, by the table in target.ts: little-endian bytes of each register's
 * width. Values come from the runtime API's state() (GPRs, RIP, RFLAGS, control registers, segment
 * selectors, bases) and from the CPU's x87/SSE/AVX arrays; writes go through Machine.setRegister, which keeps
 * reverse-debugging history consistent, so only the registers it accepts can be changed from gdb.
 */
import type { CpuStateView, RegisterName } from '../api';
import type { Machine } from '../machine';
import { GdbArch, REGISTERS, RegisterDef } from './target';

export function registerBytes(m: Machine, st: CpuStateView, def: RegisterDef): Uint8Array {
  const out = new Uint8Array(def.bits / 8);
  const c = m.cpu;
  const src = def.source;
  switch (src.kind) {
    case 'reg': putLe(out, st.regs[src.name as RegisterName]); break;
    case 'seg': putLe(out, BigInt(st[src.seg].selector)); break;
    case 'st': out.set(c.fpuRegs.subarray(src.index * 16, src.index * 16 + 10)); break;
    case 'x87': putLe(out, BigInt(x87Field(m, src.field))); break;
    case 'xmm': out.set(new Uint8Array(c.xmm.buffer, c.xmm.byteOffset + src.index * 16, 16)); break;
    case 'ymmh': out.set(new Uint8Array(c.ymmHi.buffer, c.ymmHi.byteOffset + src.index * 16, 16)); break;
    case 'mxcsr': putLe(out, BigInt(c.mxcsr >>> 0)); break;
  }
  return out;
}

/** All registers in table order, as the `g` reply's hex. */
export function readAll(m: Machine, arch: GdbArch): string {
  const st = m.state();
  return REGISTERS[arch].map((d) => Buffer.from(registerBytes(m, st, d)).toString('hex')).join('');
}

/**
 * Write one register from little-endian bytes. Returns an error sentence when the register cannot be set
 * from the debugger (writing the value it already has is always accepted, so `G` with a few changes works).
 */
export function writeRegister(m: Machine, st: CpuStateView, def: RegisterDef, bytes: Uint8Array): string | undefined {
  if (bytes.length !== def.bits / 8) return `${def.name} takes ${def.bits / 8} bytes`;
  const now = registerBytes(m, st, def);
  if (Buffer.compare(Buffer.from(now), Buffer.from(bytes)) === 0) return undefined;
  const src = def.source;
  const name: RegisterName | undefined = src.kind === 'reg' ? src.name as RegisterName : undefined;
  if (!name || !/^(r[a-d]x|r[sd]i|r[sb]p|r\d+|rip|rflags|cr2|cr3|cr8)$/.test(name)) return `${def.name} cannot be set from the debugger`;
  let v = getLe(bytes);
  // A 32-bit register write leaves the upper half as it was, except RIP/EFLAGS (whole values).
  if (def.bits === 32 && name !== 'rip' && name !== 'rflags') v |= st.regs[name] & ~0xffffffffn;
  try {
    m.setRegister(name, v);
  } catch (e) {
    return (e as Error).message;
  }
  return undefined;
}

/** The x87 environment fields gdb's core feature has (SDM Vol. 1 §8.1, FXSAVE layout Table 10-2). */
function x87Field(m: Machine, f: string): number {
  const c = m.cpu;
  switch (f) {
    case 'fctrl': return c.fcw;
    case 'fstat': return c.fsw;
    case 'ftag': return fullTagWord(c.ftw, c.fsw, c.fpuRegs);
    case 'fioff': return c.fip >>> 0;
    case 'fooff': return c.fdp >>> 0;
    case 'fop': return c.fop;
    default: return 0; // FCS/FDS: not kept by the emulator (FXSAVE in 64-bit mode does not store them either)
  }
}

/**
 * The full 16-bit tag word from FXSAVE's abridged one (SDM Vol. 1 §10.5.1.1): empty → 11; otherwise by the
 * value: zero → 01, special (NaN, infinity, denormal, unsupported) → 10, valid → 00. Abridged bit i is
 * physical register i; fpuRegs holds ST(0..7), physical register (TOP + i) & 7.
 */
function fullTagWord(abridged: number, fsw: number, st: Uint8Array): number {
  const top = (fsw >> 11) & 7;
  let tag = 0;
  for (let phys = 0; phys < 8; phys++) {
    let t = 3;
    if (abridged & (1 << phys)) {
      const o = ((phys - top) & 7) * 16;
      const exp = (st[o + 8] | (st[o + 9] << 8)) & 0x7fff;
      let mantissaZero = true;
      for (let b = 0; b < 8; b++) if (st[o + b]) mantissaZero = false;
      const integerBit = (st[o + 7] & 0x80) !== 0;
      t = exp === 0 && mantissaZero ? 1 : exp === 0x7fff || exp === 0 || !integerBit ? 2 : 0;
    }
    tag |= t << (2 * phys);
  }
  return tag;
}

function putLe(out: Uint8Array, v: bigint): void {
  for (let i = 0; i < out.length; i++) { out[i] = Number(v & 0xffn); v >>= 8n; }
}

function getLe(b: Uint8Array): bigint {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  return v;
}
