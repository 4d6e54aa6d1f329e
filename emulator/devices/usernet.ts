import { Device } from './device';
import { num } from './ports';
import { UserNet6 } from './usernet6';
import { TFTP_SERVER_PORT, tftpAnswer } from './usernet-tftp';
import {
  ETH_ARP, ETH_IPV4, ETH_IPV6, IP_ICMP, IP_TCP, IP_UDP, buildIpv4, buildUdp, ethFrame, get16, get32, internetChecksum, isOpeningSyn, put16, put32,
  tcpRefusal,
} from './net-packets';

/**
 * QEMU's user-mode network ("-nic user", libslirp 4.7) as the guest sees it, with no host networking behind it:
 * Faultline never opens a socket, so the outside world is unreachable and every answer is computed here, at once,
 * in the guest's virtual time (a frame the guest sends is answered before its transmit completes, as slirp answers
 * synchronously inside QEMU's send path). Deterministic: the state (ARP table, DHCP lease, IP ID counter, frames
 * waiting for an ARP answer) saves and restores with the machine.
 *
 * - The network 10.0.2.0/24: the gateway (slirp's virtual host) 10.0.2.2, the DNS server 10.0.2.3, both with
 *   slirp's MAC 52:55:0a:00:02:02 / 52:55:0a:00:02:03 in ARP answers; every IP frame from them carries
 *   52:55:0a:00:02:02 (slirp's if_encap).
 * - ARP (slirp arp_input): requests for .2 and .3 answered with a 64-byte frame; the sender is learned. Frames for a
 *   guest address not yet known wait behind an ARP request from 10.0.2.2 (42 bytes), as slirp's if_encap.
 * - DHCP (slirp bootp.c): DISCOVER → OFFER, REQUEST → ACK of 10.0.2.15 (the first of slirp's 16 leases), or NAK
 *   ("requested address not available") for another address; options in slirp's order: 53 message type, 54 server
 *   10.0.2.2, 1 netmask 255.255.255.0, 3 router 10.0.2.2, 6 DNS 10.0.2.3, 51 lease 86400 s, end; 548-byte BOOTP
 *   payload, broadcast to 255.255.255.255:68 from 10.0.2.2:67 with TOS 0x10, TTL 64.
 * - ICMP echo to 10.0.2.2 or 10.0.2.3: the echo reply slirp's icmp_reflect gives (addresses swapped, TTL 255, the
 *   request's TOS, DF and payload).
 * - What slirp does when the outside cannot be reached (its sendto/connect fail with ENETUNREACH): ICMP destination
 *   unreachable, code 0 (network), from 10.0.2.2, quoting the datagram (up to 548 bytes), for UDP (DNS queries to
 *   10.0.2.3 included: slirp forwards them to the host's resolver, which is outside), ICMP echo and TCP SYNs to any
 *   address outside 10.0.2.0/24; a TCP SYN to 10.0.2.2 (slirp connects to the host's loopback, where nothing of
 *   the guest's listens) gets a RST. Nothing answers errors about errors, broadcasts or multicasts (icmp_send_error).
 * - IPv6 (Router and Neighbor Discovery, echo to fec0::2 and fe80::2): usernet6.ts.
 * - TFTP (slirp tftp.c) to 10.0.2.2:69 as QEMU has it without a `tftp=` root: a read request gets ERROR 2 "Access
 *   violation" (iPXE: "Permission denied"), from 10.0.2.2:69 with TOS 0x10, TTL 64.
 * - Other UDP to 10.0.2.2 (slirp sends it to the host's loopback, where nothing listens): ICMP port unreachable
 *   (code 3) from 127.0.0.1, quoting the datagram, as QEMU 7.2 with libslirp 4.7.0 sends it.
 * - UDP datagrams whose length does not fit or whose non-zero checksum is wrong are dropped (udp_input).
 * - Not modelled: BOOTP file names, port forwarding; such frames are dropped.
 *
 * Public API: UserNet (Device; `connect(deliver)`, `receiveFromGuest(frame)`), the SLIRP_* addresses.
 */
export const SLIRP_NET = 0x0a000200;
export const SLIRP_HOST = 0x0a000202;
export const SLIRP_DNS = 0x0a000203;
export const SLIRP_DHCP_START = 0x0a00020f;
const NETMASK = 0xffffff00;
const BROADCAST = SLIRP_NET | 0xff;
const LEASE_TIME = 86400;
const DHCP_OPT_LEN = 312;
const IPTOS_LOWDELAY = 0x10;
const ICMP_UNREACH_NET = 0, ICMP_UNREACH_PORT = 3;
const LOOPBACK = 0x7f000001;
/** slirp's special_ethaddr with its IP in the last four bytes. */
export function slirpMac(ip: number): Uint8Array {
  return Uint8Array.of(0x52, 0x55, ip >>> 24, (ip >>> 16) & 0xff, (ip >>> 8) & 0xff, ip & 0xff);
}

export class UserNet implements Device {
  readonly name = 'usernet';
  /** IP → MAC the guest's addresses have been seen with (slirp's ARP table). */
  private arp = new Map<number, Uint8Array>();
  /** The DHCP lease: the MAC that holds 10.0.2.15, if any. */
  private leaseMac?: Uint8Array;
  private ipId = 0;
  /** IP datagrams for guest addresses without an ARP entry yet, by address. */
  private pending: { ip: number; datagram: Uint8Array }[] = [];
  private deliver: (frame: Uint8Array) => void = () => {};
  private readonly v6 = new UserNet6((frame) => this.deliver(frame));

  /** Frames for the guest go to `deliver` (the NIC's receive side). */
  connect(deliver: (frame: Uint8Array) => void): void {
    this.deliver = deliver;
  }

  reset(): void {
    this.arp.clear();
    this.leaseMac = undefined;
    this.ipId = 0;
    this.pending = [];
    this.v6.reset();
  }

  saveState(): unknown {
    return {
      arp: [...this.arp].map(([ip, mac]) => [ip, Array.from(mac)]), lease: this.leaseMac && Array.from(this.leaseMac),
      ipId: this.ipId, pending: this.pending.map((p) => [p.ip, Array.from(p.datagram)]), ipv6: this.v6.saveState(),
    };
  }

  loadState(state: unknown): void {
    this.reset();
    const o = (state ?? {}) as Record<string, unknown>;
    const bytes = (v: unknown) => Uint8Array.from(Array.isArray(v) ? v.map((x) => num(x)) : []);
    if (Array.isArray(o.arp)) for (const e of o.arp as unknown[][]) this.arp.set(num(e[0]), bytes(e[1]));
    if (Array.isArray(o.lease)) this.leaseMac = bytes(o.lease);
    this.ipId = num(o.ipId);
    if (Array.isArray(o.pending)) this.pending = (o.pending as unknown[][]).map((p) => ({ ip: num(p[0]), datagram: bytes(p[1]) }));
    this.v6.loadState(o.ipv6);
  }

  /** A frame from the guest's NIC. */
  receiveFromGuest(frame: Uint8Array): void {
    if (frame.length < 14) return;
    const type = get16(frame, 12);
    if (type === ETH_ARP) this.arpInput(frame);
    else if (type === ETH_IPV4) this.ipInput(frame, frame.subarray(14));
    else if (type === ETH_IPV6) this.v6.input(frame);
  }

  // ---- ARP ----

  private arpInput(f: Uint8Array): void {
    if (f.length < 42 || get16(f, 14) !== 1 || get16(f, 16) !== ETH_IPV4 || f[18] !== 6 || f[19] !== 4) return;
    const op = get16(f, 20);
    const sha = f.slice(22, 28), sip = get32(f, 28), tip = get32(f, 38);
    if (op === 1) {
      if ((tip & NETMASK) !== SLIRP_NET || (tip !== SLIRP_HOST && tip !== SLIRP_DNS)) return;
      this.learn(sip, sha);
      // slirp's reply is a 64-byte frame (arp_input: the ARP header padded with zeros).
      const mine = slirpMac(tip);
      this.deliver(arpFrame(64, 2, f.subarray(6, 12), mine, tip, sha, sip));
    } else if (op === 2) this.learn(sip, sha);
  }

  private learn(ip: number, mac: Uint8Array): void {
    if (ip === 0 || ip === 0xffffffff || ip === BROADCAST) return;
    this.arp.set(ip, mac.slice());
    const ready = this.pending.filter((p) => p.ip === ip);
    this.pending = this.pending.filter((p) => p.ip !== ip);
    for (const p of ready) this.deliver(ethFrame(mac, slirpMac(SLIRP_HOST), ETH_IPV4, p.datagram));
  }

  /** if_encap: an IP datagram to the guest, behind an ARP request if its MAC is not known yet. */
  private output(datagram: Uint8Array): void {
    const dst = get32(datagram, 16);
    let mac: Uint8Array | undefined;
    if (dst === 0xffffffff || dst === BROADCAST) mac = new Uint8Array(6).fill(0xff);
    else mac = this.arp.get(dst);
    if (mac) {
      this.deliver(ethFrame(mac, slirpMac(SLIRP_HOST), ETH_IPV4, datagram));
      return;
    }
    this.pending.push({ ip: dst, datagram });
    const host = slirpMac(SLIRP_HOST);
    this.deliver(arpFrame(42, 1, new Uint8Array(6).fill(0xff), host, SLIRP_HOST, new Uint8Array(6), dst));
  }

  private nextId(): number {
    const id = this.ipId;
    this.ipId = (this.ipId + 1) & 0xffff;
    return id;
  }

  // ---- IPv4 ----

  private ipInput(f: Uint8Array, ip: Uint8Array): void {
    if (ip.length < 20 || ip[0] >> 4 !== 4) return;
    const hlen = (ip[0] & 0xf) * 4;
    const total = get16(ip, 2);
    if (hlen < 20 || total < hlen || total > ip.length || internetChecksum(ip.subarray(0, hlen)) !== 0) return;
    if (get16(ip, 6) & 0x3fff) return; // fragments: not reassembled here
    const dg = ip.subarray(0, total);
    const proto = dg[9];
    const dst = get32(dg, 16);
    if (proto === IP_UDP) this.udpInput(f, dg, hlen, dst);
    else if (proto === IP_ICMP) this.icmpInput(dg, hlen, dst);
    else if (proto === IP_TCP) this.tcpInput(dg, hlen, dst);
  }

  private udpInput(f: Uint8Array, dg: Uint8Array, hlen: number, dst: number): void {
    if (dg.length < hlen + 8) return;
    // udp_input: the UDP length must fit in the datagram (a shorter one trims it), and a non-zero checksum must hold.
    const ulen = get16(dg, hlen + 4);
    if (ulen < 8 || ulen > dg.length - hlen) return;
    if (get16(dg, hlen + 6) !== 0 && pseudoSum(get32(dg, 12), dst, IP_UDP, dg.subarray(hlen, hlen + ulen)) !== 0) return;
    const dport = get16(dg, hlen + 2);
    if (dport === 67 && (dst === SLIRP_HOST || dst === 0xffffffff)) { this.bootpInput(f, dg.subarray(hlen + 8)); return; }
    if (dport === TFTP_SERVER_PORT && dst === SLIRP_HOST) { this.tftpInput(dg, hlen, ulen); return; }
    // Anything else for 10.0.2.2 goes to the host's loopback, where nothing of the guest's listens: the socket's
    // ECONNREFUSED comes back as port unreachable, from 127.0.0.1 (the address the host socket sent to).
    if (dst === SLIRP_HOST) { this.unreachable(dg, ICMP_UNREACH_PORT, LOOPBACK); return; }
    if (dst === 0xffffffff || dst === BROADCAST || (dst >>> 28) === 0xe) return;
    this.unreachable(dg);
  }

  private icmpInput(dg: Uint8Array, hlen: number, dst: number): void {
    if (dg.length < hlen + 8 || internetChecksum(dg.subarray(hlen)) !== 0) return;
    if (dg[hlen] !== 8) return; // only echo requests get an answer
    if (dst === SLIRP_HOST || dst === SLIRP_DNS) {
      // icmp_reflect: type 0, checksum again, TTL 255, addresses swapped (options dropped), a new IP ID.
      const payload = dg.slice(hlen);
      payload[0] = 0;
      put16(payload, 2, 0);
      put16(payload, 2, internetChecksum(payload));
      this.output(buildIpv4({ tos: dg[1], id: this.nextId(), df: (get16(dg, 6) & 0x4000) !== 0, ttl: 255, proto: IP_ICMP, src: dst, dst: get32(dg, 12) }, payload));
    } else if ((dst & NETMASK) !== SLIRP_NET) this.unreachable(dg);
  }

  private tcpInput(dg: Uint8Array, hlen: number, dst: number): void {
    if (dg.length < hlen + 20) return;
    if (!isOpeningSyn(dg.subarray(hlen))) return; // nothing else is open
    if ((dst & NETMASK) !== SLIRP_NET) { this.unreachable(dg); return; }
    if (dst !== SLIRP_HOST) return;
    // Connection refused (tcp_respond), window 0.
    const seg = tcpRefusal(dg.subarray(hlen), 0);
    const src = get32(dg, 12);
    put16(seg, 16, pseudoSum(dst, src, IP_TCP, seg));
    this.output(buildIpv4({ tos: 0, id: this.nextId(), df: false, ttl: 64, proto: IP_TCP, src: dst, dst: src }, seg));
  }

  /**
   * icmp_send_error(ICMP_UNREACH, code) about datagram `dg`: by default ICMP_UNREACH_NET from 10.0.2.2 (a host
   * socket's send failing at once); a host socket's receive error comes from the address it sent to.
   */
  private unreachable(dg: Uint8Array, code = ICMP_UNREACH_NET, from = SLIRP_HOST): void {
    const src = get32(dg, 12);
    if ((src & ~0xf0000000) === 0 || src === 0xffffffff || (src >>> 28) === 0xe) return;
    if (dg[9] === IP_ICMP && dg[(dg[0] & 0xf) * 4] !== 8) return;
    const quoted = dg.subarray(0, Math.min(dg.length, 548));
    const icmp = new Uint8Array(8 + quoted.length);
    icmp[0] = 3;
    icmp[1] = code;
    icmp.set(quoted, 8);
    put16(icmp, 2, internetChecksum(icmp));
    this.output(buildIpv4({ tos: (dg[1] & 0x1e) | 0xc0, id: this.nextId(), df: false, ttl: 255, proto: IP_ICMP, src: from, dst: src }, icmp));
  }

  /** slirp's tftp.c (usernet-tftp.ts): the answer goes from 10.0.2.2:69 to the requester's address and port. */
  private tftpInput(dg: Uint8Array, hlen: number, ulen: number): void {
    const answer = tftpAnswer(dg.subarray(hlen + 8, hlen + ulen));
    if (!answer) return;
    const client = get32(dg, 12);
    const udp = buildUdp(SLIRP_HOST, client, TFTP_SERVER_PORT, get16(dg, hlen), answer);
    this.output(buildIpv4({ tos: IPTOS_LOWDELAY, id: this.nextId(), df: false, ttl: 64, proto: IP_UDP, src: SLIRP_HOST, dst: client }, udp));
  }

  // ---- DHCP ----

  private bootpInput(f: Uint8Array, bp: Uint8Array): void {
    if (bp.length < 240 || bp[0] !== 1) return;
    let type = 0, reqAddr = 0;
    if (get32(bp, 236) === 0x63825363) {
      for (let p = 240; p < bp.length;) {
        const code = bp[p++];
        if (code === 0) continue;
        if (code === 255 || p >= bp.length) break;
        const len = bp[p++];
        if (code === 53 && len >= 1) type = bp[p];
        if (code === 50 && len >= 4) reqAddr = get32(bp, p);
        p += len;
      }
    }
    if (type === 0) type = 3; // old BOOTP clients get a reply as to a REQUEST
    if (type !== 1 && type !== 3) return;
    const mac = bp.slice(28, 34);
    const free = !this.leaseMac || this.leaseMac.every((b, i) => b === mac[i]);
    let yiaddr = 0, ack = true;
    if (type === 1) {
      if (!free) return; // slirp's one lease in this model is taken: no offer
      yiaddr = SLIRP_DHCP_START;
      this.leaseMac = mac;
    } else if (reqAddr !== 0) {
      if (reqAddr === SLIRP_DHCP_START && free) { yiaddr = reqAddr; this.leaseMac = mac; } else ack = false;
    } else {
      if (!free) return;
      yiaddr = SLIRP_DHCP_START;
      this.leaseMac = mac;
    }
    if (ack) this.learn(yiaddr, f.subarray(6, 12));
    const r = new Uint8Array(236 + DHCP_OPT_LEN);
    r[0] = 2;
    r[1] = 1;
    r[2] = 6;
    r.set(bp.subarray(4, 8), 4); // xid
    put32(r, 16, yiaddr);
    put32(r, 20, SLIRP_HOST);
    r.set(mac, 28);
    put32(r, 236, 0x63825363);
    let q = 240;
    const opt = (code: number, ...data: number[]) => { r[q++] = code; r[q++] = data.length; for (const b of data) r[q++] = b; };
    const ip4 = (v: number) => [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
    if (ack) {
      opt(53, type === 1 ? 2 : 5);
      opt(54, ...ip4(SLIRP_HOST));
      opt(1, ...ip4(NETMASK));
      opt(3, ...ip4(SLIRP_HOST));
      opt(6, ...ip4(SLIRP_DNS));
      opt(51, ...ip4(LEASE_TIME));
    } else {
      opt(53, 6);
      opt(56, ...Array.from('requested address not available', (c) => c.charCodeAt(0)));
    }
    r[q] = 255;
    const udp = buildUdp(SLIRP_HOST, 0xffffffff, 67, 68, r);
    this.output(buildIpv4({ tos: IPTOS_LOWDELAY, id: this.nextId(), df: false, ttl: 64, proto: IP_UDP, src: SLIRP_HOST, dst: 0xffffffff }, udp));
  }
}

/**
 * An Ethernet frame of `length` bytes holding an ARP packet for IPv4 over Ethernet: operation `op` (1 request,
 * 2 reply) from `sha`/`spa` to `tha`/`tpa`, sent from `sha` to `dst`.
 */
function arpFrame(length: number, op: number, dst: Uint8Array, sha: Uint8Array, spa: number, tha: Uint8Array, tpa: number): Uint8Array {
  const f = new Uint8Array(length);
  f.set(dst, 0);
  f.set(sha, 6);
  put16(f, 12, ETH_ARP);
  put16(f, 14, 1);
  put16(f, 16, ETH_IPV4);
  f[18] = 6;
  f[19] = 4;
  put16(f, 20, op);
  f.set(sha, 22);
  put32(f, 28, spa);
  f.set(tha, 32);
  put32(f, 38, tpa);
  return f;
}

/** The TCP/UDP checksum over the pseudo-header and `seg` (its checksum field zero). */
function pseudoSum(src: number, dst: number, proto: number, seg: Uint8Array): number {
  const ph = new Uint8Array(12 + seg.length);
  put32(ph, 0, src);
  put32(ph, 4, dst);
  ph[9] = proto;
  put16(ph, 10, seg.length);
  ph.set(seg, 12);
  return internetChecksum(ph);
}


