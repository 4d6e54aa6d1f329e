import { BootError } from '../boot/errors';
import type { PcBoardOptions } from '../board/pc';
import { DiskImage, DiskImageError } from '../devices/disk-image';
import { loadFirmware } from './seabios';

/**
 * Checks, before the machine starts, that the device the BIOS will boot from can be booted, so a wrong file
 * gets one sentence instead of SeaBIOS's "No bootable device" loop:
 * - a hard disk's first sector must end with the boot signature 0x55 0xAA (what SeaBIOS checks, boot.c);
 * - a CD must be ISO 9660 with an El Torito boot record volume descriptor in sector 17 (El Torito 1.0 §2.0);
 * - a floppy image, to boot, must have the boot signature in its first sector (SeaBIOS checks it, as QEMU's default
 *   CMOS 0x38 asks); any size is taken, as QEMU takes it (openFloppy).
 *
 * Public API: boardFor(request), openDisk(path, writeThrough), openFloppy(path, writeThrough),
 * checkBootable(order, {hda, cdrom, fda}), isBootableDisk, cdKind, MediaRequest.
 */
export function openDisk(path: string, writeThrough = false): DiskImage {
  try {
    return DiskImage.open(path, { writeThrough });
  } catch (e) {
    if (e instanceof DiskImageError) throw new BootError(e.message);
    throw e;
  }
}

/**
 * Open a floppy image: a BootError sentence when it is missing or empty. Any size is taken, as `qemu -fda` takes
 * it: one that is no floppy format's (a boot sector and a few sectors after it, as tutorials build) is a 2.88 MB
 * diskette whose sectors past the end read as zeros (floppy-drive.ts).
 */
export function openFloppy(path: string, writeThrough = false): DiskImage {
  return openDisk(path, writeThrough);
}

export function isBootableDisk(d: DiskImage): boolean {
  const s = d.read(0, 512);
  return s[510] === 0x55 && s[511] === 0xaa;
}

/** 'el-torito', 'no-el-torito' (ISO 9660 without a boot record) or 'not-iso'. */
export function cdKind(d: DiskImage): 'el-torito' | 'no-el-torito' | 'not-iso' {
  if (d.size < 18 * 2048) return 'not-iso';
  const pvd = d.read(16 * 2048, 2048);
  if (String.fromCharCode(...pvd.subarray(1, 6)) !== 'CD001') return 'not-iso';
  const brvd = d.read(17 * 2048, 2048);
  const ok = brvd[0] === 0 && String.fromCharCode(...brvd.subarray(1, 6)) === 'CD001' && String.fromCharCode(...brvd.subarray(7, 30)) === 'EL TORITO SPECIFICATION';
  return ok ? 'el-torito' : 'no-el-torito';
}

/**
 * The first device in the boot order that is present must be bootable (QEMU -boot letters: a = floppy drive A,
 * c = first hard disk, d = CD-ROM). Throws a BootError sentence, or returns which one boots.
 */
export function checkBootable(order: string, media: { hda?: DiskImage; cdrom?: DiskImage; fda?: DiskImage }): 'a' | 'c' | 'd' {
  for (const letter of order) {
    if (letter === 'a' && media.fda) {
      if (!isBootableDisk(media.fda)) {
        throw new BootError(`${media.fda.path} is not bootable: its first sector does not end with the boot signature 0x55 0xAA, so the BIOS would refuse it; write a boot sector to it (e.g. dd if=boot.bin of=${media.fda.path} conv=notrunc)`);
      }
      return 'a';
    }
    if (letter === 'c' && media.hda) {
      if (!isBootableDisk(media.hda)) {
        throw new BootError(`${media.hda.path} is not bootable: its first sector does not end with the boot signature 0x55 0xAA, so the BIOS would refuse it; write a boot sector (or a disk image made by a boot loader) to it, or boot a kernel with --kernel`);
      }
      return 'c';
    }
    if (letter === 'd' && media.cdrom) {
      const k = cdKind(media.cdrom);
      if (k === 'not-iso') throw new BootError(`${media.cdrom.path} is not an ISO 9660 CD image (no CD001 volume descriptor in sector 16); pass a .iso file, e.g. one made by grub-mkrescue`);
      if (k === 'no-el-torito') throw new BootError(`${media.cdrom.path} is an ISO 9660 image without an El Torito boot record, so the BIOS cannot boot it; make it bootable (grub-mkrescue, or xorriso -as mkisofs -b <boot image> -no-emul-boot)`);
      return 'd';
    }
  }
  throw new BootError(`nothing to boot: the boot order '${order}' names no disk, CD or floppy that was given (--hda IMG for 'c', --cdrom ISO for 'd', --fda IMG for 'a')`);
}

/** What a user asks for: QEMU's -hda/-hdb/-cdrom/-fda/-boot/-bios/-snapshot, from the CLI or launch.json. */
export interface MediaRequest {
  hda?: string;
  hdb?: string;
  cdrom?: string;
  /** A floppy image in drive A: (qemu -fda). */
  fda?: string;
  /** QEMU -boot letters (default: 'cad', hard disk first). */
  boot?: string;
  /** Write guest disk writes to the image files (default false: snapshot, as qemu -snapshot). */
  writeThrough?: boolean;
  /** Boot through SeaBIOS (true) or only attach the disks for a direct kernel load (false). */
  firmware: boolean;
  /**
   * System BIOS file instead of the installed SeaBIOS (qemu -bios): it runs from the reset vector and decides
   * itself what to boot, so no disk is checked for SeaBIOS's boot signature, and no disk is needed.
   */
  bios?: string;
  /** A kernel boots through the firmware's option ROM (firmware/kernel-rom.ts): no disk needs to be bootable. */
  kernel?: boolean;
  /** false: no NIC (QEMU -nic none); default: the e1000 on the user-mode network, as QEMU's pc. */
  nic?: boolean;
}

/**
 * The PC board options for a request: disks opened (CDs read-only), and with firmware the BIOS files loaded
 * and the boot device checked. Every problem is a BootError sentence.
 */
export function boardFor(r: MediaRequest): PcBoardOptions {
  const hda = r.hda ? openDisk(r.hda, r.writeThrough) : undefined;
  const hdb = r.hdb ? openDisk(r.hdb, r.writeThrough) : undefined;
  const cdrom = r.cdrom ? openDisk(r.cdrom) : undefined;
  const fda = r.fda ? openFloppy(r.fda, r.writeThrough) : undefined;
  const board: PcBoardOptions = { hda, hdb, cdrom, fda, bootOrder: r.boot, ...(r.nic === false && { nic: false }) };
  if (!r.firmware) return board;
  // SeaBIOS's boot rules; a firmware image of the user's own (r.bios) decides for itself what it boots.
  if (!r.kernel && !r.bios) checkBootable(r.boot ?? 'cad', { hda, cdrom, fda });
  const fw = loadFirmware({ bios: r.bios });
  return { ...board, bios: fw.bios, vgaBios: fw.vgaBios };
}
