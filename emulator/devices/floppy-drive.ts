import { DiskImage } from './disk-image';
import { num } from './ports';

/**
 * A floppy drive behind the FDC (fdc.ts) and the diskette in it, as QEMU's FDrive (hw/block/fdc.c): the drive
 * type and the medium's geometry picked from the image size by QEMU's fd_formats table (drive type "auto": the
 * first entry whose sector count equals the image's), the head position (head, track, sector), the disk-change
 * line and perpendicular mode. An image whose size is no format's (a 1 KiB boot sector and stage 2, as
 * tutorials pass to `qemu -fda os-image.bin`) gets QEMU's fallback: the first format of the fallback drive type,
 * 2.88 MB (isa-fdc's `fallback` property, 288 on the pc machines since QEMU 2.6; pick_geometry's case 3); its
 * sectors past the end of the file read as zeros (fdctrl: "Sure, image size is too small...") and writes there fail.
 *
 * Public API: FloppyDrive, floppyGeometry(bytes), FloppyType, cmosFloppyType, FDRIVE_RATE.
 */
export type FloppyType = '144' | '288' | '120';

/** Data rates as the DSR/CCR select them (bits 0-1). */
export const FDRIVE_RATE = { R500K: 0, R300K: 1, R250K: 2, R1M: 3 } as const;

export interface FloppyFormat {
  drive: FloppyType;
  sectors: number;
  tracks: number;
  /** 1: two sides, 0: one. */
  maxHead: number;
  rate: number;
}

const F = (drive: FloppyType, sectors: number, tracks: number, maxHead: number, rate: number): FloppyFormat => ({ drive, sectors, tracks, maxHead, rate });
const { R500K, R300K, R250K, R1M } = FDRIVE_RATE;

/** QEMU 7.2's fd_formats, in its order (the first match wins). */
export const FD_FORMATS: readonly FloppyFormat[] = [
  F('144', 18, 80, 1, R500K), F('144', 20, 80, 1, R500K), F('144', 21, 80, 1, R500K), F('144', 21, 82, 1, R500K),
  F('144', 21, 83, 1, R500K), F('144', 22, 80, 1, R500K), F('144', 23, 80, 1, R500K), F('144', 24, 80, 1, R500K),
  F('288', 36, 80, 1, R1M), F('288', 39, 80, 1, R1M), F('288', 40, 80, 1, R1M), F('288', 44, 80, 1, R1M), F('288', 48, 80, 1, R1M),
  F('144', 9, 80, 1, R250K), F('144', 10, 80, 1, R250K), F('144', 10, 82, 1, R250K), F('144', 10, 83, 1, R250K),
  F('144', 13, 80, 1, R250K), F('144', 14, 80, 1, R250K),
  F('120', 15, 80, 1, R500K), F('120', 18, 80, 1, R500K), F('120', 18, 82, 1, R500K), F('120', 18, 83, 1, R500K), F('120', 20, 80, 1, R500K),
  F('120', 9, 80, 1, R250K), F('120', 11, 80, 1, R250K),
  F('120', 9, 40, 1, R300K), F('120', 9, 40, 0, R300K), F('120', 10, 41, 1, R300K), F('120', 10, 42, 1, R300K),
  F('120', 8, 40, 1, R250K), F('120', 8, 40, 0, R250K),
  F('144', 9, 80, 0, R250K),
];

/**
 * The geometry QEMU picks for an image of `bytes` bytes in a drive of type "auto" (pick_geometry): the first
 * format of that size, else the first of the fallback drive type, 2.88 MB.
 */
export function floppyGeometry(bytes: number): FloppyFormat {
  const exact = bytes % 512 === 0 ? FD_FORMATS.find((f) => (f.maxHead + 1) * f.tracks * f.sectors * 512 === bytes) : undefined;
  return exact ?? FD_FORMATS.find((f) => f.drive === '288')!;
}

/** CMOS 0x10 drive type (QEMU cmos_get_fd_drive_type): 4 = 1.44 MB 3.5", 5 = 2.88 MB, 2 = 1.2 MB 5.25". */
export function cmosFloppyType(t: FloppyType | undefined): number {
  return t === '144' ? 4 : t === '288' ? 5 : t === '120' ? 2 : 0;
}

/** fd_seek's answers: 0 same track, 1 track changed, 2 track invalid (or no medium), 3 sector invalid. */
export type SeekResult = 0 | 1 | 2 | 3;

export class FloppyDrive {
  head = 0;
  track = 0;
  sect = 0;
  /** Sectors per track and tracks of the medium (0xFF in an empty drive, 0 without a drive). */
  lastSect = 0;
  maxTrack = 0;
  doubleSided = false;
  mediaRate = 0;
  /** The disk-change line (DIR bit 7): set at insertion, cleared by a seek to another track with a medium in. */
  mediaChanged = true;
  perpendicular = 0;
  /**
   * Write-protected (ST3 bit 6, WRITE DATA refused): a drive without a diskette, as QEMU's (fd_init sets ro and an
   * empty drive's block backend is not writable: SENSE DRIVE STATUS gives 0x68 on QEMU's empty drive A:); a
   * diskette image is writable (its writes go to the overlay unless written through).
   */
  readonly readOnly: boolean;
  readonly type: FloppyType | undefined;
  private readonly format: FloppyFormat | undefined;

  /**
   * `image`: the diskette, or none. `emptyType`: the drive type of a drive without one (QEMU's default drive A:
   * is a 2.88 MB drive, its fallback type for an empty "auto" drive); neither: no drive at all.
   */
  constructor(readonly image: DiskImage | undefined, emptyType?: FloppyType) {
    this.format = image ? floppyGeometry(image.size) : undefined;
    this.type = this.format?.drive ?? (image ? undefined : emptyType);
    this.readOnly = !image;
    this.revalidate();
  }

  /**
   * QEMU fd_revalidate: the geometry of the medium. A drive without one gets QEMU's fd_empty_seek_hack (sectors and
   * tracks 0xFF, so seeks on an empty drive succeed and a READ ends with ST1 0, not "end of cylinder": SeaBIOS
   * logs "floppy error: 40 00 00 00 00 01 02" under QEMU 7.2 when it boots an empty drive A:); no drive at all: 0.
   */
  revalidate(): void {
    const f = this.format;
    const emptyDrive = !f && this.type !== undefined;
    this.lastSect = f ? f.sectors : emptyDrive ? 0xff : 0;
    this.maxTrack = f ? f.tracks : emptyDrive ? 0xff : 0;
    this.doubleSided = f ? f.maxHead === 1 : false;
    this.mediaRate = f ? f.rate : 0;
  }

  /**
   * Machine reset: the geometry again (a FORMAT TRACK may have changed the sectors per track, as in QEMU). The
   * head position and the disk-change line stay, as QEMU's system reset leaves them (only realize sets them).
   */
  reset(): void {
    this.revalidate();
  }

  get sides(): number {
    return this.doubleSided ? 2 : 1;
  }

  sectorOf(head: number, track: number, sect: number): number {
    return (track * this.sides + head) * this.lastSect + sect - 1;
  }

  /** The current position as a sector number (LBA). */
  get sector(): number {
    return this.sectorOf(this.head, this.track, this.sect);
  }

  /** QEMU fd_seek. */
  seek(head: number, track: number, sect: number): SeekResult {
    if (track > this.maxTrack || (head !== 0 && !this.doubleSided)) return 2;
    if (sect > this.lastSect) return 3;
    let ret: SeekResult = 0;
    if (this.sectorOf(head, track, sect) !== this.sector) {
      this.head = head;
      if (this.track !== track) {
        if (this.image) this.mediaChanged = false;
        ret = 1;
      }
      this.track = track;
      this.sect = sect;
    }
    return this.image ? ret : 2;
  }

  recalibrate(): void {
    this.seek(0, 0, 1);
  }

  readSector(): Uint8Array {
    const s = this.sector;
    return this.image && s >= 0 ? this.image.read(s * 512, 512) : new Uint8Array(512);
  }

  /** Write one sector at the current position; false without a medium. Goes to the image's overlay unless written through. */
  writeSector(data: Uint8Array): boolean {
    const s = this.sector;
    if (!this.image || s < 0 || (s + 1) * 512 > this.image.size) return false;
    this.image.write(s * 512, data.length === 512 ? data : data.slice(0, 512));
    return true;
  }

  saveState(): unknown {
    return { head: this.head, track: this.track, sect: this.sect, lastSect: this.lastSect, mediaChanged: this.mediaChanged, perpendicular: this.perpendicular, overlay: this.image?.saveOverlay() ?? null };
  }

  loadState(state: unknown): void {
    const s = (state ?? {}) as Record<string, unknown>;
    this.revalidate();
    this.head = num(s.head);
    this.track = num(s.track);
    this.sect = num(s.sect);
    this.lastSect = num(s.lastSect, this.lastSect);
    this.mediaChanged = s.mediaChanged !== false;
    this.perpendicular = num(s.perpendicular);
    if (this.image) this.image.loadOverlay(s.overlay);
  }
}
