import { TimerKey, VirtualClock } from '../clock';
import { IoBus } from './bus';
import { Device, IrqLines } from './device';
import { splitLowHighMemory } from './fwcfg';
import { bytePorts, NS_PER_SECOND, nsToTicks, num, ticksToNs } from './ports';

/**
 * MC146818 RTC + CMOS RAM at 0x70 (index; bit 7 masks NMI) / 0x71 (data), after the Motorola datasheet and
 * QEMU's hw/rtc/mc146818rtc.c. Time starts at `startSeconds` (default 2026-01-01 00:00:00, deterministic; see
 * parseRtcBase for QEMU's -rtc base=) and advances with virtual time; registers 0-9 and the century (0x32, also
 * reached through 0x37, the IBM PS/2 century byte, as in QEMU) read in BCD or binary and 12/24 h as register B says. Register
 * A's update-in-progress bit is set for the last 244 us of every virtual second. Register C's UF/AF/PF flags
 * are derived from the virtual time elapsed since the last evaluation, and IRQ8 is raised (periodic, alarm,
 * update-ended) through the clock's scheduler. CMOS memory-size bytes follow QEMU's pc_cmos_init.
 *
 * S3 (QEMU's rtc suspend/reset handlers): enterSuspend() writes the shutdown status byte 0x0F = 0xFE that
 * SeaBIOS reads as "resume from S3"; `onAlarm` is told when the alarm flag rises with AIE set (the wake
 * event); resetKeepingRam() is the system reset that wakes the machine: CMOS RAM and time run on, register
 * B loses PIE/AIE/SQWE, register C its flags, and IRQ8 drops.
 *
 * Public API: attach(bus), nmiMasked, secondsSinceEpoch(), onAlarm, enterSuspend(), resetKeepingRam(),
 * Device methods; RTC_START_SECONDS, parseRtcBase(text, nowMs, tzOffsetMinutes).
 */

/** 2026-01-01 00:00:00 UTC in seconds since the Unix epoch. */
export const RTC_START_SECONDS = Date.UTC(2026, 0, 1) / 1000;

/**
 * What the RTC reads at power-on, in whole seconds since the epoch, for QEMU's `-rtc base=` values: `utc` (the host's
 * time now), `localtime` (the host's local time now, as the RTC of a PC that keeps local time), or a date
 * `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS` (read as the RTC's own time). Throws an Error with one sentence otherwise.
 * `tzOffsetMinutes` is Date's getTimezoneOffset() (minutes to add to local time for UTC).
 */
export function parseRtcBase(text: string, nowMs: number, tzOffsetMinutes: number): number {
  const v = text.startsWith('base=') ? text.slice(5) : text;
  if (v === 'utc') return Math.floor(nowMs / 1000);
  if (v === 'localtime') return Math.floor(nowMs / 1000) - tzOffsetMinutes * 60;
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2}))?$/.exec(v);
  const t = m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0)) : NaN;
  const d = new Date(t);
  if (!m || Number.isNaN(t) || d.getUTCDate() !== +m[3] || d.getUTCMonth() !== +m[2] - 1 || +(m[4] ?? 0) > 23 || +(m[5] ?? 0) > 59 || +(m[6] ?? 0) > 59 || +m[1] < 1970 || +m[1] > 2099) {
    throw new Error(`the RTC base must be utc, localtime or a date 1970-2099 as YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS (QEMU's -rtc base=), not '${text}'`);
  }
  return t / 1000;
}
const UIP_NS = 244_000;
const RTC_HZ = 32_768;

const REG_A = 0x0a;
const REG_B = 0x0b;
const REG_C = 0x0c;
const REG_D = 0x0d;
const REG_CENTURY = 0x32;
/** The IBM PS/2 century byte: QEMU's mc146818rtc aliases it to 0x32, and an access through it moves the index
 *  there (cmos_ioport_read/write: `s->cmos_index = RTC_CENTURY`), so the next access reads 0x32 too. */
const REG_PS2_CENTURY = 0x37;

const B_SET = 0x80;
const B_PIE = 0x40;
const B_AIE = 0x20;
const B_UIE = 0x10;
const B_SQWE = 0x08;
const REG_SHUTDOWN = 0x0f;
const SHUTDOWN_S3_RESUME = 0xfe;
const B_BINARY = 0x04;
const B_24H = 0x02;
const C_IRQF = 0x80;
const C_PF = 0x40;
const C_AF = 0x20;
const C_UF = 0x10;

interface CmosState {
  index: number;
  nmiMasked: boolean;
  ram: number[];
  /** Seconds since the epoch at instruction count `anchor` (whole-second boundary of the RTC). */
  baseSeconds: number;
  anchor: number;
  /** Time held while register B's SET bit stops the clock. */
  frozenSeconds: number;
  flags: number;
  lastEval: number;
  irqLevel: boolean;
}

export class Cmos implements Device {
  readonly name = 'cmos';
  private s: CmosState;
  private timer = 0;
  /** Bytes the board sets at power-on (disk geometry, boot order, equipment), as QEMU's pc_cmos_init. */
  private readonly boardBytes = new Map<number, number>();
  /** Called when the alarm flag rises while register B's AIE is set (a wake event from S3). */
  onAlarm: () => void = () => {};

  constructor(
    private readonly clock: VirtualClock,
    private readonly irq: IrqLines,
    readonly memoryBytes: number,
    readonly cpuCount = 1,
    /** What the RTC reads at power-on, in seconds since the epoch (see parseRtcBase). */
    readonly startSeconds = RTC_START_SECONDS,
  ) {
    this.s = this.powerOn();
  }

  attach(bus: IoBus): void {
    bus.registerPorts(0x70, 2, { ...bytePorts(bus, (p) => this.read8(p), (p, v) => this.write8(p, v)), stableUntil: (p) => this.stableUntil(p) });
  }

  /**
   * Until when a read of `port` returns what it returns now (PortHandler.stableUntil), so that a loop polling
   * the selected register (`in al, 0x71; cmp al, bl; je`: waiting for the next second) is skipped
   * (cpu/poll-loop.ts): the index port always reads FFh; a time register changes at the next second boundary,
   * register A's UIP bit 244 us before it and at it; register C never (a read clears it); the rest are RAM.
   */
  private stableUntil(port: number): number {
    const now = this.clock.instructions;
    if (port === 0x70) return Infinity;
    const s = this.s;
    const i = s.index === REG_PS2_CENTURY ? REG_CENTURY : s.index;
    if (i === REG_C) return now;
    const timeField = (i <= 9 && i !== 1 && i !== 3 && i !== 5) || i === REG_CENTURY;
    if ((i !== REG_A && !timeField) || s.ram[REG_B] & B_SET) return Infinity;
    const phase = (now - s.anchor) % NS_PER_SECOND;
    if (phase < 0) return now;
    const boundary = now - phase + NS_PER_SECOND;
    if (timeField) return boundary;
    if (((s.ram[REG_A] >> 4) & 7) !== 2) return Infinity; // the divider stopped: UIP stays clear
    return phase < NS_PER_SECOND - UIP_NS ? boundary - UIP_NS : boundary;
  }

  /** Set CMOS byte `index` now and at every power-on (the board's configuration bytes). */
  setPowerOnByte(index: number, value: number): void {
    this.boardBytes.set(index, value & 0xff);
    this.s.ram[index] = value & 0xff;
  }

  /** Port 0x70 bit 7 as last written: NMIs are masked while set. */
  get nmiMasked(): boolean {
    return this.s.nmiMasked;
  }

  /** The RTC's current time in whole seconds since the Unix epoch. */
  secondsSinceEpoch(): number {
    const s = this.s;
    if (s.ram[REG_B] & B_SET) return s.frozenSeconds;
    return s.baseSeconds + Math.floor((this.clock.instructions - s.anchor) / NS_PER_SECOND);
  }

  reset(): void {
    this.disarm();
    this.s = this.powerOn();
    this.irq.setIrq(8, false);
  }

  /** The machine enters S3: the shutdown status byte tells the firmware to resume (QEMU rtc_notify_suspend). */
  enterSuspend(): void {
    this.s.ram[REG_SHUTDOWN] = SHUTDOWN_S3_RESUME;
  }

  /**
   * A system reset that keeps the battery-backed part (QEMU rtc_reset), with the virtual clock restarting at
   * 0 right after it: the time of day carries on from `seconds`.
   */
  resetKeepingRam(seconds: number): void {
    this.disarm();
    const s = this.s;
    s.ram[REG_B] &= ~(B_PIE | B_AIE | B_SQWE);
    s.flags = 0;
    s.baseSeconds = seconds;
    s.frozenSeconds = seconds;
    s.anchor = 0;
    s.lastEval = 0;
    s.irqLevel = false;
    this.irq.setIrq(8, false);
    this.arm();
  }

  saveState(): unknown {
    return { ...this.s, ram: this.s.ram.slice() };
  }

  loadState(state: unknown): void {
    const o = (state ?? {}) as Partial<CmosState>;
    const d = this.powerOn();
    this.disarm();
    this.s = {
      index: num(o.index), nmiMasked: !!o.nmiMasked,
      ram: Array.isArray(o.ram) && o.ram.length === 128 ? o.ram.map((x) => num(x) & 0xff) : d.ram,
      baseSeconds: num(o.baseSeconds, d.baseSeconds), anchor: num(o.anchor), frozenSeconds: num(o.frozenSeconds),
      flags: num(o.flags), lastEval: num(o.lastEval), irqLevel: !!o.irqLevel,
    };
    this.arm();
  }

  private powerOn(): CmosState {
    const ram = new Array(128).fill(0);
    ram[REG_A] = 0x26; // 32.768 kHz time base, 1024 Hz periodic rate
    ram[REG_B] = B_24H; // BCD, 24 h
    ram[REG_D] = 0x80; // valid RAM and time
    // Memory sizes as QEMU's pc_cmos_init writes them for SeaBIOS.
    const { below4g, above4g } = splitLowHighMemory(this.memoryBytes);
    const put16 = (at: number, v: number) => {
      ram[at] = v & 0xff;
      ram[at + 1] = (v >> 8) & 0xff;
    };
    put16(0x15, 640); // base memory in KiB
    const extKb = Math.min(0xffff, Math.max(0, Math.floor(below4g / 1024) - 1024));
    put16(0x17, extKb); // extended memory above 1 MiB in KiB
    put16(0x30, extKb);
    const above16m = below4g > 16 << 20 ? Math.min(0xffff, Math.floor((below4g - (16 << 20)) / 65536)) : 0;
    put16(0x34, above16m); // memory above 16 MiB in 64 KiB units
    const high = Math.floor(above4g / 65536);
    ram[0x5b] = high & 0xff;
    ram[0x5c] = (high >> 8) & 0xff;
    ram[0x5d] = Math.floor(high / 65536) & 0xff;
    ram[0x5f] = this.cpuCount - 1;
    if (this.boardBytes) for (const [i, v] of this.boardBytes) ram[i] = v;
    return {
      index: 0, nmiMasked: false, ram, baseSeconds: this.startSeconds, anchor: 0, frozenSeconds: this.startSeconds,
      flags: 0, lastEval: 0, irqLevel: false,
    };
  }

  private read8(port: number): number {
    if (port === 0x70) return 0xff; // the index register is write-only
    if (this.s.index === REG_PS2_CENTURY) this.s.index = REG_CENTURY;
    const i = this.s.index;
    switch (i) {
      case REG_A: {
        const running = !(this.s.ram[REG_B] & B_SET) && ((this.s.ram[REG_A] >> 4) & 7) === 2;
        const phase = (this.clock.instructions - this.s.anchor) % NS_PER_SECOND;
        const uip = running && phase >= NS_PER_SECOND - UIP_NS;
        return (this.s.ram[REG_A] & 0x7f) | (uip ? 0x80 : 0);
      }
      case REG_C: {
        this.evaluate();
        const v = this.s.flags;
        this.s.flags = 0;
        this.updateIrq();
        this.arm();
        return v;
      }
      case REG_D:
        return 0x80;
      default:
        if (i <= 9 || i === REG_CENTURY) return this.readTimeField(i);
        return this.s.ram[i];
    }
  }

  private write8(port: number, v: number): void {
    const s = this.s;
    if (port === 0x70) {
      s.index = v & 0x7f;
      s.nmiMasked = (v & 0x80) !== 0;
      return;
    }
    if (s.index === REG_PS2_CENTURY) s.index = REG_CENTURY;
    const i = s.index;
    switch (i) {
      case REG_A:
        this.evaluate();
        s.ram[REG_A] = v & 0x7f; // UIP is read-only
        this.arm();
        return;
      case REG_B: {
        this.evaluate();
        const was = s.ram[REG_B];
        if (v & B_SET && !(was & B_SET)) s.frozenSeconds = this.secondsSinceEpoch();
        if (!(v & B_SET) && was & B_SET) {
          s.baseSeconds = s.frozenSeconds;
          s.anchor = this.clock.instructions;
          s.lastEval = s.anchor;
        }
        s.ram[REG_B] = v;
        this.updateIrq();
        this.arm();
        return;
      }
      case REG_C:
      case REG_D:
        return; // read-only
      default:
        if ((i <= 9 && i !== 1 && i !== 3 && i !== 5) || i === REG_CENTURY) this.writeTimeField(i, v);
        else s.ram[i] = v;
    }
  }

  private toGuest(v: number): number {
    return this.s.ram[REG_B] & B_BINARY ? v : ((v / 10) | 0) * 16 + (v % 10);
  }

  private fromGuest(v: number): number {
    return this.s.ram[REG_B] & B_BINARY ? v : (v >> 4) * 10 + (v & 0xf);
  }

  private readTimeField(i: number): number {
    if (i === 1 || i === 3 || i === 5) return this.s.ram[i]; // alarm registers, stored as written
    const d = new Date(this.secondsSinceEpoch() * 1000);
    switch (i) {
      case 0: return this.toGuest(d.getUTCSeconds());
      case 2: return this.toGuest(d.getUTCMinutes());
      case 4: return this.hourToGuest(d.getUTCHours());
      case 6: return this.toGuest(d.getUTCDay() + 1); // Sunday = 1
      case 7: return this.toGuest(d.getUTCDate());
      case 8: return this.toGuest(d.getUTCMonth() + 1);
      case 9: return this.toGuest(d.getUTCFullYear() % 100);
      default: return this.toGuest(Math.floor(d.getUTCFullYear() / 100));
    }
  }

  private hourToGuest(h: number): number {
    if (this.s.ram[REG_B] & B_24H) return this.toGuest(h);
    const h12 = h % 12 === 0 ? 12 : h % 12;
    return this.toGuest(h12) | (h >= 12 ? 0x80 : 0);
  }

  private hourFromGuest(v: number): number {
    if (this.s.ram[REG_B] & B_24H) return this.fromGuest(v);
    return (this.fromGuest(v & 0x7f) % 12) + (v & 0x80 ? 12 : 0);
  }

  private writeTimeField(i: number, v: number): void {
    const s = this.s;
    this.evaluate();
    const d = new Date(this.secondsSinceEpoch() * 1000);
    let [year, mon, day, h, m, sec] = [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()];
    switch (i) {
      case 0: sec = this.fromGuest(v); break;
      case 2: m = this.fromGuest(v); break;
      case 4: h = this.hourFromGuest(v); break;
      case 6: return; // day of week follows from the date
      case 7: day = this.fromGuest(v); break;
      case 8: mon = this.fromGuest(v) - 1; break;
      case 9: year = Math.floor(year / 100) * 100 + this.fromGuest(v); break;
      default: year = this.fromGuest(v) * 100 + (year % 100);
    }
    const t = Date.UTC(year, mon, day, h, m, sec) / 1000;
    if (!Number.isFinite(t)) return;
    if (s.ram[REG_B] & B_SET) {
      s.frozenSeconds = t;
    } else {
      // Keep the phase of the divider chain within the second.
      const phase = (this.clock.instructions - s.anchor) % NS_PER_SECOND;
      s.anchor = this.clock.instructions - phase;
      s.baseSeconds = t;
      s.lastEval = this.clock.instructions;
    }
  }

  /** Periodic interrupt period in 32.768 kHz ticks (0: none), from register A's rate select. */
  private periodTicks(): number {
    const rate = this.s.ram[REG_A] & 0xf;
    if (rate === 0) return 0;
    return 1 << ((rate <= 2 ? rate + 7 : rate) - 1);
  }

  /** Fold the virtual time since lastEval into register C's flags. */
  private evaluate(): void {
    const s = this.s;
    const now = this.clock.instructions;
    if (now <= s.lastEval) return;
    const p = this.periodTicks();
    if (p && Math.floor(nsToTicks(now, RTC_HZ) / p) > Math.floor(nsToTicks(s.lastEval, RTC_HZ) / p)) s.flags |= C_PF;
    if (!(s.ram[REG_B] & B_SET)) {
      const t0 = s.baseSeconds + Math.floor((s.lastEval - s.anchor) / NS_PER_SECOND);
      const t1 = s.baseSeconds + Math.floor((now - s.anchor) / NS_PER_SECOND);
      if (t1 > t0) {
        s.flags |= C_UF;
        for (let t = t0 + 1; t <= Math.min(t1, t0 + 86400); t++) {
          if (this.alarmMatches(t)) {
            const rose = !(s.flags & C_AF);
            s.flags |= C_AF;
            if (rose && s.ram[REG_B] & B_AIE) this.onAlarm();
            break;
          }
        }
      }
    }
    s.lastEval = now;
    this.updateIrq();
  }

  private alarmMatches(t: number): boolean {
    const r = this.s.ram;
    // Alarm bytes with both top bits set are "don't care".
    const match = (alarm: number, value: number, hour: boolean) =>
      (alarm & 0xc0) === 0xc0 || (hour ? this.hourFromGuest(alarm) : this.fromGuest(alarm)) === value;
    return match(r[1], t % 60, false) && match(r[3], Math.floor(t / 60) % 60, false) && match(r[5], Math.floor(t / 3600) % 24, true);
  }

  private updateIrq(): void {
    const s = this.s;
    const enabled = s.ram[REG_B] & (B_PIE | B_AIE | B_UIE);
    if (s.flags & enabled & (C_PF | C_AF | C_UF)) s.flags |= C_IRQF;
    const level = (s.flags & C_IRQF) !== 0;
    if (level !== s.irqLevel) {
      s.irqLevel = level;
      this.irq.setIrq(8, level);
    }
  }

  /** Schedule the next instant an enabled interrupt source could fire (none while IRQF is pending). */
  private arm(): void {
    this.disarm();
    const s = this.s;
    if (s.flags & C_IRQF) return;
    const now = this.clock.instructions;
    let at = Infinity;
    const p = this.periodTicks();
    if (s.ram[REG_B] & B_PIE && p) at = ticksToNs((Math.floor(nsToTicks(now, RTC_HZ) / p) + 1) * p, RTC_HZ);
    if (s.ram[REG_B] & (B_UIE | B_AIE) && !(s.ram[REG_B] & B_SET)) {
      at = Math.min(at, s.anchor + (Math.floor((now - s.anchor) / NS_PER_SECOND) + 1) * NS_PER_SECOND);
    }
    if (at !== Infinity) {
      this.timer = this.clock.schedule(at, () => {
        this.timer = 0;
        this.evaluate();
        this.arm();
      }, TimerKey.CMOS);
    }
  }

  private disarm(): void {
    if (this.timer) this.clock.cancel(this.timer);
    this.timer = 0;
  }
}
