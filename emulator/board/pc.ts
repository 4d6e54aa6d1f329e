import { VirtualClock } from '../clock';
import { PhysicalMemory } from '../memory/phys';
import { AtaDisk } from '../devices/ata-disk';
import { AtapiCdrom } from '../devices/atapi-cdrom';
import { BiosRom } from '../devices/bios-rom';
import { IoBus } from '../devices/bus';
import { Cmos } from '../devices/cmos';
import { Debugcon } from '../devices/debugcon';
import { Device, IrqLines } from '../devices/device';
import { DiskImage } from '../devices/disk-image';
import { I440fx, I440FX_PAM0 } from '../devices/i440fx';
import { PiixIde } from '../devices/ide';
import { PciBus, PciFunction } from '../devices/pci';
import { Piix3 } from '../devices/piix3';
import { CpuHotplug } from '../devices/cpu-hotplug';
import { PciHotplug } from '../devices/pci-hotplug';
import { Piix4Pm } from '../devices/piix4-pm';
import { VgaPci } from '../devices/vga-pci';

/**
 * QEMU's `pc` machine (hw/i386/pc_piix.c) as far as it goes beyond the ISA devices of devices/index.ts: the
 * PCI bus with the i440FX host bridge (00:00.0, PAM shadow RAM over 0xC0000-0xFFFFF), the PIIX3 ISA bridge
 * (00:01.0, PIRQ routing, reset control at 0xCF9), PIIX3 IDE (00:01.1: primary hda/hdb, secondary master the
 * CD-ROM drive, empty unless a medium is given, as QEMU's default ide1-cd0), PIIX4 ACPI power management
 * (00:01.3, SCI on IRQ 9, soft-off), the standard VGA's PCI function (00:02.0, VGA BIOS as its ROM; none with
 * `nodefaults`, as QEMU -nodefaults, which also drops the empty CD-ROM drive), the
 * system BIOS flash below 4 GiB (pc_sysfw.c) and the debug console at 0x402 where SeaBIOS logs. CMOS bytes
 * for the disks and the boot order are set as pc_cmos_init does.
 *
 * With firmware, the CPU starts at the reset vector in the BIOS; without (direct kernel load), PAM maps all of
 * 0xC0000-0xFFFFF as read/write RAM, so the machine looks like plain RAM there as before.
 */
export interface PcBoardOptions {
  /** The system BIOS image (SeaBIOS bios-256k.bin); undefined: direct kernel load, no firmware. */
  bios?: Uint8Array;
  /**
   * The VGA BIOS for the VGA's PCI ROM (vgabios-stdvga.bin), with firmware. Without, only its text font is used
   * (Machine.frame draws VGA text with it; the browser build passes the copy shipped in the extension).
   */
  vgaBios?: Uint8Array;
  hda?: DiskImage;
  hdb?: DiskImage;
  cdrom?: DiskImage;
  /** QEMU -boot order: drive letters, 'c' hard disk, 'd' CD-ROM, 'a' floppy ('cad' by default, as QEMU). */
  bootOrder?: string;
  /**
   * QEMU -nodefaults: no VGA device (so no VGA BIOS) and no empty CD-ROM drive; only the drives given. The
   * fixture recordings were made this way.
   */
  nodefaults?: boolean;
  /**
   * The parallel port LPT1 (0x378, IRQ 7; devices/parallel.ts), which QEMU's pc has by default: present unless
   * false (QEMU -parallel none) or, when not given, with nodefaults.
   */
  parallel?: boolean;
  /** Bytes written to the SeaBIOS debug port 0x402. */
  onFirmwareLog?: (byte: number) => void;
  onPowerOff?: () => void;
  /** The guest's S3 request took effect (PIIX4 PM). */
  onSuspend?: () => void;
}

export interface PcBoard {
  pci: PciBus;
  i440fx: I440fx;
  piix3: Piix3;
  ide: PiixIde;
  pm: Piix4Pm;
  /** PIIX4 PM's ACPI hotplug controllers: PCI slots at 0xAE00, CPUs at 0xAF00 (the DSDT's hotplug methods use them). */
  pciHotplug: PciHotplug;
  cpuHotplug: CpuHotplug;
  /** The VGA's PCI function (absent with nodefaults). */
  vga?: VgaPci;
  rom?: BiosRom;
  /** Devices whose state snapshots keep, in order. */
  all: Device[];
}

export function createPcBoard(o: PcBoardOptions & {
  bus: IoBus; phys: PhysicalMemory; clock: VirtualClock; irq: IrqLines; cmos: Cmos; memoryBytes: number; cpuCount: number;
  onReset: () => void; onMapChange: () => void;
}): PcBoard {
  const rom = o.bios ? new BiosRom(o.bios) : undefined;
  const i440fx = new I440fx(o.phys, rom, o.memoryBytes);
  const piix3 = new Piix3(o.onReset, o.irq);
  const ide = new PiixIde(o.irq);
  const pm = new Piix4Pm(o.clock, o.irq, o.onPowerOff ?? (() => {}), o.onSuspend);
  const vga = o.nodefaults ? undefined : new VgaPci(o.bios ? o.vgaBios : undefined);
  if (!o.bios) {
    // No firmware to shadow the BIOS area: leave it RAM (read/write) from power-on.
    i440fx.config[I440FX_PAM0] = 0x30;
    i440fx.config.fill(0x33, I440FX_PAM0 + 1, I440FX_PAM0 + 7);
  }
  const pci = new PciBus((v) => piix3.writeResetControl(v), () => piix3.readResetControl());
  for (const f of [i440fx, piix3, ide, pm, vga]) if (f) pci.add(f as PciFunction);
  piix3.connect(pci);
  pci.attach(o.bus); // also maps expansion ROM BARs where the firmware places them
  i440fx.onMapChange = o.onMapChange;
  i440fx.attach(o.bus);
  rom?.attach(o.bus);
  ide.attach(o.bus);
  pm.attach(o.bus);
  const pciHotplug = new PciHotplug(pci);
  const cpuHotplug = new CpuHotplug(o.cpuCount);
  pciHotplug.attach(o.bus);
  cpuHotplug.attach(o.bus);

  if (o.hda) ide.channels[0].setDrive(0, new AtaDisk(o.hda, 'QM00001'));
  if (o.hdb) ide.channels[0].setDrive(1, new AtaDisk(o.hdb, 'QM00002'));
  if (o.cdrom || !o.nodefaults) ide.channels[1].setDrive(0, new AtapiCdrom(o.cdrom, 'QM00003'));
  setCmosDisks(o.cmos, ide, o.bootOrder ?? 'cad');

  const all: Device[] = [pci, ide, pm, pciHotplug, cpuHotplug];
  if (rom) all.push(rom);
  if (o.bios) {
    const log = new Debugcon(o.onFirmwareLog ?? (() => {}), 0x402);
    log.attach(o.bus);
    all.push(log);
  }
  return { pci, i440fx, piix3, ide, pm, pciHotplug, cpuHotplug, vga, rom, all };
}

/** QEMU pc_cmos_init: hard disk types/geometry (0x12, 0x19-0x24), BIOS translation (0x39), boot order (0x3D, 0x38). */
function setCmosDisks(cmos: Cmos, ide: PiixIde, bootOrder: string): void {
  const disks = [ide.channels[0].drives[0], ide.channels[0].drives[1]];
  let types = 0;
  let trans = 0;
  disks.forEach((d, i) => {
    if (!(d instanceof AtaDisk)) return;
    types |= (i === 0 ? 0xf0 : 0x0f);
    cmos.setPowerOnByte(0x19 + i, 47); // user-defined type
    const base = i === 0 ? 0x1b : 0x24;
    cmos.setPowerOnByte(base, d.cylinders & 0xff);
    cmos.setPowerOnByte(base + 1, d.cylinders >>> 8);
    cmos.setPowerOnByte(base + 2, d.heads);
    cmos.setPowerOnByte(base + 3, 0xff);
    cmos.setPowerOnByte(base + 4, 0xff);
    cmos.setPowerOnByte(base + 5, 0xc0 | ((d.heads > 8 ? 1 : 0) << 3));
    cmos.setPowerOnByte(base + 6, d.cylinders & 0xff);
    cmos.setPowerOnByte(base + 7, d.cylinders >>> 8);
    cmos.setPowerOnByte(base + 8, d.sectorsPerTrack);
    // hd_bios_chs_auto_trans: LBA translation once the disk has more than 1024 cylinders.
    if (d.cylinders > 1024) trans |= 1 << (2 * i);
  });
  cmos.setPowerOnByte(0x12, types);
  cmos.setPowerOnByte(0x39, trans);
  // Boot devices: 1 floppy, 2 hard disk, 3 CD-ROM (QEMU set_boot_dev); the check-floppy-signature bit 0 of 0x38 stays 0.
  const code = (c: string) => ({ a: 1, c: 2, d: 3, n: 4 } as Record<string, number>)[c] ?? 0;
  const seq = bootOrder.split('').map(code);
  cmos.setPowerOnByte(0x3d, (seq[0] ?? 0) | ((seq[1] ?? 0) << 4));
  cmos.setPowerOnByte(0x38, (seq[2] ?? 0) << 4);
  cmos.setPowerOnByte(0x14, 0x06); // equipment: FPU, PS/2 mouse, no floppy
}
