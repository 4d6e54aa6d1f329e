/**
 * The Intel 82540EM's register map, its Microwire EEPROM and its PHY, as QEMU 7.2 models them (hw/net/e1000.c,
 * e1000_regs.h, e1000x_common.c; Intel's PCI/PCI-X Family of Gigabit Ethernet Controllers Software Developer's
 * Manual, "8254x SDM": §13 registers, §5 EEPROM, §13.3 PHY). Pure state and functions: e1000.ts owns the
 * descriptor rings, interrupts and timers.
 *
 * Public API: REG (byte offsets), register bits, E1000_MAC, eepromImage(), Eeprom (EECD bit-banging), Phy (MDIC),
 * macRegInit(), RX_SIZE_STATS/TX_SIZE_STATS, incStat/growStat64.
 */

/** MMIO byte offsets (8254x SDM Table 13-2). Indexes into the register file are offset >> 2. */
export const REG = {
  CTRL: 0x0, STATUS: 0x8, EECD: 0x10, EERD: 0x14, CTRL_EXT: 0x18, MDIC: 0x20, VET: 0x38,
  ICR: 0xc0, ITR: 0xc4, ICS: 0xc8, IMS: 0xd0, IMC: 0xd8,
  RCTL: 0x100, TCTL: 0x400, AIT: 0x458, LEDCTL: 0xe00, PBA: 0x1000,
  RDFH: 0x2410, RDFT: 0x2418, RDFHS: 0x2420, RDFTS: 0x2428, RDFPC: 0x2430,
  RDBAL: 0x2800, RDBAH: 0x2804, RDLEN: 0x2808, RDH: 0x2810, RDT: 0x2818, RDTR: 0x2820, RADV: 0x282c,
  TDFH: 0x3410, TDFT: 0x3418, TDFHS: 0x3420, TDFTS: 0x3428, TDFPC: 0x3430,
  TDBAL: 0x3800, TDBAH: 0x3804, TDLEN: 0x3808, TDH: 0x3810, TDT: 0x3818, TXDCTL: 0x3828, TADV: 0x382c,
  CRCERRS: 0x4000, MPC: 0x4010, SCC: 0x4014, ECOL: 0x4018, MCC: 0x401c, LATECOL: 0x4020, COLC: 0x4028, DC: 0x4030,
  TNCRS: 0x4034, SEC: 0x4038, CEXTERR: 0x403c, RLEC: 0x4040, XONRXC: 0x4048, XONTXC: 0x404c, XOFFRXC: 0x4050,
  XOFFTXC: 0x4054, FCRUC: 0x4058,
  PRC64: 0x405c, PRC127: 0x4060, PRC255: 0x4064, PRC511: 0x4068, PRC1023: 0x406c, PRC1522: 0x4070,
  GPRC: 0x4074, BPRC: 0x4078, MPRC: 0x407c, GPTC: 0x4080, GORCL: 0x4088, GORCH: 0x408c, GOTCL: 0x4090, GOTCH: 0x4094,
  RNBC: 0x40a0, RUC: 0x40a4, RFC: 0x40a8, ROC: 0x40ac, RJC: 0x40b0, MGTPRC: 0x40b4, MGTPDC: 0x40b8, MGTPTC: 0x40bc,
  TORL: 0x40c0, TORH: 0x40c4, TOTL: 0x40c8, TOTH: 0x40cc, TPR: 0x40d0, TPT: 0x40d4,
  PTC64: 0x40d8, PTC127: 0x40dc, PTC255: 0x40e0, PTC511: 0x40e4, PTC1023: 0x40e8, PTC1522: 0x40ec,
  MPTC: 0x40f0, BPTC: 0x40f4, TSCTC: 0x40f8, TSCTFC: 0x40fc,
  MTA: 0x5200, RA: 0x5400, VFTA: 0x5600, WUC: 0x5800, WUFC: 0x5808, WUS: 0x5810, MANC: 0x5820, IPAV: 0x5838,
  IP4AT: 0x5840, IP6AT: 0x5880, WUPM: 0x5a00, SWSM: 0x5b50, FFLT: 0x5f00, FFMT: 0x9000, FFVT: 0x9800,
  PBM: 0x10000,
} as const;

/** The register file's size in dwords (the 128 KiB BAR). */
export const REG_DWORDS = 0x8000;

export const CTRL_SLU = 0x40, CTRL_SPD_1000 = 0x200, CTRL_RST = 0x04000000, CTRL_VME = 0x40000000;
export const CTRL_SWDPIN0 = 0x40000, CTRL_SWDPIN2 = 0x100000;
export const STATUS_FD = 0x1, STATUS_LU = 0x2, STATUS_SPEED_1000 = 0x80, STATUS_ASDV = 0x300, STATUS_MTXCKOK = 0x400;
export const STATUS_GIO_MASTER_ENABLE = 0x80000;
export const ICR_TXDW = 0x1, ICR_TXQE = 0x2, ICR_LSC = 0x4, ICR_RXDMT0 = 0x10, ICR_RXO = 0x40, ICR_RXT0 = 0x80, ICR_MDAC = 0x200;
export const RCTL_EN = 0x2, RCTL_SBP = 0x4, RCTL_UPE = 0x8, RCTL_MPE = 0x10, RCTL_LPE = 0x20, RCTL_BAM = 0x8000;
export const RCTL_VFE = 0x40000, RCTL_BSEX = 0x2000000, RCTL_SECRC = 0x4000000, RCTL_MO_SHIFT = 12;
export const TCTL_EN = 0x2;
export const RAH_AV = 0x80000000;

// EECD (SDM §13.4.4) and EERD (§13.4.5).
export const EECD_SK = 0x1, EECD_CS = 0x2, EECD_DI = 0x4, EECD_DO = 0x8, EECD_FWE_MASK = 0x30, EECD_REQ = 0x40;
export const EECD_GNT = 0x80, EECD_PRES = 0x100;
export const EERD_START = 0x1, EERD_DONE = 0x10, EERD_ADDR_SHIFT = 8, EERD_DATA_SHIFT = 16;

// MDIC (SDM §13.4.7).
const MDIC_DATA_MASK = 0xffff, MDIC_REG_SHIFT = 16, MDIC_PHY_SHIFT = 21;
const MDIC_OP_WRITE = 0x04000000, MDIC_OP_READ = 0x08000000, MDIC_READY = 0x10000000, MDIC_ERROR = 0x40000000;
export const MDIC_INT_EN = 0x20000000;

/** QEMU's default MAC address for the first NIC (qemu_macaddr_default_if_unset). */
export const E1000_MAC = Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, 0x56);
export const E1000_DEVICE_ID = 0x100e;

/**
 * The 64-word EEPROM (SDM Table 5-2) as QEMU fills it: its template, the MAC address in words 0-2, the device ID
 * in words 11 and 13, and word 63 making the words sum to 0xBABA (e1000x_core_prepare_eeprom).
 */
export function eepromImage(mac: Uint8Array = E1000_MAC, deviceId = E1000_DEVICE_ID): Uint16Array {
  const e = Uint16Array.of(
    0x0000, 0x0000, 0x0000, 0x0000, 0xffff, 0x0000, 0x0000, 0x0000,
    0x3000, 0x1000, 0x6403, 0, 0x8086, 0, 0x8086, 0x3040,
    0x0008, 0x2000, 0x7e14, 0x0048, 0x1000, 0x00d8, 0x0000, 0x2700,
    0x6cc9, 0x3150, 0x0722, 0x040b, 0x0984, 0x0000, 0xc000, 0x0706,
    0x1008, 0x0000, 0x0f04, 0x7fff, 0x4d01, 0xffff, 0xffff, 0xffff,
    0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff,
    0x0100, 0x4000, 0x121c, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff,
    0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0x0000,
  );
  for (let i = 0; i < 3; i++) e[i] = mac[2 * i] | (mac[2 * i + 1] << 8);
  e[11] = e[13] = deviceId;
  let sum = 0;
  for (let i = 0; i < 63; i++) sum += e[i];
  e[63] = (0xbaba - sum) & 0xffff;
  return e;
}

/**
 * The Microwire EEPROM behind EECD's bit-banged pins, as QEMU's get_eecd/set_eecd: CS rising resets the
 * shifter; on each SK rising edge DI shifts in; after 9 bits (start bit, 2-bit opcode, 6-bit address) a READ
 * (opcode 110b) starts shifting data out MSB first on DO, one bit per SK falling edge. EERD (§13.4.5) reads a
 * word directly. Writes are not modelled (QEMU ignores them too).
 */
export class Eeprom {
  valIn = 0;
  bitnumIn = 0;
  bitnumOut = 0;
  reading = false;
  oldEecd = 0;

  constructor(readonly data: Uint16Array) {}

  readEecd(): number {
    let v = EECD_PRES | EECD_GNT | this.oldEecd;
    if (!this.reading || ((this.data[(this.bitnumOut >> 4) & 0x3f] >> ((this.bitnumOut & 0xf) ^ 0xf)) & 1)) v |= EECD_DO;
    return v >>> 0;
  }

  writeEecd(val: number): void {
    const old = this.oldEecd;
    this.oldEecd = val & (EECD_SK | EECD_CS | EECD_DI | EECD_FWE_MASK | EECD_REQ);
    if (!(val & EECD_CS)) return;
    if ((val ^ old) & EECD_CS) {
      this.valIn = 0;
      this.bitnumIn = 0;
      this.bitnumOut = 0;
      this.reading = false;
    }
    if (!((val ^ old) & EECD_SK)) return;
    if (!(val & EECD_SK)) {
      this.bitnumOut = (this.bitnumOut + 1) & 0xffff;
      return;
    }
    this.valIn = ((this.valIn << 1) | (val & EECD_DI ? 1 : 0)) >>> 0;
    if (++this.bitnumIn === 9 && !this.reading) {
      this.bitnumOut = (((this.valIn & 0x3f) << 4) - 1) & 0xffff;
      this.reading = ((this.valIn >>> 6) & 7) === 6;
    }
  }

  /** EERD read: the word once START is set (DONE at once), as QEMU's flash_eerd_read. */
  readEerd(eerd: number): number {
    const r = eerd & ~EERD_START;
    if (!(eerd & EERD_START)) return eerd >>> 0;
    const index = r >>> EERD_ADDR_SHIFT;
    if (index > 63) return (EERD_DONE | r) >>> 0;
    return ((this.data[index] << EERD_DATA_SHIFT) | EERD_DONE | r) >>> 0;
  }

  save(): number[] {
    return [this.valIn, this.bitnumIn, this.bitnumOut, this.reading ? 1 : 0, this.oldEecd];
  }

  load(s: unknown): void {
    const a = Array.isArray(s) ? s.map((x) => Number(x) >>> 0) : [];
    [this.valIn = 0, this.bitnumIn = 0, this.bitnumOut = 0] = a;
    this.reading = a[3] === 1;
    this.oldEecd = a[4] ?? 0;
  }

  reset(): void {
    this.load([]);
  }
}

// MII registers (IEEE 802.3 clause 22) and the Marvell 88E1000's own (SDM §13.3).
export const MII_BMCR = 0, MII_BMSR = 1, MII_PHYID1 = 2, MII_PHYID2 = 3, MII_ANAR = 4, MII_ANLPAR = 5;
const MII_ANER = 6, MII_CTRL1000 = 9, MII_STAT1000 = 10;
const M88_PHY_SPEC_CTRL = 0x10, M88_PHY_SPEC_STATUS = 0x11, M88_EXT_PHY_SPEC_CTRL = 0x14, M88_RX_ERR_CNTR = 0x15;
export const BMCR_ANRESTART = 0x200, BMCR_AUTOEN = 0x1000, BMCR_LOOPBACK = 0x4000, BMCR_RESET = 0x8000;
export const BMSR_LINK_ST = 0x4, BMSR_AN_COMP = 0x20;
export const ANLPAR_ACK = 0x4000;

const R = 1, W = 2;
/** Which PHY registers QEMU's MDIC reads and writes (phy_regcap); the others answer with MDIC.E. */
const PHY_CAP: Record<number, number> = {
  [MII_BMCR]: R | W, [MII_BMSR]: R, [MII_PHYID1]: R, [MII_PHYID2]: R, [MII_ANAR]: R | W, [MII_ANLPAR]: R,
  [MII_ANER]: R, [MII_CTRL1000]: R | W, [MII_STAT1000]: R, [M88_PHY_SPEC_CTRL]: R | W, [M88_PHY_SPEC_STATUS]: R,
  [M88_EXT_PHY_SPEC_CTRL]: R | W, [M88_RX_ERR_CNTR]: R,
};

/** The PHY's registers at reset (QEMU's phy_reg_init; PHY ID 0x0141:0x0C20, an 88E1011). */
export function phyRegInit(): Uint16Array {
  const p = new Uint16Array(0x20);
  p[MII_BMCR] = 0x1140; // 1000 Mb/s, full duplex, autonegotiation enabled
  p[MII_BMSR] = 0x794d; // link up, autonegotiation able but not complete, 10/100 half and full, extended status
  p[MII_PHYID1] = 0x141;
  p[MII_PHYID2] = 0xc20;
  p[MII_ANAR] = 0xde1;
  p[MII_ANLPAR] = 0x1e0;
  p[MII_CTRL1000] = 0xe00;
  p[MII_STAT1000] = 0x3c00;
  p[M88_PHY_SPEC_CTRL] = 0x360;
  p[M88_PHY_SPEC_STATUS] = 0xac00;
  p[M88_EXT_PHY_SPEC_CTRL] = 0x0d60;
  return p;
}

/**
 * One MDIC write (QEMU set_mdic): PHY address 1 only (others: MDIC.E); a read returns the register in the low
 * 16 bits, a write stores it (BMCR through `writeBmcr`); READY is set at once. Returns MDIC's new value.
 */
export function mdicAccess(phy: Uint16Array, mdic: number, val: number, writeBmcr: (v: number) => void): number {
  const data = val & MDIC_DATA_MASK;
  const addr = (val >>> MDIC_REG_SHIFT) & 0x1f;
  if (((val >>> MDIC_PHY_SHIFT) & 0x1f) !== 1) val = mdic | MDIC_ERROR;
  else if (val & MDIC_OP_READ) {
    if (!((PHY_CAP[addr] ?? 0) & R)) val |= MDIC_ERROR;
    else val = (val ^ data) | phy[addr];
  } else if (val & MDIC_OP_WRITE) {
    if (!((PHY_CAP[addr] ?? 0) & W)) val |= MDIC_ERROR;
    else if (addr === MII_BMCR) writeBmcr(data);
    else phy[addr] = data;
  }
  return (val | MDIC_READY) >>> 0;
}

/** The MAC registers' reset values (QEMU's mac_reg_init, with init-vet), indexed by dword. */
export function macRegInit(regs: Uint32Array, mac: Uint8Array): void {
  regs.fill(0);
  regs[REG.PBA >> 2] = 0x00100030;
  regs[REG.LEDCTL >> 2] = 0x602;
  regs[REG.CTRL >> 2] = CTRL_SWDPIN2 | CTRL_SWDPIN0 | CTRL_SPD_1000 | CTRL_SLU;
  regs[REG.STATUS >> 2] = (0x80000000 | STATUS_GIO_MASTER_ENABLE | STATUS_ASDV | STATUS_MTXCKOK | STATUS_SPEED_1000
    | STATUS_FD | STATUS_LU) >>> 0;
  regs[REG.MANC >> 2] = 0x00222300; // EN_MNG2HOST, RCV_TCO_EN, ARP_EN, 0298_EN, RMCP_EN
  regs[REG.VET >> 2] = 0x8100;
  regs[REG.RA >> 2] = (mac[0] | (mac[1] << 8) | (mac[2] << 16) | (mac[3] << 24)) >>> 0;
  regs[(REG.RA >> 2) + 1] = (mac[4] | (mac[5] << 8) | RAH_AV) >>> 0;
}

/** Packet-size statistics (64, 65-127, ..., 1024-1522 bytes), received and transmitted. */
export const RX_SIZE_STATS = [REG.PRC64, REG.PRC127, REG.PRC255, REG.PRC511, REG.PRC1023, REG.PRC1522];
export const TX_SIZE_STATS = [REG.PTC64, REG.PTC127, REG.PTC255, REG.PTC511, REG.PTC1023, REG.PTC1522];

/** A statistics counter counts up and sticks at all ones (e1000x_inc_reg_if_not_full). */
export function incStat(regs: Uint32Array, offset: number): void {
  const i = offset >> 2;
  if (regs[i] !== 0xffffffff) regs[i]++;
}

/** A 64-bit octet counter (low dword at `offset`) grows by `n`, sticking at all ones. */
export function growStat64(regs: Uint32Array, offset: number, n: number): void {
  const i = offset >> 2;
  const sum = regs[i] + regs[i + 1] * 2 ** 32 + n;
  if (sum >= 2 ** 64) { regs[i] = regs[i + 1] = 0xffffffff; return; }
  regs[i] = sum % 2 ** 32;
  regs[i + 1] = Math.floor(sum / 2 ** 32);
}

/** The size statistics bucket a frame of `size` bytes counts in (e1000x_increase_size_stats; < 64: none). */
export function sizeStat(regs: Uint32Array, table: number[], size: number): void {
  const k = size > 1023 ? 5 : size > 511 ? 4 : size > 255 ? 3 : size > 127 ? 2 : size > 64 ? 1 : size === 64 ? 0 : -1;
  if (k >= 0) incStat(regs, table[k]);
}

/** Registers whose read clears them (QEMU's mac_read_clr4; the 64-bit counters' high halves clear both halves). */
export const CLEAR_ON_READ = new Set<number>([
  REG.PRC64, REG.PRC127, REG.PRC255, REG.PRC511, REG.PRC1023, REG.PRC1522,
  REG.PTC64, REG.PTC127, REG.PTC255, REG.PTC511, REG.PTC1023, REG.PTC1522,
  REG.GPRC, REG.GPTC, REG.TPT, REG.TPR, REG.RUC, REG.ROC, REG.BPRC, REG.MPRC, REG.TSCTC, REG.BPTC, REG.MPTC,
]);
export const CLEAR_ON_READ_64 = new Set<number>([REG.TOTH, REG.TORH, REG.GOTCH, REG.GORCH]);

/** Registers that read back what was written (QEMU's mac_readreg entries and ranges); others read 0. */
export function isReadable(off: number): boolean {
  return PLAIN_READ.has(off) || CLEAR_ON_READ.has(off) || CLEAR_ON_READ_64.has(off)
    || (off >= REG.CRCERRS && off <= REG.MPC) || inRange(off, REG.IP6AT, 4) || inRange(off, REG.IP4AT, 7)
    || inRange(off, REG.FFLT, 7) || inRange(off, REG.RA, 32) || inRange(off, REG.WUPM, 32) || inRange(off, REG.MTA, 128)
    || inRange(off, REG.VFTA, 128) || inRange(off, REG.FFMT, 255) || inRange(off, REG.FFVT, 255) || inRange(off, REG.PBM, 16384);
}

/** Registers plainly written (QEMU's mac_writereg entries and ranges); the special ones are e1000.ts's. */
export function isPlainWritable(off: number): boolean {
  return PLAIN_WRITE.has(off) || inRange(off, REG.IP6AT, 4) || inRange(off, REG.IP4AT, 7) || inRange(off, REG.RA, 32)
    || inRange(off, REG.WUPM, 32) || inRange(off, REG.MTA, 128) || inRange(off, REG.VFTA, 128)
    || inRange(off, REG.FFVT, 255) || inRange(off, REG.PBM, 16384);
}

/** Registers written with their low bits kept (QEMU's set_4bit/11bit/13bit/16bit), by offset: mask. */
export const MASKED_WRITE = new Map<number, number>([
  [REG.TDH, 0xffff], [REG.RDH, 0xffff], [REG.RDTR, 0xffff], [REG.RADV, 0xffff], [REG.TADV, 0xffff], [REG.ITR, 0xffff],
  [REG.AIT, 0xffff], [REG.TDFH, 0x7ff], [REG.TDFT, 0x7ff], [REG.TDFHS, 0x1fff], [REG.TDFTS, 0x1fff], [REG.TDFPC, 0x1fff],
  [REG.RDFH, 0x1fff], [REG.RDFT, 0x1fff], [REG.RDFHS, 0x1fff], [REG.RDFTS, 0x1fff], [REG.RDFPC, 0x1fff],
]);

/** FFLT (11 bits) and FFMT (4 bits) ranges of masked writes. */
export function rangeWriteMask(off: number): number {
  if (inRange(off, REG.FFLT, 7)) return 0x7ff;
  if (inRange(off, REG.FFMT, 255)) return 0xf;
  return 0;
}

const PLAIN_READ = new Set<number>([
  REG.PBA, REG.RCTL, REG.TDH, REG.TXDCTL, REG.WUFC, REG.TDT, REG.CTRL, REG.LEDCTL, REG.MANC, REG.MDIC, REG.SWSM,
  REG.STATUS, REG.TORL, REG.TOTL, REG.IMS, REG.TCTL, REG.RDH, REG.RDT, REG.VET, REG.ICS, REG.TDBAL, REG.TDBAH,
  REG.RDBAH, REG.RDBAL, REG.TDLEN, REG.RDLEN, REG.RDTR, REG.RADV, REG.TADV, REG.ITR, REG.FCRUC, REG.IPAV, REG.WUC,
  REG.WUS, REG.SCC, REG.ECOL, REG.MCC, REG.LATECOL, REG.COLC, REG.DC, REG.TNCRS, REG.SEC, REG.CEXTERR, REG.RLEC,
  REG.XONRXC, REG.XONTXC, REG.XOFFRXC, REG.XOFFTXC, REG.RFC, REG.RJC, REG.RNBC, REG.TSCTFC, REG.MGTPRC, REG.MGTPDC,
  REG.MGTPTC, REG.GORCL, REG.GOTCL, REG.RDFH, REG.RDFT, REG.RDFHS, REG.RDFTS, REG.RDFPC, REG.TDFH, REG.TDFT,
  REG.TDFHS, REG.TDFTS, REG.TDFPC, REG.AIT,
]);

const PLAIN_WRITE = new Set<number>([
  REG.PBA, REG.EERD, REG.SWSM, REG.WUFC, REG.TDBAL, REG.TDBAH, REG.TXDCTL, REG.RDBAH, REG.RDBAL, REG.LEDCTL, REG.VET,
  REG.FCRUC, REG.IPAV, REG.WUC, REG.WUS,
]);

function inRange(off: number, base: number, dwords: number): boolean {
  return off >= base && off < base + 4 * dwords;
}
