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
import { Fdc } from '../devices/fdc';
import { cmosFloppyType, FloppyDrive } from '../devices/floppy-drive';
import { I440fx, I440FX_PAM0 } from '../devices/i440fx';
import { PiixIde } from '../devices/ide';
import { IsaDma } from '../devices/isa-dma';
import { PciBus, PciFunction } from '../devices/pci';
import { Piix3 } from '../devices/piix3';
import { CpuHotplug } from '../devices/cpu-hotplug';
import { PciHotplug } from '../devices/pci-hotplug';
import { Piix4Pm } from '../devices/piix4-pm';
import { VgaPci, VgaRegisterFile } from '../devices/vga-pci';
import { loadStdVgaBios } from '../devices/vga-font';
import { E1000 } from '../devices/e1000';
import { loadE1000Rom } from '../devices/e1000-rom';
import { UserNet } from '../devices/usernet';

/**
 * QEMU's `pc` machine (hw/i386/pc_piix.c) as far as it goes beyond the ISA devices of devices/index.ts: the
 * PCI bus with the i440FX host bridge (00:00.0, PAM shadow RAM over 0xC0000-0xFFFFF), the PIIX3 ISA bridge
 * (00:01.0, PIRQ routing, reset control at 0xCF9), PIIX3 IDE (00:01.1: primary hda/hdb, secondary master the
 * CD-ROM drive, empty unless a medium is given, as QEMU's default ide1-cd0), PIIX4 ACPI power management
 * (00:01.3, SCI on IRQ 9, soft-off), the standard VGA's PCI function (00:02.0, VGA BIOS as its ROM; none with
 * `nodefaults`, as QEMU -nodefaults, which also drops the empty CD-ROM drive), the e1000 NIC (00:03.0, iPXE's
 * efi-e1000.rom as its ROM) on QEMU's user-mode network (usernet.ts; none with `nic: false` or nodefaults), the
 * system BIOS flash below 4 GiB (pc_sysfw.c) and the debug console at 0x402 where SeaBIOS logs; and the ISA
 * devices pc_basic_device_init always adds that serve the drives: the two 8237 DMA controllers and the floppy
 * controller (0x3F0, IRQ 6, DMA 2), drive A: holding the `fda` image when one is given (QEMU -fda), else QEMU's
 * default empty 2.88 MB drive A: (none with `floppyDrive: false` or nodefaults). CMOS
 * bytes for the disks, the floppy drive and the boot order are set as pc_cmos_init does.
 *
 * With firmware, the CPU starts at the reset vector in the BIOS; without (direct kernel load), PAM maps all of
 * 0xC0000-0xFFFFF as read/write RAM, so the machine looks like plain RAM there as before.
 */
export interface PcBoardOptions {
  /** The system BIOS image (SeaBIOS bios-256k.bin); undefined: direct kernel load, no firmware. */
  bios?: Uint8Array;
  /**
   * The VGA BIOS for the VGA's PCI ROM (vgabios-stdvga.bin). With firmware SeaBIOS runs it; without, it is still
   * the card's ROM BAR (the installed copy when not given), and Machine.frame draws VGA text with its font (the
   * browser build passes the copy shipped in the extension).
   */
  vgaBios?: Uint8Array;
  hda?: DiskImage;
  hdb?: DiskImage;
  cdrom?: DiskImage;
  /** The diskette in floppy drive A: (QEMU -fda); its size must be one of QEMU's floppy formats (floppy-drive.ts). */
  fda?: DiskImage;
  /** QEMU -boot order: drive letters, 'c' hard disk, 'd' CD-ROM, 'a' floppy ('cad' by default, as QEMU). */
  bootOrder?: string;
  /**
   * QEMU -nodefaults: no VGA device (so no VGA BIOS), no empty CD-ROM or floppy drive, no NIC, no parallel port;
   * only the drives given. The fixture recordings were made this way.
   */
  nodefaults?: boolean;
  /**
   * QEMU's default NIC, an e1000 at 00:03.0 on the user-mode network (`-nic user,model=e1000`): present unless false
   * (QEMU -nic none) or, when not given, with nodefaults.
   */
  nic?: boolean;
  /** The e1000's expansion ROM (efi-e1000.rom); when not given, the installed copy (devices/e1000-rom.ts). */
  e1000Rom?: Uint8Array;
  /** The VGA's registers, which the PCI function's MMIO BAR reaches (devices/index.ts passes the Vga). */
  vgaRegisters?: VgaRegisterFile;
  /**
   * The parallel port LPT1 (0x378, IRQ 7; devices/parallel.ts), which QEMU's pc has by default: present unless
   * false (QEMU -parallel none) or, when not given, with nodefaults.
   */
  parallel?: boolean;
  /**
   * QEMU's pc has floppy drive A: even without `fda`: an empty 2.88 MB drive (CMOS 0x10 = 0x50, the DSDT's FLPA).
   * Present unless false or, when not given, with nodefaults.
   */
  floppyDrive?: boolean;
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
  /** The ISA DMA controllers and the floppy controller (always present, as on QEMU's pc). */
  dma: IsaDma;
  fdc: Fdc;
  /** PIIX4 PM's ACPI hotplug controllers: PCI slots at 0xAE00, CPUs at 0xAF00 (the DSDT's hotplug methods use them). */
  pciHotplug: PciHotplug;
  cpuHotplug: CpuHotplug;
  /** The VGA's PCI function (absent with nodefaults). */
  vga?: VgaPci;
  /** The e1000 NIC and the user-mode network behind it (absent with `nic: false` or nodefaults). */
  nic?: E1000;
  usernet?: UserNet;
  rom?: BiosRom;
  /** Devices whose state snapshots keep, in order. */
  all: Device[];
}

export function createPcBoard(o: PcBoardOptions & {
  bus: IoBus; phys: PhysicalMemory; clock: VirtualClock; irq: IrqLines; cmos: Cmos; memoryBytes: number; cpuCount: number;
  onReset: () => void; onMapChange: (base: number, size: number) => void;
}): PcBoard {
  const rom = o.bios ? new BiosRom(o.bios) : undefined;
  const i440fx = new I440fx(o.phys, rom, o.memoryBytes);
  const piix3 = new Piix3(o.onReset, o.irq);
  const ide = new PiixIde(o.irq, o.phys);
  const pm = new Piix4Pm(o.clock, o.irq, o.onPowerOff ?? (() => {}), o.onSuspend);
  const vga = o.nodefaults ? undefined : new VgaPci(o.vgaBios ?? (o.bios ? undefined : loadStdVgaBios()), o.vgaRegisters);
  if (!o.bios) {
    // No firmware to shadow the BIOS area: leave it RAM (read/write) from power-on.
    i440fx.config[I440FX_PAM0] = 0x30;
    i440fx.config.fill(0x33, I440FX_PAM0 + 1, I440FX_PAM0 + 7);
  }
  let nic: E1000 | undefined, usernet: UserNet | undefined;
  if (o.nic ?? !o.nodefaults) {
    // The first free slot, as QEMU places -nic devices: 3 behind the VGA, 2 without one.
    nic = new E1000(o.phys, o.clock, o.e1000Rom ?? loadE1000Rom(), undefined, vga ? 3 : 2);
    usernet = new UserNet();
    const card = nic;
    usernet.connect((frame) => card.deliver(frame));
    nic.backend = usernet;
  }
  const pci = new PciBus((v) => piix3.writeResetControl(v), () => piix3.readResetControl());
  for (const f of [i440fx, piix3, ide, pm, vga, nic]) if (f) pci.add(f as PciFunction);
  piix3.connect(pci);
  pci.attach(o.bus, o.onMapChange); // also maps expansion ROM and MMIO BARs where the firmware places them
  i440fx.onMapChange = o.onMapChange;
  i440fx.attach(o.bus);
  rom?.attach(o.bus);
  ide.attach(o.bus);
  pm.attach(o.bus);
  const dma = new IsaDma(o.phys);
  dma.attach(o.bus);
  // Drive A: holds the -fda diskette; without one QEMU's pc still has an empty drive A: (a 2.88 MB drive type,
  // QEMU's fallback for an "auto" drive without media), which -nodefaults leaves out.
  const fda = o.fda ? new FloppyDrive(o.fda) : (o.floppyDrive ?? !o.nodefaults) ? new FloppyDrive(undefined, '288') : undefined;
  const fdc = new Fdc(o.irq, dma, o.clock, { fda });
  fdc.attach(o.bus);
  const pciHotplug = new PciHotplug(pci);
  const cpuHotplug = new CpuHotplug(o.cpuCount);
  pciHotplug.attach(o.bus);
  cpuHotplug.attach(o.bus);

  if (o.hda) ide.channels[0].setDrive(0, new AtaDisk(o.hda, 'QM00001'));
  if (o.hdb) ide.channels[0].setDrive(1, new AtaDisk(o.hdb, 'QM00002'));
  if (o.cdrom || !o.nodefaults) ide.channels[1].setDrive(0, new AtapiCdrom(o.cdrom, 'QM00003'));
  setCmosDisks(o.cmos, ide, o.bootOrder ?? 'cad');
  setCmosFloppy(o.cmos, fdc);

  const all: Device[] = [pci, ide, pm, dma, fdc, pciHotplug, cpuHotplug];
  if (nic && usernet) all.push(nic, usernet);
  if (rom) all.push(rom);
  if (o.bios) {
    const log = new Debugcon(o.onFirmwareLog ?? (() => {}), 0x402);
    log.attach(o.bus);
    all.push(log);
  }
  return { pci, i440fx, piix3, ide, pm, dma, fdc, pciHotplug, cpuHotplug, vga, nic, usernet, rom, all };
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
  cmos.setPowerOnByte(0x14, 0x06); // equipment: FPU, PS/2 mouse; floppy drives: setCmosFloppy
}

/**
 * QEMU pc_cmos_init_floppy: the drive types in 0x10 (drive A in the high nibble: 4 = 1.44 MB, 5 = 2.88 MB,
 * 2 = 1.2 MB) and, in the equipment byte 0x14, bit 0 (drives present) with bits 6-7 = drives - 1.
 */
function setCmosFloppy(cmos: Cmos, fdc: Fdc): void {
  const types = fdc.drives.map((d) => d.type);
  cmos.setPowerOnByte(0x10, (cmosFloppyType(types[0]) << 4) | cmosFloppyType(types[1]));
  const n = types.filter((t) => t !== undefined).length;
  cmos.setPowerOnByte(0x14, 0x06 | (n === 1 ? 0x01 : n === 2 ? 0x41 : 0));
}
