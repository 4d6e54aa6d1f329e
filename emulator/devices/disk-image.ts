import { fromBase64, toBase64 } from '../bytes';
import * as fs from 'fs';

/**
 * A disk or CD image file behind an IDE drive. Reads come from the file; writes go to an in-memory overlay of
 * 512-byte sectors unless the image was opened for writing, as QEMU's `-snapshot` (the default here: an image
 * is only changed when the user asked, `writeThrough`). The overlay is part of the machine state, so reverse
 * debugging and replays see the writes the guest made; written-through sectors are not (the file changed).
 *
 * Public API: DiskImage.open(path, {writeThrough, readOnly}), DiskImage.fromBytes(bytes), size, sectors,
 * read(offset, length), write(offset, data), saveOverlay(), loadOverlay(), DiskImageError.
 */
export const SECTOR = 512;

export class DiskImageError extends Error {}

export class DiskImage {
  private readonly overlay = new Map<number, Uint8Array>();

  private constructor(
    readonly path: string,
    readonly size: number,
    private readonly fd: number | undefined,
    private readonly bytes: Uint8Array | undefined,
    readonly writeThrough: boolean,
  ) {}

  /** Open an image file. A missing file, a directory or an empty file is a DiskImageError sentence. */
  static open(path: string, opts: { writeThrough?: boolean } = {}): DiskImage {
    let st: fs.Stats;
    try {
      st = fs.statSync(path);
    } catch {
      throw new DiskImageError(`disk image ${path} does not exist; check the path (relative paths are from ${process.cwd()})`);
    }
    if (st.isDirectory()) throw new DiskImageError(`disk image ${path} is a directory; give the path of the image file`);
    if (st.size === 0) throw new DiskImageError(`disk image ${path} is empty`);
    let fd: number;
    try {
      fd = fs.openSync(path, opts.writeThrough ? 'r+' : 'r');
    } catch (e) {
      throw new DiskImageError(`cannot open disk image ${path}${opts.writeThrough ? ' for writing' : ''}: ${(e as Error).message}`);
    }
    return new DiskImage(path, st.size, fd, undefined, !!opts.writeThrough);
  }

  /** An image held in memory (tests, generated media); writes go to the overlay. */
  static fromBytes(bytes: Uint8Array, name = 'memory image'): DiskImage {
    return new DiskImage(name, bytes.length, undefined, bytes, false);
  }

  /** Whole 512-byte sectors (a partial last sector is readable, padded with zeros). */
  get sectors(): number {
    return Math.ceil(this.size / SECTOR);
  }

  /** Read `length` bytes at byte `offset` (both multiples of 512); bytes past the end read as zeros. */
  read(offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    const avail = Math.max(0, Math.min(length, this.size - offset));
    if (avail > 0) {
      if (this.bytes) out.set(this.bytes.subarray(offset, offset + avail));
      else fs.readSync(this.fd!, out, 0, avail, offset);
    }
    if (this.overlay.size > 0) {
      for (let s = 0; s < length / SECTOR; s++) {
        const o = this.overlay.get(offset / SECTOR + s);
        if (o) out.set(o, s * SECTOR);
      }
    }
    return out;
  }

  /** Write whole sectors at byte `offset`. */
  write(offset: number, data: Uint8Array): void {
    if (this.writeThrough && this.fd !== undefined) {
      fs.writeSync(this.fd, data, 0, data.length, offset);
      return;
    }
    for (let s = 0; s < data.length / SECTOR; s++) this.overlay.set(offset / SECTOR + s, data.slice(s * SECTOR, (s + 1) * SECTOR));
  }

  /** The overlay as plain data (snapshots). Like QEMU -snapshot, it survives a guest reset. */
  saveOverlay(): [number, string][] {
    return [...this.overlay].map(([k, v]) => [k, toBase64(v)]);
  }

  loadOverlay(saved: unknown): void {
    this.overlay.clear();
    if (!Array.isArray(saved)) return;
    for (const e of saved) {
      if (Array.isArray(e) && typeof e[0] === 'number' && typeof e[1] === 'string') {
        const b = fromBase64(e[1]);
        if (b.length === SECTOR) this.overlay.set(e[0], new Uint8Array(b));
      }
    }
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
  }
}
