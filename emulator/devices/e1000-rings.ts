import {
  CTRL_VME, ICR_RXDMT0, ICR_RXO, ICR_RXT0, ICR_TXDW, ICR_TXQE, RAH_AV, RCTL_BAM, RCTL_BSEX, RCTL_EN, RCTL_LPE,
  RCTL_MO_SHIFT, RCTL_MPE, RCTL_SBP, RCTL_SECRC, RCTL_UPE, RCTL_VFE, REG, RX_SIZE_STATS, STATUS_LU, TCTL_EN,
  TX_SIZE_STATS, growStat64, incStat, sizeStat,
} from './e1000-regs';
import { get16, get32, internetChecksum, put16, put32 } from './net-packets';
import { num } from './ports';

/**
 * The e1000's descriptor rings, as QEMU 7.2's hw/net/e1000.c runs them (8254x SDM §3.2 receive, §3.3 transmit):
 * - Transmit (start_xmit): from TDH to TDT, 16-byte descriptors at TDBAH:TDBAL. Legacy descriptors, context
 *   descriptors (DEXT, DTYP 0: checksum offload fields; with TSE the segmentation context) and data descriptors
 *   (DEXT, DTYP 1: POPTS.TXSM/IXSM checksums; TSE: TCP/UDP segmentation, each segment's IP length and ID, TCP
 *   sequence number and PSH/FIN fixed up, as QEMU's xmit_seg; unlike QEMU 7.2, no empty segment after a payload
 *   that ends at a segment boundary, as the SDM's §3.5). VLAN insertion with CTRL.VME and VLE. Writeback of
 *   DD when RS or RPS is set; TXDW for each, TXQE at the end.
 * - Receive (e1000_receive_iov): frames under 60 bytes are padded; oversized ones dropped without LPE/SBP; the
 *   group filter (broadcast with BAM, multicast with MPE or the MTA hash, unicast with UPE or an RAL/RAH match)
 *   and the VLAN filter; the frame (plus 4 FCS bytes counted unless SECRC) spread over buffers of RCTL's size;
 *   length, EOP|IXSM and DD written back; RXT0, and RXDMT0 when the free descriptors fall to RDMTS; RXO and the
 *   frame dropped when they run out.
 * Statistics count as QEMU's (TPT/TPR, GPTC/GPRC, octets, size buckets, broadcast/multicast).
 */
export interface RingHost {
  readonly regs: Uint32Array;
  readonly config: Uint8Array;
  mitIde: number;
  dmaRead(addr: number, len: number): Uint8Array;
  dmaWrite(addr: number, bytes: Uint8Array): void;
  transmit(frame: Uint8Array): void;
  setIcs(cause: number): void;
  rxFlushPending(): boolean;
}

const TXD_CMD_EOP = 0x01000000, TXD_CMD_RS = 0x08000000, TXD_CMD_RPS = 0x10000000, TXD_CMD_DEXT = 0x20000000;
const TXD_CMD_VLE = 0x40000000, TXD_CMD_IDE = 0x80000000, TXD_DTYP_D = 0x00100000;
const TXD_CMD_TCP = 0x01000000, TXD_CMD_IP = 0x02000000, TXD_CMD_TSE = 0x04000000;
const TXD_STAT_DD = 0x1, TXD_STAT_EC = 0x2, TXD_STAT_LC = 0x4, TXD_STAT_TU = 0x8;
const POPTS_IXSM = 1, POPTS_TXSM = 2;
const RXD_STAT_DD = 0x1, RXD_STAT_EOP = 0x2, RXD_STAT_IXSM = 0x4, RXD_STAT_VP = 0x8;

/** A context descriptor's offload fields (e1000x_txd_props). */
interface TxProps {
  ipcss: number; ipcso: number; ipcse: number; tucss: number; tucso: number; tucse: number;
  paylen: number; hdrLen: number; mss: number; ip: boolean; tcp: boolean;
}

const noProps = (): TxProps => ({ ipcss: 0, ipcso: 0, ipcse: 0, tucss: 0, tucso: 0, tucse: 0, paylen: 0, hdrLen: 0, mss: 0, ip: false, tcp: false });

export class E1000Rings {
  /** The frame being gathered from data descriptors (QEMU's tx.data, 64 KiB), 4 bytes of room for a VLAN tag in front. */
  private readonly buf = new Uint8Array(4 + 0x10000);
  private readonly data = this.buf.subarray(4);
  private header = new Uint8Array(256);
  private size = 0;
  private sumNeeded = 0;
  private cptse = false;
  private vlanNeeded = false;
  private vlanHeader = new Uint8Array(4);
  private props = noProps();
  private tsoProps = noProps();
  private tsoFrames = 0;
  private busy = false;
  rxbufSize = 2048;
  private rxbufMinShift = 1;

  constructor(private readonly h: RingHost) {}

  reset(): void {
    this.size = this.sumNeeded = this.tsoFrames = 0;
    this.cptse = this.vlanNeeded = this.busy = false;
    this.props = noProps();
    this.tsoProps = noProps();
    this.header.fill(0);
    this.vlanHeader.fill(0);
    this.rxbufSize = 2048;
    this.rxbufMinShift = 1;
  }

  save(): unknown {
    return {
      data: Array.from(this.data.subarray(0, this.size)), header: Array.from(this.header), size: this.size,
      sumNeeded: this.sumNeeded, cptse: this.cptse, vlanNeeded: this.vlanNeeded, vlanHeader: Array.from(this.vlanHeader),
      props: this.props, tsoProps: this.tsoProps, tsoFrames: this.tsoFrames, rxbufSize: this.rxbufSize, rxbufMinShift: this.rxbufMinShift,
    };
  }

  load(s: unknown): void {
    this.reset();
    const o = (s ?? {}) as Record<string, unknown>;
    const bytes = (v: unknown) => Uint8Array.from(Array.isArray(v) ? v.map((x) => num(x)) : []);
    this.data.set(bytes(o.data).subarray(0, this.data.length));
    this.header.set(bytes(o.header).subarray(0, 256));
    this.vlanHeader.set(bytes(o.vlanHeader).subarray(0, 4));
    this.size = num(o.size);
    this.sumNeeded = num(o.sumNeeded);
    this.cptse = o.cptse === true;
    this.vlanNeeded = o.vlanNeeded === true;
    this.props = { ...noProps(), ...(o.props as TxProps | undefined) };
    this.tsoProps = { ...noProps(), ...(o.tsoProps as TxProps | undefined) };
    this.tsoFrames = num(o.tsoFrames);
    this.rxbufSize = num(o.rxbufSize, 2048);
    this.rxbufMinShift = num(o.rxbufMinShift, 1);
  }

  private reg(off: number): number {
    return this.h.regs[off >> 2];
  }

  // ---- transmit ----

  startXmit(): void {
    const r = this.h.regs;
    if (!(this.reg(REG.TCTL) & TCTL_EN) || this.busy) return;
    this.busy = true;
    const tdhStart = this.reg(REG.TDH);
    let cause = ICR_TXQE;
    while (this.reg(REG.TDH) !== this.reg(REG.TDT)) {
      const base = this.reg(REG.TDBAH) * 2 ** 32 + (this.reg(REG.TDBAL) & ~0xf) + 16 * this.reg(REG.TDH);
      const desc = this.h.dmaRead(base, 16);
      this.processTxDesc(desc);
      cause |= this.txWriteback(base, desc);
      r[REG.TDH >> 2]++;
      if (this.reg(REG.TDH) * 16 >= this.reg(REG.TDLEN)) r[REG.TDH >> 2] = 0;
      // Bogus TDT/TDLEN: stop after one lap (as QEMU).
      if (this.reg(REG.TDH) === tdhStart || tdhStart >= this.reg(REG.TDLEN) / 16) break;
    }
    this.busy = false;
    this.h.setIcs(cause);
  }

  private txWriteback(base: number, desc: Uint8Array): number {
    const dv = new DataView(desc.buffer, desc.byteOffset, 16);
    const lower = dv.getUint32(8, true);
    if (!(lower & (TXD_CMD_RS | TXD_CMD_RPS))) return 0;
    const upper = ((dv.getUint32(12, true) | TXD_STAT_DD) & ~(TXD_STAT_EC | TXD_STAT_LC | TXD_STAT_TU)) >>> 0;
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, upper, true);
    this.h.dmaWrite(base + 12, out);
    return ICR_TXDW;
  }

  private processTxDesc(desc: Uint8Array): void {
    const dv = new DataView(desc.buffer, desc.byteOffset, 16);
    const lower = dv.getUint32(8, true);
    const upper = dv.getUint32(12, true);
    const dtype = lower & (TXD_CMD_DEXT | TXD_DTYP_D);
    let split = lower & 0xffff;
    this.h.mitIde |= lower & TXD_CMD_IDE ? 1 : 0;
    if (dtype === TXD_CMD_DEXT) {
      // Context descriptor (SDM §3.3.6).
      const p: TxProps = {
        ipcss: desc[0], ipcso: desc[1], ipcse: dv.getUint16(2, true), tucss: desc[4], tucso: desc[5],
        tucse: dv.getUint16(6, true), paylen: lower & 0xfffff, hdrLen: desc[13], mss: dv.getUint16(14, true),
        ip: (lower & TXD_CMD_IP) !== 0, tcp: (lower & TXD_CMD_TCP) !== 0,
      };
      if (lower & TXD_CMD_TSE) { this.tsoProps = p; this.tsoFrames = 0; } else this.props = p;
      return;
    } else if (dtype === (TXD_CMD_DEXT | TXD_DTYP_D)) {
      if (this.size === 0) this.sumNeeded = (upper >>> 8) & 0xff;
      this.cptse = (lower & TXD_CMD_TSE) !== 0;
    } else this.cptse = false;

    if ((this.reg(REG.CTRL) & CTRL_VME) && (lower & TXD_CMD_VLE) && (this.cptse || (lower & TXD_CMD_EOP))) {
      this.vlanNeeded = true;
      const vet = this.reg(REG.VET) & 0xffff;
      const special = upper >>> 16;
      this.vlanHeader.set([vet >> 8, vet & 0xff, special >> 8, special & 0xff]);
    }

    let addr = dv.getUint32(0, true) + dv.getUint32(4, true) * 2 ** 32;
    if (this.cptse) {
      const tp = this.tsoProps;
      const msh = tp.hdrLen + tp.mss;
      let bytes: number;
      do {
        bytes = split;
        if (this.size >= msh) break;
        if (this.size + bytes > msh) bytes = msh - this.size;
        bytes = Math.min(this.data.length - this.size, bytes);
        this.data.set(this.h.dmaRead(addr, bytes), this.size);
        const sz = this.size + bytes;
        if (sz >= tp.hdrLen && this.size < tp.hdrLen) this.header = this.data.slice(0, Math.max(tp.hdrLen, 0));
        this.size = sz;
        addr += bytes;
        if (sz === msh) {
          this.xmitSeg();
          this.data.set(this.header.subarray(0, tp.hdrLen));
          this.size = tp.hdrLen;
        }
        split -= bytes;
      } while (bytes && split);
    } else {
      split = Math.min(this.data.length - this.size, split);
      this.data.set(this.h.dmaRead(addr, split), this.size);
      this.size += split;
    }

    if (!(lower & TXD_CMD_EOP)) return;
    // QEMU 7.2 also sends the bare header when the payload ended exactly at a segment's end (size == hdr_len after
    // the last segment): an extra empty segment. The SDM's TSO (§3.5) sends ceil(PAYLEN / MSS) segments; it wins here.
    const hdrLen = this.tsoProps.hdrLen;
    if (!(this.cptse && (this.size < hdrLen || (this.size === hdrLen && this.tsoFrames > 0)))) this.xmitSeg();
    this.tsoFrames = 0;
    this.sumNeeded = 0;
    this.vlanNeeded = false;
    this.size = 0;
    this.cptse = false;
  }

  /** One frame (or TSO segment) out, offloads applied (QEMU xmit_seg). */
  private xmitSeg(): void {
    const d = this.data;
    const p = this.cptse ? this.tsoProps : this.props;
    if (this.cptse) {
      let css = p.ipcss;
      if (p.ip) {
        put16(d, css + 2, this.size - css);
        put16(d, css + 4, (get16(d, css + 4) + this.tsoFrames) & 0xffff);
      } else put16(d, css + 4, this.size - css);
      css = p.tucss;
      const len = this.size - css;
      if (p.tcp) {
        const sofar = this.tsoFrames * p.mss;
        put32(d, css + 4, (get32(d, css + 4) + sofar) >>> 0);
        if (p.paylen - sofar > p.mss) d[css + 13] &= ~9; // PSH, FIN only on the last segment
        else if (this.tsoFrames) incStat(this.h.regs, REG.TSCTC);
      } else put16(d, css + 4, len & 0xffff);
      if (this.sumNeeded & POPTS_TXSM) {
        // The pseudo-header sum the driver left gets this segment's length.
        let ph = get16(d, p.tucso) + len;
        ph = (ph >>> 16) + (ph & 0xffff);
        put16(d, p.tucso, ph & 0xffff);
      }
      this.tsoFrames++;
    }
    if (this.sumNeeded & POPTS_TXSM) putsum(d, this.size, p.tucso, p.tucss, p.tucse);
    if (this.sumNeeded & POPTS_IXSM) putsum(d, this.size, p.ipcso, p.ipcss, p.ipcse);
    let frame: Uint8Array;
    if (this.vlanNeeded) {
      // Destination and source addresses, then the 802.1Q tag, then the rest.
      const out = new Uint8Array(this.size + 4);
      out.set(d.subarray(0, 12));
      out.set(this.vlanHeader, 12);
      out.set(d.subarray(12, this.size), 16);
      frame = out;
    } else frame = d.slice(0, this.size);
    this.h.transmit(frame);
    const r = this.h.regs;
    if (frame[0] & 1) incStat(r, frame.subarray(0, 6).every((b) => b === 0xff) ? REG.BPTC : REG.MPTC);
    sizeStat(r, TX_SIZE_STATS, frame.length + 4);
    incStat(r, REG.TPT);
    growStat64(r, REG.TOTL, this.size + 4);
    incStat(r, REG.GPTC);
    growStat64(r, REG.GOTCL, this.size + 4);
  }

  // ---- receive ----

  rctlChanged(rctl: number): void {
    this.rxbufSize = rxBufSize(rctl);
    this.rxbufMinShift = (((rctl / 0x100) >>> 0) & 3) + 1;
  }

  /** e1000_has_rxbufs: room for `total` bytes between RDH and RDT. */
  hasRxBufs(total: number): boolean {
    const rdh = this.reg(REG.RDH), rdt = this.reg(REG.RDT);
    if (total <= this.rxbufSize) return rdh !== rdt;
    let bufs: number;
    if (rdh < rdt) bufs = rdt - rdh;
    else if (rdh > rdt) bufs = this.reg(REG.RDLEN) / 16 + rdt - rdh;
    else return false;
    return total <= bufs * this.rxbufSize;
  }

  /**
   * Take one frame from the network (QEMU e1000_receive_iov). Returns the bytes taken, -1 when it was refused and
   * is gone (receiver off, overrun), 0 when it must wait (the RX flush timer).
   */
  receive(frame: Uint8Array): number {
    const r = this.h.regs;
    if (!(this.reg(REG.STATUS) & STATUS_LU) || !(this.reg(REG.RCTL) & RCTL_EN)) return -1;
    if (this.h.rxFlushPending()) return 0;
    let buf = frame;
    if (buf.length < 60) {
      buf = new Uint8Array(60);
      buf.set(frame);
    }
    let size = buf.length;
    const rctl = this.reg(REG.RCTL);
    // Oversized without LPE (1522 = 14 + 4 + 1500 + 4... QEMU: header 18 + MTU 1500) or 16 KiB - 4 with it.
    if ((size > 16384 - 4 || (size > 18 + 1500 && !(rctl & RCTL_LPE))) && !(rctl & RCTL_SBP)) {
      incStat(r, REG.ROC);
      return size;
    }
    const vet = this.reg(REG.VET) & 0xffff;
    const isVlan = get16(buf, 12) === vet;
    if (isVlan && !this.vlanFilter(get16(buf, 14))) return size;
    if (!this.groupFilter(buf)) return size;
    let special = 0, vlanStatus = 0;
    if ((this.reg(REG.CTRL) & CTRL_VME) && isVlan) {
      special = get16(buf, 14);
      const stripped = new Uint8Array(size - 4);
      stripped.set(buf.subarray(0, 12));
      stripped.set(buf.subarray(16), 12);
      buf = stripped;
      vlanStatus = RXD_STAT_VP;
      size -= 4;
    }
    const bcast = buf.subarray(0, 6).every((b) => b === 0xff);
    const mcast = !bcast && (buf[0] & 1) !== 0;
    const rdhStart = this.reg(REG.RDH);
    let offset = 0;
    const total = size + (rctl & RCTL_SECRC ? 0 : 4);
    if (!this.hasRxBufs(total)) { this.overrun(); return -1; }
    do {
      const descSize = Math.min(total - offset, this.rxbufSize);
      const base = this.reg(REG.RDBAH) * 2 ** 32 + (this.reg(REG.RDBAL) & ~0xf) + 16 * this.reg(REG.RDH);
      const desc = this.h.dmaRead(base, 16);
      const dv = new DataView(desc.buffer, desc.byteOffset, 16);
      dv.setUint16(14, special, true);
      desc[12] &= ~RXD_STAT_DD;
      const ba = dv.getUint32(0, true) + dv.getUint32(4, true) * 2 ** 32;
      if (ba) {
        if (offset < size) this.h.dmaWrite(ba, buf.subarray(offset, offset + Math.min(size - offset, this.rxbufSize)));
        offset += descSize;
        dv.setUint16(8, descSize, true);
        if (offset >= total) desc[12] |= RXD_STAT_EOP | RXD_STAT_IXSM;
        else desc[12] &= ~RXD_STAT_EOP;
      }
      // Null buffer address: the descriptor is skipped (SDM), written back without data.
      this.h.dmaWrite(base, desc);
      this.h.dmaWrite(base + 12, Uint8Array.of(desc[12] | vlanStatus | RXD_STAT_DD));
      r[REG.RDH >> 2]++;
      if (this.reg(REG.RDH) * 16 >= this.reg(REG.RDLEN)) r[REG.RDH >> 2] = 0;
      if (this.reg(REG.RDH) === rdhStart || rdhStart >= this.reg(REG.RDLEN) / 16) { this.overrun(); return -1; }
    } while (offset < total);

    sizeStat(r, RX_SIZE_STATS, total);
    incStat(r, REG.TPR);
    incStat(r, REG.GPRC);
    growStat64(r, REG.TORL, size + 4);
    growStat64(r, REG.GORCL, size + 4);
    if (bcast) incStat(r, REG.BPRC);
    else if (mcast) incStat(r, REG.MPRC);

    let cause = ICR_RXT0;
    let rdt = this.reg(REG.RDT);
    if (rdt < this.reg(REG.RDH)) rdt += this.reg(REG.RDLEN) / 16;
    if ((rdt - this.reg(REG.RDH)) * 16 <= this.reg(REG.RDLEN) >>> this.rxbufMinShift) cause |= ICR_RXDMT0;
    this.h.setIcs(cause);
    return size;
  }

  private overrun(): void {
    incStat(this.h.regs, REG.RNBC);
    incStat(this.h.regs, REG.MPC);
    this.h.setIcs(ICR_RXO);
  }

  private vlanFilter(tci: number): boolean {
    if (!(this.reg(REG.RCTL) & RCTL_VFE)) return true;
    const vid = tci & 0xfff;
    return ((this.h.regs[(REG.VFTA >> 2) + ((vid >> 5) & 0x7f)] >>> (vid & 0x1f)) & 1) === 1;
  }

  /** e1000x_rx_group_filter: broadcast/multicast/unicast acceptance, the exact address filters, the MTA hash. */
  private groupFilter(buf: Uint8Array): boolean {
    const rctl = this.reg(REG.RCTL);
    const r = this.h.regs;
    if (buf.subarray(0, 6).every((b) => b === 0xff)) { if (rctl & RCTL_BAM) return true; }
    else if (buf[0] & 1) { if (rctl & RCTL_MPE) return true; }
    else if (rctl & RCTL_UPE) return true;
    for (let k = 0; k < 16; k++) {
      const lo = r[(REG.RA >> 2) + 2 * k], hi = r[(REG.RA >> 2) + 2 * k + 1];
      if (!(hi & RAH_AV)) continue;
      if (buf[0] === (lo & 0xff) && buf[1] === ((lo >>> 8) & 0xff) && buf[2] === ((lo >>> 16) & 0xff)
        && buf[3] === lo >>> 24 && buf[4] === (hi & 0xff) && buf[5] === ((hi >>> 8) & 0xff)) return true;
    }
    const shift = [4, 3, 2, 0][(rctl >>> RCTL_MO_SHIFT) & 3];
    const f = (((buf[5] << 8) | buf[4]) >>> shift) & 0xfff;
    return ((r[(REG.MTA >> 2) + (f >> 5)] >>> (f & 0x1f)) & 1) === 1;
  }
}

/** RCTL.BSIZE with BSEX (e1000x_rxbufsize). */
export function rxBufSize(rctl: number): number {
  switch (rctl & (RCTL_BSEX | 0x30000)) {
    case RCTL_BSEX | 0x10000: return 16384;
    case RCTL_BSEX | 0x20000: return 8192;
    case RCTL_BSEX | 0x30000: return 4096;
    case 0x10000: return 1024;
    case 0x20000: return 512;
    case 0x30000: return 256;
  }
  return 2048;
}

/** The Internet checksum of data[css..n) stored big-endian at sloc (QEMU putsum: cse 0 means to the end; a zero sum
 *  is sent as 0xFFFF, net_checksum_finish_nozero). */
function putsum(d: Uint8Array, n: number, sloc: number, css: number, cse: number): void {
  if (cse && cse < n) n = cse + 1;
  if (sloc < n - 1) {
    const c = internetChecksum(d.subarray(css, n));
    put16(d, sloc, c === 0 ? 0xffff : c);
  }
}
