import { IoBus } from '../devices/bus';

export const PAGE_SHIFT = 12;
/** Decoded code is tracked per 64-byte chunk inside a code page (see codeChunks). */
export const CODE_CHUNK_SHIFT = 6;
export const PAGE_SIZE = 4096;

/** Copies a page a snapshot shares with RAM out of RAM, and clears its cowPages flag (history.ts). */
export interface CowSink {
  settle(page: number): void;
}

/**
 * Guest physical memory: RAM in one ArrayBuffer with typed-array views, plus MMIO dispatch through the bus.
 * Physical addresses are plain numbers (< 2^52, exact in a double).
 *
 * Per 4 KiB page of RAM it keeps two byte maps:
 * - `codePages[p]` is non-zero while the CPU's decode cache holds instructions from page p. Any write to
 *   such a page goes through `notifyCodeWrite`, which the CPU uses to drop stale decoded instructions.
 * - `dirtyPages[p]` is set on every write, and the page listed once in `dirtyList`; the snapshot layer
 *   (reverse debugging) reads the list and clears both (`clearDirty`), so a snapshot costs what was written,
 *   not the size of RAM.
 * - `cowPages[p]` is 1 (else 0) while page p's current content stands in for a history snapshot that has not
 *   copied it yet (copy-on-write, history.ts): the first write after the snapshot calls `cowSink.settle(p)`
 *   before changing a byte. Such a page is clean, so the CPU reaches it only through its write-TLB miss.
 * The CPU's write TLB only maps a page for direct writes when it is neither code nor clean, so these checks
 * cost nothing on the fast path. Every writer marks a page (`markWritten`) before it changes the page.
 */
export class PhysicalMemory {
  readonly size: number;
  readonly buffer: ArrayBuffer;
  readonly u8: Uint8Array;
  readonly u16: Uint16Array;
  readonly u32: Uint32Array;
  readonly i32: Int32Array;
  readonly view: DataView;
  readonly codePages: Uint8Array;
  /**
   * Per 64-byte chunk: non-zero while decoded instructions cover it. A write to a code page drops decoded code
   * (the blocks whose bytes it overlaps) only when it touches such a chunk, so data next to code (a BIOS's variables and stack in
   * the pages of its 16-bit code) does not force re-decoding on every store.
   */
  readonly codeChunks: Uint8Array;
  readonly dirtyPages: Uint8Array;
  /** The pages set in dirtyPages, in the order they were first written: dirtyList[0 .. dirtyCount). */
  readonly dirtyList: Int32Array;
  dirtyCount = 0;
  readonly cowPages: Uint8Array;
  /**
   * Who copies a page out before the first write to it while its cowPages flag is set (the history); it must
   * clear the flag. None: the flag is just cleared. An object with a method rather than a closure: V8 inlines
   * a call through a closure field as a call of that one closure, whose captured instance then stands in the
   * optimized write paths as a constant.
   */
  cowSink: CowSink | null = null;
  /** Nothing has been written since the buffer was allocated (still all zeros): clear() has nothing to do. */
  private pristine = true;
  /**
   * Called when a write of `len` bytes at `addr` touches a marked chunk of code page `page` (a write across two
   * code pages: once per page, with the same range).
   */
  notifyCodeWrite: (page: number, addr: number, len: number) => void = () => {};
  /**
   * Called when stores to code page `page` that touched no decoded byte (codeWrite) reach 256, then 512, 1024, ...
   * up to 32768 (doubled each time, so a page whose code keeps coming back is re-decoded ever more rarely): the CPU
   * may drop the page's decoded blocks so its stores use the write TLB again (Cpu.releaseCodePage).
   */
  onDataBesideCode: (page: number) => void = () => {};
  private readonly besideCode: Uint16Array;
  private readonly besideCodeShift: Uint8Array;

  constructor(sizeBytes: number, readonly bus: IoBus) {
    this.size = sizeBytes;
    this.buffer = new ArrayBuffer(sizeBytes);
    this.u8 = new Uint8Array(this.buffer);
    this.u16 = new Uint16Array(this.buffer);
    this.u32 = new Uint32Array(this.buffer);
    this.i32 = new Int32Array(this.buffer);
    this.view = new DataView(this.buffer);
    // Sizes by division: 4 GiB >>> n is 0 (>>> takes its operand modulo 2^32).
    const pages = Math.ceil(sizeBytes / PAGE_SIZE);
    this.codePages = new Uint8Array(pages);
    this.besideCode = new Uint16Array(pages);
    this.besideCodeShift = new Uint8Array(pages);
    this.codeChunks = new Uint8Array(Math.ceil(sizeBytes / (1 << CODE_CHUNK_SHIFT)));
    this.dirtyPages = new Uint8Array(pages);
    this.cowPages = new Uint8Array(pages);
    this.dirtyList = new Int32Array(pages);
  }

  /**
   * Page p is about to be written: mark it dirty and, on its first write since the dirty map was cleared,
   * give a snapshot that still shares it its copy (a shared page is always clean).
   */
  markWritten(page: number): void {
    if (this.dirtyPages[page] !== 0) return;
    if (this.cowPages[page]) this.cowWrite(page);
    this.dirtyPages[page] = 1;
    this.dirtyList[this.dirtyCount++] = page;
  }

  private cowWrite(page: number): void {
    if (this.cowSink !== null) this.cowSink.settle(page);
    else this.cowPages[page] = 0;
  }

  /** Every page clean again (the history took or restored a snapshot). */
  clearDirty(): void {
    const d = this.dirtyPages, list = this.dirtyList;
    for (let i = 0; i < this.dirtyCount; i++) d[list[i]] = 0;
    this.dirtyCount = 0;
  }

  /**
   * A write of `len` bytes at `addr` landed on a code page: tell the CPU (notifyCodeWrite) if it touched bytes that
   * hold decoded instructions. Two levels: the 64-byte chunk map, then the page's byte map, so a variable kept
   * between routines (real-mode code polls one in a loop) costs no more than this check. `unchanged`: the store
   * writes the bytes already there (sameBytes), so every decoded instruction stays exact and it counts as a
   * store beside code: GRUB's BIOS-call trampoline patches the immediates of its own real-mode instructions
   * with the call's registers before every call, mostly with the values they already hold.
   */
  codeWrite(addr: number, len: number, unchanged = false): void {
    const last = unchanged ? -1 : (addr + len - 1) >>> CODE_CHUNK_SHIFT;
    for (let c = addr >>> CODE_CHUNK_SHIFT; c <= last; c++) {
      if (this.codeChunks[c] && this.touchesCode(addr, len)) {
        this.notifyCodeWrite(addr >>> PAGE_SHIFT, addr, len);
        if ((addr + len - 1) >>> PAGE_SHIFT !== addr >>> PAGE_SHIFT && this.codePages[(addr + len - 1) >>> PAGE_SHIFT]) this.notifyCodeWrite((addr + len - 1) >>> PAGE_SHIFT, addr, len);
        return;
      }
    }
    const page = addr >>> PAGE_SHIFT;
    if (page < this.besideCode.length && this.codePages[page] && ++this.besideCode[page] >= 256 << this.besideCodeShift[page]) {
      this.besideCode[page] = 0;
      if (this.besideCodeShift[page] < 7) this.besideCodeShift[page]++;
      this.onDataBesideCode(page);
    }
  }

  /** Whether RAM at `addr` already holds `value` (a store of `size` = 1, 2 or 4 bytes inside RAM would change nothing). */
  private sameBytes(addr: number, size: number, value: number): boolean {
    if (size === 1) return this.u8[addr] === (value & 0xff);
    if (size === 2) return this.view.getUint16(addr, true) === (value & 0xffff);
    return this.view.getUint32(addr, true) === value >>> 0;
  }

  /** Whether any byte of [addr, addr + len) is marked as decoded code (markCode). */
  private touchesCode(addr: number, len: number): boolean {
    for (let a = addr; a < addr + len; a++) {
      const bits = this.codeBits.get(a >>> PAGE_SHIFT);
      if (bits === undefined || bits[(a & 0xfff) >>> 3] & (1 << (a & 7))) return true;
    }
    return false;
  }

  /** Per code page, one bit per byte that holds decoded instructions (the second level under codeChunks). */
  private readonly codeBits = new Map<number, Uint8Array>();

  /** Bytes [start, end] (inclusive, one page) hold decoded instructions: mark their chunks and bits. */
  markCode(start: number, end: number): void {
    for (let c = start >>> CODE_CHUNK_SHIFT; c <= end >>> CODE_CHUNK_SHIFT && c < this.codeChunks.length; c++) this.codeChunks[c] = 1;
    const page = start >>> PAGE_SHIFT;
    let bits = this.codeBits.get(page);
    if (bits === undefined) {
      bits = new Uint8Array(PAGE_SIZE >>> 3);
      this.codeBits.set(page, bits);
    }
    for (let a = start & 0xfff; a <= (end & 0xfff); a++) bits[a >>> 3] |= 1 << (a & 7);
  }

  /** Page `page` holds no decoded code (or is about to be marked again): clear its chunk and byte marks. */
  clearCode(page: number): void {
    if (page < this.codePages.length) this.codeChunks.fill(0, page << (PAGE_SHIFT - CODE_CHUNK_SHIFT), (page + 1) << (PAGE_SHIFT - CODE_CHUNK_SHIFT));
    this.codeBits.delete(page);
  }


  /** True if [addr, addr+len) is plain RAM (no MMIO overlaps, inside the RAM size). */
  isRam(addr: number, len = 1): boolean {
    if (addr < 0 || addr + len > this.size) return false;
    return !this.bus.findMmio(addr) && !this.bus.findMmio(addr + len - 1);
  }

  read8(addr: number): number {
    if (addr < this.size) {
      const m = this.bus.findMmio(addr);
      if (!m) return this.u8[addr];
      return m.handler.read(addr - m.base, 1) & 0xff;
    }
    const m = this.bus.findMmio(addr);
    return m ? m.handler.read(addr - m.base, 1) & 0xff : 0xff;
  }

  /** Little-endian read of 1, 2 or 4 bytes, as an unsigned 32-bit number. */
  read(addr: number, size: number): number {
    const m = this.bus.findMmio(addr);
    if (m && addr + size <= m.base + m.size) return m.handler.read(addr - m.base, size) >>> 0;
    if (addr + size <= this.size && !m) {
      if (size === 1) return this.u8[addr];
      if (size === 2) return this.view.getUint16(addr, true);
      return this.view.getUint32(addr, true);
    }
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + this.read8(addr + i);
    return v >>> 0;
  }

  /**
   * Zero all of RAM (power-on). A fresh buffer is already zero: skipping the fill saves ~0.1 s per 128 MiB
   * and keeps untouched pages out of the process's resident memory.
   */
  clear(): void {
    // indexOf, not a loop over every page: the first power-on runs before V8 has optimised anything, where a
    // loop over 128 MiB's 32 Ki flags cost ~2 ms.
    for (let p = this.cowPages.indexOf(1); p >= 0; p = this.cowPages.indexOf(1, p + 1)) this.cowWrite(p);
    if (!this.pristine) this.u8.fill(0);
    this.pristine = false;
    this.clears++;
  }

  /** Times clear() ran (the history uses it to know the dirty map covers every non-zero page). */
  clears = 0;

  write8(addr: number, value: number): void {
    this.pristine = false;
    const m = this.bus.findMmio(addr);
    if (m) {
      m.handler.write(addr - m.base, 1, value & 0xff);
      return;
    }
    if (addr >= this.size || addr < 0) return;
    const page = addr >>> PAGE_SHIFT;
    this.markWritten(page);
    if (this.codePages[page]) this.codeWrite(addr, 1, this.sameBytes(addr, 1, value));
    this.u8[addr] = value;
  }

  /** Little-endian write of 1, 2 or 4 bytes. */
  write(addr: number, size: number, value: number): void {
    this.pristine = false;
    const m = this.bus.findMmio(addr);
    if (m && addr + size <= m.base + m.size) {
      m.handler.write(addr - m.base, size, value);
      return;
    }
    if (!m && addr >= 0 && addr + size <= this.size) {
      const p0 = addr >>> PAGE_SHIFT;
      const p1 = (addr + size - 1) >>> PAGE_SHIFT;
      this.markWritten(p0);
      if (p1 !== p0) this.markWritten(p1);
      if (this.codePages[p0] || this.codePages[p1]) this.codeWrite(addr, size, this.sameBytes(addr, size, value));
      if (size === 1) this.u8[addr] = value;
      else if (size === 2) this.view.setUint16(addr, value, true);
      else this.view.setUint32(addr, value >>> 0, true);
      return;
    }
    for (let i = 0; i < size; i++) this.write8(addr + i, (value >>> (8 * i)) & 0xff);
  }

  /**
   * Write RAM underneath any MMIO mapping (a device that decides an MMIO page is backed by RAM, e.g. i440FX
   * shadow RAM): dirty and code-page tracking as for any RAM write.
   */
  writeRam(addr: number, size: number, value: number): void {
    if (addr < 0 || addr + size > this.size) return;
    for (let i = 0; i < size; i++) {
      const page = (addr + i) >>> PAGE_SHIFT;
      this.markWritten(page);
      if (this.codePages[page]) this.codeWrite(addr + i, 1);
      this.u8[addr + i] = (value >>> (8 * i)) & 0xff;
    }
  }

  /** Read RAM underneath any MMIO mapping (see writeRam); 0xff past the end of RAM. */
  readRam(addr: number, size: number): number {
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + (addr + i < this.size ? this.u8[addr + i] : 0xff);
    return v;
  }

  /** Copy bytes into RAM (boot loaders, tests). Marks pages dirty and drops decoded code. */
  load(addr: number, bytes: Uint8Array): void {
    if (addr < 0 || addr + bytes.length > this.size) {
      throw new RangeError(
        `cannot place ${bytes.length} bytes at physical 0x${addr.toString(16)}: the machine has ${this.size / 2 ** 20} MiB of RAM`,
      );
    }
    this.pristine = false;
    const last = (addr + Math.max(bytes.length, 1) - 1) >>> PAGE_SHIFT;
    for (let p = addr >>> PAGE_SHIFT; p <= last; p++) this.markWritten(p);
    this.u8.set(bytes, addr);
    for (let p = addr >>> PAGE_SHIFT; p <= last; p++) if (this.codePages[p]) this.notifyCodeWrite(p, addr, Math.max(bytes.length, 1));
  }

  /** Copy `len` bytes out of physical memory (RAM or MMIO); bytes past RAM read as 0xff. */
  slice(addr: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    if (addr >= 0 && addr + len <= this.size && !this.bus.findMmio(addr) && !this.bus.findMmio(addr + len - 1)) {
      out.set(this.u8.subarray(addr, addr + len));
      return out;
    }
    for (let i = 0; i < len; i++) out[i] = this.read8(addr + i);
    return out;
  }
}
