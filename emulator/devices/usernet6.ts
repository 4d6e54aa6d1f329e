import { num } from './ports';
import { ETH_IPV6, IP_ICMPV6, IP_TCP, IP_UDP, buildIpv6, ethFrame, get16, ipv6UpperChecksum, isOpeningSyn, put16, tcpRefusal } from './net-packets';
import { TFTP_SERVER_PORT, tftpAnswer } from './usernet-tftp';

/**
 * The IPv6 side of QEMU's user-mode network (libslirp 4.7: ip6_input.c, ip6_icmp.c, ndp_table.c, if_encap6), with
 * no host networking behind it. usernet.ts hands it every IPv6 frame from the guest; answers are computed at once.
 *
 * - Addresses: the prefix fec0::/64, slirp's host fec0::2 and its link-local fe80::2 (the router), each with the
 *   MAC 52:56 + the address's last four bytes (in6_compute_ethaddr), which is also the source MAC of every frame
 *   sent from that address.
 * - Router Solicitation (hop limit 255, code 0) → the Router Advertisement slirp sends: from fe80::2 to ff02::1,
 *   hop limit 64 for the guest, M and O clear, router lifetime 1800 s, the source link-layer option, the prefix
 *   fec0::/64 on-link and autonomous, valid 86400 s, preferred 14400 s. No RDNSS option (slirp adds one only when
 *   the host has an IPv6 DNS server, and there is no host here). iPXE then configures fec0::5054:ff:fe12:3456/64
 *   with gateway fe80::2, as under QEMU.
 * - Neighbor Solicitation for fec0::2 or fe80::2 → Neighbor Advertisement (router, solicited unless sent to
 *   ff02::1, override, the target link-layer option). RS, NS and NA teach the NDP table (16 entries, replaced in
 *   turn) the guest's MAC.
 * - ICMPv6 echo to fec0::2 or fe80::2 → the echo reply (the request with addresses swapped).
 * - if_encap6: a frame to a multicast address goes to 33:33 + its last four bytes; to a guest address not in the
 *   table it waits behind a Neighbor Solicitation from fec0::2 to the solicited-node address.
 * - Not modelled: slirp's unsolicited Router Advertisements every 200-600 s (a random interval; a guest asks with
 *   RS), DHCPv6 (slirp answers only Information-requests, which a guest sends only when an RA sets O), UDP and TCP
 *   over IPv6 to other addresses (they would leave through the host, which does not exist here), other
 *   ICMPv6 errors. Such frames are dropped.
 * - TFTP to fec0::2 port 69 (udp6_input, a valid checksum required): slirp's server without a root, ERROR 2
 *   "Access violation" from fec0::2:69 (usernet-tftp.ts). Other UDP to fec0::2 goes to the host's loopback, where
 *   nothing listens: ICMPv6 port unreachable from ::1 (MAC 52:56:00:00:00:01), as QEMU 7.2/libslirp 4.7.0 sends.
 * - TCP SYN to fec0::2 (the host's loopback, nothing listening): RST|ACK from fec0::2, window 65535.
 *
 * Public API: UserNet6, SLIRP_HOST6, SLIRP_LINKLOCAL6, SLIRP_PREFIX6.
 */
export const SLIRP_PREFIX6 = addr6(0xfec0);
export const SLIRP_HOST6 = addr6(0xfec0, 2);
export const SLIRP_LINKLOCAL6 = addr6(0xfe80, 2);
const ALL_NODES = addr6(0xff02, 1);
const NDP_TABLE_SIZE = 16;
const LOOPBACK6 = addr6(0, 1);
const DEST_UNREACHABLE = 1;
const IPV6_MIN_MTU = 1280;
const RS = 133, RA = 134, NS = 135, NA = 136, ECHO_REQUEST = 128, ECHO_REPLY = 129;

/** An IPv6 address with its first 16-bit group `first` and its last 16 bits `last`. */
function addr6(first: number, last = 0): Uint8Array {
  const a = new Uint8Array(16);
  put16(a, 0, first);
  put16(a, 14, last);
  return a;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

const multicast = (a: Uint8Array) => a[0] === 0xff;
const unspecified = (a: Uint8Array) => a.every((x) => x === 0);
const isHost = (a: Uint8Array) => same(a, SLIRP_HOST6) || same(a, SLIRP_LINKLOCAL6);

/** in6_compute_ethaddr: 52:56 and the address's last four bytes. */
function slirpMac6(a: Uint8Array): Uint8Array {
  return Uint8Array.of(0x52, 0x56, a[12], a[13], a[14], a[15]);
}

/** A Neighbor Solicitation or Advertisement: `flags` in byte 4, the target, one link-layer address option. */
function neighborMessage(type: number, flags: number, target: Uint8Array, option: number, mac: Uint8Array): Uint8Array {
  const m = new Uint8Array(24 + 8);
  m[0] = type;
  m[4] = flags;
  m.set(target, 8);
  m[24] = option; // 1: source, 2: target link-layer address
  m[25] = 1;
  m.set(mac, 26);
  return m;
}

export class UserNet6 {
  /** slirp's NDP table: guest addresses and their MACs, NDP_TABLE_SIZE slots replaced in turn. */
  private table: { ip: Uint8Array; mac: Uint8Array }[] = [];
  private victim = 0;
  /** Datagrams for guest addresses whose MAC is not known yet. */
  private pending: Uint8Array[] = [];

  constructor(private readonly deliver: (frame: Uint8Array) => void) {}

  reset(): void {
    this.table = [];
    this.victim = 0;
    this.pending = [];
  }

  saveState(): unknown {
    return { table: this.table.map((e) => [Array.from(e.ip), Array.from(e.mac)]), victim: this.victim, pending: this.pending.map((d) => Array.from(d)) };
  }

  loadState(state: unknown): void {
    this.reset();
    const o = (state ?? {}) as Record<string, unknown>;
    const bytes = (v: unknown) => Uint8Array.from(Array.isArray(v) ? v.map((x) => num(x)) : []);
    if (Array.isArray(o.table)) this.table = (o.table as unknown[][]).slice(0, NDP_TABLE_SIZE).map((e) => ({ ip: bytes(e[0]), mac: bytes(e[1]) }));
    this.victim = num(o.victim) % NDP_TABLE_SIZE;
    if (Array.isArray(o.pending)) this.pending = o.pending.map(bytes);
  }

  /** An IPv6 frame (Ethernet type 86DDh) from the guest. */
  input(frame: Uint8Array): void {
    const ip = frame.subarray(14);
    if (ip.length < 40 || ip[0] >> 4 !== 6) return;
    const pl = get16(ip, 4);
    if (40 + pl > ip.length || ip[7] === 0) return;
    if (ip[6] === IP_UDP) { this.udpInput(ip.subarray(0, 40 + pl)); return; }
    if (ip[6] === IP_TCP) { this.tcpInput(ip.subarray(0, 40 + pl)); return; }
    if (ip[6] !== IP_ICMPV6 || pl < 4) return;
    const src = ip.slice(8, 24), dst = ip.slice(24, 40), icmp = ip.subarray(40, 40 + pl);
    if (ipv6UpperChecksum(src, dst, IP_ICMPV6, icmp) !== 0) return;
    const hopLimit = ip[7], code = icmp[1], mac = frame.subarray(6, 12);
    switch (icmp[0]) {
      case ECHO_REQUEST:
        if (isHost(dst)) this.echoReply(ip.subarray(0, 40 + pl));
        break;
      case RS:
        if (hopLimit === 255 && code === 0 && pl >= 8) {
          this.learn(src, mac);
          this.routerAdvertisement();
        }
        break;
      case NS: {
        if (hopLimit !== 255 || code !== 0 || pl < 24) break;
        const target = icmp.slice(8, 24);
        const solicitedNode = dst[0] === 0xff && dst[1] === 0x02 && dst[11] === 1 && dst[12] === 0xff;
        if (multicast(target) || (unspecified(src) && !solicitedNode) || !isHost(target)) break;
        this.learn(src, mac);
        this.neighborAdvertisement(src, target);
        break;
      }
      case NA:
        if (hopLimit === 255 && code === 0 && pl >= 24 && !multicast(icmp.subarray(8, 24)) && (!multicast(dst) || (icmp[4] & 0x40) === 0)) this.learn(src, mac);
        break;
    }
  }

  /**
   * udp6_input: the checksum (mandatory over IPv6) must hold and the UDP length fit the payload (a shorter one trims
   * it); TFTP to fec0::2 port 69 is slirp's server (usernet-tftp.ts), answered from fec0::2:69 to the sender. The
   * rest would leave through the host and is dropped.
   */
  private udpInput(ip: Uint8Array): void {
    const seg = ip.subarray(40);
    if (seg.length < 8) return;
    const src = ip.slice(8, 24), dst = ip.slice(24, 40);
    if (ipv6UpperChecksum(src, dst, IP_UDP, seg) !== 0) return;
    const ulen = get16(seg, 4);
    if (ulen < 8 || ulen > seg.length) return;
    if (!same(dst, SLIRP_HOST6)) return;
    if (get16(seg, 2) !== TFTP_SERVER_PORT) {
      // slirp sends it to the host's loopback (::1), where nothing of the guest's listens: the refusal comes back
      // as ICMPv6 destination unreachable, port unreachable (code 4), from ::1, quoting the datagram.
      const quoted = ip.subarray(0, Math.min(ip.length, 40 + 8 + ulen, IPV6_MIN_MTU - 48));
      const m = new Uint8Array(8 + quoted.length);
      m[0] = DEST_UNREACHABLE;
      m[1] = 4;
      m.set(quoted, 8);
      this.send(LOOPBACK6, src, m);
      return;
    }
    const answer = tftpAnswer(seg.subarray(8, ulen));
    if (!answer) return;
    const udp = new Uint8Array(8 + answer.length);
    put16(udp, 0, TFTP_SERVER_PORT);
    put16(udp, 2, get16(seg, 0));
    put16(udp, 4, udp.length);
    udp.set(answer, 8);
    const sum = ipv6UpperChecksum(dst, src, IP_UDP, udp);
    put16(udp, 6, sum === 0 ? 0xffff : sum);
    this.output(buildIpv6(dst, src, IP_UDP, udp));
  }

  /**
   * tcp_input for fec0::2: slirp connects to the host's loopback, where nothing of the guest's listens, and answers
   * the SYN (without ACK or RST) with RST|ACK from fec0::2 (tcp_respond: window 65535, hop limit 255).
   */
  private tcpInput(ip: Uint8Array): void {
    const seg = ip.subarray(40);
    if (seg.length < 20) return;
    const src = ip.slice(8, 24), dst = ip.slice(24, 40);
    if (ipv6UpperChecksum(src, dst, IP_TCP, seg) !== 0 || !same(dst, SLIRP_HOST6)) return;
    if (!isOpeningSyn(seg)) return;
    const r = tcpRefusal(seg, 0xffff);
    put16(r, 16, ipv6UpperChecksum(dst, src, IP_TCP, r));
    this.output(buildIpv6(dst, src, IP_TCP, r));
  }

  /** ndp_table_add: multicast and unspecified addresses are not learned. */
  private learn(ip: Uint8Array, mac: Uint8Array): void {
    if (multicast(ip) || unspecified(ip)) return;
    const e = this.table.find((x) => same(x.ip, ip));
    if (e) e.mac = mac.slice();
    else {
      this.table[this.victim] = { ip: ip.slice(), mac: mac.slice() };
      this.victim = (this.victim + 1) % NDP_TABLE_SIZE;
    }
    const ready = this.pending.filter((d) => same(d.subarray(24, 40), ip));
    this.pending = this.pending.filter((d) => !same(d.subarray(24, 40), ip));
    for (const d of ready) this.deliver(ethFrame(mac, slirpMac6(d.subarray(8, 24)), ETH_IPV6, d));
  }

  /** if_encap6: to a multicast MAC, to the MAC the table knows, or behind a Neighbor Solicitation. */
  private output(datagram: Uint8Array): void {
    const dst = datagram.subarray(24, 40);
    const mac = multicast(dst) ? Uint8Array.of(0x33, 0x33, dst[12], dst[13], dst[14], dst[15]) : this.table.find((e) => same(e.ip, dst))?.mac;
    if (mac) {
      this.deliver(ethFrame(mac, slirpMac6(datagram.subarray(8, 24)), ETH_IPV6, datagram));
      return;
    }
    this.pending.push(datagram);
    this.neighborSolicitation(dst.slice());
  }

  /** An ICMPv6 message from `src` to `dst`, its checksum filled in. */
  private send(src: Uint8Array, dst: Uint8Array, icmp: Uint8Array): void {
    put16(icmp, 2, ipv6UpperChecksum(src, dst, IP_ICMPV6, icmp));
    this.output(buildIpv6(src, dst, IP_ICMPV6, icmp));
  }

  private routerAdvertisement(): void {
    const m = new Uint8Array(16 + 8 + 32);
    m[0] = RA;
    m[4] = 64; // current hop limit; M = O = 0
    put16(m, 6, 1800); // router lifetime (3 × the 600 s maximum advertisement interval)
    m[16] = 1; // source link-layer address
    m[17] = 1;
    m.set(slirpMac6(SLIRP_LINKLOCAL6), 18);
    m[24] = 3; // prefix information
    m[25] = 4;
    m[26] = 64;
    m[27] = 0xc0; // on-link, autonomous
    m.set([0x00, 0x01, 0x51, 0x80], 28); // valid lifetime 86400 s
    m.set([0x00, 0x00, 0x38, 0x40], 32); // preferred lifetime 14400 s
    m.set(SLIRP_PREFIX6, 40);
    this.send(SLIRP_LINKLOCAL6, ALL_NODES, m);
  }

  private neighborAdvertisement(solicitor: Uint8Array, target: Uint8Array): void {
    const dst = unspecified(solicitor) ? ALL_NODES : solicitor;
    // Router, solicited (unless to all nodes), override; the target's link-layer address.
    this.send(target, dst, neighborMessage(NA, 0x80 | (multicast(dst) ? 0 : 0x40) | 0x20, target, 2, slirpMac6(target)));
  }

  /** ndp_send_ns: from fec0::2 to the target's solicited-node address (ff02::1:ffXX:XXXX). */
  private neighborSolicitation(target: Uint8Array): void {
    const dst = addr6(0xff02);
    dst[11] = 1;
    dst[12] = 0xff;
    dst.set(target.subarray(13, 16), 13);
    this.send(SLIRP_HOST6, dst, neighborMessage(NS, 0, target, 1, slirpMac6(SLIRP_HOST6)));
  }

  /** icmp6_send_echoreply: the request, addresses swapped, type 129. */
  private echoReply(request: Uint8Array): void {
    const m = request.slice(40);
    m[0] = ECHO_REPLY;
    put16(m, 2, 0);
    this.send(request.slice(24, 40), request.slice(8, 24), m);
  }
}
