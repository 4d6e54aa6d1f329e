import { VirtualClock } from '../../emulator/clock';
import { IoBus } from '../../emulator/devices/bus';
import { IrqLines } from '../../emulator/devices/device';
import { createPcDevices, PcDeviceOptions } from '../../emulator/devices/index';
import { PhysicalMemory } from '../../emulator/memory/phys';

/** Records every IRQ line change, as a PIC would see it. */
export class IrqRecorder implements IrqLines {
  readonly events: { line: number; level: boolean; at: number }[] = [];
  readonly levels = new Array<boolean>(24).fill(false);
  constructor(private readonly clock?: VirtualClock) {}
  setIrq(line: number, level: boolean): void {
    this.levels[line] = level;
    this.events.push({ line, level, at: this.clock?.instructions ?? 0 });
  }
  rises(line: number): number[] {
    return this.events.filter((e) => e.line === line && e.level).map((e) => e.at);
  }
}

/** Advance virtual time to `target` instructions, firing timers the way the CPU loop does. */
export function runTo(clock: VirtualClock, target: number): void {
  while (clock.nextDeadline <= target) {
    clock.instructions = Math.max(clock.instructions, clock.nextDeadline);
    clock.fire();
  }
  clock.instructions = target;
}

/** A whole PC's devices on a fresh bus with 16 MiB of RAM, with their outputs collected. */
export function makePc(extra: Partial<PcDeviceOptions> = {}) {
  const bus = new IoBus();
  const clock = new VirtualClock();
  const memoryBytes = extra.memoryBytes ?? 16 << 20;
  const phys = new PhysicalMemory(memoryBytes, bus);
  const serial: number[] = [];
  const debugcon: number[] = [];
  const exits: number[] = [];
  let resets = 0;
  const devices = createPcDevices({
    bus, phys, clock, memoryBytes, cpuCount: 1,
    onSerial: (b) => serial.push(b),
    onDebugcon: (b) => debugcon.push(b),
    onExit: (s) => exits.push(s),
    onResetRequest: () => resets++,
    ...extra,
  });
  return {
    bus, clock, phys, devices, serial, debugcon, exits,
    get resets() {
      return resets;
    },
    outb: (p: number, v: number) => bus.outPort(p, 1, v),
    outw: (p: number, v: number) => bus.outPort(p, 2, v),
    outl: (p: number, v: number) => bus.outPort(p, 4, v),
    inb: (p: number) => bus.inPort(p, 1),
    inw: (p: number) => bus.inPort(p, 2),
    inl: (p: number) => bus.inPort(p, 4),
  };
}

/** Program both PICs the way Linux's init_8259A does: vectors 0x20 / 0x28, cascade on IRQ2, 8086 mode. */
export function initPicLikeLinux(outb: (p: number, v: number) => void): void {
  outb(0x21, 0xff);
  outb(0xa1, 0xff);
  outb(0x20, 0x11); // ICW1: edge, cascade, ICW4 needed
  outb(0x21, 0x20); // ICW2: IRQ0-7 -> 0x20-0x27
  outb(0x21, 0x04); // ICW3: slave on IR2
  outb(0x21, 0x01); // ICW4: 8086 mode, normal EOI
  outb(0xa0, 0x11);
  outb(0xa1, 0x28);
  outb(0xa1, 0x02);
  outb(0xa1, 0x01);
  outb(0x21, 0xfb); // everything masked but the cascade
  outb(0xa1, 0xff);
}
