/**
 * launch.json's arguments checked before anything is read or built: each wrong or missing setting is one
 * sentence naming the setting and what it takes (the launch fails with it; nothing is half-started).
 */
import { RequestError } from './custom-requests';
import type { FaultlineLaunchArguments } from './protocol';
import { parseRtcBase } from '../emulator/devices/cmos';

export function validateLaunch(a: Partial<FaultlineLaunchArguments>): FaultlineLaunchArguments {
  if (a.kernel !== undefined && (typeof a.kernel !== 'string' || !a.kernel.trim())) throw new RequestError('"kernel" is missing: set it in launch.json to the path of your kernel ELF');
  if (a.kernel === undefined && a.cdrom === undefined && a.disks === undefined && a.fda === undefined && a.bios === undefined) throw new RequestError('"kernel" is missing: set it in launch.json to the path of your kernel ELF (or "disks"/"cdrom"/"fda" to boot through the firmware, or "bios" to run a firmware image)');
  if (a.bios !== undefined && (typeof a.bios !== 'string' || !a.bios.trim())) throw new RequestError('"bios" must be the path of a system BIOS image (a multiple of 64 KiB, as qemu -bios)');
  if (a.cdrom !== undefined && typeof a.cdrom !== 'string') throw new RequestError('"cdrom" must be the path of an ISO image');
  if (a.fda !== undefined && (typeof a.fda !== 'string' || !a.fda.trim())) throw new RequestError('"fda" must be the path of a floppy image (e.g. a 1.44 MB os.img)');
  if (a.disks !== undefined && (!Array.isArray(a.disks) || a.disks.length > 2 || a.disks.some((d) => typeof d !== 'string'))) throw new RequestError('"disks" must be a list of one or two disk image paths (hda, hdb)');
  if (a.firmware !== undefined && a.firmware !== 'seabios' && a.firmware !== 'none') throw new RequestError('"firmware" must be "seabios" or "none"');
  if (a.boot !== undefined && (typeof a.boot !== 'string' || !/^[acdn]+$/.test(a.boot))) throw new RequestError('"boot" takes drive letters as qemu -boot: "a" floppy, "c" hard disk, "d" CD-ROM');
  if (a.snapshot !== undefined && typeof a.snapshot !== 'boolean') throw new RequestError('"snapshot" must be true (guest disk writes stay in memory) or false (they go to the image files)');
  if (a.symbols !== undefined && typeof a.symbols !== 'string') throw new RequestError('"symbols" must be the path of an ELF file with debug information');
  if (a.memoryMB !== undefined && (typeof a.memoryMB !== 'number' || !Number.isInteger(a.memoryMB) || a.memoryMB < 1 || a.memoryMB > 4096)) {
    throw new RequestError('"memoryMB" must be a whole number of MiB from 1 to 4096');
  }
  if (a.cmdline !== undefined && typeof a.cmdline !== 'string') throw new RequestError('"cmdline" must be a string');
  if (a.append !== undefined && typeof a.append !== 'string') throw new RequestError('"append" must be a string (the Linux command line)');
  if (a.append !== undefined && a.cmdline !== undefined && a.append !== a.cmdline) throw new RequestError('"append" and "cmdline" are the same setting; set only one');
  if (a.initrd !== undefined && (typeof a.initrd !== 'string' || !a.initrd.trim())) throw new RequestError('"initrd" must be the path of an initial RAM disk (Linux), or a multiboot kernel\'s modules "FILE[ ARGS],FILE..." as qemu -initrd takes them');
  if (a.onTripleFault !== undefined && a.onTripleFault !== 'stop' && a.onTripleFault !== 'reset') throw new RequestError('"onTripleFault" must be "stop" or "reset"');
  if (a.cwd !== undefined && typeof a.cwd !== 'string') throw new RequestError('"cwd" must be a directory path');
  if (a.serialTerminal !== undefined && typeof a.serialTerminal !== 'boolean') throw new RequestError('"serialTerminal" must be true or false');
  if (a.com2 !== undefined && typeof a.com2 !== 'boolean') throw new RequestError('"com2" must be true or false');
  if (a.fastWaits !== undefined && typeof a.fastWaits !== 'boolean') throw new RequestError('"fastWaits" must be true or false');
  if (a.nic !== undefined && a.nic !== 'e1000' && a.nic !== 'none') throw new RequestError('"nic" must be "e1000" (QEMU\'s default network card) or "none"');
  if (a.smp !== undefined && (typeof a.smp !== 'number' || !Number.isInteger(a.smp) || a.smp < 1 || a.smp > 16)) {
    throw new RequestError('"smp" must be a whole number of CPUs from 1 to 16');
  }
  if (a.smp !== undefined && a.smp > 1 && a.historyMB !== undefined && a.historyMB > 0) {
    throw new RequestError('reverse debugging ("historyMB") works with one CPU only: set "smp" to 1 or "historyMB" to 0');
  }
  if (a.rtc !== undefined) {
    if (typeof a.rtc !== 'string') throw new RequestError('"rtc" must be "utc", "localtime" or a date "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SS" (QEMU\'s -rtc base=)');
    try { parseRtcBase(a.rtc, 0, 0); } catch (e) { throw new RequestError(`"rtc": ${(e as Error).message}`); }
  }
  if (a.gdbPort !== undefined && (typeof a.gdbPort !== 'number' || !Number.isInteger(a.gdbPort) || a.gdbPort < 0 || a.gdbPort > 65535)) {
    throw new RequestError('"gdbPort" must be a TCP port from 0 to 65535 (0 picks a free one)');
  }
  if (a.historyMB !== undefined && (typeof a.historyMB !== 'number' || !Number.isInteger(a.historyMB) || a.historyMB < 0 || (a.historyMB > 0 && a.historyMB < 1))) {
    throw new RequestError('"historyMB" must be a whole number of MiB (0 turns reverse debugging off)');
  }
  return a as FaultlineLaunchArguments;
}
