/** The adapter's host under Node: files through node:fs, node:path, and the gdb server (gdb-share.ts). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AdapterHost } from './host';
import { boardFor } from '../emulator/firmware/boot-media';
import { shareWithGdb } from './gdb-share';

export const nodeHost: AdapterHost = {
  cwd: () => process.cwd(),
  async readFile(p: string): Promise<Uint8Array> {
    try {
      const b = await fs.promises.readFile(p);
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new Error(code === 'ENOENT' ? `${p} does not exist` : code === 'EISDIR' ? `${p} is a directory, not a file` : `cannot read ${p} (${code ?? (e as Error).message})`);
    }
  },
  exists: async (p: string) => fs.existsSync(p),
  existsSync: (p: string) => fs.existsSync(p),
  path,
  openMedia: boardFor,
  shareWithGdb,
};
