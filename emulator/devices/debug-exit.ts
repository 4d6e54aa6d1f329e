import { IoBus } from './bus';
import { Device } from './device';

/**
 * QEMU's isa-debug-exit (`-device isa-debug-exit,iobase=0xf4,iosize=0x04`): writing value v makes QEMU exit
 * with status (v << 1) | 1, so a guest can never report a plain 0. kvm-unit-tests ends every test this way.
 */
export class DebugExit implements Device {
  readonly name = 'isa-debug-exit';

  constructor(
    private readonly onExit: (status: number) => void,
    readonly base = 0xf4,
    readonly size = 4,
  ) {}

  attach(bus: IoBus): void {
    bus.registerPorts(this.base, this.size, {
      // QEMU's read handler returns 0.
      read: () => 0,
      write: (_port, size, value) => {
        const v = size === 4 ? value >>> 0 : value & (size === 2 ? 0xffff : 0xff);
        this.onExit(((v * 2) % 0x1_0000_0000) + 1);
      },
    });
  }

  reset(): void {}
  saveState(): unknown {
    return {};
  }
  loadState(): void {}
}
