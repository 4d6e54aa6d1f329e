import * as net from 'node:net';
import { PacketReader, framePacket } from '../../emulator/gdb/packets';

/** A raw protocol client: send a packet, get the next reply payload (acks and O packets are collected). */
export class Client {
  private reader = new PacketReader();
  private queue: string[] = [];
  private waiters: ((p: string) => void)[] = [];
  acks = '';
  output = '';
  constructor(readonly socket: net.Socket) {
    socket.on('data', (d) => {
      for (const ch of d.toString('latin1')) if (ch === '+' || ch === '-') this.acks += ch;
      for (const it of this.reader.feed(d)) {
        if (it.kind !== 'packet') continue;
        const p = it.payload.toString('latin1');
        if (p.startsWith('O') && p !== 'OK') { this.output += Buffer.from(p.slice(1), 'hex').toString(); continue; }
        const w = this.waiters.shift();
        if (w) w(p); else this.queue.push(p);
      }
    });
  }
  static connect(port: number, host = '127.0.0.1'): Promise<Client> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, host, () => resolve(new Client(s)));
      s.once('error', reject);
    });
  }
  next(timeoutMs = 10_000): Promise<string> {
    const q = this.queue.shift();
    if (q !== undefined) return Promise.resolve(q);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no reply')), timeoutMs);
      this.waiters.push((p) => { clearTimeout(t); resolve(p); });
    });
  }
  raw(bytes: string | Buffer): void {
    this.socket.write(bytes);
  }
  ask(payload: string): Promise<string> {
    this.raw(framePacket(payload));
    return this.next();
  }
}

