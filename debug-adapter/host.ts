/**
 * What the debug adapter needs from where it runs: reading files (kernel, symbols, later firmware), path
 * arithmetic and, on Node only, the gdb server's TCP listener. node-host.ts gives Node's fs/path (the stdio
 * adapter, `faultline dap`, the desktop extension's inline mode); VS Code for the Web's extension gives one
 * over vscode.workspace.fs (extension/web-adapter.ts). The session itself never touches Node APIs.
 */
import type { Runtime, StopInfo } from '../emulator/api';
import type { ElfFile } from '../emulator/boot/kernel';
import type { PcBoardOptions } from '../emulator/board/pc';
import type { MediaRequest } from '../emulator/firmware/boot-media';
import type { GdbServer } from '../emulator/gdb/server';
import type { GdbShareHooks } from './gdb-share';

export interface PathOps {
  resolve(...parts: string[]): string;
  dirname(p: string): string;
  basename(p: string): string;
  isAbsolute(p: string): boolean;
  readonly sep: string;
}

export interface AdapterHost {
  /** The directory relative paths start from when launch.json has no "cwd". */
  cwd(): string;
  /** A file's bytes by path (kernel, symbols, firmware); rejects with a sentence naming the path. */
  readFile(path: string): Promise<Uint8Array>;
  /** Whether a file exists (false when it cannot be told). */
  exists(path: string): Promise<boolean>;
  /** Synchronous existence check for resolving DWARF source names; absent where files are only reachable asynchronously. */
  existsSync?(path: string): boolean;
  readonly path: PathOps;
  /**
   * The path the client opens for a host path (stack frames, sources in custom requests); as is when absent.
   * In the browser a workspace that is not on `file:` needs its URI (vscode-remote://…, vscode-vfs://…).
   */
  clientPath?(path: string): string;
  /** The host path of a path the client sent (setBreakpoints' source.path): the inverse of clientPath. */
  hostPath?(clientPath: string): string;
  /**
   * The VGA BIOS image whose font draws VGA text as pixels, where the emulator cannot read the seabios
   * package's (the browser: the copy shipped in the extension); undefined when there is none.
   */
  vgaBios?(): Promise<Uint8Array | undefined>;
  /**
   * SeaBIOS's system BIOS and VGA BIOS where openMedia is absent (the browser: the copies shipped in the
   * extension's firmware/seabios); rejects with a sentence when they cannot be read.
   */
  firmware?(): Promise<{ bios: Uint8Array; vgaBios?: Uint8Array }>;
  /** Disk and CD images and SeaBIOS for the board (Node only); throws BootError sentences (boot-media.ts). */
  openMedia?(r: MediaRequest): PcBoardOptions;
  /** launch.json gdbPort (Node only: a TCP listener on 127.0.0.1). */
  shareWithGdb?(rt: Runtime, port: number, elf: ElfFile | undefined, hooks: GdbShareHooks): Promise<{ server: GdbServer; port: number }>;
}

/** POSIX path arithmetic on '/'-separated paths (URI paths in the browser), as node:path/posix does it. */
export const posixPath: PathOps = {
  sep: '/',
  isAbsolute: (p) => p.startsWith('/'),
  resolve(...parts: string[]): string {
    let out: string[] = [];
    for (const part of parts) {
      if (!part) continue;
      if (part.startsWith('/')) out = [];
      for (const seg of part.split('/')) {
        if (!seg || seg === '.') continue;
        if (seg === '..') out.pop();
        else out.push(seg);
      }
    }
    return '/' + out.join('/');
  },
  dirname(p: string): string {
    const s = p.replace(/\/+$/, '');
    const i = s.lastIndexOf('/');
    return i < 0 ? '.' : i === 0 ? '/' : s.slice(0, i);
  },
  basename(p: string): string {
    const s = p.replace(/\/+$/, '');
    return s.slice(s.lastIndexOf('/') + 1);
  },
};
