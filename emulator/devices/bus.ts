import { MmioHandler, PortHandler } from './device';

/**
 * The one registry of I/O ports and MMIO ranges. The CPU calls inPort/outPort for IN/OUT/INS/OUTS and the
 * physical memory layer calls findMmio on a TLB miss (MMIO pages are never cached in the TLB as RAM).
 */
export class IoBus {
  /**
   * Per I/O port, its handler's index in `handlers` (0: unclaimed). A typed array rather than 64 Ki JS array
   * slots: a machine is created in a fresh process on every launch, and a 512 KiB JS array costs ~2 ms there
   * to allocate and fill (every page of it touched), where this one's pages stay untouched until claimed.
   */
  private readonly portHandler = new Uint16Array(0x10000);
  /** The handlers ports have been claimed by, each once; [0] stands for "unclaimed". */
  private readonly handlers: (PortHandler | undefined)[] = [undefined];
  private readonly mmio: { base: number; size: number; handler: MmioHandler; name: string }[] = [];
  /**
   * For each 4 KiB page below 4 GiB: 0 RAM, 1 an MMIO range overlaps it, 2 MMIO for writes only (reads and
   * instruction fetches are plain RAM: the i440FX's read-only shadow RAM over the BIOS area). RAM accesses skip
   * the range search.
   */
  private readonly mmioPages = new Uint8Array(1 << 20);

  registerPorts(first: number, count: number, handler: PortHandler): void {
    let index = this.handlers.indexOf(handler);
    if (index < 0) index = this.handlers.push(handler) - 1;
    for (let p = first; p < first + count; p++) {
      if (this.portHandler[p] !== 0) throw new Error(`I/O port 0x${p.toString(16)} is already claimed`);
      this.portHandler[p] = index;
    }
  }

  /** The handler of `port` (0-0xFFFF), undefined when no device claims it. */
  private handler(port: number): PortHandler | undefined {
    return this.handlers[this.portHandler[port]];
  }

  /** Release the ports [first, first+count) (an I/O BAR that moved or stopped decoding). */
  unregisterPorts(first: number, count: number): void {
    for (let p = first; p < first + count && p <= 0xffff; p++) this.portHandler[p] = 0;
  }

  /** True if none of the ports [first, first+count) is claimed (a device whose BAR moves checks before it claims). */
  portsFree(first: number, count: number): boolean {
    for (let p = first; p < first + count; p++) if (p > 0xffff || this.portHandler[p] !== 0) return false;
    return true;
  }

  /** Register an MMIO range at a physical address (page-aligned ranges keep the TLB logic simple). */
  registerMmio(name: string, base: number, size: number, handler: MmioHandler): void {
    // A range added at the end changes no address's first match: lastMmio stays valid.
    this.mmio.push({ base, size, handler, name });
    // fill, not a loop: the VGA's 16 MiB framebuffer alone is 4096 pages, marked while V8 still interprets this.
    this.mmioPages.fill(1, Math.floor(base / 4096), Math.min(Math.floor((base + size - 1) / 4096), (1 << 20) - 1) + 1);
  }

  /**
   * Remove the MMIO range registered under `name` (a PCI BAR that moved or was disabled). Its pages become RAM
   * again unless another range still overlaps them; the caller flushes the TLB and decoded code.
   */
  unregisterMmio(name: string): void {
    const i = this.mmio.findIndex((r) => r.name === name);
    if (i < 0) return;
    const [gone] = this.mmio.splice(i, 1);
    this.lastMmio = undefined;
    const last = Math.min(Math.floor((gone.base + gone.size - 1) / 4096), (1 << 20) - 1);
    for (let p = Math.floor(gone.base / 4096); p <= last; p++) {
      const at = p * 4096;
      this.mmioPages[p] = this.mmio.some((r) => at < r.base + r.size && at + 4096 > r.base) ? 1 : 0;
    }
  }

  /**
   * Turn the MMIO dispatch of the pages in [base, base+size) on or off (they must lie in a registered range).
   * Off, those pages are plain RAM again and the CPU may cache them in its TLB; the caller flushes the TLB and
   * the decoded code (i440FX PAM: shadow RAM over the BIOS area switches between RAM and ROM).
   */
  setMmioPages(base: number, size: number, on: boolean | 'writes'): void {
    this.mmioPages.fill(on === 'writes' ? 2 : on ? 1 : 0, Math.floor(base / 4096), Math.ceil((base + size) / 4096));
  }

  inPort(port: number, size: number): number {
    const h = this.handler(port & 0xffff);
    if (!h) return size === 1 ? 0xff : size === 2 ? 0xffff : -1;
    return h.read(port & 0xffff, size);
  }

  /** Whether the port's device reads in bulk (PortHandler.readString). */
  readsStrings(port: number): boolean {
    const h = this.handler(port & 0xffff);
    return h !== undefined && h.readString !== undefined;
  }

  /** PortHandler.readString of the port's device: how many of `count` reads it did into dst (0 when it cannot). */
  inString(port: number, size: number, count: number, dst: Uint8Array, at: number): number {
    const h = this.handler(port & 0xffff);
    return h !== undefined && h.readString ? h.readString(port & 0xffff, size, count, dst, at) : 0;
  }

  /** Whether the port's device writes in bulk (PortHandler.writeString). */
  writesStrings(port: number): boolean {
    const h = this.handler(port & 0xffff);
    return h !== undefined && h.writeString !== undefined;
  }

  /** PortHandler.writeString of the port's device: how many of `count` writes it took from src (0 when it cannot). */
  outString(port: number, size: number, count: number, src: Uint8Array, at: number): number {
    const h = this.handler(port & 0xffff);
    return h !== undefined && h.writeString ? h.writeString(port & 0xffff, size, count, src, at) : 0;
  }

  /** PortHandler.stableUntil of the port's device, or `now` (may change at once) when it cannot tell. */
  portStableUntil(port: number, now: number): number {
    const h = this.handler(port & 0xffff);
    if (!h) return Infinity; // unclaimed: always all ones
    return h.stableUntil ? h.stableUntil(port & 0xffff) : now;
  }

  /** PortHandler.clock of the port's device: whether the port reads a clock. */
  portIsClock(port: number): boolean {
    const h = this.handler(port & 0xffff);
    return h !== undefined && h.clock !== undefined && h.clock(port & 0xffff);
  }

  outPort(port: number, size: number, value: number): void {
    const h = this.handler(port & 0xffff);
    if (h) h.write(port & 0xffff, size, value);
  }

  /** The MMIO range containing physical address `addr`, or undefined for RAM / nothing. */
  findMmio(addr: number): { base: number; size: number; handler: MmioHandler } | undefined {
    if (addr >= 0 && addr < 4294967296 && this.mmioPages[addr >>> 12] === 0) return undefined;
    const l = this.lastMmio;
    if (l !== undefined && addr >= l.base && addr < l.base + l.size) return l;
    const list = this.mmio;
    for (let k = 0; k < list.length; k++) {
      const r = list[k];
      if (addr >= r.base && addr < r.base + r.size) {
        // Only a range that is the first match for every address it holds may answer before the list does.
        let first = true;
        for (let j = 0; j < k; j++) if (list[j].base < r.base + r.size && list[j].base + list[j].size > r.base) first = false;
        if (first) this.lastMmio = r;
        return r;
      }
    }
    return undefined;
  }

  /**
   * The range findMmio found last (a kernel reads its local APIC's ID at every lock), when no earlier range in
   * the list overlaps it; dropped when a range is removed.
   */
  private lastMmio: { base: number; size: number; handler: MmioHandler; name: string } | undefined;

  /**
   * The ROM bytes that reads of [addr, addr + len) return, with their offset, when that range lies inside one
   * MMIO region with `romBytes` (MmioHandler); undefined for anything else.
   */
  romAt(addr: number, len: number): { bytes: Uint8Array; offset: number } | undefined {
    const m = this.findMmio(addr);
    const bytes = m?.handler.romBytes;
    if (!m || !bytes || addr + len > m.base + Math.min(m.size, bytes.length)) return undefined;
    return { bytes, offset: addr - m.base };
  }

  /** True if no MMIO range overlaps the 4 KiB page holding `addr` (0 <= addr < 4 GiB): plain RAM when inside the RAM size. */
  noMmioAt(addr: number): boolean {
    return this.mmioPages[addr >>> 12] === 0;
  }

  /** True if a read of physical address `addr` may reach MMIO (false: RAM, or a page that is MMIO for writes only). */
  readsMmioAt(addr: number): boolean {
    return this.pageReadsMmio(addr - (addr % 4096));
  }

  /** True if reads of the 4 KiB page at `pageBase` may reach MMIO (false: RAM, or MMIO for writes only). */
  pageReadsMmio(pageBase: number): boolean {
    if (pageBase >= 0 && pageBase < 4294967296 && (pageBase & 0xfff) === 0) return this.mmioPages[pageBase >>> 12] === 1;
    return this.pageHasMmio(pageBase);
  }

  /** True if any MMIO range overlaps the 4 KiB page at `pageBase` (for reads or writes). */
  pageHasMmio(pageBase: number): boolean {
    if (pageBase >= 0 && pageBase < 4294967296 && (pageBase & 0xfff) === 0) return this.mmioPages[pageBase >>> 12] !== 0;
    for (const r of this.mmio) if (pageBase < r.base + r.size && pageBase + 4096 > r.base) return true;
    return false;
  }
}
