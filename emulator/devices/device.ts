/**
 * What every device on the machine's bus implements. Devices never import the CPU: they see the I/O bus,
 * physical memory (for MMIO-backed or DMA-like state), the interrupt lines and virtual time.
 *
 * Determinism (issue 7, reverse debugging): a device's whole state must round-trip through
 * saveState()/loadState() as plain JSON-compatible data, and all of its timing must come from the
 * virtual clock (retired-instruction count), never from wall-clock time.
 */
export interface Device {
  readonly name: string;
  /** Back to power-on state (machine reset, e.g. after a triple fault in reset mode). */
  reset(): void;
  saveState(): unknown;
  loadState(state: unknown): void;
}

/** An I/O port handler. `size` is 1, 2 or 4 bytes. Reads of unclaimed ports return all ones. */
export interface PortHandler {
  read(port: number, size: number): number;
  write(port: number, size: number, value: number): void;
  /**
   * Up to which instruction count (virtual time) a byte read of `port` returns what it returns now and
   * changes nothing, if nothing else touches the device (Infinity: until then; the current count or -Infinity:
   * it may change at once); absent: unknown (the CPU assumes it may change at once). Lets the CPU skip a polling
   * loop's identical iterations (cpu/poll-loop.ts).
   */
  stableUntil?(port: number): number;
  /**
   * Whether `port` reads a clock: a counter only time moves, read without side effects that matter (the ACPI PM
   * timer). A loop spinning on it waits as a slow IN (cpu/spin-wait.ts), as one spinning on RDTSC does.
   */
  clock?(port: number): boolean;
  /**
   * REP INS in bulk: `count` reads of `size` bytes from `port`, stored one after another in `dst` from `at`, as
   * far as each of them would only return buffered data (no state change but the buffer position, no interrupt,
   * not the read that ends a block). Returns how many it did (0: none, the CPU reads them one at a time); the rest
   * go through read(). Lets a PIO disk transfer (SeaBIOS's insw, xv6's insl) copy a sector at once.
   */
  readString?(port: number, size: number, count: number, dst: Uint8Array, at: number): number;
  /**
   * REP OUTS in bulk: `count` writes of `size` bytes to `port`, taken one after another from `src` at `at`, as far
   * as each of them would only be buffered (no state change but the buffer position, no interrupt, not the write
   * that ends a block). Returns how many it took (0: none, the CPU writes them one at a time); the rest go through
   * write(). Lets a PIO disk write (xv6's outsl) hand over a sector at once.
   */
  writeString?(port: number, size: number, count: number, src: Uint8Array, at: number): number;
}

/** A memory-mapped device range. `offset` is relative to the range's base; `size` is 1, 2, 4 or 8. */
export interface MmioHandler {
  read(offset: number, size: number): number;
  write(offset: number, size: number, value: number): void;
  /**
   * A ROM's contents: reads of [0, length) return these bytes and have no other effect, so a bulk copy may take
   * them at once (REP MOVS out of the BIOS flash) instead of calling `read` per element.
   */
  readonly romBytes?: Uint8Array;
}

/** Interrupt lines as the CPU sees them: a device raises or lowers an ISA IRQ line. */
export interface IrqLines {
  setIrq(line: number, level: boolean): void;
}
