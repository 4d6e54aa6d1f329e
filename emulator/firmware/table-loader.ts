/**
 * QEMU's firmware table linker/loader (hw/acpi/bios-linker-loader.c), the "etc/table-loader" fw_cfg file
 * SeaBIOS and OVMF execute: allocate each blob in a memory zone, patch pointers between blobs with the
 * blobs' final addresses, then compute checksums. The ACPI builder returns its tables as blobs plus these
 * commands, so the same output serves the direct boot path (runTableLoader, here) and the SeaBIOS path
 * (serializeTableLoader + fw_cfg files "etc/acpi/tables", "etc/acpi/rsdp", "etc/table-loader").
 */

export type LoaderZone = 'high' | 'fseg';

export type LoaderCommand =
  | { kind: 'allocate'; file: string; align: number; zone: LoaderZone }
  /** Add the address of `srcFile` to the little-endian `size`-byte value at `offset` in `destFile`. */
  | { kind: 'addPointer'; destFile: string; srcFile: string; offset: number; size: 1 | 2 | 4 | 8 }
  /** Store at `offset` in `file` the byte that makes the sum of [start, start+length) zero. */
  | { kind: 'addChecksum'; file: string; offset: number; start: number; length: number };

export interface TableBlobs {
  files: Map<string, Uint8Array>;
  commands: LoaderCommand[];
}

const COMMAND = { allocate: 1, addPointer: 2, addChecksum: 3 } as const;
const ZONE = { high: 1, fseg: 2 } as const;
const ENTRY_SIZE = 128;
const FILE_NAME_SIZE = 56;

function putName(out: Uint8Array, at: number, name: string): void {
  if (name.length >= FILE_NAME_SIZE) throw new Error(`fw_cfg file name '${name}' is longer than ${FILE_NAME_SIZE - 1} bytes`);
  for (let i = 0; i < name.length; i++) out[at + i] = name.charCodeAt(i);
}

/** The "etc/table-loader" blob: one 128-byte little-endian entry per command. */
export function serializeTableLoader(commands: LoaderCommand[]): Uint8Array {
  const out = new Uint8Array(commands.length * ENTRY_SIZE);
  const v = new DataView(out.buffer);
  commands.forEach((c, i) => {
    const at = i * ENTRY_SIZE;
    v.setUint32(at, COMMAND[c.kind], true);
    if (c.kind === 'allocate') {
      putName(out, at + 4, c.file);
      v.setUint32(at + 4 + FILE_NAME_SIZE, c.align, true);
      out[at + 8 + FILE_NAME_SIZE] = ZONE[c.zone];
    } else if (c.kind === 'addPointer') {
      putName(out, at + 4, c.destFile);
      putName(out, at + 4 + FILE_NAME_SIZE, c.srcFile);
      v.setUint32(at + 4 + 2 * FILE_NAME_SIZE, c.offset, true);
      out[at + 8 + 2 * FILE_NAME_SIZE] = c.size;
    } else {
      putName(out, at + 4, c.file);
      v.setUint32(at + 4 + FILE_NAME_SIZE, c.offset, true);
      v.setUint32(at + 8 + FILE_NAME_SIZE, c.start, true);
      v.setUint32(at + 12 + FILE_NAME_SIZE, c.length, true);
    }
  });
  return out;
}

/**
 * Execute the commands as a firmware would: `allocate(size, align, zone)` returns where a blob goes; blobs are
 * patched in copies and returned with their addresses (the caller writes them to guest memory).
 */
export function runTableLoader(
  blobs: TableBlobs,
  allocate: (size: number, align: number, zone: LoaderZone, file: string) => number,
): Map<string, { address: number; bytes: Uint8Array }> {
  const placed = new Map<string, { address: number; bytes: Uint8Array }>();
  const get = (file: string) => {
    const p = placed.get(file);
    if (!p) throw new Error(`table-loader command refers to '${file}' before it is allocated`);
    return p;
  };
  for (const c of blobs.commands) {
    if (c.kind === 'allocate') {
      const data = blobs.files.get(c.file);
      if (!data) throw new Error(`table-loader allocates '${c.file}', which is not among the blobs`);
      placed.set(c.file, { address: allocate(data.length, c.align, c.zone, c.file), bytes: data.slice() });
    } else if (c.kind === 'addPointer') {
      const dest = get(c.destFile).bytes;
      const src = get(c.srcFile).address;
      let value = 0n;
      for (let i = c.size - 1; i >= 0; i--) value = (value << 8n) | BigInt(dest[c.offset + i]);
      value = (value + BigInt(src)) & ((1n << BigInt(8 * c.size)) - 1n);
      for (let i = 0; i < c.size; i++) dest[c.offset + i] = Number((value >> BigInt(8 * i)) & 0xffn);
    } else {
      const bytes = get(c.file).bytes;
      bytes[c.offset] = 0;
      let sum = 0;
      for (let i = c.start; i < c.start + c.length; i++) sum = (sum + bytes[i]) & 0xff;
      bytes[c.offset] = (0x100 - sum) & 0xff;
    }
  }
  return placed;
}
