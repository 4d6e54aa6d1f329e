/**
 * Source files: where a DWARF file name lives on the host (as is, or relative to cwd, the kernel's directory
 * or its parents), whether it is the file the client means, and the DAP Source the client opens (a URI in a
 * browser workspace that is not on file:).
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { SymbolIndex } from '../emulator/symbols/symbols';
import { posixPath, type AdapterHost, type PathOps } from './host';

export interface SourceContext {
  cwd: string;
  /** The ELF the DWARF came from (launch.json `symbols`, else `kernel`), relative to cwd. */
  debugFile?: string;
}

export class SourcePaths {
  private readonly resolved = new Map<string, string>();

  constructor(private readonly host: AdapterHost | undefined, private readonly context: () => SourceContext) {}

  get path(): PathOps {
    return this.host?.path ?? posixPath;
  }

  /** Absolute host path of a DWARF file name. */
  resolve(dwarfPath: string): string {
    const cached = this.resolved.get(dwarfPath);
    if (cached) return cached;
    const path = this.path, exists = this.host?.existsSync;
    const { cwd, debugFile } = this.context();
    let found = path.isAbsolute(dwarfPath) ? dwarfPath : undefined;
    if (!found) {
      const roots = [cwd];
      if (debugFile !== undefined) {
        let d = path.dirname(path.resolve(cwd, debugFile));
        for (let i = 0; i < 6; i++) { roots.push(d); d = path.dirname(d); }
      }
      found = (exists && roots.map((r) => path.resolve(r, dwarfPath)).find((p) => exists(p))) || path.resolve(cwd, dwarfPath);
    }
    this.resolved.set(dwarfPath, found);
    return found;
  }

  /** Whether the DWARF file name is the client's file (a host path). */
  same(dwarfPath: string, clientPath: string): boolean {
    const c = this.path.resolve(clientPath);
    if (this.resolve(dwarfPath) === c) return true;
    const norm = dwarfPath.replace(/^\.\//, '');
    return c.endsWith(this.path.sep + norm);
  }

  /** The host path of a client's path or URI. */
  hostPath(clientPath: string): string {
    return this.path.resolve(this.host?.hostPath?.(clientPath) ?? clientPath);
  }

  /** A host path as the client opens it. */
  clientPath(p: string): string {
    return this.host?.clientPath?.(p) ?? p;
  }

  source(dwarfPath: string): DebugProtocol.Source {
    const p = this.resolve(dwarfPath);
    return { name: this.path.basename(p), path: this.clientPath(p) };
  }

  /** The client path and line of the code at `address`, from the DWARF line table. */
  line(symbols: SymbolIndex | undefined, address: bigint): { path: string; line: number } | undefined {
    const loc = symbols?.lineAt(address);
    return loc ? { path: this.clientPath(this.resolve(loc.file)), line: loc.line } : undefined;
  }

  /** `source` and `line` fields for a DAP object describing the code at `address`. */
  sourceAndLine(symbols: SymbolIndex | undefined, address: bigint): { source?: DebugProtocol.Source; line?: number } {
    const loc = symbols?.lineAt(address);
    return loc ? { source: this.source(loc.file), line: loc.line } : {};
  }
}
