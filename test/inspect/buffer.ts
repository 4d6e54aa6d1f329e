import { MemoryReader } from '../../emulator/inspect/types';

/** A little guest memory for decoder tests: a byte buffer with 64-bit little-endian writers and a MemoryReader. */
export class Buffer64 {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }
  q(addr: number, v: bigint): void {
    this.view.setBigUint64(addr, BigInt.asUintN(64, v), true);
  }
  d(addr: number, v: number): void {
    this.view.setUint32(addr, v >>> 0, true);
  }
  w(addr: number, v: number): void {
    this.view.setUint16(addr, v, true);
  }
  readonly read: MemoryReader = (addr, len) => {
    const a = Number(addr);
    return a >= 0 && a + len <= this.bytes.length ? this.bytes.slice(a, a + len) : undefined;
  };
}
