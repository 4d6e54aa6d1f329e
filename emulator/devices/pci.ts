import { IoBus } from './bus';
import { Device, MmioHandler } from './device';
import { allOnes, num } from './ports';

/**
 * PCI bus 0 with configuration mechanism #1 (PCI Local Bus spec 3.0 §3.2.2.3.2): a 32-bit write to 0xCF8 sets
 * CONFIG_ADDRESS (bit 31 enable, bus 23:16, device 15:11, function 10:8, register 7:2), and 0xCFC-0xCFF read or
 * write the selected dword of that function's 256-byte configuration space. A function that is absent reads
 * as all ones (vendor 0xFFFF), which is how firmware scans the bus.
 *
 * PciFunction holds one function's configuration space with a write mask per byte (read-only bytes, as the
 * spec's header fields), BAR sizing (a BAR reads back its size mask after all ones are written) and the
 * expansion ROM BAR at 0x30. Devices subclass it and override configWrite() for their own registers.
 *
 * Byte accesses to 0xCF9 are not CONFIG_ADDRESS: the PIIX3 reset control register lives there (QEMU's
 * piix3 "piix3-reset-control"), reached through `onResetControl`.
 *
 * INTx (PCI 3.0 §2.2.6): a function drives its interrupt pin with setIntx(level); COMMAND bit 10 (Interrupt
 * Disable) holds the pin deasserted, STATUS bit 3 shows the request either way. The bus counts the asserted
 * pins on each of the host's interrupt lines (QEMU's pci_bus_change_irq_level): `mapIntx` says which line a
 * slot's pin drives, `onIntx` hears a line's level (on the `pc` board: piix3.ts, PIRQA-D to ISA IRQs).
 *
 * Public API: PciBus (attach, add, function, mapIntx, onIntx), PciFunction (setIntx), PCI_* register offsets.
 */
export const PCI = {
  VENDOR_ID: 0x00,
  DEVICE_ID: 0x02,
  COMMAND: 0x04,
  STATUS: 0x06,
  REVISION: 0x08,
  PROG_IF: 0x09,
  SUBCLASS: 0x0a,
  CLASS: 0x0b,
  HEADER_TYPE: 0x0e,
  BAR0: 0x10,
  SUBSYSTEM_VENDOR_ID: 0x2c,
  SUBSYSTEM_ID: 0x2e,
  ROM_ADDRESS: 0x30,
  INTERRUPT_LINE: 0x3c,
  INTERRUPT_PIN: 0x3d,
} as const;

/** COMMAND register bits. */
export const PCI_COMMAND_IO = 1;
export const PCI_COMMAND_MEMORY = 2;
export const PCI_COMMAND_INTX_DISABLE = 0x400;
/** STATUS bit 3: the function requests an interrupt on its pin. */
const PCI_STATUS_INTERRUPT = 0x08;

export interface BarSpec {
  /** Size in bytes (a power of two; I/O BARs at least 4, memory BARs at least 16). */
  size: number;
  io: boolean;
  prefetchable?: boolean;
  /** A memory BAR's registers, answered wherever the BAR points while memory decoding is on. */
  mmio?: MmioHandler;
  /** An I/O BAR's registers (`offset` from the BAR's base), answered wherever it points while I/O decoding is on. */
  ports?: BarPorts;
}

/** The registers behind an I/O BAR, by offset from its base; `size` is 1, 2 or 4 bytes. */
export interface BarPorts {
  read(offset: number, size: number): number;
  write(offset: number, size: number, value: number): void;
}

export class PciFunction {
  readonly config = new Uint8Array(256);
  /** Bits the guest may change, per byte. */
  protected readonly writable = new Uint8Array(256);
  readonly bars: (BarSpec | undefined)[] = [];
  /**
   * Expansion ROM image (mapped at the ROM BAR when enabled), if any: the image as given, shared, never written;
   * the BAR decodes romSize bytes, and those past the image read 0.
   */
  rom?: Uint8Array;
  romSize = 0;
  /** QEMU's DeviceClass.hotpluggable: false for the `pc` board's built-in devices (all of this board's). */
  readonly hotpluggable: boolean = false;

  constructor(
    readonly name: string,
    readonly slot: number,
    readonly fn: number,
    ids: { vendor: number; device: number; classCode: number; revision?: number; headerType?: number; subVendor?: number; subDevice?: number; pin?: number },
  ) {
    const c = this.config;
    put16(c, PCI.VENDOR_ID, ids.vendor);
    put16(c, PCI.DEVICE_ID, ids.device);
    c[PCI.REVISION] = ids.revision ?? 0;
    c[PCI.PROG_IF] = ids.classCode & 0xff;
    c[PCI.SUBCLASS] = (ids.classCode >>> 8) & 0xff;
    c[PCI.CLASS] = (ids.classCode >>> 16) & 0xff;
    c[PCI.HEADER_TYPE] = ids.headerType ?? 0;
    put16(c, PCI.SUBSYSTEM_VENDOR_ID, ids.subVendor ?? 0x1af4); // QEMU's subsystem: Red Hat, "QEMU virtual machine"
    put16(c, PCI.SUBSYSTEM_ID, ids.subDevice ?? 0x1100);
    c[PCI.INTERRUPT_PIN] = ids.pin ?? 0;
    this.writable.fill(0xff, 0x40); // device-specific registers: writable unless the device says otherwise (as QEMU)
    this.writable[PCI.COMMAND] = 0x07; // I/O, memory, bus master
    this.writable[PCI.COMMAND + 1] = 0x05; // SERR#, interrupt disable
    this.writable[PCI.INTERRUPT_LINE] = 0xff;
    this.writable[0x0c] = 0xff; // cache line size
    this.writable[0x0d] = 0xff; // latency timer
  }

  /** The bus that hears this function's interrupt pin (set by PciBus.add). */
  intxBus?: PciBus;
  /** The level the pin drives onto the bus now (the request, unless COMMAND's Interrupt Disable holds it off). */
  private intxDriven = false;

  /** The device raises (true) or lowers its interrupt request on its INTERRUPT_PIN (QEMU's pci_set_irq). */
  setIntx(level: boolean): void {
    if (level) this.config[PCI.STATUS] |= PCI_STATUS_INTERRUPT;
    else this.config[PCI.STATUS] &= ~PCI_STATUS_INTERRUPT;
    this.updateIntx();
  }

  /** After loading a saved configuration: drive the pin from it again (the bus recounts; nothing is signalled). */
  resyncIntx(): void {
    this.intxDriven = false;
    this.updateIntx();
  }

  private updateIntx(): void {
    const cmd = this.config[PCI.COMMAND] | (this.config[PCI.COMMAND + 1] << 8);
    const level = (this.config[PCI.STATUS] & PCI_STATUS_INTERRUPT) !== 0 && (cmd & PCI_COMMAND_INTX_DISABLE) === 0;
    if (level === this.intxDriven || this.config[PCI.INTERRUPT_PIN] === 0) return;
    this.intxDriven = level;
    this.intxBus?.changeIntx(this, level ? 1 : -1);
  }

  /** Declare BAR `index` (0-5). Its address bits become writable; the low bits say I/O or memory. */
  defineBar(index: number, spec: BarSpec): void {
    this.bars[index] = spec;
    const at = PCI.BAR0 + 4 * index;
    const mask = ~(spec.size - 1) >>> 0;
    put32(this.config, at, spec.io ? 1 : spec.prefetchable ? 8 : 0);
    for (let i = 0; i < 4; i++) this.writable[at + i] = (mask >>> (8 * i)) & (i === 0 ? (spec.io ? 0xfc : 0xf0) : 0xff);
  }

  /** Give the function an expansion ROM (QEMU: the device's romfile), sized up to a power of two. */
  defineRom(image: Uint8Array): void {
    let size = 2048;
    while (size < image.length) size *= 2;
    // Not padded into a copy: the image is a quarter of a megabyte (iPXE's) and every machine would copy it.
    this.rom = image;
    this.romSize = size;
    const mask = ~(size - 1) >>> 0;
    for (let i = 0; i < 4; i++) this.writable[PCI.ROM_ADDRESS + i] = (mask >>> (8 * i)) & (i === 0 ? 0x01 : 0xff);
    this.writable[PCI.ROM_ADDRESS] = (mask & 0xff) | 1;
  }

  /** The address BAR `index` decodes (0 when unset or its space is disabled in COMMAND). */
  barAddress(index: number): number {
    const spec = this.bars[index];
    if (!spec) return 0;
    const v = get32(this.config, PCI.BAR0 + 4 * index);
    const cmd = this.config[PCI.COMMAND];
    if (spec.io) return cmd & PCI_COMMAND_IO ? v & 0xfffc : 0;
    return cmd & PCI_COMMAND_MEMORY ? (v & 0xfffffff0) >>> 0 : 0;
  }

  /** The ROM BAR's address when the ROM is enabled (bit 0) and memory decoding is on, else 0. */
  romAddress(): number {
    const v = get32(this.config, PCI.ROM_ADDRESS);
    return this.rom && v & 1 && this.config[PCI.COMMAND] & PCI_COMMAND_MEMORY ? (v & 0xfffff800) >>> 0 : 0;
  }

  read(offset: number, size: number): number {
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + this.readByte(offset + i);
    return v >>> 0;
  }

  write(offset: number, size: number, value: number): void {
    for (let i = 0; i < size; i++) {
      const at = offset + i;
      const w = this.writable[at];
      this.config[at] = (this.config[at] & ~w) | ((value >>> (8 * i)) & w);
    }
    this.configWritten(offset, size);
    if (offset <= PCI.COMMAND + 1 && offset + size > PCI.COMMAND + 1) this.updateIntx();
    if (this.rom && this.ioBus) this.mapRom(this.ioBus);
    this.mapBars();
  }

  /**
   * Called for each physical range a memory BAR's registers appear at or vanish from (the machine flushes its TLBs
   * and drops decoded code there).
   */
  onMapChange?: (base: number, size: number) => void;
  /** Where each BAR with registers is mapped now (0: not mapped). */
  private readonly barMappedAt: number[] = [];

  /**
   * Follow the BARs that have registers: map them where they point, as QEMU's pci_update_mappings does. A BAR is
   * unmapped while its space's decoding is off and while it holds 0; a memory BAR also when its range would reach
   * the top of the 32-bit space (QEMU pci_bar_address: all ones, as firmware writes while sizing, is never
   * mapped). An I/O BAR over ports another device holds decodes nothing (two devices on one address would not
   * work); it is tried again at the next configuration write.
   */
  private mapBars(): void {
    const bus = this.ioBus;
    if (!bus) return;
    this.bars.forEach((spec, i) => {
      if (!spec?.mmio && !spec?.ports) return;
      let at = this.barAddress(i);
      if (!spec.io && at + spec.size - 1 >= 0xffffffff) at = 0;
      const was = this.barMappedAt[i] ?? 0;
      if (at === was) return;
      if (spec.ports) {
        if (was) bus.unregisterPorts(was, spec.size);
        const ports = spec.ports;
        if (at && !bus.portsFree(at, spec.size)) at = 0;
        if (at) bus.registerPorts(at, spec.size, { read: (port, size) => ports.read(port - at, size), write: (port, size, value) => ports.write(port - at, size, value) });
      } else {
        const name = `${this.name} BAR${i}`;
        if (was) bus.unregisterMmio(name);
        if (at) bus.registerMmio(name, at, spec.size, spec.mmio!);
        if (was) this.onMapChange?.(was, spec.size);
        if (at) this.onMapChange?.(at, spec.size);
      }
      this.barMappedAt[i] = at;
    });
  }

  /** The bus the function's ROM is mapped on (set by PciBus.attach). */
  ioBus?: IoBus;
  private readonly romMappedAt = new Set<number>();

  /**
   * The expansion ROM answers at the address the ROM BAR holds while it is enabled. The I/O bus cannot move
   * an MMIO range, so a range is registered at each address the ROM is first enabled at (firmware picks one)
   * and checks on each access that the BAR still points there.
   */
  private mapRom(bus: IoBus): void {
    const at = this.romAddress();
    const rom = this.rom!;
    if (at === 0 || this.romMappedAt.has(at)) return;
    this.romMappedAt.add(at);
    bus.registerMmio(`${this.name} ROM`, at, this.romSize, {
      read: (offset, n) => {
        if (this.romAddress() !== at) return allOnes(n);
        let v = 0;
        for (let i = n - 1; i >= 0; i--) v = v * 256 + (offset + i < rom.length ? rom[offset + i] : 0);
        return v;
      },
      write: () => {},
    });
  }

  /** Hook for device registers: called after the bytes [offset, offset+size) were written. */
  protected configWritten(_offset: number, _size: number): void {}

  /** Hook for registers whose value is computed on read. */
  protected readByte(offset: number): number {
    return this.config[offset];
  }

  /** Back to power-on configuration: subclasses call super.resetConfig() after restoring their defaults. */
  resetConfig(initial: Uint8Array): void {
    this.config.set(initial);
    this.configWritten(0, 256);
    this.updateIntx();
    this.mapBars();
  }

  /** A copy of the configuration space: 256 bytes outside the JS heap (the history saves every function at
   *  each snapshot; a 256-number array costs ~2 KiB of heap and an iterator walk). */
  saveConfig(): Uint8Array {
    return this.config.slice();
  }

  /** A saved configuration space: a Uint8Array from saveConfig, or 256 numbers (older saved states). */
  loadConfig(saved: unknown): void {
    if ((saved instanceof Uint8Array || Array.isArray(saved)) && saved.length === 256) {
      for (let i = 0; i < 256; i++) this.config[i] = num(saved[i]);
      this.configWritten(0, 256);
      this.updateIntx();
      this.mapBars();
    }
  }
}

/** The bus: functions by (slot, function), CONFIG_ADDRESS, and the 0xCF8-0xCFF ports. */
export class PciBus implements Device {
  readonly name = 'pci';
  readonly functions: PciFunction[] = [];
  private readonly initial = new Map<PciFunction, Uint8Array>();
  private address = 0;
  /** Asserted pins per host interrupt line (PIRQA-D). */
  private readonly intxCount = [0, 0, 0, 0];
  /** The host interrupt line (0-3) a function's pin (1-4: INTA#-INTD#) drives: the board's wiring. */
  mapIntx: (f: PciFunction, pin: number) => number = (_f, pin) => pin - 1;
  /** A host interrupt line changed level. */
  onIntx: (line: number, level: boolean) => void = () => {};

  constructor(private readonly onResetControl: (value: number) => void = () => {}, private readonly readResetControl: () => number = () => 0) {}

  add(f: PciFunction): PciFunction {
    f.intxBus = this;
    this.functions.push(f);
    this.initial.set(f, f.config.slice());
    return f;
  }

  /** A function's pin was asserted (+1) or deasserted (-1). */
  changeIntx(f: PciFunction, change: 1 | -1): void {
    const line = this.mapIntx(f, f.config[PCI.INTERRUPT_PIN]) & 3;
    const was = this.intxCount[line] > 0;
    this.intxCount[line] += change;
    if (was !== this.intxCount[line] > 0) this.onIntx(line, !was);
  }

  /** Whether host interrupt line `line` (0-3) is asserted by some function. */
  intxLevel(line: number): boolean {
    return this.intxCount[line] > 0;
  }

  function(slot: number, fn: number): PciFunction | undefined {
    return this.functions.find((f) => f.slot === slot && f.fn === fn);
  }

  /** `onMapChange`: a memory BAR with registers appeared at or vanished from a range (see PciFunction.onMapChange). */
  attach(bus: IoBus, onMapChange?: (base: number, size: number) => void): void {
    for (const f of this.functions) {
      f.ioBus = bus;
      f.onMapChange = onMapChange;
    }
    bus.registerPorts(0xcf8, 4, {
      read: (port, size) => {
        if (port === 0xcf9 && size === 1) return this.readResetControl();
        if (port === 0xcf8 && size === 4) return this.address >>> 0;
        return allOnes(size);
      },
      write: (port, size, value) => {
        if (port === 0xcf9 && size === 1) this.onResetControl(value & 0xff);
        else if (port === 0xcf8 && size === 4) this.address = value & 0x80fffffc;
      },
    });
    bus.registerPorts(0xcfc, 4, {
      read: (port, size) => {
        const f = this.selected();
        const off = (this.address & 0xfc) + (port - 0xcfc);
        if (!f || off + size > 256) return allOnes(size);
        return f.read(off, size);
      },
      write: (port, size, value) => {
        const f = this.selected();
        const off = (this.address & 0xfc) + (port - 0xcfc);
        if (f && off + size <= 256) f.write(off, size, value);
      },
    });
  }

  private selected(): PciFunction | undefined {
    const a = this.address;
    if (!(a & 0x80000000) || ((a >>> 16) & 0xff) !== 0) return undefined;
    return this.function((a >>> 11) & 0x1f, (a >>> 8) & 7);
  }

  reset(): void {
    this.address = 0;
    for (const f of this.functions) f.resetConfig(this.initial.get(f)!);
  }

  saveState(): unknown {
    return { address: this.address, functions: this.functions.map((f) => f.saveConfig()) };
  }

  loadState(state: unknown): void {
    const o = (state ?? {}) as { address?: number; functions?: unknown[] };
    this.address = num(o.address);
    if (Array.isArray(o.functions)) this.functions.forEach((f, i) => f.loadConfig(o.functions![i]));
    // The lines' levels follow from the restored STATUS and COMMAND registers; the interrupt controllers
    // restore their own input levels.
    this.intxCount.fill(0);
    const onIntx = this.onIntx;
    this.onIntx = () => {};
    for (const f of this.functions) f.resyncIntx();
    this.onIntx = onIntx;
  }
}

export function put16(c: Uint8Array, at: number, v: number): void {
  c[at] = v & 0xff;
  c[at + 1] = (v >>> 8) & 0xff;
}

export function put32(c: Uint8Array, at: number, v: number): void {
  for (let i = 0; i < 4; i++) c[at + i] = (v >>> (8 * i)) & 0xff;
}

export function get32(c: Uint8Array, at: number): number {
  return (c[at] | (c[at + 1] << 8) | (c[at + 2] << 16) | (c[at + 3] << 24)) >>> 0;
}
