import type { Cpu } from './cpu';
import { aluOp, AluOp } from './alu';
import { getZF } from './flags';
import { Insn, Imm } from './insn';
import { Access } from './paging';
import { Attr, Flag, Seg, TWO32, TWO47, TWO48 } from './state';
import { noteDeviceRead } from './spin-wait';
import { checkIo, portIn, portOut } from './system';
import { def } from './table';

/**
 * String instructions (SDM Vol. 2 MOVS/CMPS/STOS/LODS/SCAS/INS/OUTS, Vol. 1 §7.3.9): A4-AF and 6C-6F with
 * REP/REPE/REPNE, address size 16/32/64 (the 67 prefix picks CX/ECX/RCX, SI/ESI/RSI, DI/EDI/RDI), DF, and a
 * segment override on the source (the destination is always ES).
 *
 * Precise state: each iteration updates RCX/RSI/RDI right after its own memory accesses, so a fault in the
 * middle of a REP leaves them at the faulting iteration and the run loop puts RIP back on the instruction
 * (SDM §7.3.9.2: a REP string instruction is restartable). A long REP yields after CHUNK iterations by
 * re-executing itself (RIP = instruction start), so interrupts and the instruction budget stay responsive.
 *
 * Fast path: REP MOVS/STOS with DF=0 copy or fill whole runs within one source and one destination page
 * with typed-array operations, when both pages are plain RAM (or the source a ROM: MmioHandler.romBytes) and
 * not watched, and on across the following pages while the TLB maps them to consecutive frames; outside 64-bit
 * mode only as far
 * as every element lies within its expand-up segment's limit and the address size's offset range (the
 * firmware's 32-bit and 16-bit copies), so a limit fault still happens at its own iteration, on the slow path.
 * REP INS the same way, from a port whose device hands over buffered data at once (PortHandler.readString: the
 * IDE data port, so a PIO sector is one copy); the read that ends the device's block takes the slow path. REP OUTS
 * likewise to a port that buffers writes (PortHandler.writeString: the IDE data port), from one RAM source page.
 */

const CHUNK = 1 << 16;

/** Index register (RSI/RDI) as an offset: signed 64-bit number, or zero-extended 32/16-bit. */
function getIdx(c: Cpu, r: number, asz: number): number {
  if (asz === 8) return c.r[2 * r + 1] * TWO32 + (c.r[2 * r] >>> 0);
  if (asz === 4) return c.r[2 * r] >>> 0;
  return c.r[2 * r] & 0xffff;
}

function setIdx(c: Cpu, r: number, asz: number, v: number): void {
  if (asz === 8) { c.r[2 * r] = v | 0; c.r[2 * r + 1] = Math.floor(v / TWO32) | 0; }
  else if (asz === 4) { c.r[2 * r] = v | 0; c.r[2 * r + 1] = 0; }
  else c.r[2 * r] = (c.r[2 * r] & 0xffff0000) | (v & 0xffff);
}

/** Step RSI or RDI by delta (wrapping at the address size). */
function stepIdx(c: Cpu, r: number, asz: number, delta: number): void {
  if (asz === 8) {
    const lo = (c.r[2 * r] >>> 0) + delta;
    c.r[2 * r] = lo | 0;
    if (lo > 0xffffffff) c.r[2 * r + 1] = (c.r[2 * r + 1] + 1) | 0;
    else if (lo < 0) c.r[2 * r + 1] = (c.r[2 * r + 1] - 1) | 0;
  } else if (asz === 4) {
    c.r[2 * r] = (c.r[2 * r] + delta) | 0;
    c.r[2 * r + 1] = 0;
  } else {
    c.r[2 * r] = (c.r[2 * r] & 0xffff0000) | ((c.r[2 * r] + delta) & 0xffff);
  }
}

/** The count register as an unsigned number (RCX beyond 2^53 is inexact, but such a REP never ends anyway). */
function getCount(c: Cpu, asz: number): number {
  if (asz === 8) return (c.r[3] >>> 0) * TWO32 + (c.r[2] >>> 0);
  if (asz === 4) return c.r[2] >>> 0;
  return c.r[2] & 0xffff;
}

function decCount(c: Cpu, asz: number, n: number): void {
  if (asz === 8) {
    const lo = (c.r[2] >>> 0) - n;
    c.r[2] = lo | 0;
    if (lo < 0) c.r[3] = (c.r[3] - Math.ceil(-lo / TWO32)) | 0;
  } else if (asz === 4) {
    c.r[2] = (c.r[2] - n) | 0;
    c.r[3] = 0;
  } else {
    c.r[2] = (c.r[2] & 0xffff0000) | ((c.r[2] - n) & 0xffff);
  }
}

function srcSeg(i: Insn): number {
  return i.seg >= 0 ? i.seg : Seg.DS;
}

function elemSize(i: Insn, byteForm: boolean): number {
  return byteForm ? 1 : i.osz;
}

function rdMem(c: Cpu, la: number, size: number): number {
  return size === 8 ? c.rd64(la) : c.rd(la, size);
}
function wrMem(c: Cpu, la: number, size: number, lo: number, hi: number): void {
  if (size === 8) c.wr64(la, lo, hi); else c.wr(la, size, lo);
}

/**
 * How many `size`-byte elements from offset `off` lie within segment `seg` and the address size's offset
 * range (outside 64-bit mode; lin() has checked the first); 0 for an expand-down segment (slow path).
 */
function elementsInSegment(c: Cpu, seg: number, off: number, size: number, asz: number): number {
  if ((c.segAttr[seg] & (Attr.CODE | Attr.DC)) === Attr.DC) return 0;
  const last = Math.min(c.segLimit[seg], asz === 2 ? 0xffff : 0xffffffff);
  return Math.floor((last - off + 1) / size);
}

/**
 * Try to do up to `count` iterations of REP MOVS/STOS at once: within the first source and destination pages, then
 * over whole pages as long as the TLB maps both sides to consecutive frames. Returns the number of elements done
 * (0: take the slow path). Only DF=0, and RAM pages without code or watchpoints.
 */
function fastRun(c: Cpu, i: Insn, size: number, count: number, isMovs: boolean): number {
  const asz = i.asz;
  if ((c.long && asz !== 8) || c.watch.length !== 0 || c.dataBp !== 0 || (c.flags & Flag.DF)) return 0;
  const di = getIdx(c, 7, asz);
  const dla = c.lin(Seg.ES, di, size, true);
  let max = count;
  if (!c.long) max = Math.min(max, elementsInSegment(c, Seg.ES, di, size, asz));
  let n = Math.min(max, Math.floor((4096 - (dla & 0xfff)) / size));
  let sla = 0;
  if (isMovs) {
    const si = getIdx(c, 6, asz);
    sla = c.lin(srcSeg(i), si, size, false);
    if (!c.long) max = Math.min(max, elementsInSegment(c, srcSeg(i), si, size, asz));
    n = Math.min(n, max, Math.floor((4096 - (sla & 0xfff)) / size));
  }
  if (n < 2) return 0;
  const mem = c.mem;
  let bytes = n * size;
  let spa = 0;
  // A source in ROM (the BIOS flash SeaBIOS copies itself out of at reset): its bytes, else undefined (RAM).
  let rom: { bytes: Uint8Array; offset: number } | undefined;
  if (isMovs) {
    spa = c.physical(sla, false);
    if (spa + bytes > mem.size || c.bus.pageReadsMmio(spa - (spa & 0xfff))) {
      rom = c.bus.romAt(spa, bytes);
      if (!rom) return 0;
    }
  }
  const dpa = c.physical(dla, true);
  if (dpa + bytes > mem.size || c.bus.pageHasMmio(dpa - (dpa & 0xfff))) return 0;
  // Overlapping forward copies with the destination above the source replicate elements; leave them to the slow path.
  if (isMovs && !rom && dpa > spa && dpa < spa + bytes) return 0;
  const page = dpa >>> 12;
  mem.markWritten(page);
  const firstBytes = bytes;
  if (!rom && (!isMovs || (sla & 0xfff) === (dla & 0xfff)) && bytes === 4096 - (dla & 0xfff)) {
    // Further whole pages while both sides stay physically contiguous through the TLB alone (no walk: a page it
    // does not map is left to the next call, which translates it and faults there as the slow path would; it
    // maps only RAM, and never a code page for writes), and neither linear address wraps or leaves its half of
    // the canonical space.
    const dTop = !c.long ? TWO32 : dla >= TWO47 ? TWO48 : TWO47;
    const sTop = !c.long ? TWO32 : sla >= TWO47 ? TWO48 : TWO47;
    while (n + 4096 / size <= max) {
      const dl = dla + bytes, sl = sla + bytes;
      if (dl + 4096 > dTop || (isMovs && sl + 4096 > sTop)) break;
      if ((isMovs && c.tlbPage(sl, false) !== spa + bytes) || c.writeTlbPage(dl) !== dpa + bytes) break;
      if (isMovs && dpa > spa && dpa < spa + bytes + 4096) break;
      mem.markWritten((dpa + bytes) >>> 12);
      n += 4096 / size;
      bytes += 4096;
    }
  }
  const u8 = mem.u8;
  if (rom) {
    u8.set(rom.bytes.subarray(rom.offset, rom.offset + bytes), dpa);
  } else if (isMovs) {
    u8.copyWithin(dpa, spa, spa + bytes);
  } else if (size === 1) {
    u8.fill(c.r[0] & 0xff, dpa, dpa + bytes);
  } else if (size === 4 && (dpa & 3) === 0) {
    // Aligned: a typed-array fill (the host is little-endian, as paging.ts's i32 reads assume).
    mem.i32.fill(c.r[0], dpa >>> 2, (dpa + bytes) >>> 2);
  } else if (size === 2 && (dpa & 1) === 0) {
    mem.u16.fill(c.r[0] & 0xffff, dpa >>> 1, (dpa + bytes) >>> 1);
  } else {
    // The first element, then the filled part doubled until the run is complete.
    const dv = mem.view;
    if (size === 8) { dv.setInt32(dpa, c.r[0], true); dv.setInt32(dpa + 4, c.r[1], true); }
    else if (size === 4) dv.setInt32(dpa, c.r[0], true);
    else dv.setUint16(dpa, c.r[0] & 0xffff, true);
    for (let w = size; w < bytes; w *= 2) u8.copyWithin(dpa + w, dpa, dpa + Math.min(w, bytes - w));
  }
  if (mem.codePages[page]) mem.codeWrite(dpa, firstBytes);
  setIdx(c, 7, asz, di + bytes);
  if (isMovs) stepIdx(c, 6, asz, bytes);
  decCount(c, asz, n);
  return n;
}

/**
 * Up to `count` iterations of REP INS at once within one destination page of plain RAM (DF=0, nothing watched,
 * no debug register armed), as far as the port's device reads in bulk (IoBus.inString). Returns the elements
 * done (0: the slow path). Checks in the slow path's order: the segment limit and the page walk of the first
 * element (lin, translate: its faults), then the I/O permission, then the port.
 */
function fastIns(c: Cpu, i: Insn, size: number, count: number): number {
  const asz = i.asz;
  const port = c.r[4] & 0xffff;
  if ((c.long && asz !== 8) || c.watch.length !== 0 || c.dataBp !== 0 || (c.dr[7] & 0xff) !== 0 || (c.flags & Flag.DF) || !c.bus.readsStrings(port)) return 0;
  const di = getIdx(c, 7, asz);
  const dla = c.lin(Seg.ES, di, size, true);
  let n = Math.min(count, Math.floor((4096 - (dla & 0xfff)) / size));
  if (!c.long) n = Math.min(n, elementsInSegment(c, Seg.ES, di, size, asz));
  if (n < 2) return 0;
  const dpa = c.translate(dla, Access.WRITE, c.cpl === 3);
  const mem = c.mem;
  if (dpa + n * size > mem.size || c.bus.pageHasMmio(dpa - (dpa & 0xfff))) return 0;
  checkIo(c, port, size);
  noteDeviceRead(c, port);
  const page = dpa >>> 12;
  mem.markWritten(page);
  const done = c.bus.inString(port, size, n, mem.u8, dpa);
  if (done === 0) return 0;
  const bytes = done * size;
  if (mem.codePages[page]) mem.codeWrite(dpa, bytes);
  setIdx(c, 7, asz, di + bytes);
  decCount(c, asz, done);
  return done;
}

/**
 * Up to `count` iterations of REP OUTS at once from one source page of plain RAM (DF=0, nothing watched, no debug
 * register armed), as far as the port's device takes them in bulk (IoBus.outString). Returns the elements done
 * (0: the slow path). Checks in the slow path's order: the segment limit and the page walk of the first element
 * (lin, translate: their faults), then the I/O permission, then the port.
 */
function fastOuts(c: Cpu, i: Insn, size: number, count: number): number {
  const asz = i.asz;
  const port = c.r[4] & 0xffff;
  if ((c.long && asz !== 8) || c.watch.length !== 0 || c.dataBp !== 0 || (c.dr[7] & 0xff) !== 0 || (c.flags & Flag.DF) || !c.bus.writesStrings(port)) return 0;
  const si = getIdx(c, 6, asz);
  const seg = srcSeg(i);
  const sla = c.lin(seg, si, size, false);
  let n = Math.min(count, Math.floor((4096 - (sla & 0xfff)) / size));
  if (!c.long) n = Math.min(n, elementsInSegment(c, seg, si, size, asz));
  if (n < 2) return 0;
  const spa = c.translate(sla, Access.READ, c.cpl === 3);
  const mem = c.mem;
  if (spa + n * size > mem.size || c.bus.pageReadsMmio(spa - (spa & 0xfff))) return 0;
  checkIo(c, port, size);
  c.devTouched = true;
  const done = c.bus.outString(port, size, n, mem.u8, spa);
  if (done === 0) return 0;
  setIdx(c, 6, asz, si + done * size);
  decCount(c, asz, done);
  return done;
}

const enum Kind { MOVS, CMPS, STOS, LODS, SCAS, INS, OUTS }

/** One iteration of a string op (registers advance only after its accesses succeed). */
function once(c: Cpu, i: Insn, kind: Kind, size: number, delta: number): void {
  const asz = i.asz;
  switch (kind) {
    case Kind.MOVS: {
      const v = rdMem(c, c.lin(srcSeg(i), getIdx(c, 6, asz), size, false), size);
      const vHi = c.hi;
      wrMem(c, c.lin(Seg.ES, getIdx(c, 7, asz), size, true), size, v, vHi);
      stepIdx(c, 6, asz, delta);
      stepIdx(c, 7, asz, delta);
      return;
    }
    case Kind.CMPS: {
      const a = rdMem(c, c.lin(srcSeg(i), getIdx(c, 6, asz), size, false), size);
      const aHi = c.hi;
      const b = rdMem(c, c.lin(Seg.ES, getIdx(c, 7, asz), size, false), size);
      aluOp(c, AluOp.CMP, size, a, aHi, b, c.hi);
      stepIdx(c, 6, asz, delta);
      stepIdx(c, 7, asz, delta);
      return;
    }
    case Kind.STOS:
      wrMem(c, c.lin(Seg.ES, getIdx(c, 7, asz), size, true), size, c.r[0], c.r[1]);
      stepIdx(c, 7, asz, delta);
      return;
    case Kind.LODS: {
      const v = rdMem(c, c.lin(srcSeg(i), getIdx(c, 6, asz), size, false), size);
      c.writeReg(0, 0, size, v, c.hi);
      stepIdx(c, 6, asz, delta);
      return;
    }
    case Kind.SCAS: {
      const a = c.readReg(0, 0, size);
      const aHi = c.hi;
      const b = rdMem(c, c.lin(Seg.ES, getIdx(c, 7, asz), size, false), size);
      aluOp(c, AluOp.CMP, size, a, aHi, b, c.hi);
      stepIdx(c, 7, asz, delta);
      return;
    }
    case Kind.INS: {
      // The destination is checked before the port is read, so a faulting INS does not consume input.
      const la = c.lin(Seg.ES, getIdx(c, 7, asz), size, true);
      c.probeWrite(la, size);
      const v = portIn(c, c.r[4] & 0xffff, size);
      c.wr(la, size, v);
      stepIdx(c, 7, asz, delta);
      return;
    }
    default: {
      const v = c.rd(c.lin(srcSeg(i), getIdx(c, 6, asz), size, false), size);
      portOut(c, c.r[4] & 0xffff, size, v);
      stepIdx(c, 6, asz, delta);
    }
  }
}

function stringOp(kind: Kind, byteForm: boolean) {
  const io = kind === Kind.INS || kind === Kind.OUTS;
  const cond = kind === Kind.CMPS || kind === Kind.SCAS;
  return (c: Cpu, i: Insn): void => {
    const size = io ? (byteForm ? 1 : i.osz === 2 ? 2 : 4) : elemSize(i, byteForm);
    const delta = c.flags & Flag.DF ? -size : size;
    if (i.rep === 0) { once(c, i, kind, size, delta); return; }
    const asz = i.asz;
    let count = getCount(c, asz);
    if (count === 0) return;
    if ((kind === Kind.MOVS || kind === Kind.STOS) && (size === 1 || size === 8 || count >= 16)) {
      let budget = CHUNK;
      while (count > 0 && budget > 0) {
        const n = fastRun(c, i, size, Math.min(count, budget), kind === Kind.MOVS);
        if (n === 0) break;
        count -= n;
        budget -= n;
      }
      if (count === 0) return;
      if (budget <= 0) { c.rip = c.insnStart; return; }
    }
    // REPE (F3) continues while ZF=1, REPNE (F2) while ZF=0; only CMPS/SCAS look at ZF (SDM REP/REPE/REPNE).
    const wantZ = i.rep === 1;
    for (let k = 0; k < CHUNK; k++) {
      if ((kind === Kind.INS || kind === Kind.OUTS) && count >= 2) {
        const n = kind === Kind.INS ? fastIns(c, i, size, Math.min(count, CHUNK - k)) : fastOuts(c, i, size, Math.min(count, CHUNK - k));
        if (n > 0) {
          count -= n;
          if (count === 0) return;
          k += n - 1;
          continue;
        }
      }
      once(c, i, kind, size, delta);
      decCount(c, asz, 1);
      count--;
      if (count === 0) return;
      if (cond) {
        if (getZF(c) !== wantZ) return;
      }
    }
    c.rip = c.insnStart; // yield: re-execute the rest
  };
}

def(0xa4, 'movsb', false, Imm.NONE, stringOp(Kind.MOVS, true));
def(0xa5, 'movs', false, Imm.NONE, stringOp(Kind.MOVS, false));
def(0xa6, 'cmpsb', false, Imm.NONE, stringOp(Kind.CMPS, true));
def(0xa7, 'cmps', false, Imm.NONE, stringOp(Kind.CMPS, false));
def(0xaa, 'stosb', false, Imm.NONE, stringOp(Kind.STOS, true));
def(0xab, 'stos', false, Imm.NONE, stringOp(Kind.STOS, false));
def(0xac, 'lodsb', false, Imm.NONE, stringOp(Kind.LODS, true));
def(0xad, 'lods', false, Imm.NONE, stringOp(Kind.LODS, false));
def(0xae, 'scasb', false, Imm.NONE, stringOp(Kind.SCAS, true));
def(0xaf, 'scas', false, Imm.NONE, stringOp(Kind.SCAS, false));
def(0x6c, 'insb', false, Imm.NONE, stringOp(Kind.INS, true), { endsBlock: true });
def(0x6d, 'ins', false, Imm.NONE, stringOp(Kind.INS, false), { endsBlock: true });
def(0x6e, 'outsb', false, Imm.NONE, stringOp(Kind.OUTS, true), { endsBlock: true });
def(0x6f, 'outs', false, Imm.NONE, stringOp(Kind.OUTS, false), { endsBlock: true });

/** XLAT (D7): AL = [seg:rBX + zero-extended AL]. */
def(0xd7, 'xlat', false, Imm.NONE, (c, i) => {
  const asz = i.asz;
  let off = getIdx(c, 3, asz) + (c.r[0] & 0xff);
  if (asz === 4) off = off >>> 0; else if (asz === 2) off &= 0xffff;
  c.setReg8(0, 0, c.rd(c.lin(srcSeg(i), off, 1, false), 1));
});
