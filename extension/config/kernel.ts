/**
 * Finding a kernel to debug when there is no launch.json: an ELF with a multiboot1 or multiboot2 header in its
 * first 32 KiB (Multiboot 1 §3.1.1: 4-byte aligned, first 8192 bytes; Multiboot 2 §3.1.1: 8-byte aligned,
 * first 32768 bytes). Pure: no `vscode` import.
 */

export const MULTIBOOT1_MAGIC = 0x1badb002;
export const MULTIBOOT2_MAGIC = 0xe85250d6;

export function isElf(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

/** Which multiboot header the file carries (checksum verified), or undefined. */
export function multibootVersion(bytes: Uint8Array): 1 | 2 | undefined {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end1 = Math.min(bytes.length - 12, 8192 - 12);
  for (let off = 0; off <= end1; off += 4) {
    if (dv.getUint32(off, true) === MULTIBOOT1_MAGIC) {
      const flags = dv.getUint32(off + 4, true), sum = dv.getUint32(off + 8, true);
      if (((MULTIBOOT1_MAGIC + flags + sum) >>> 0) === 0) return 1;
    }
  }
  const end2 = Math.min(bytes.length - 16, 32768 - 16);
  for (let off = 0; off <= end2; off += 8) {
    if (dv.getUint32(off, true) === MULTIBOOT2_MAGIC) {
      const arch = dv.getUint32(off + 4, true), len = dv.getUint32(off + 8, true), sum = dv.getUint32(off + 12, true);
      if (((MULTIBOOT2_MAGIC + arch + len + sum) >>> 0) === 0) return 2;
    }
  }
  return undefined;
}

export function isMultibootKernel(bytes: Uint8Array): boolean {
  return isElf(bytes) && multibootVersion(bytes) !== undefined;
}

/** Candidates ordered for the quick pick: build/ and target/ first, then shorter paths, then by name. */
export function rankKernelPaths(paths: string[]): string[] {
  const score = (p: string) => (/(^|\/)(build|target)\//.test(p) ? 0 : 1);
  return [...paths].sort((a, b) => score(a) - score(b) || a.split('/').length - b.split('/').length || a.localeCompare(b));
}

/** The launch configuration Faultline uses when there is no launch.json. */
export function defaultLaunchConfig(kernel: string, workspaceFolder: string | undefined): Record<string, unknown> {
  const rel = workspaceFolder && kernel.startsWith(workspaceFolder + '/') ? '${workspaceFolder}' + kernel.slice(workspaceFolder.length) : kernel;
  return {
    type: 'faultline', request: 'launch', name: 'Faultline: ' + rel.replace(/^.*\//, ''),
    kernel: rel, memoryMB: 128, onTripleFault: 'stop', stopOnEntry: false,
  };
}

/**
 * Whether a launch.json configuration names something to boot: a kernel, disks, a CD, a floppy or a firmware
 * image. One that does not gets a kernel found (or picked) for it; one that does is launched as written (a disk
 * or CD boot given a kernel would boot that kernel instead).
 */
export function namesWhatBoots(config: Record<string, unknown>): boolean {
  const given = (v: unknown) => (typeof v === 'string' && v.trim() !== '') || (Array.isArray(v) && v.length > 0);
  return given(config.kernel) || given(config.disks) || given(config.cdrom) || given(config.fda) || given(config.bios);
}
