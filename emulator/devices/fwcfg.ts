import { writePhysical } from '../memory/dma';
import type { PhysicalMemory } from '../memory/phys';
import { IoBus } from './bus';
import { Device } from './device';
import { num } from './ports';

/**
 * QEMU's fw_cfg as on the pc machine (docs/specs/fw_cfg.rst): a 16-bit write to 0x510 selects an item, byte
 * reads from 0x510/0x511 stream it (past the end: 0); and, given the guest's memory, the DMA interface
 * (FW_CFG_ID bit 1): the big-endian 64-bit DMA address register at 0x514 (reads give "QEMU CFG"), whose low
 * half's write at 0x518 runs the FWCfgDmaAccess there (control, length, address, big-endian): select, read
 * into memory, skip; writes are refused with the error bit, as for QEMU's read-only items. SeaBIOS reads every
 * file with one transfer instead of a byte per IN. Items: the
 * "QEMU" signature, ID, UUID, RAM size, CPU counts, NUMA (no nodes), command line, and the file directory
 * (key 0x19: big-endian count, then 64-byte entries) with "etc/e820" and any file added with addFile().
 * kvm-unit-tests' lib/x86/fwcfg.c reads FW_CFG_RAM_SIZE and FW_CFG_NB_CPUS this way.
 *
 * Public API: attach(bus), addFile(name, data), setItem(key, data), setCmdline(text), item(key), Device methods;
 * FW_CFG keys.
 */
export const FW_CFG = {
  SIGNATURE: 0x00,
  ID: 0x01,
  UUID: 0x02,
  RAM_SIZE: 0x03,
  NOGRAPHIC: 0x04,
  NB_CPUS: 0x05,
  MACHINE_ID: 0x06,
  KERNEL_ADDR: 0x07,
  KERNEL_SIZE: 0x08,
  KERNEL_CMDLINE: 0x09,
  INITRD_ADDR: 0x0a,
  INITRD_SIZE: 0x0b,
  BOOT_DEVICE: 0x0c,
  NUMA: 0x0d,
  BOOT_MENU: 0x0e,
  MAX_CPUS: 0x0f,
  KERNEL_ENTRY: 0x10,
  KERNEL_DATA: 0x11,
  INITRD_DATA: 0x12,
  CMDLINE_ADDR: 0x13,
  CMDLINE_SIZE: 0x14,
  CMDLINE_DATA: 0x15,
  SETUP_ADDR: 0x16,
  SETUP_SIZE: 0x17,
  SETUP_DATA: 0x18,
  FILE_DIR: 0x19,
  FILE_FIRST: 0x20,
  IRQ0_OVERRIDE: 0x8002,
} as const;

const FW_CFG_ID_TRADITIONAL = 1;
const FW_CFG_ID_DMA = 2;
/** The DMA address register (x86: I/O ports 0x514-0x51b). */
export const FW_CFG_DMA_PORT = 0x514;
const DMA_SIGNATURE = Uint8Array.from([0x51, 0x45, 0x4d, 0x55, 0x20, 0x43, 0x46, 0x47]);
const DMA_ERROR = 0x01;
const DMA_READ = 0x02;
const DMA_SKIP = 0x04;
const DMA_SELECT = 0x08;
const DMA_WRITE = 0x10;

function bswap32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | ((v >>> 24) & 0xff)) >>> 0;
}

/** QEMU's x86 e820 type for usable RAM. */
const E820_RAM = 1;
const E820_RESERVED = 2;
const AMD_HT_START = 0xfd_0000_0000;
const AMD_HT_SIZE = 0x3_0000_0000;

function le(value: number, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let v = value;
  for (let i = 0; i < bytes; i++) {
    out[i] = v % 256;
    v = Math.floor(v / 256);
  }
  return out;
}

export class FwCfg implements Device {
  readonly name = 'fw_cfg';
  private readonly items = new Map<number, Uint8Array>();
  /** The directory, sorted by name as QEMU's (fw_cfg_add_file_callback); file i has key FILE_FIRST + i. */
  private readonly files: { name: string; data: Uint8Array }[] = [];
  private selector = 0;
  private offset = 0;
  /** The DMA address register's high half (written at 0x514; cleared by each transfer, as QEMU). */
  private dmaHigh = 0;

  constructor(
    readonly memoryBytes: number,
    readonly cpuCount = 1,
    /** Guest memory for the DMA interface; without it only the I/O-port interface exists (ID 1). */
    private readonly phys?: PhysicalMemory,
  ) {
    this.items.set(FW_CFG.SIGNATURE, new TextEncoder().encode('QEMU'));
    this.items.set(FW_CFG.ID, le(phys ? FW_CFG_ID_TRADITIONAL | FW_CFG_ID_DMA : FW_CFG_ID_TRADITIONAL, 4));
    this.items.set(FW_CFG.UUID, new Uint8Array(16));
    this.items.set(FW_CFG.RAM_SIZE, le(memoryBytes, 8));
    this.items.set(FW_CFG.NOGRAPHIC, le(0, 2));
    this.items.set(FW_CFG.NB_CPUS, le(cpuCount, 2));
    this.items.set(FW_CFG.MAX_CPUS, le(cpuCount, 2));
    this.items.set(FW_CFG.BOOT_MENU, le(0, 2));
    // NUMA: node count 0, then one node number per APIC ID (all 0).
    this.items.set(FW_CFG.NUMA, new Uint8Array(8 * (1 + cpuCount)));
    this.items.set(FW_CFG.IRQ0_OVERRIDE, le(1, 4));
    this.setCmdline('');
    this.addFile('etc/e820', this.e820());
    // The other files QEMU 7.2's pc machine always has (traced with -trace 'fw_cfg*'). SeaBIOS allocates a
    // record per file, so their number moves its later allocations (an option ROM's PMM blocks) as under QEMU.
    // -boot reboot-timeout's default -1: after "No bootable device." SeaBIOS waits forever (absent: it reboots
    // after 60 s).
    this.addFile('etc/boot-fail-wait', le(0xffffffff, 4));
    // PIIX4 PM (hw/acpi/core.c acpi_pm1_cnt_init): per state S0-S5, bit 7 enabled and bits 2:0 SLP_TYP: S3 type
    // 1 and S4 type 2, both enabled (disable_s3/disable_s4 0), as the DSDT's \_S3 and \_S4.
    this.addFile('etc/system-states', Uint8Array.of(0x80, 0, 0, 0x81, 0x82, 0x80));
    // No TPM, no boot indexes, no -hd geometry overrides: empty files, as QEMU adds them.
    this.addFile('etc/tpm/log', new Uint8Array(0));
    this.addFile('bootorder', new Uint8Array(0));
    this.addFile('bios-geometry', new Uint8Array(0));
  }

  attach(bus: IoBus): void {
    // One 2-byte region, as QEMU's "fwcfg" comb port: 16-bit writes select, byte reads return data. A wider
    // read is an access QEMU's region does not accept (fw_cfg_comb_valid: byte reads only), which its memory
    // core answers with unassigned_mem_read's 0, not the all-ones of an undecoded port: 0 under QEMU 7.2.
    bus.registerPorts(0x510, 2, {
      read: (_port, size) => (size === 1 ? this.nextByte() : 0),
      write: (_port, size, value) => {
        if (size === 2) this.select(value & 0xffff);
        // Byte writes are the (removed) data write channel: ignored, as QEMU >= 2.4.
      },
      readString: (_port, size, count, dst, at) => (size === 1 ? this.readBytes(count, dst, at) : 0),
    });
    if (!this.phys) return;
    bus.registerPorts(FW_CFG_DMA_PORT, 8, {
      // "QEMU CFG" (0x51454d5520434647), so a guest can tell the interface is there. The register is big-endian
      // (QEMU's DEVICE_BIG_ENDIAN region): its byte at 0x514 + k is the signature's byte k whatever the access
      // size, so a 32-bit IN at 0x514 reads "QEMU" in memory order, 0x554D4551 (as the writes below swap).
      read: (port, size) => {
        let v = 0;
        for (let k = size - 1; k >= 0; k--) v = v * 256 + DMA_SIGNATURE[(port - FW_CFG_DMA_PORT + k) & 7];
        return size === 4 ? v | 0 : v;
      },
      write: (port, size, value) => {
        // The register is big-endian: a 32-bit OUT of v holds the bytes of bswap32(v) in register order.
        if (size !== 4) return;
        const v = bswap32(value);
        if (port === FW_CFG_DMA_PORT) this.dmaHigh = v;
        else if (port === FW_CFG_DMA_PORT + 4) this.dma(this.dmaHigh * 2 ** 32 + v);
      },
    });
  }

  /**
   * Add a named file, or replace the data of the file with that name; returns its key. The directory stays
   * sorted by name, so, as under QEMU, a file added later shifts the keys of the files after it: read a key
   * once every file is in (as firmware does, from the directory).
   */
  addFile(name: string, data: Uint8Array): number {
    let at = this.files.findIndex((f) => f.name >= name);
    if (at < 0) at = this.files.length;
    if (this.files[at]?.name === name) this.files[at].data = data;
    else this.files.splice(at, 0, { name, data });
    this.files.forEach((f, i) => this.items.set(FW_CFG.FILE_FIRST + i, f.data));
    this.items.set(FW_CFG.FILE_DIR, this.directory());
    return FW_CFG.FILE_FIRST + at;
  }

  /** The kernel command line as `-append` gives it to QEMU's fw_cfg (NUL-terminated). */
  setCmdline(text: string): void {
    const bytes = new TextEncoder().encode(text + '\0');
    this.items.set(FW_CFG.CMDLINE_SIZE, le(bytes.length, 4));
    this.items.set(FW_CFG.CMDLINE_DATA, bytes);
  }

  /** Set a numbered item (a 4-byte little-endian value for a number), as QEMU's fw_cfg_add_i32/_bytes. */
  setItem(key: number, data: Uint8Array | number): void {
    this.items.set(key, typeof data === 'number' ? le(data >>> 0, 4) : data);
  }

  /** The bytes of item `key` (undefined if absent). */
  item(key: number): Uint8Array | undefined {
    return this.items.get(key);
  }

  reset(): void {
    this.selector = 0;
    this.offset = 0;
    this.dmaHigh = 0;
  }

  saveState(): unknown {
    return { selector: this.selector, offset: this.offset, dmaHigh: this.dmaHigh };
  }

  loadState(state: unknown): void {
    const o = (state ?? {}) as { selector?: number; offset?: number; dmaHigh?: number };
    this.selector = num(o.selector);
    this.offset = num(o.offset);
    this.dmaHigh = num(o.dmaHigh);
  }

  /**
   * Run the FWCfgDmaAccess at physical `at` (QEMU's fw_cfg_dma_transfer): SELECT sets the item (control bits
   * 31:16), then READ copies `length` bytes from the item's offset into memory (zeros past its end), SKIP
   * advances the offset; a WRITE sets ERROR. The control word is written back: 0 when done, ERROR otherwise.
   */
  private dma(at: number): void {
    const phys = this.phys!;
    this.dmaHigh = 0;
    const d = phys.slice(at, 16);
    const dv = new DataView(d.buffer);
    let control = dv.getUint32(0, false);
    let length = dv.getUint32(4, false);
    let address = dv.getUint32(8, false) * 2 ** 32 + dv.getUint32(12, false);
    if (control & DMA_SELECT) this.select(control >>> 16);
    if (control & DMA_WRITE) control = DMA_ERROR;
    else if (control & (DMA_READ | DMA_SKIP)) {
      const data = this.items.get(this.selector & 0xbfff);
      const avail = data ? Math.max(0, data.length - this.offset) : 0;
      const n = Math.min(length, avail);
      if (control & DMA_READ) {
        const out = new Uint8Array(length); // past the item's end: zeros
        if (n > 0) out.set(data!.subarray(this.offset, this.offset + n));
        if (!writePhysical(phys, address, out)) control = DMA_ERROR;
      }
      this.offset += n;
      address += length;
      length = 0;
      if (control !== DMA_ERROR) control = 0;
    } else control = 0;
    writePhysical(phys, at, Uint8Array.of(control >>> 24, (control >>> 16) & 255, (control >>> 8) & 255, control & 255));
    void address;
  }

  private select(key: number): void {
    this.selector = key;
    this.offset = 0;
  }

  /** `count` byte reads of the data port at once (REP INSB, PortHandler.readString): the item's next bytes, then zeros. */
  private readBytes(count: number, dst: Uint8Array, at: number): number {
    const data = this.items.get(this.selector & 0xbfff);
    const n = data ? Math.max(0, Math.min(count, data.length - this.offset)) : 0;
    if (n > 0) {
      dst.set(data!.subarray(this.offset, this.offset + n), at);
      this.offset += n;
    }
    dst.fill(0, at + n, at + count);
    return count;
  }

  private nextByte(): number {
    // Bit 14 (write channel) is not part of the key; bit 15 (arch-local) is.
    const data = this.items.get(this.selector & 0xbfff);
    if (!data || this.offset >= data.length) return 0;
    return data[this.offset++];
  }

  private directory(): Uint8Array {
    const out = new Uint8Array(4 + 64 * this.files.length);
    const dv = new DataView(out.buffer);
    dv.setUint32(0, this.files.length, false);
    this.files.forEach((f, i) => {
      const at = 4 + i * 64;
      dv.setUint32(at, f.data.length, false);
      dv.setUint16(at + 4, FW_CFG.FILE_FIRST + i, false);
      out.set(new TextEncoder().encode(f.name).subarray(0, 55), at + 8);
    });
    return out;
  }

  /** QEMU pc's table: RAM below 4 GiB from 0 (lowmem split as i440fx), the rest above 4 GiB, the AMD HT hole. */
  private e820(): Uint8Array {
    const { below4g, above4g } = splitLowHighMemory(this.memoryBytes);
    const entries: [number, number, number][] = [[0, below4g, E820_RAM]];
    if (above4g > 0) entries.push([0x1_0000_0000, above4g, E820_RAM]);
    // QEMU >= 7.1 pc_memory_init: an AMD vCPU with >= 40 physical address bits (both our CPU models, like
    // qemu64) gets the HyperTransport hole below 1 TiB reserved.
    entries.push([AMD_HT_START, AMD_HT_SIZE, E820_RESERVED]);
    const out = new Uint8Array(20 * entries.length);
    entries.forEach(([addr, len, type], i) => {
      out.set(le(addr, 8), i * 20);
      out.set(le(len, 8), i * 20 + 8);
      out.set(le(type, 4), i * 20 + 16);
    });
    return out;
  }
}

/** How QEMU's i440fx machine splits RAM around the PCI hole (below 4 GiB at most 3 GiB once RAM >= 3.5 GiB). */
export function splitLowHighMemory(bytes: number): { below4g: number; above4g: number } {
  const lowmem = bytes >= 0xe000_0000 ? 0xc000_0000 : bytes;
  return { below4g: Math.min(bytes, lowmem), above4g: Math.max(0, bytes - lowmem) };
}
