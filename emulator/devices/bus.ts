import { MmioHandler, PortHandler } from './device';

/**
 * The one registry of I/O ports and MMIO ranges. The CPU calls inPort/outPort for IN/OUT/INS/OUTS and the
 * physical memory layer calls findMmio on a TLB miss (MMIO pages are never cached in the TLB as RAM).
 */
export class IoBus {
  private readonly ports: (PortHandler | undefined)[] = new Array(0x10000);
  private readonly mmio: { base: number; size: number; handler: MmioHandler; name: string }[] = [];

  registerPorts(first: number, count: number, handler: PortHandler): void {
    for (let p = first; p < first + count; p++) {
      if (this.ports[p]) throw new Error(`I/O port 0x${p.toString(16)} is already claimed`);
      this.ports[p] = handler;
    }
  }

  /** Register an MMIO range at a physical address (page-aligned ranges keep the TLB logic simple). */
  registerMmio(name: string, base: number, size: number, handler: MmioHandler): void {
    this.mmio.push({ base, size, handler, name });
  }

  inPort(port: number, size: number): number {
    const h = this.ports[port & 0xffff];
    if (!h) return size === 1 ? 0xff : size === 2 ? 0xffff : -1;
    return h.read(port & 0xffff, size);
  }

  outPort(port: number, size: number, value: number): void {
    const h = this.ports[port & 0xffff];
    if (h) h.write(port & 0xffff, size, value);
  }

  /** The MMIO range containing physical address `addr`, or undefined for RAM / nothing. */
  findMmio(addr: number): { base: number; size: number; handler: MmioHandler } | undefined {
    for (const r of this.mmio) if (addr >= r.base && addr < r.base + r.size) return r;
    return undefined;
  }

  /** True if any MMIO range overlaps the 4 KiB page at `pageBase`. */
  pageHasMmio(pageBase: number): boolean {
    for (const r of this.mmio) if (pageBase < r.base + r.size && pageBase + 4096 > r.base) return true;
    return false;
  }
}
