/**
 * Ethernet, IPv4, IPv6 and UDP framing and the Internet checksum (RFC 791, 8200, 768, 1071), big-endian field
 * access: what usernet.ts and usernet6.ts build their answers with. Pure functions.
 *
 * Public API: ETH_*, IP_*, get16/get32/put16/put32, internetChecksum, ethFrame, buildIpv4, buildUdp, buildIpv6,
 * ipv6UpperChecksum, ipText.
 */
export const ETH_IPV4 = 0x0800, ETH_ARP = 0x0806, ETH_IPV6 = 0x86dd;
export const IP_ICMP = 1, IP_TCP = 6, IP_UDP = 17, IP_ICMPV6 = 58;

export function get16(d: Uint8Array, at: number): number {
  return (d[at] << 8) | d[at + 1];
}

export function get32(d: Uint8Array, at: number): number {
  return ((d[at] << 24) | (d[at + 1] << 16) | (d[at + 2] << 8) | d[at + 3]) >>> 0;
}

export function put16(d: Uint8Array, at: number, v: number): void {
  d[at] = (v >>> 8) & 0xff;
  d[at + 1] = v & 0xff;
}

export function put32(d: Uint8Array, at: number, v: number): void {
  d[at] = v >>> 24;
  d[at + 1] = (v >>> 16) & 0xff;
  d[at + 2] = (v >>> 8) & 0xff;
  d[at + 3] = v & 0xff;
}

/** The ones' complement of the ones' complement sum of 16-bit words (an odd last byte is the high half). */
export function internetChecksum(d: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i + 1 < d.length; i += 2) sum += (d[i] << 8) | d[i + 1];
  if (d.length & 1) sum += d[d.length - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

export function ethFrame(dst: Uint8Array, src: Uint8Array, type: number, payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(14 + payload.length);
  f.set(dst, 0);
  f.set(src, 6);
  put16(f, 12, type);
  f.set(payload, 14);
  return f;
}

export interface Ipv4Header {
  tos: number;
  id: number;
  df: boolean;
  ttl: number;
  proto: number;
  src: number;
  dst: number;
}

/** A 20-byte IPv4 header (no options) with its checksum, then `payload`. */
export function buildIpv4(h: Ipv4Header, payload: Uint8Array): Uint8Array {
  const d = new Uint8Array(20 + payload.length);
  d[0] = 0x45;
  d[1] = h.tos;
  put16(d, 2, d.length);
  put16(d, 4, h.id);
  put16(d, 6, h.df ? 0x4000 : 0);
  d[8] = h.ttl;
  d[9] = h.proto;
  put32(d, 12, h.src);
  put32(d, 16, h.dst);
  put16(d, 10, internetChecksum(d.subarray(0, 20)));
  d.set(payload, 20);
  return d;
}

/** A UDP datagram with its checksum over the pseudo-header (0 is sent as 0xFFFF). */
export function buildUdp(src: number, dst: number, sport: number, dport: number, payload: Uint8Array): Uint8Array {
  const len = 8 + payload.length;
  const ph = new Uint8Array(12 + len);
  put32(ph, 0, src);
  put32(ph, 4, dst);
  ph[9] = IP_UDP;
  put16(ph, 10, len);
  const u = ph.subarray(12);
  put16(u, 0, sport);
  put16(u, 2, dport);
  put16(u, 4, len);
  u.set(payload, 8);
  const sum = internetChecksum(ph);
  put16(u, 6, sum === 0 ? 0xffff : sum);
  return u.slice();
}

/** A TCP segment that opens a connection: SYN without ACK or RST. */
export function isOpeningSyn(seg: Uint8Array): boolean {
  const flags = seg[13];
  return (flags & 0x02) !== 0 && (flags & 0x14) === 0;
}

/**
 * slirp's tcp_respond to a refused connection: RST|ACK from the SYN's destination port to its source port,
 * acknowledging its sequence number + 1, with `window`; the checksum (over IPv4's or IPv6's pseudo-header) is left 0.
 */
export function tcpRefusal(syn: Uint8Array, window: number): Uint8Array {
  const seg = new Uint8Array(20);
  put16(seg, 0, get16(syn, 2));
  put16(seg, 2, get16(syn, 0));
  put32(seg, 8, (get32(syn, 4) + 1) >>> 0);
  seg[12] = 5 << 4;
  seg[13] = 0x14;
  put16(seg, 14, window);
  return seg;
}

/** A 40-byte IPv6 header (traffic class and flow label 0, hop limit 255: slirp's ip6_output), then `payload`. */
export function buildIpv6(src: Uint8Array, dst: Uint8Array, nextHeader: number, payload: Uint8Array): Uint8Array {
  const d = new Uint8Array(40 + payload.length);
  d[0] = 0x60;
  put16(d, 4, payload.length);
  d[6] = nextHeader;
  d[7] = 255;
  d.set(src, 8);
  d.set(dst, 24);
  d.set(payload, 40);
  return d;
}

/**
 * The checksum of an upper-layer packet over IPv6 (RFC 8200 §8.1): its bytes (their checksum field as they are)
 * with the pseudo-header of source, destination, length and next header. 0 when a received packet is intact.
 */
export function ipv6UpperChecksum(src: Uint8Array, dst: Uint8Array, nextHeader: number, upper: Uint8Array): number {
  const ph = new Uint8Array(40 + upper.length);
  ph.set(src, 0);
  ph.set(dst, 16);
  put32(ph, 32, upper.length);
  ph[39] = nextHeader;
  ph.set(upper, 40);
  return internetChecksum(ph);
}

export function ipText(ip: number): string {
  return `${ip >>> 24}.${(ip >>> 16) & 0xff}.${(ip >>> 8) & 0xff}.${ip & 0xff}`;
}
