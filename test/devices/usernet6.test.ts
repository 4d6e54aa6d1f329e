import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserNet } from '../../emulator/devices/usernet';
import { ETH_IPV6, IP_ICMPV6, buildIpv6, ethFrame, ipv6UpperChecksum, put16 } from '../../emulator/devices/net-packets';

/**
 * The user-mode network's IPv6 side (usernet6.ts) against libslirp 4.7 under QEMU 7.2. The Router Solicitation
 * and Advertisement are frames captured from QEMU (`-netdev user -device e1000 -object filter-dump`) while iPXE
 * configured its interface; the rest follows slirp's ip6_icmp.c.
 */
const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (f: Uint8Array) => Buffer.from(f).toString('hex');
const GUEST_MAC = hex('525400123456');
const GUEST_LL = hex('fe80000000000000505400fffe123456');
const GUEST_GLOBAL = hex('fec00000000000005054' + '00fffe123456');
const HOST = hex('fec00000000000000000000000000002');
const ROUTER = hex('fe800000000000000000000000000002');

function net(): { u: UserNet; out: Uint8Array[] } {
  const u = new UserNet();
  const out: Uint8Array[] = [];
  u.connect((f) => out.push(f));
  return { u, out };
}

/** An ICMPv6 frame from the guest, checksum filled in. */
function icmp6(src: Uint8Array, dst: Uint8Array, dstMac: Uint8Array, body: Uint8Array, hopLimit = 255): Uint8Array {
  put16(body, 2, 0);
  put16(body, 2, ipv6UpperChecksum(src, dst, IP_ICMPV6, body));
  const ip = buildIpv6(src, dst, IP_ICMPV6, body);
  ip[7] = hopLimit;
  return ethFrame(dstMac, GUEST_MAC, ETH_IPV6, ip);
}

test('Router Solicitation from iPXE gets the Router Advertisement QEMU sends, byte for byte (fec0::/64 from fe80::2)', () => {
  const { u, out } = net();
  u.receiveFromGuest(hex('33330000000252540012345686dd6000000000103afffe80000000000000505400fffe123456ff020000000000000000000000000002850071b5000000000101525400123456'));
  assert.deepEqual(out.map(toHex), ['33330000000152560000000286dd6000000000383afffe800000000000000000000000000002ff020000000000000000000000000001' +
    '8600155e4000070800000000000000000101525600000002030440c0000151800000384000000000fec00000000000000000000000000000']);
  // A solicitation with a hop limit other than 255 (RFC 4861 §6.1.1) or a bad checksum is ignored.
  const rs = hex('33330000000252540012345686dd6000000000103afffe80000000000000505400fffe123456ff020000000000000000000000000002850071b5000000000101525400123456');
  rs[21] = 64;
  u.receiveFromGuest(rs);
  rs[21] = 255;
  rs[14 + 40 + 3] ^= 1;
  u.receiveFromGuest(rs);
  assert.equal(out.length, 1);
});

test('Neighbor Solicitation for fe80::2 and fec0::2: a solicited router advertisement of 52:56:00:00:00:02; others unanswered', () => {
  const { u, out } = net();
  for (const target of [ROUTER, HOST]) {
    const ns = new Uint8Array(32);
    ns[0] = 135;
    ns.set(target, 8);
    ns.set([1, 1, ...GUEST_MAC], 24);
    const solicited = hex('ff0200000000000000000001ff000002');
    u.receiveFromGuest(icmp6(GUEST_GLOBAL, solicited, hex('3333ff000002'), ns));
    const f = out.pop()!;
    assert.equal(toHex(f.subarray(0, 14)), '525400123456525600000002' + '86dd', 'to the guest from the target\'s MAC');
    const ip = f.subarray(14);
    assert.deepEqual([...ip.subarray(0, 8)], [0x60, 0, 0, 0, 0, 32, 58, 255]);
    assert.deepEqual(ip.subarray(8, 24), target);
    assert.deepEqual(ip.subarray(24, 40), GUEST_GLOBAL);
    const na = ip.subarray(40);
    assert.equal(na[0], 136);
    assert.equal(na[4], 0xe0, 'router, solicited, override');
    assert.deepEqual(na.subarray(8, 24), target);
    assert.equal(toHex(na.subarray(24)), '0201525600000002');
    assert.equal(ipv6UpperChecksum(target, GUEST_GLOBAL, IP_ICMPV6, na), 0);
  }
  const other = new Uint8Array(32);
  other[0] = 135;
  other.set(hex('fec00000000000000000000000000009'), 8);
  u.receiveFromGuest(icmp6(GUEST_GLOBAL, hex('ff0200000000000000000001ff000009'), hex('3333ff000009'), other));
  assert.equal(out.length, 0);
});

test('echo to fec0::2: the reply waits for the guest\'s MAC behind a Neighbor Solicitation, then comes; to fe80::2 at once once known', () => {
  const { u, out } = net();
  const echo = Uint8Array.from([128, 0, 0, 0, 0x12, 0x34, 0, 1, ...Buffer.from('ping')]);
  u.receiveFromGuest(icmp6(GUEST_GLOBAL, HOST, hex('525600000002'), echo.slice()));
  assert.equal(out.length, 1);
  const ns = out.pop()!;
  assert.equal(toHex(ns.subarray(0, 14)), '3333ff123456' + '525600000002' + '86dd', 'to the solicited-node group of ...:12:3456');
  assert.equal(toHex(ns.subarray(14 + 8, 14 + 40)), toHex(HOST) + 'ff0200000000000000000001ff123456');
  assert.equal(ns[14 + 40], 135);
  assert.deepEqual(ns.subarray(14 + 48, 14 + 64), GUEST_GLOBAL);
  assert.equal(toHex(ns.subarray(14 + 64)), '0101525600000002');
  // The guest answers; the waiting reply goes out.
  const na = new Uint8Array(32);
  na[0] = 136;
  na[4] = 0x60;
  na.set(GUEST_GLOBAL, 8);
  na.set([2, 1, ...GUEST_MAC], 24);
  u.receiveFromGuest(icmp6(GUEST_GLOBAL, HOST, hex('525600000002'), na));
  assert.equal(out.length, 1);
  const reply = out.pop()!;
  assert.equal(toHex(reply.subarray(0, 14)), '525400123456525600000002' + '86dd');
  const ip = reply.subarray(14);
  assert.deepEqual(ip.subarray(8, 24), HOST);
  assert.deepEqual(ip.subarray(24, 40), GUEST_GLOBAL);
  assert.equal(ip[40], 129);
  assert.deepEqual(ip.subarray(44), echo.subarray(4));
  assert.equal(ipv6UpperChecksum(HOST, GUEST_GLOBAL, IP_ICMPV6, ip.subarray(40)), 0);
  // Link-local: the guest's fe80:: address is learned from its Router Solicitation, so the reply needs no NS.
  const rs = Uint8Array.from([133, 0, 0, 0, 0, 0, 0, 0, 1, 1, ...GUEST_MAC]);
  u.receiveFromGuest(icmp6(GUEST_LL, hex('ff020000000000000000000000000002'), hex('333300000002'), rs));
  out.length = 0;
  u.receiveFromGuest(icmp6(GUEST_LL, ROUTER, hex('525600000002'), echo.slice(), 64));
  assert.equal(out.length, 1);
  assert.equal(out[0][14 + 40], 129);
  // Echo to an address that is not slirp's is not answered (slirp has no external ICMPv6).
  out.length = 0;
  u.receiveFromGuest(icmp6(GUEST_LL, hex('20010db8000000000000000000000001'), hex('525600000002'), echo.slice(), 64));
  assert.equal(out.length, 0);
});

test('the NDP table and waiting datagrams save and restore with the machine', () => {
  const a = net();
  const echo = Uint8Array.from([128, 0, 0, 0, 0, 1, 0, 1]);
  a.u.receiveFromGuest(icmp6(GUEST_GLOBAL, HOST, hex('525600000002'), echo.slice()));
  const state = JSON.parse(JSON.stringify(a.u.saveState()));
  const b = net();
  b.u.loadState(state);
  const na = new Uint8Array(32);
  na[0] = 136;
  na[4] = 0x60;
  na.set(GUEST_GLOBAL, 8);
  b.u.receiveFromGuest(icmp6(GUEST_GLOBAL, HOST, hex('525600000002'), na));
  assert.equal(b.out.length, 1, 'the echo reply that waited in the saved state');
  assert.equal(b.out[0][14 + 40], 129);
});
