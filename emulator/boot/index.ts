/**
 * The boot loaders' public face: bootKernel and the ELF types (kernel.ts, no Node APIs, also in the web
 * bundle) plus reading a kernel file from disk (Node only: the CLI, tests).
 */
import * as fs from 'fs';
import * as path from 'path';
import { bytesOf } from '../bytes';
import { BootError } from './errors';

export * from './kernel';

/** Read a kernel (or module, initrd) file from disk; a missing file is a BootError naming the path. */
export function loadKernelFile(filePath: string, what = 'kernel'): Uint8Array {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(filePath);
  } catch {
    throw new BootError(`${what} file ${filePath} does not exist; check the path (relative paths are from ${process.cwd()})`);
  }
  if (stat.isDirectory()) throw new BootError(`${what} file ${filePath} is a directory; give the path of the file inside it`);
  return bytesOf(fs.readFileSync(filePath));
}

/** The file's base name, for BootKernelOptions.fileName. */
export function kernelFileName(filePath: string): string {
  return path.basename(filePath);
}
