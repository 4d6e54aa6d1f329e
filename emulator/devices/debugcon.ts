import { IoBus } from './bus';
import { Device } from './device';

/**
 * The Bochs/QEMU debug console at port 0xE9: every byte written goes to `onOutput`; a read returns 0xE9 so a
 * guest can detect that the port exists (Bochs convention, also QEMU's `-debugcon` readback).
 */
export class Debugcon implements Device {
  readonly name = 'debugcon';

  constructor(
    private readonly onOutput: (byte: number) => void,
    readonly port = 0xe9,
  ) {}

  attach(bus: IoBus): void {
    bus.registerPorts(this.port, 1, {
      read: (_port, size) => (size === 1 ? 0xe9 : size === 2 ? 0xffe9 : 0xffffffe9),
      write: (_port, _size, value) => this.onOutput(value & 0xff),
    });
  }

  reset(): void {}
  saveState(): unknown {
    return {};
  }
  loadState(): void {}
}
