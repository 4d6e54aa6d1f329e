import { createPcBoard, PcBoard, PcBoardOptions } from '../board/pc';
import { VirtualClock } from '../clock';
import { PhysicalMemory } from '../memory/phys';
import { IoBus } from './bus';
import { DebugExit } from './debug-exit';
import { Debugcon } from './debugcon';
import { Cmos } from './cmos';
import { KVMVAPIC_ROM } from '../firmware/kvmvapic-rom';
import { Device } from './device';
import { FpuErrorLine } from './ferr';
import { FwCfg } from './fwcfg';
import { Hpet } from './hpet';
import { IoApic } from './ioapic';
import { LocalApic } from './lapic';
import { InterruptRouter } from './interrupts';
import { ParallelPort } from './parallel';
import { Pic8259 } from './pic8259';
import { Pit8254 } from './pit8254';
import { PcTestdev } from './pc-testdev';
import { Ps2Controller } from './ps2';
import { Uart16550 } from './uart16550';
import { Vga } from './vga';

/**
 * Builds the PC's devices, registers them on the bus and wires their interrupt lines: the machine makes this
 * one call. `all` lists every device in the order snapshots should save and load them (interrupt
 * controllers before the router, which recomputes `pending` from them).
 */
export interface PcDeviceOptions {
  bus: IoBus;
  phys: PhysicalMemory;
  clock: VirtualClock;
  memoryBytes: number;
  cpuCount?: number;
  /** What the RTC reads at power-on, in seconds since the epoch (default RTC_START_SECONDS). */
  rtcStart?: number;
  onSerial?: (byte: number) => void;
  /** COM2's transmitted bytes; when given, the board has a second UART at 0x2F8 on IRQ 3. */
  onSerial2?: (byte: number) => void;
  onDebugcon?: (byte: number) => void;
  /** isa-debug-exit: called with QEMU's exit status (value << 1) | 1. */
  onExit?: (status: number) => void;
  /** The guest asked for a system reset (8042 pulse, port 0x92 bit 0, PIIX3 reset control 0xCF9). */
  onResetRequest?: () => void;
  /** The A20 gate changed (8042 output port, port 0x92): the machine passes it to the CPU. */
  onA20?: (enabled: boolean) => void;
  /** The PCI board (board/pc.ts): firmware, disks, boot order. */
  board?: PcBoardOptions;
  /**
   * The memory map changed (i440FX PAM under 0xC0000-0xFFFFF, a PCI memory BAR appeared, moved or vanished): drop
   * TLB entries, and the decoded code in [base, base + size), where reads now find other bytes (size 0: none).
   */
  onMemoryMapChange?: (base: number, size: number) => void;
}

export interface PcDevices {
  uart: Uart16550;
  /** COM2, when the machine has one. */
  uart2?: Uart16550;
  /** LPT1 (absent with the board's `parallel: false` or nodefaults, as QEMU -parallel none or -nodefaults). */
  lpt?: ParallelPort;
  vga: Vga;
  pic: Pic8259;
  pit: Pit8254;
  ps2: Ps2Controller;
  cmos: Cmos;
  debugExit: DebugExit;
  debugcon: Debugcon;
  fwcfg: FwCfg;
  /** The BSP's local APIC (lapics[0]). */
  lapic: LocalApic;
  /** Every CPU's local APIC, by CPU number (= APIC ID). */
  lapics: LocalApic[];
  ioapic: IoApic;
  /** The HPET at 0xFED00000; the PIT's and the RTC's IRQs pass through it (LegacyReplacement). */
  hpet: Hpet;
  testdev: PcTestdev;
  ferr: FpuErrorLine;
  router: InterruptRouter;
  board: PcBoard;
  all: Device[];
}

export function createPcDevices(o: PcDeviceOptions): PcDevices {
  const none = () => {};
  const pic = new Pic8259();
  const router = new InterruptRouter(pic, o.clock);
  const cpus = o.cpuCount ?? 1;
  const lapics: LocalApic[] = [];
  for (let i = 0; i < cpus; i++) lapics.push(new LocalApic(o.clock, i));
  const lapic = lapics[0];
  const ioapic = new IoApic(lapics);
  for (const a of lapics) {
    a.bus = lapics;
    a.onEoi = (vector) => ioapic.eoi(vector);
  }
  ioapic.onNmi = (cpu) => router.raiseNmi(cpu);
  router.attachApics(lapic, ioapic);
  for (let i = 1; i < cpus; i++) router.attachCpu(i, lapics[i]);
  const uart = new Uart16550(router, o.onSerial ?? none);
  const uart2 = o.onSerial2 ? new Uart16550(router, o.onSerial2, 0x2f8, 3) : undefined;
  const vga = new Vga(o.phys, o.clock);
  // As QEMU's pc wires them: the PIT's and the RTC's outputs are the HPET's legacy inputs.
  const hpet = new Hpet(o.clock, router);
  const pit = new Pit8254(o.clock, hpet.legacyInputs);
  const debugExit = new DebugExit(o.onExit ?? none);
  const debugcon = new Debugcon(o.onDebugcon ?? none);
  const fwcfg = new FwCfg(o.memoryBytes, o.cpuCount ?? 1, o.phys);
  // The option ROM QEMU's pc machine gives every guest (its APIC's kvmvapic device; firmware/kvmvapic-rom.asm).
  fwcfg.addFile('genroms/kvmvapic.bin', KVMVAPIC_ROM);
  const ps2 = new Ps2Controller(router, o.onResetRequest ?? none, o.onA20);
  const cmos = new Cmos(o.clock, hpet.legacyInputs, o.memoryBytes, o.cpuCount ?? 1, o.rtcStart);
  const testdev = new PcTestdev(router);
  const ferr = new FpuErrorLine(router);
  const com2 = uart2 ? [uart2] : [];
  const lpt = (o.board?.parallel ?? !o.board?.nodefaults) ? new ParallelPort(router) : undefined;
  const lpts = lpt ? [lpt] : [];
  for (const d of [pic, uart, ...com2, ...lpts, vga, pit, ps2, cmos, debugExit, debugcon, fwcfg, lapic, ioapic, hpet, testdev, ferr]) d.attach(o.bus);
  // The stdvga's linear framebuffer where SeaBIOS places its PCI BAR0 on QEMU's pc machine.
  vga.mapLfb(o.bus);
  const board = createPcBoard({
    ...o.board, vgaRegisters: vga, bus: o.bus, phys: o.phys, clock: o.clock, irq: router, cmos, memoryBytes: o.memoryBytes, cpuCount: cpus,
    onReset: o.onResetRequest ?? none, onMapChange: o.onMemoryMapChange ?? none,
  });
  const all: Device[] = [pic, ...lapics, ioapic, pit, hpet, uart, ...com2, ...lpts, vga, ps2, cmos, debugExit, debugcon, fwcfg, testdev, ferr, ...board.all, router];
  return { uart, uart2, lpt, vga, pic, pit, ps2, cmos, debugExit, debugcon, fwcfg, lapic, lapics, ioapic, hpet, testdev, ferr, router, board, all };
}

export { PcTestdev };
export { FpuErrorLine };
export { ParallelPort };
export { Cmos, DebugExit, Debugcon, FwCfg, Hpet, InterruptRouter, IoApic, LocalApic, Pic8259, Pit8254, Ps2Controller, Uart16550, Vga };
