import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makePc, runTo } from './harness';
import { E1000 } from '../../emulator/devices/e1000';
import { eepromImage, REG } from '../../emulator/devices/e1000-regs';
import { buildIpv4, buildUdp, ethFrame, get16, get32, internetChecksum, put16 } from '../../emulator/devices/net-packets';

/**
 * The e1000 (82540EM) as QEMU 7.2's hw/net/e1000.c models it, driven through its PCI function, BARs and guest RAM
 * the way a driver does, with the user-mode network (usernet.ts) behind it.
 */
const MMIO = 0xfebc0000;
const IO = 0xc000;
const TX_RING = 0x10000, RX_RING = 0x11000, RX_BUF = 0x20000, TX_BUF = 0x30000;
const GUEST_MAC = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
const BCAST = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];

function card(board: { nic?: boolean; nodefaults?: boolean } = {}) {
  const pc = makePc({ board });
  const nic = pc.devices.board.nic!;
  const fn = pc.devices.board.pci.function(3, 0)!;
  fn.write(0x10, 4, MMIO);
  fn.write(0x14, 4, IO);
  fn.write(0x04, 2, 0x0007);
  pc.devices.board.piix3.write(0x62, 1, 11); // PIRQC (slot 3, INTA#) -> IRQ 11
  const rd = (off: number) => pc.phys.read(MMIO + off, 4) >>> 0;
  const wr = (off: number, v: number) => pc.phys.write(MMIO + off, 4, v >>> 0);
  const irq = () => pc.devices.board.pci.intxLevel(2);
  return { ...pc, nic, fn, rd, wr, irq };
}

type Card = ReturnType<typeof card>;

/** Rings of 8 descriptors, 2 KiB buffers, receiver and transmitter on, broadcast accepted. */
function rings(c: Card, rctlExtra = 0x8000) {
  c.wr(REG.TDBAL, TX_RING); c.wr(REG.TDBAH, 0); c.wr(REG.TDLEN, 128); c.wr(REG.TDH, 0); c.wr(REG.TDT, 0);
  c.wr(REG.RDBAL, RX_RING); c.wr(REG.RDBAH, 0); c.wr(REG.RDLEN, 128); c.wr(REG.RDH, 0);
  for (let i = 0; i < 8; i++) {
    c.phys.write(RX_RING + 16 * i, 4, RX_BUF + 2048 * i);
    c.phys.write(RX_RING + 16 * i + 4, 4, 0);
    c.phys.write(RX_RING + 16 * i + 8, 4, 0);
    c.phys.write(RX_RING + 16 * i + 12, 4, 0);
  }
  c.wr(REG.RDT, 7);
  c.wr(REG.TCTL, 0x0103f0fa);
  c.wr(REG.RCTL, 0x2 | rctlExtra);
  runTo(c.clock, c.clock.instructions + 1_000_000_001); // past QEMU's 1 s RX flush hold after an RCTL write
}

let txTail = 0;
/** Put `frame` in TX descriptor TDT (legacy, EOP|IFCS|RS) and advance TDT. */
function send(c: Card, frame: Uint8Array, cmd = 0x0b): number {
  const slot = c.rd(REG.TDT);
  const buf = TX_BUF + 2048 * slot;
  c.phys.load(buf, frame);
  c.phys.write(TX_RING + 16 * slot, 4, buf);
  c.phys.write(TX_RING + 16 * slot + 4, 4, 0);
  c.phys.write(TX_RING + 16 * slot + 8, 4, (cmd << 24) | frame.length);
  c.phys.write(TX_RING + 16 * slot + 12, 4, 0);
  txTail = (slot + 1) % 8;
  c.wr(REG.TDT, txTail);
  return slot;
}

/** RX descriptors written back since `from`: their frames (FCS bytes cut) and status. */
function received(c: Card, from = 0): { frame: Uint8Array; length: number; status: number }[] {
  const out = [];
  for (let i = from; i < c.rd(REG.RDH); i++) {
    const length = c.phys.read(RX_RING + 16 * i + 8, 2);
    const status = c.phys.read(RX_RING + 16 * i + 12, 1);
    out.push({ frame: c.phys.slice(RX_BUF + 2048 * i, length - 4), length, status });
  }
  return out;
}

const mac = (b: number[]) => Uint8Array.from(b);

function arpRequest(tip: number, sip = 0x0a00020f): Uint8Array {
  const a = new Uint8Array(28);
  put16(a, 0, 1); put16(a, 2, 0x0800); a[4] = 6; a[5] = 4; put16(a, 6, 1);
  a.set(GUEST_MAC, 8);
  new DataView(a.buffer).setUint32(14, sip);
  new DataView(a.buffer).setUint32(24, tip);
  return ethFrame(mac(BCAST), mac(GUEST_MAC), 0x0806, a);
}

test('PCI function 00:03.0: 8086:100E rev 3, class 0x020000, subsystem 1AF4:1100, INTA#, BAR0 128 KiB memory, BAR1 64 B I/O', () => {
  const pc = makePc();
  const f = pc.devices.board.pci.function(3, 0)!;
  assert.ok(f instanceof E1000);
  assert.equal(f.read(0, 4), 0x100e8086);
  assert.equal(f.read(0x08, 4), 0x02000003);
  assert.equal(f.read(0x2c, 4), 0x11001af4);
  assert.equal(f.read(0x3d, 1), 1);
  assert.equal(f.read(0x0c, 1), 0, 'cache line size 0 after QEMU\'s device reset (Linux: "PCI: CLS 0 bytes")');
  f.write(0x10, 4, 0xffffffff);
  assert.equal(f.read(0x10, 4), 0xfffe0000);
  f.write(0x14, 4, 0xffffffff);
  assert.equal(f.read(0x14, 4), 0xffffffc1);
});

test('default board has the NIC; nodefaults and nic: false (QEMU -nic none) do not', () => {
  assert.ok(makePc().devices.board.nic);
  assert.equal(makePc({ board: { nodefaults: true } }).devices.board.pci.function(3, 0), undefined);
  assert.equal(makePc({ board: { nic: false } }).devices.board.pci.function(3, 0), undefined);
  assert.ok(makePc({ board: { nodefaults: true, nic: true } }).devices.board.nic);
});

test('reset values: STATUS link up at 1000 full, CTRL, PBA, RAL/RAH hold the MAC with AV, unmodelled registers read 0', () => {
  const c = card();
  assert.equal(c.rd(REG.STATUS), 0x80080783);
  assert.equal(c.rd(REG.CTRL), 0x00140240);
  assert.equal(c.rd(REG.PBA), 0x00100030);
  assert.equal(c.rd(REG.RA), 0x12005452);
  assert.equal(c.rd(REG.RA + 4), 0x80005634);
  assert.equal(c.rd(REG.CTRL_EXT), 0, 'CTRL_EXT is not in QEMU\'s register table');
  c.wr(REG.CTRL_EXT, 0x1234);
  assert.equal(c.rd(REG.CTRL_EXT), 0);
  assert.equal(c.phys.read(MMIO + 1, 1), 0x02, 'a byte read takes its byte of the dword');
});

test('EEPROM: QEMU\'s image (MAC, device ID, words summing to 0xBABA) through EERD and bit-banged EECD', () => {
  const c = card();
  const img = eepromImage();
  assert.deepEqual([img[0], img[1], img[2], img[11], img[13]], [0x5452, 0x1200, 0x5634, 0x100e, 0x100e]);
  let sum = 0;
  for (const w of img) sum = (sum + w) & 0xffff;
  assert.equal(sum, 0xbaba);
  for (let i = 0; i < 64; i++) {
    c.wr(REG.EERD, (i << 8) | 1);
    const v = c.rd(REG.EERD);
    assert.equal(v & 0x10, 0x10, 'DONE');
    assert.equal(v >>> 16, img[i], `EERD word ${i}`);
  }
  // Microwire: CS, then start bit 1, opcode 10 (READ), 6-bit address, clocked on SK; 16 data bits out on DO.
  const eecd = (v: number) => c.wr(REG.EECD, v);
  const bit = (b: number) => { eecd(0x2 | (b ? 4 : 0)); eecd(0x3 | (b ? 4 : 0)); eecd(0x2 | (b ? 4 : 0)); };
  for (const addr of [0, 2, 63]) {
    eecd(0); eecd(0x2);
    for (const b of [1, 1, 0]) bit(b);
    for (let k = 5; k >= 0; k--) bit((addr >> k) & 1);
    let w = 0;
    for (let k = 0; k < 16; k++) {
      eecd(0x3);
      w = (w << 1) | ((c.rd(REG.EECD) >> 3) & 1);
      eecd(0x2);
    }
    eecd(0);
    assert.equal(w, img[addr], `bit-banged word ${addr}`);
  }
  assert.equal(c.rd(REG.EECD) & 0x180, 0x180, 'PRES and GNT');
});

test('MDIC: PHY 1 registers as QEMU (IDs, BMSR), writes kept, unknown registers and other PHY addresses set E', () => {
  const c = card();
  const mdic = (op: number, reg: number, data = 0, phy = 1) => { c.wr(REG.MDIC, (op << 26) | (phy << 21) | (reg << 16) | data); return c.rd(REG.MDIC); };
  assert.equal(mdic(2, 2) & 0xffff, 0x0141);
  assert.equal(mdic(2, 3) & 0xffff, 0x0c20);
  assert.equal(mdic(2, 1) & 0xffff, 0x794d, 'link up, autonegotiation not yet complete');
  assert.equal(mdic(2, 1) & 0x50000000, 0x10000000, 'READY, no error');
  mdic(1, 4, 0x0de1);
  assert.equal(mdic(2, 4) & 0xffff, 0x0de1);
  assert.equal(mdic(2, 7) & 0x40000000, 0x40000000, 'register 7 is not modelled');
  assert.equal(mdic(2, 1, 0, 2) & 0x40000000, 0x40000000, 'PHY address 2');
});

test('autonegotiation restart: link down for 500 ms of virtual time, then up with AN complete and LSC', () => {
  const c = card();
  c.wr(REG.IMS, 0x4);
  c.wr(REG.MDIC, (1 << 26) | (1 << 21) | (0 << 16) | 0x1340); // BMCR: AUTOEN | ANRESTART
  assert.equal(c.rd(REG.STATUS) & 2, 0);
  runTo(c.clock, c.clock.instructions + 499_000_000);
  assert.equal(c.rd(REG.STATUS) & 2, 0);
  assert.equal(c.irq(), false);
  runTo(c.clock, c.clock.instructions + 2_000_000);
  assert.equal(c.rd(REG.STATUS) & 2, 2);
  c.wr(REG.MDIC, (2 << 26) | (1 << 21) | (1 << 16));
  assert.equal(c.rd(REG.MDIC) & 0x24, 0x24, 'BMSR: link and AN complete');
  assert.equal(c.irq(), true, 'LSC raised INTA#');
  assert.equal(c.rd(REG.ICR), 0x4);
  assert.equal(c.irq(), false, 'reading ICR cleared it');
  assert.equal(c.rd(REG.ICR), 0);
});

test('interrupts: ICS/IMS/IMC, ICR read-to-clear, INTA# through PIIX3 PIRQC; mitigation holds later rises 128 us', () => {
  const c = card();
  c.wr(REG.ICS, 0x80);
  assert.equal(c.irq(), false, 'masked');
  assert.equal(c.rd(REG.ICS), 0x80, 'ICS reads as ICR');
  const t0 = c.clock.instructions;
  c.wr(REG.IMS, 0x80);
  assert.equal(c.irq(), true);
  assert.equal(c.rd(REG.IMS), 0x80);
  c.wr(REG.IMC, 0x80);
  assert.equal(c.irq(), false);
  c.wr(REG.IMS, 0x84);
  // QEMU's mitigation: a rise inside 500 x 256 ns of the last one waits for the timer.
  assert.equal(c.irq(), false);
  runTo(c.clock, t0 + 500 * 256 - 1);
  assert.equal(c.irq(), false);
  runTo(c.clock, t0 + 500 * 256);
  assert.equal(c.irq(), true);
  c.wr(REG.ICR, 0x80); // write-1-to-clear
  assert.equal(c.irq(), false);
  assert.equal(c.rd(REG.ICR), 0x0, 'nothing left');
  runTo(c.clock, c.clock.instructions + 1_000_000);
  c.wr(REG.ICS, 0x4);
  assert.equal(c.irq(), true, 'after the window a rise is at once');
  assert.equal(c.rd(REG.ICR), 0x4);
  assert.equal(c.irq(), false);
  runTo(c.clock, c.clock.instructions + 1_000_000);
  c.fn.write(0x04, 2, 0x0407); // COMMAND.INTx disable holds the pin low
  c.wr(REG.ICS, 0x80);
  assert.equal(c.irq(), false);
  assert.equal(c.fn.read(0x06, 2) & 0x8, 0x8, 'STATUS.Interrupt shows the request');
  c.fn.write(0x04, 2, 0x0007);
  assert.equal(c.irq(), true);
});

test('ITR throttles rising edges to its interval (256 ns units)', () => {
  const c = card();
  c.wr(REG.ITR, 4000); // 1.024 ms
  c.wr(REG.IMS, 0x80);
  const t0 = c.clock.instructions;
  c.wr(REG.ICS, 0x80);
  assert.equal(c.irq(), true);
  c.rd(REG.ICR);
  c.wr(REG.ICS, 0x80);
  runTo(c.clock, t0 + 4000 * 256 - 1);
  assert.equal(c.irq(), false);
  runTo(c.clock, t0 + 4000 * 256);
  assert.equal(c.irq(), true);
});

test('ARP: the gateway 10.0.2.2 answers with 52:55:0a:00:02:02 into the RX ring; TX writeback, TXDW/TXQE, RXT0, stats', () => {
  const c = card();
  rings(c);
  c.wr(REG.IMS, 0x83);
  const slot = send(c, arpRequest(0x0a000202));
  assert.equal(c.phys.read(TX_RING + 16 * slot + 12, 1) & 1, 1, 'DD written back (RS)');
  assert.equal(c.rd(REG.TDH), c.rd(REG.TDT));
  const rx = received(c);
  assert.equal(rx.length, 1);
  assert.equal(rx[0].length, 68, 'slirp\'s 64-byte ARP reply plus the FCS');
  assert.equal(rx[0].status, 0x07, 'DD | EOP | IXSM');
  const f = rx[0].frame;
  assert.deepEqual(Array.from(f.subarray(0, 12)), [...GUEST_MAC, 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02]);
  assert.equal(get16(f, 20), 2, 'ARP reply');
  assert.equal(get32(f, 28), 0x0a000202);
  assert.equal(c.irq(), true);
  assert.equal(c.rd(REG.ICR) & 0x83, 0x83, 'TXDW | TXQE | RXT0');
  assert.equal(c.rd(REG.GPRC), 1);
  assert.equal(c.rd(REG.GPRC), 0, 'statistics clear on read');
  assert.equal(c.rd(REG.BPTC), 1, 'broadcast sent');
  assert.equal(c.rd(REG.GPTC), 1);
  assert.equal(c.rd(REG.TORL), 68);
  // The DNS address answers with its own MAC; another address on the network does not answer.
  send(c, arpRequest(0x0a000203));
  send(c, arpRequest(0x0a000204));
  const more = received(c, 1);
  assert.equal(more.length, 1);
  assert.deepEqual(Array.from(more[0].frame.subarray(6, 12)), [0x52, 0x55, 0x0a, 0x00, 0x02, 0x03]);
});

function dhcp(type: number, requested?: number): Uint8Array {
  const bp = new Uint8Array(300);
  bp[0] = 1; bp[1] = 1; bp[2] = 6;
  new DataView(bp.buffer).setUint32(4, 0x12345678);
  bp.set(GUEST_MAC, 28);
  new DataView(bp.buffer).setUint32(236, 0x63825363);
  let q = 240;
  bp[q++] = 53; bp[q++] = 1; bp[q++] = type;
  if (requested) { bp[q++] = 50; bp[q++] = 4; new DataView(bp.buffer).setUint32(q, requested); q += 4; }
  bp[q] = 255;
  const udp = buildUdp(0, 0xffffffff, 68, 67, bp);
  return ethFrame(mac(BCAST), mac(GUEST_MAC), 0x0800, buildIpv4({ tos: 0, id: 1, df: false, ttl: 64, proto: 17, src: 0, dst: 0xffffffff }, udp));
}

function dhcpOptions(f: Uint8Array): number[][] {
  const bp = f.subarray(14 + 20 + 8);
  const out: number[][] = [];
  for (let p = 240; bp[p] !== 255;) { const len = bp[p + 1]; out.push(Array.from(bp.subarray(p, p + 2 + len))); p += 2 + len; }
  return out;
}

test('DHCP: DISCOVER gets an OFFER of 10.0.2.15 with slirp\'s options, REQUEST an ACK, another address a NAK', () => {
  const c = card();
  rings(c);
  send(c, dhcp(1));
  let [offer] = received(c);
  assert.equal(offer.length, 14 + 20 + 8 + 548 + 4);
  const ip = offer.frame.subarray(14);
  assert.equal(internetChecksum(ip.subarray(0, 20)), 0);
  assert.deepEqual([ip[1], ip[8], get32(ip, 12), get32(ip, 16)], [0x10, 64, 0x0a000202, 0xffffffff]);
  const bp = offer.frame.subarray(42);
  assert.equal(get32(bp, 4), 0x12345678, 'xid');
  assert.equal(get32(bp, 16), 0x0a00020f, 'yiaddr');
  assert.equal(get32(bp, 20), 0x0a000202, 'siaddr');
  assert.deepEqual(dhcpOptions(offer.frame), [[53, 1, 2], [54, 4, 10, 0, 2, 2], [1, 4, 255, 255, 255, 0], [3, 4, 10, 0, 2, 2], [6, 4, 10, 0, 2, 3], [51, 4, 0, 1, 0x51, 0x80]]);
  send(c, dhcp(3, 0x0a00020f));
  [, offer] = received(c);
  assert.deepEqual(dhcpOptions(offer.frame)[0], [53, 1, 5], 'ACK');
  send(c, dhcp(3, 0x0a000220));
  const nak = received(c)[2];
  assert.deepEqual(dhcpOptions(nak.frame)[0], [53, 1, 6], 'NAK');
});

function ping(dst: number, seq: number): Uint8Array {
  const icmp = new Uint8Array(8 + 32);
  icmp[0] = 8; put16(icmp, 4, 0xbeef); put16(icmp, 6, seq);
  for (let i = 0; i < 32; i++) icmp[8 + i] = i;
  put16(icmp, 2, internetChecksum(icmp));
  return ethFrame(mac([0x52, 0x55, 0x0a, 0, 2, 2]), mac(GUEST_MAC), 0x0800, buildIpv4({ tos: 0, id: 7, df: true, ttl: 64, proto: 1, src: 0x0a00020f, dst }, icmp));
}

test('ICMP: echo to 10.0.2.2 is answered (TTL 255); outside the network: net unreachable; unknown guest MAC: ARP first', () => {
  const c = card();
  rings(c);
  send(c, ping(0x0a000202, 1));
  const rx = received(c);
  assert.equal(rx.length, 1, 'slirp does not know 10.0.2.15\'s MAC yet: an ARP request first, the reply waits');
  assert.equal(get16(rx[0].frame, 12), 0x0806);
  assert.equal(rx[0].length, 64, '42 bytes padded to 60, plus FCS');
  assert.equal(get32(rx[0].frame, 38), 0x0a00020f);
  // Answer the ARP request: the echo reply that waited comes out.
  const a = new Uint8Array(28);
  put16(a, 0, 1); put16(a, 2, 0x0800); a[4] = 6; a[5] = 4; put16(a, 6, 2);
  a.set(GUEST_MAC, 8); new DataView(a.buffer).setUint32(14, 0x0a00020f);
  a.set([0x52, 0x55, 0x0a, 0, 2, 2], 18); new DataView(a.buffer).setUint32(24, 0x0a000202);
  send(c, ethFrame(mac([0x52, 0x55, 0x0a, 0, 2, 2]), mac(GUEST_MAC), 0x0806, a));
  const reply = received(c)[1];
  assert.ok(reply, 'the echo reply arrived after the ARP answer');
  const ip = reply.frame.subarray(14);
  assert.deepEqual([ip[8], ip[9], get32(ip, 12), get32(ip, 16)], [255, 1, 0x0a000202, 0x0a00020f]);
  assert.deepEqual([ip[20], get16(ip, 24), get16(ip, 26)], [0, 0xbeef, 1]);
  assert.equal(internetChecksum(ip.subarray(20, get16(ip, 2))), 0);
  send(c, ping(0x08080808, 2));
  const unreach = received(c).at(-1)!.frame.subarray(14);
  assert.deepEqual([unreach[20], unreach[21], get32(unreach, 12)], [3, 0, 0x0a000202]);
  assert.equal(get32(unreach, 28 + 16), 0x08080808, 'quotes the datagram');
});

test('RX filter: unicast to another MAC dropped unless UPE; multicast through the MTA hash or MPE; broadcast needs BAM', () => {
  const c = card();
  rings(c, 0); // no BAM
  const frame = (dst: number[]) => ethFrame(mac(dst), mac([2, 0, 0, 0, 0, 1]), 0x88b5, new Uint8Array(50));
  const rxCount = () => c.rd(REG.RDH);
  c.nic.deliver(frame(BCAST));
  assert.equal(rxCount(), 0);
  c.nic.deliver(frame([2, 0, 0, 0, 0, 9]));
  assert.equal(rxCount(), 0);
  c.nic.deliver(frame(GUEST_MAC));
  assert.equal(rxCount(), 1);
  const mc = [0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb];
  c.nic.deliver(frame(mc));
  assert.equal(rxCount(), 1);
  const h = (((mc[5] << 8) | mc[4]) >> 4) & 0xfff; // MO = 0: bits 47:36
  c.wr(REG.MTA + 4 * (h >> 5), 1 << (h & 31));
  c.nic.deliver(frame(mc));
  assert.equal(rxCount(), 2);
  c.wr(REG.RCTL, 0x2 | 0x8); // UPE
  runTo(c.clock, c.clock.instructions + 1_000_000_001);
  c.nic.deliver(frame([2, 0, 0, 0, 0, 9]));
  assert.equal(rxCount(), 3);
  c.nic.deliver(new Uint8Array(14).fill(0xff)); // runt broadcast, padded to 60 but rejected (no BAM)
  assert.equal(rxCount(), 3);
});

test('RX: an RCTL write holds reception for 1 s (QEMU flush timer); frames wait in the queue, then arrive', () => {
  const c = card();
  rings(c);
  c.wr(REG.RCTL, 0x8002);
  send(c, arpRequest(0x0a000202));
  assert.equal(c.rd(REG.RDH), 0);
  assert.equal(c.nic.queuedFrames, 1);
  runTo(c.clock, c.clock.instructions + 1_000_000_000);
  assert.equal(c.rd(REG.RDH), 1);
  assert.equal(c.nic.queuedFrames, 0);
});

test('RX: with no free descriptor frames wait; a frame larger than the free buffers overruns (RXO, MPC)', () => {
  const c = card();
  rings(c);
  c.wr(REG.RDT, 0);
  send(c, arpRequest(0x0a000202));
  assert.equal(c.nic.queuedFrames, 1);
  c.wr(REG.RDT, 1);
  assert.equal(c.rd(REG.RDH), 1, 'RDT moved: the waiting frame came in');
  c.wr(REG.RCTL, 0x8002 | 0x30000); // 256-byte buffers
  runTo(c.clock, c.clock.instructions + 1_000_000_001);
  c.wr(REG.RDT, 2); // one free buffer
  c.nic.deliver(ethFrame(mac(GUEST_MAC), mac(GUEST_MAC), 0x88b5, new Uint8Array(400)));
  assert.equal(c.rd(REG.RDH), 1);
  assert.equal(c.rd(REG.MPC), 1);
  assert.equal(c.rd(REG.ICR) & 0x40, 0x40);
});

test('TX checksum offload: a context descriptor and a data descriptor with IXSM|TXSM fill the IP and UDP sums', () => {
  const c = card();
  rings(c);
  const sent: Uint8Array[] = [];
  c.nic.backend = { receiveFromGuest: (f) => sent.push(f) };
  const udp = buildUdp(0x0a00020f, 0x0a000202, 1000, 2000, new Uint8Array([1, 2, 3, 4, 5]));
  const frame = ethFrame(mac([0x52, 0x55, 10, 0, 2, 2]), mac(GUEST_MAC), 0x0800, buildIpv4({ tos: 0, id: 3, df: false, ttl: 64, proto: 17, src: 0x0a00020f, dst: 0x0a000202 }, udp));
  const good = frame.slice();
  frame.fill(0, 24, 26); // IP checksum
  // UDP checksum field: the pseudo-header sum without the length, as Linux leaves it for offload.
  const ph = new Uint8Array(12); new DataView(ph.buffer).setUint32(0, 0x0a00020f); new DataView(ph.buffer).setUint32(4, 0x0a000202); ph[9] = 17; put16(ph, 10, udp.length);
  put16(frame, 40, ~internetChecksum(ph) & 0xffff);
  // Context descriptor at slot 0: IPCSS 14, IPCSO 24, IPCSE 33, TUCSS 34, TUCSO 40, TUCSE 0; DEXT.
  c.phys.write(TX_RING, 4, 14 | (24 << 8) | (33 << 16));
  c.phys.write(TX_RING + 4, 4, 34 | (40 << 8));
  c.phys.write(TX_RING + 8, 4, 0x20000000 | 0x08000000 | 0x02000000);
  c.phys.write(TX_RING + 12, 4, 0);
  c.phys.load(TX_BUF, frame);
  c.phys.write(TX_RING + 16, 4, TX_BUF);
  c.phys.write(TX_RING + 20, 4, 0);
  c.phys.write(TX_RING + 24, 4, 0x2b100000 | frame.length); // DEXT | DTYP data | RS | IFCS | EOP
  c.phys.write(TX_RING + 28, 4, 0x0300); // POPTS: IXSM | TXSM
  c.wr(REG.TDT, 2);
  assert.equal(sent.length, 1);
  assert.deepEqual(Array.from(sent[0]), Array.from(good));
});

test('without bus mastering the card reaches no memory (as QEMU): TX reads zero descriptors and sends nothing', () => {
  const c = card();
  rings(c);
  const sent: Uint8Array[] = [];
  c.nic.backend = { receiveFromGuest: (f) => sent.push(f) };
  c.fn.write(0x04, 2, 0x0003);
  const slot = send(c, arpRequest(0x0a000202));
  assert.equal(sent.length, 0);
  assert.equal(c.rd(REG.TDH), c.rd(REG.TDT), 'the descriptor was consumed');
  assert.equal(c.phys.read(TX_RING + 16 * slot + 12, 1) & 1, 0, 'no writeback');
  c.fn.write(0x04, 2, 0x0007);
  send(c, arpRequest(0x0a000202));
  assert.equal(sent.length, 1);
});

test('TSO: a 3000-byte TCP payload with MSS 1000 leaves as three segments with QEMU\'s per-segment fix-ups', () => {
  const c = card();
  rings(c);
  const sent: Uint8Array[] = [];
  c.nic.backend = { receiveFromGuest: (f) => sent.push(f) };
  const payload = Uint8Array.from({ length: 3000 }, (_, i) => (i * 7) & 0xff);
  const tcp = new Uint8Array(20 + payload.length);
  put16(tcp, 0, 5555); put16(tcp, 2, 80);
  new DataView(tcp.buffer).setUint32(4, 0x01000000);
  tcp[12] = 5 << 4; tcp[13] = 0x18 | 0x01; // PSH | ACK | FIN
  put16(tcp, 14, 65535);
  tcp.set(payload, 20);
  const ip = buildIpv4({ tos: 0, id: 0x100, df: true, ttl: 64, proto: 6, src: 0x0a00020f, dst: 0x0a000202 }, tcp);
  ip.fill(0, 10, 12);
  const ph = new Uint8Array(12); new DataView(ph.buffer).setUint32(0, 0x0a00020f); new DataView(ph.buffer).setUint32(4, 0x0a000202); ph[9] = 6;
  put16(ip, 20 + 16, ~internetChecksum(ph) & 0xffff); // the pseudo-header sum without the length, as Linux leaves it for TSO
  const frame = ethFrame(mac([0x52, 0x55, 10, 0, 2, 2]), mac(GUEST_MAC), 0x0800, ip);
  // Context descriptor: IP 14/24/33, TCP 34/50/0, paylen 3000, TSE | IP | TCP, hdr_len 54, MSS 1000.
  c.phys.write(TX_RING, 4, 14 | (24 << 8) | (33 << 16));
  c.phys.write(TX_RING + 4, 4, 34 | (50 << 8));
  c.phys.write(TX_RING + 8, 4, (0x20000000 | 0x04000000 | 0x02000000 | 0x01000000 | 3000) >>> 0);
  c.phys.write(TX_RING + 12, 4, (54 << 8) | (1000 << 16));
  c.phys.load(TX_BUF, frame);
  c.phys.write(TX_RING + 16, 4, TX_BUF);
  c.phys.write(TX_RING + 20, 4, 0);
  c.phys.write(TX_RING + 24, 4, (0x2f100000 | frame.length) >>> 0); // DEXT | TSE | RS | IFCS | EOP, data
  c.phys.write(TX_RING + 28, 4, 0x0300);
  c.wr(REG.TDT, 2);
  assert.equal(sent.length, 3);
  sent.forEach((f, k) => {
    const h = f.subarray(14);
    assert.equal(f.length, 54 + 1000);
    assert.equal(get16(h, 2), 1040, 'IP total length of the segment');
    assert.equal(get16(h, 4), 0x100 + k, 'IP ID counts up');
    assert.equal(internetChecksum(h.subarray(0, 20)), 0, 'IP checksum');
    assert.equal(get32(h, 24), 0x01000000 + 1000 * k, 'sequence number');
    assert.equal(h[33] & 0x09, k === 2 ? 0x09 : 0, 'PSH and FIN only on the last segment');
    const seg = h.subarray(20);
    const pseudo = new Uint8Array(12 + seg.length);
    pseudo.set(ph); put16(pseudo, 10, seg.length); pseudo.set(seg, 12);
    assert.equal(internetChecksum(pseudo), 0, 'TCP checksum over the pseudo-header');
    assert.deepEqual(seg.subarray(20), payload.subarray(1000 * k, 1000 * (k + 1)));
  });
  assert.equal(c.rd(REG.TSCTC), 1, 'TCP segmentation contexts');
});

test('CTRL.RST resets the MAC (SDM 13.4.1): rings, masks and causes cleared, RAL/RAH from the EEPROM, link kept', () => {
  const c = card();
  rings(c);
  c.wr(REG.IMS, 0xff);
  c.wr(REG.ICS, 0x80);
  c.wr(REG.RA, 0);
  assert.equal(c.irq(), true);
  c.wr(REG.CTRL, c.rd(REG.CTRL) | 0x04000000);
  assert.equal(c.irq(), false);
  assert.deepEqual([c.rd(REG.IMS), c.rd(REG.RCTL), c.rd(REG.TDLEN), c.rd(REG.RA)], [0, 0, 0, 0x12005452]);
  assert.equal(c.rd(REG.CTRL) & 0x04000000, 0, 'RST self-clears');
  assert.equal(c.rd(REG.STATUS) & 2, 2);
});

test('BAR1 IOADDR/IODATA reach the registers (SDM 13.2.1; QEMU 7.2\'s window reads 0)', () => {
  const c = card();
  c.outl(IO, REG.RA);
  assert.equal(c.bus.inPort(IO + 4, 4) >>> 0, 0x12005452);
  c.outl(IO, REG.IMS);
  c.outl(IO + 4, 0x80);
  assert.equal(c.rd(REG.IMS), 0x80);
  assert.equal(c.bus.inPort(IO, 4) >>> 0, REG.IMS);
});

test('state saves and restores: registers, PHY, EEPROM shifter, queued frames, pending timers', () => {
  const c = card();
  rings(c);
  c.wr(REG.RCTL, 0x8002);
  send(c, arpRequest(0x0a000202));
  c.wr(REG.MDIC, (1 << 26) | (1 << 21) | (4 << 16) | 0x01e1);
  const saved = JSON.parse(JSON.stringify(c.nic.saveState()));
  const net = JSON.parse(JSON.stringify(c.devices.board.usernet!.saveState()));
  const d = card();
  rings(d);
  d.nic.loadState(saved);
  d.devices.board.usernet!.loadState(net);
  assert.deepEqual(d.nic.saveState(), c.nic.saveState());
  assert.equal(d.nic.queuedFrames, 1);
  // The restored flush timer fires at the saved deadline: in d's clock, which is ahead, at once.
  runTo(d.clock, Math.max(d.clock.instructions, c.clock.instructions + 1_000_000_000));
  assert.equal(d.nic.queuedFrames, 0);
  assert.equal(d.rd(REG.RDH), 1);
});
