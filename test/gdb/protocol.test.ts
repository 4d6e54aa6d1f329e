import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { after, before, describe, it } from 'node:test';
import { parseElf } from '../../emulator/boot';
import { framePacket, MAX_PACKET } from '../../emulator/gdb/packets';
import { GdbServer } from '../../emulator/gdb/server';
import { MAX_READ } from '../../emulator/gdb/session';
import { Machine } from '../../emulator/machine';
import { fixture } from './helpers';
import { Client } from './rsp-client';

/**
 * The server on bad input, over a raw socket (no gdb): malformed packets, bad checksums, oversized packets
 * and reads, unknown queries and garbage get `-`, `E NN` or the empty reply; the server keeps answering and
 * listens on loopback only. Also Ctrl-C while running, and one debugger at a time.
 */

describe('gdb server protocol robustness', () => {
  let server: GdbServer;
  let port: number;
  let client: Client;
  let ended: unknown;
  let machine: Machine;
  const elf = fs.readFileSync(fixture('stack-overflow-no-ist.elf'));

  before(async () => {
    const m = machine = Machine.create({ onTripleFault: 'stop' });
    m.boot(elf);
    m.enableHistory();
    server = new GdbServer(m, { port: 0, wait: true, elf: parseElf(elf, 'stack-overflow-no-ist.elf'), onEnd: (s) => { ended = s; } });
    port = await server.listen();
    client = await Client.connect(port);
  });
  after(() => {
    client.socket.destroy();
    server.close();
  });

  it('answers the handshake: qSupported, target.xml in pieces, ? and g', async () => {
    assert.match(await client.ask('qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+'), /PacketSize=4000;qXfer:features:read\+;swbreak\+;hwbreak\+;ReverseStep\+;ReverseContinue\+/);
    let xml = '';
    for (let off = 0; ; off += 0x200) {
      const r = await client.ask(`qXfer:features:read:target.xml:${off.toString(16)},200`);
      xml += r.slice(1);
      if (r[0] === 'l') break;
      assert.equal(r[0], 'm');
    }
    assert.match(xml, /<architecture>i386:x86-64<\/architecture>/);
    assert.match(xml, /<feature name="org.gnu.gdb.i386.core">/);
    assert.match(xml, /<reg name="cr3" bitsize="64" type="int" regnum="\d+" group="system"\/>/);
    assert.equal(await client.ask('?'), 'T05thread:01;');
    const g = await client.ask('g');
    assert.match(g, /^[0-9a-f]+$/);
    // RIP is register 16 (after 16 GPRs of 8 bytes): the multiboot entry 0x100020, little-endian.
    assert.equal(g.slice(16 * 16, 17 * 16), '2000100000000000');
  });

  it('bad checksums get "-", and the packet is not executed', async () => {
    client.acks = '';
    client.raw('$g#00');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(client.acks, '-');
    client.raw('$g#zz');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(client.acks, '--');
    assert.equal(await client.ask('?'), 'T05thread:01;', 'still answering, and nothing was queued by the bad packets');
  });

  it('malformed packets get E01, unknown packets and queries the empty reply', async () => {
    for (const p of ['m', 'mzz,4', 'm100000', 'm1,', 'M100000,2:zz', 'M100000,4:00', 'X100000,5:ab', 'Z9,100000,1', 'Z0', 'P', 'Pzz=00', 'P999=00', 'p', 'pzzzz', 'p1000', 'G0', 'qRcmd,zz', 'qXfer:features:read:target.xml:zz', 'vCont;x']) {
      assert.match(await client.ask(p), /^E[0-9a-f]{2}$/, p);
    }
    assert.equal(await client.ask('qXfer:features:read:other.xml:0,100'), 'E00');
    for (const p of ['qFooBar', 'qTStatus', 'vMustReplyEmpty', 'vFile:open:x', 'y', '!', 'QFoo', 'bx', '']) {
      assert.equal(await client.ask(p), '', p);
    }
    for (const p of ['Z2,100000,0', 'Z3,100000,1001', 'Z4,100000,ffffffffffffffffffff']) assert.equal(await client.ask(p), 'E01', p);
  });

  it('memory: huge reads are capped at one packet, reads where nothing is are E14, writes land in guest RAM', async () => {
    const r = await client.ask('m100000,ffffffff');
    assert.equal(r.length, MAX_READ * 2);
    assert.ok(MAX_READ * 2 + 4 <= MAX_PACKET);
    assert.equal(await client.ask('mffffffffffff0000,10'), 'E14', 'nothing mapped there (paging off: beyond RAM)');
    assert.equal(await client.ask('m100000,0'), '');
    assert.equal(await client.ask('m100020,4'), Buffer.from(machine.readPhysical(0x100020n, 4)).toString('hex'));
    assert.equal(await client.ask('M100020,1:90'), 'OK');
    assert.equal(Buffer.from(machine.readPhysical(0x100020n, 1)).toString('hex'), '90');
  });

  it('an oversized packet is refused whole and the server keeps going', async () => {
    client.acks = '';
    const reply = client.ask('m' + '1'.repeat(MAX_PACKET + 100) + ',1');
    assert.match(await reply, /^E01$/);
    assert.equal(await client.ask('?'), 'T05thread:01;');
  });

  it('garbage between packets is ignored', async () => {
    client.raw(Buffer.from([0x00, 0xff, 0x7d, 0x23, 0x41, 0x0a]));
    assert.equal(await client.ask('?'), 'T05thread:01;');
  });

  it('monitor commands answer in text; an unknown one says so', async () => {
    const hex = (s: string) => Buffer.from(s).toString('hex');
    const text = async (cmd: string) => Buffer.from(await client.ask('qRcmd,' + hex(cmd)), 'hex').toString();
    assert.match(await text('help'), /monitor faultchain/);
    assert.match(await text('frobnicate'), /unknown monitor command 'frobnicate'/);
    assert.match(await text('walk nowhere'), /'nowhere' is not an address/);
    assert.match(await text('phys 0x100020 4'), /0x100020: [0-9a-f]{2} [0-9a-f]{2} [0-9a-f]{2} [0-9a-f]{2}\n/);
    assert.match(await text('phys 0xffffffff0 16'), /beyond guest RAM/);
    assert.match(await text('catch 99'), /'99' is not an exception vector/);
    assert.match(await text('faultchain'), /no exception has been raised yet/);
  });

  it('a second debugger is turned away while one is attached', async () => {
    const other = await Client.connect(port);
    assert.equal(await other.next(), 'E01');
    other.socket.destroy();
    assert.equal(await client.ask('?'), 'T05thread:01;');
    assert.equal(ended, undefined);
  });

  it('listens on 127.0.0.1 only', async () => {
    // The kernel's table of IPv4 sockets: the listening one (state 0A) on our port is bound to 127.0.0.1,
    // and no IPv6 socket listens on it.
    const listening = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '').split('\n').slice(1)
      .map((l) => l.trim().split(/\s+/)).filter((f) => f.length > 3 && f[3] === '0A' && parseInt(f[1].split(':')[1], 16) === port).map((f) => f[1].split(':')[0]);
    if (fs.existsSync('/proc/net/tcp')) {
      assert.deepEqual(listening('/proc/net/tcp'), ['0100007F']);
      assert.deepEqual(listening('/proc/net/tcp6'), []);
    }
    const external = Object.values(os.networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal);
    if (external) await assert.rejects(Client.connect(port, external.address), /ECONNREFUSED/);
  });
});

describe('gdb server run control', () => {
  it('Ctrl-C while a long loop runs stops it with SIGINT, and continuing goes on from there', async () => {
    const m = Machine.create();
    m.boot(fs.readFileSync(fixture('bench-loop.elf')));
    const server = new GdbServer(m, { port: 0, wait: true });
    const port = await server.listen();
    const client = await Client.connect(port);
    try {
      client.raw(framePacket('vCont;c'));
      await new Promise((r) => setTimeout(r, 150));
      assert.equal(await client.ask('?').catch(() => 'no reply'), 'E01', 'only an interrupt is valid while running');
      client.raw(Buffer.from([0x03]));
      assert.equal(await client.next(), 'T02thread:01;');
      const first = m.instructionCount;
      assert.ok(first > 1_000_000, `ran ${first} instructions before the interrupt`);
      client.raw(framePacket('c'));
      await new Promise((r) => setTimeout(r, 100));
      client.raw(Buffer.from([0x03]));
      assert.equal(await client.next(), 'T02thread:01;');
      assert.ok(m.instructionCount > first);
    } finally {
      client.socket.destroy();
      server.close();
    }
  });
});

describe('gdb server watchpoints', () => {
  it('Z2, Z3, Z4 stop with watch:, rwatch:, awatch: and the first watched byte the access touched', async () => {
    // c32-bare-bones: set_gate(0, …) writes idt[0] (two dword stores), divide() loads divisor, and #DE
    // delivery reads the idt[0] gate.
    const bytes = fs.readFileSync(fixture('c32-bare-bones.elf'));
    const elf = parseElf(bytes, 'c32-bare-bones.elf');
    const addr = (name: string) => elf.symbols.find((s) => s.name === name)!.value;
    const m = Machine.create();
    m.boot(bytes);
    const server = new GdbServer(m, { port: 0, wait: true, elf });
    const client = await Client.connect(await server.listen());
    const idt = addr('idt').toString(16), divisor = addr('divisor'), gate = addr('idt') + 4n;
    try {
      // Z2 on the gate's upper dword (offset 16-31, type, selector): the second store of set_gate.
      assert.equal(await client.ask(`Z2,${gate.toString(16)},4`), 'OK');
      assert.equal(await client.ask('c'), `T05thread:01;watch:${gate.toString(16)};`);
      assert.equal(await client.ask(`z2,${gate.toString(16)},4`), 'OK');
      // Z3 on the divisor's second byte: divide()'s dword load starts one byte before it.
      assert.equal(await client.ask(`Z3,${(divisor + 1n).toString(16)},1`), 'OK');
      assert.equal(await client.ask(`Z4,${idt},8`), 'OK');
      assert.equal(await client.ask('c'), `T05thread:01;rwatch:${(divisor + 1n).toString(16)};`);
      assert.equal(await client.ask(`z3,${(divisor + 1n).toString(16)},1`), 'OK');
      const reply = await client.ask('c');
      assert.equal(reply, `T05thread:01;awatch:${idt};`, 'delivering #DE reads the gate');
      assert.equal(m.state().regs.rip, addr('divide_error'));
    } finally {
      client.socket.destroy();
      server.close();
    }
  });
});
