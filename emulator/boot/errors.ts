/**
 * The one error type of the boot loader. Its message is a sentence for the user that says what is wrong and
 * what to do ("kernel.elf has no multiboot header in its first 32 KiB; is it linked with the header section
 * first?"); the CLI and the debug adapter show it as is.
 */
export class BootError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BootError';
  }
}

/** "0x1badb002" */
export function hex(n: number | bigint): string {
  return '0x' + n.toString(16);
}

/** The first bytes of a file as "4d 5a 90 00 …" for error messages. */
export function leadingBytes(bytes: Uint8Array, count = 4): string {
  const shown = Array.from(bytes.subarray(0, count), (b) => b.toString(16).padStart(2, '0')).join(' ');
  return bytes.length > count ? shown + ' ...' : shown;
}
