/**
 * The gdb server: a TCP listener on 127.0.0.1 (never another interface) serving one debugger at a time
 * (QEMU's `-gdb tcp::PORT`). Public API: GdbServer (listen, close) and gdbArchFor.
 *
 * The machine's life: with `wait` it holds at its first instruction until a debugger connects and continues
 * (QEMU's `-S`); otherwise it runs freely in slices and stops when a debugger connects (as QEMU's gdbstub
 * does). A debugger that detaches or disconnects leaves the machine running freely again, with its
 * breakpoints and watchpoints removed. When the guest ends (isa-debug-exit, HLT with interrupts off, a triple
 * fault) while no debugger is attached, or when the debugger kills it, `onEnd` is called with the last stop.
 */
import * as net from 'node:net';
import type { StopInfo } from '../api';
import type { ElfFile } from '../boot';
import type { Machine } from '../machine';
import { framePacket, PacketReader } from './packets';
import { GdbSession, SharedControl } from './session';
import type { GdbArch } from './target';

export interface GdbServerOptions {
  /** TCP port on 127.0.0.1; 0 picks a free one (listen() returns it). */
  port: number;
  /** Hold the machine at its first instruction until a debugger continues it. */
  wait: boolean;
  elf?: ElfFile;
  /** The target description (default: gdbArchFor(elf)). */
  arch?: GdbArch;
  /** Messages for the user (connections, refused packets). */
  log?: (line: string) => void;
  /** The guest ended with no debugger attached, or the debugger killed it. */
  onEnd?: (stop: StopInfo | 'killed') => void;
  /**
   * Another debugger shares the machine (the DAP session's gdbPort): the server never runs the machine on its
   * own, a connecting gdb does not stop it, and gdb runs it only while the other is stopped (SharedControl).
   */
  shared?: SharedControl;
}

/** The target description that fits the kernel: ELF64 → x86-64, ELF32 → i386. */
/**
 * The target description that fits the guest: ELF64 → x86-64; ELF32 and firmware boots (boot sectors, disks,
 * CDs: the CPU starts in real mode at the reset vector) → i8086, the i386 registers with 16-bit selectors
 * (target.ts), on which gdb runs as i386 with an ELF32 file loaded and as i8086 without one, and on which
 * `set architecture i8086` / `i386` switch either way (with the i386 description gdb 13 keeps disassembling
 * 32-bit code after `set architecture i8086`).
 */
export function gdbArchFor(elf: ElfFile | undefined): GdbArch {
  return elf && elf.class === 64 ? 'x86-64' : 'i8086';
}

const FREE_SLICE = 2_000_000;

export class GdbServer {
  private server?: net.Server;
  private client?: { socket: net.Socket; session: GdbSession };
  private freeRunning = false;
  private ended = false;
  private readonly log: (line: string) => void;

  constructor(private readonly m: Machine, private readonly opts: GdbServerOptions) {
    this.log = opts.log ?? (() => undefined);
  }

  /** Start listening; resolves with the port. Without `wait` the machine starts running. */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = net.createServer((s) => this.accept(s));
      server.once('error', (e: NodeJS.ErrnoException) => {
        reject(new Error(e.code === 'EADDRINUSE' ? `port ${this.opts.port} on 127.0.0.1 is in use; choose another with --gdb PORT`
          : `cannot listen on 127.0.0.1:${this.opts.port} (${e.code ?? e.message})`));
      });
      server.listen(this.opts.port, '127.0.0.1', () => {
        this.server = server;
        server.on('error', (e) => this.log(`gdb server: ${e.message}`));
        if (!this.opts.wait && !this.opts.shared) this.runFreely();
        resolve((server.address() as net.AddressInfo).port);
      });
    });
  }

  /** gdb is running the machine (continue in progress). */
  get running(): boolean {
    return this.client?.session.isRunning ?? false;
  }

  /** Stop a run gdb started, as Ctrl-C in gdb would (gdb then sees SIGINT). */
  interrupt(): void {
    this.client?.session.interrupt();
  }

  close(): void {
    this.ended = true;
    this.freeRunning = false;
    this.client?.session.dispose();
    this.client?.socket.destroy();
    this.client = undefined;
    this.server?.close();
  }

  private accept(socket: net.Socket): void {
    if (this.client || this.ended) {
      socket.end(framePacket('E01')); // one debugger at a time
      return;
    }
    socket.setNoDelay(true);
    this.freeRunning = false; // the machine stops for the debugger (at a slice boundary, already reached)
    let noAck = false;
    let lastSent: Buffer | undefined;
    const reader = new PacketReader();
    const write = (payload: string) => {
      lastSent = framePacket(payload);
      // The guest exited: onEnd (its last output, the exit report) runs before gdb hears of it, so a script that
      // stops the CLI as soon as gdb returns loses nothing.
      if (payload[0] === 'W' && !this.opts.shared) this.end(session, { reason: 'exit', exitCode: parseInt(payload.slice(1), 16) }, lastSent);
      else if (!socket.destroyed) socket.write(lastSent);
    };
    const session: GdbSession = new GdbSession(this.m, this.opts.arch ?? gdbArchFor(this.opts.elf), this.opts.elf, {
      send: write,
      kill: () => (this.opts.shared ? this.drop(session) : this.end(session, 'killed')),
      detach: () => { this.drop(session); socket.end(); },
      log: (l) => this.log(l),
    }, this.opts.shared);
    this.client = { socket, session };
    this.log(`gdb connected from ${socket.remoteAddress}:${socket.remotePort}`);
    socket.on('data', (data) => {
      for (const item of reader.feed(data)) {
        switch (item.kind) {
          case 'interrupt': session.interrupt(); break;
          case 'nack': if (lastSent && !socket.destroyed) socket.write(lastSent); break;
          case 'ack': break;
          case 'bad-checksum': if (!noAck) socket.write('-'); break;
          case 'too-long': if (!noAck) socket.write('+'); write('E01'); break;
          case 'packet': {
            if (!noAck) socket.write('+');
            const text = item.payload.toString('latin1');
            session.handle(text);
            if (text === 'QStartNoAckMode') noAck = true;
            break;
          }
        }
      }
    });
    socket.on('error', () => undefined); // a reset connection ends like a closed one
    socket.on('close', () => {
      if (this.client?.session !== session) return;
      this.log('gdb disconnected; the machine runs on');
      this.drop(session);
    });
  }

  /** The debugger is gone (detach or disconnect): forget it and let the machine run. */
  private drop(session: GdbSession): void {
    if (this.client?.session !== session) return;
    session.dispose();
    this.client = undefined;
    if (!this.ended && !this.opts.shared) this.runFreely();
  }

  /** The guest ended or gdb killed it: onEnd, then `last` (the exit reply) to gdb, and everything closes. */
  private end(session: GdbSession, stop: StopInfo | 'killed', last?: Buffer): void {
    if (this.ended) return;
    this.ended = true;
    this.opts.onEnd?.(stop);
    session.dispose();
    if (last && this.client && !this.client.socket.destroyed) this.client.socket.write(last);
    this.client?.socket.end();
    this.client = undefined;
    this.server?.close();
  }

  /** No debugger attached: run in slices until the guest ends or a debugger connects. */
  private runFreely(): void {
    this.freeRunning = true;
    const slice = () => {
      if (!this.freeRunning || this.ended) return;
      let stop: StopInfo;
      try {
        stop = this.m.run(FREE_SLICE);
      } catch (e) {
        this.log(`the machine failed: ${(e as Error).message}`);
        stop = { reason: 'halt' };
      }
      if (stop.reason === 'budget' || stop.reason === 'pause' || stop.reason === 'breakpoint' || stop.reason === 'watchpoint' || stop.reason === 'exception') {
        setImmediate(slice);
        return;
      }
      this.freeRunning = false;
      this.ended = true;
      this.server?.close();
      this.opts.onEnd?.(stop);
    };
    setImmediate(slice);
  }
}
