import { Exit } from '../../emulator/cpu/cpu';
import type { Machine } from '../../emulator/machine';
import { CODE } from './cpu-harness';

/**
 * Helpers for the REP INS / REP OUTS tests against the IDE data port (test/devices/ide-rep-ins, ide-rep-outs):
 * an LBA28 PIO command on the primary master, running a few bytes of code, and the drive's status and IRQ 14.
 */

/** An LBA28 command (`cmd`: 20h READ SECTORS, 30h WRITE SECTORS) of `count` sectors at `lba` on the primary master. */
export function ataCommand(m: Machine, cmd: number, lba: number, count: number): void {
  m.bus.outPort(0x1f6, 1, 0xe0);
  m.bus.outPort(0x1f2, 1, count);
  m.bus.outPort(0x1f3, 1, lba);
  m.bus.outPort(0x1f4, 1, 0);
  m.bus.outPort(0x1f5, 1, 0);
  m.bus.outPort(0x1f7, 1, cmd);
}

/** Put `code` at CODE and run `n` instructions of it. */
export function runAt(m: Machine, code: number[], n = 1): Exit {
  m.mem.load(CODE, Uint8Array.from(code));
  m.cpu.rip = CODE;
  return m.cpu.run(n);
}

/** The drive's status (alternate status: no interrupt acknowledge) and whether IRQ 14 is requested at the slave PIC (IRR). */
export function driveState(m: Machine): { status: number; irq: boolean } {
  m.bus.outPort(0xa0, 1, 0x0a); // OCW3: read IRR
  return { status: m.bus.inPort(0x3f6, 1), irq: ((m.bus.inPort(0xa0, 1) >>> 6) & 1) === 1 };
}
