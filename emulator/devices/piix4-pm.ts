import { TimerKey, VirtualClock } from '../clock';
import { IoBus } from './bus';
import { Device, IrqLines } from './device';
import { PciFunction } from './pci';
import { allOnes, nsToTicks, num, ticksToNs } from './ports';

/**
 * PIIX4 power management function, PCI 00:01.3, 8086:7113 rev 3, as on QEMU's `pc` (hw/acpi/piix4.c): the
 * ACPI hardware a kernel and SeaBIOS's ACPI tables point at.
 *
 * - PMBA (config 0x40, bit 0 reads 1) places 64 bytes of PM I/O, enabled by PMREGMISC (0x80) bit 0:
 *   PM1a_STS (+0), PM1a_EN (+2), PM1a_CNT (+4), PM_TMR (+8, the 24-bit 3.579545 MHz ACPI timer).
 * - PM1a_CNT: SCI_EN (bit 0); SLP_EN (bit 13) with SLP_TYP (12:10) = 0 is soft power off (S5 in the DSDT
 *   of QEMU's pc), SLP_TYP = 2 (S4) powers off too; SLP_TYP = 1 is S3 (suspend to RAM, QEMU's
 *   qemu_system_suspend_request): the machine enters it SLEEP_ENTRY_NS later (the CPU runs on meanwhile, as
 *   it does while a real chipset completes its STPCLK#/SLP_S3# sequence and while QEMU's main loop takes
 *   the request), and `onSuspend` is called. A wake event (`wake`) sets WAK_STS and the event's status bit;
 *   the RTC alarm wakes the machine only while PM1_EN.RTC_EN is set (QEMU's qemu_system_wakeup_enable).
 * - The APM control port 0xB2 (and status 0xB3): 0xF1 sets SCI_EN, 0xF0 clears it (FADT acpi_enable/disable).
 *   There is no SMM: DEVACTB's APMC_EN (config 0x5B bit 1) reads set from reset, which is what QEMU does
 *   with SMM off and tells SeaBIOS not to install an SMI handler.
 * - The GPE0 block QEMU's PIIX4 adds at fixed I/O 0xAFE0 (FADT GPE0_BLK, length 4; hw/acpi/core.c
 *   acpi_gpe_ioport_*): two status bytes (write one to clear) then two enable bytes. QEMU's hotplug controllers
 *   set status bit 1 (PCI hotplug, the DSDT's \_GPE._E01) and bit 2 (CPU hotplug, _E02) through `raiseGpe`;
 *   nothing is ever hot-plugged on this machine, so only a guest's own writes change them.
 * - SCI is ISA IRQ 9 (hardwired), level: PM1a_STS & PM1a_EN for the timer, power button, global lock and RTC,
 *   or GPE0_STS & GPE0_EN (QEMU's acpi_update_sci). TMR_STS is set each time bit 23 of the timer toggles.
 */
export const PIIX4_PMBA = 0x40;
export const PIIX4_PMREGMISC = 0x80;
/** The GPE0 block (QEMU's GPE_BASE) and its length: status bytes, then enable bytes. */
export const GPE0_BASE = 0xafe0;
const GPE0_LEN = 4;
const PM_TIMER_HZ = 3_579_545;
const SCI_IRQ = 9;
const STS_TMR = 1 << 0;
const STS_PWRBTN = 1 << 8;
const STS_GBL = 1 << 5;
const STS_RTC = 1 << 10;
const STS_WAK = 1 << 15;
const CNT_SCI_EN = 1;
const CNT_SLP_EN = 1 << 13;
/** From the SLP_EN write that asks for S3 to the moment the machine sleeps (virtual ns; see the doc comment). */
export const SLEEP_ENTRY_NS = 10_000;

export class Piix4Pm extends PciFunction implements Device {
  private bus?: IoBus;
  private ioBase = -1;
  private claimedBase = -1;
  private sts = 0;
  private en = 0;
  private cnt = 0;
  private apmCnt = 0;
  private apmSts = 0;
  /** GPE0_STS (bytes 0-1 of the block) and GPE0_EN (bytes 2-3), 16 bits each. */
  private gpeSts = 0;
  private gpeEn = 0;
  /** Timer tick count (bit 23 period) at which TMR_STS was last brought up to date. */
  private tmrEpoch = 0;
  private timerId = 0;
  /** Instruction count at which a requested S3 takes effect (-1: none requested). */
  private sleepAt = -1;
  private sleepTimer = 0;

  constructor(
    private readonly clock: VirtualClock,
    private readonly irq: IrqLines,
    private readonly onPowerOff: () => void,
    private readonly onSuspend: () => void = () => {},
  ) {
    super('piix4-pm', 1, 3, { vendor: 0x8086, device: 0x7113, classCode: 0x068000, revision: 0x03, pin: 1 });
    this.config[PIIX4_PMBA] = 0x01;
    this.config[0x5b] = 0x02; // DEVACTB.APMC_EN: "SMM already initialised" (no SMM)
    this.config[0x90] = 0x01; // SMBBA: I/O space indicator
    this.writable[PIIX4_PMBA] = 0xc0;
    this.writable[PIIX4_PMBA + 2] = 0;
    this.writable[PIIX4_PMBA + 3] = 0;
  }

  attach(bus: IoBus): void {
    this.bus = bus;
    bus.registerPorts(0xb2, 2, {
      read: (port) => (port === 0xb2 ? this.apmCnt : this.apmSts),
      write: (port, _size, value) => {
        if (port === 0xb3) { this.apmSts = value & 0xff; return; }
        this.apmCnt = value & 0xff;
        if (this.apmCnt === 0xf1) this.cnt |= CNT_SCI_EN;
        else if (this.apmCnt === 0xf0) this.cnt &= ~CNT_SCI_EN;
      },
    });
    bus.registerPorts(GPE0_BASE, GPE0_LEN, {
      read: (port, size) => this.gpeRead(port - GPE0_BASE, size),
      write: (port, size, value) => this.gpeWrite(port - GPE0_BASE, size, value),
    });
    this.updateIoMapping();
  }

  private gpeRead(off: number, size: number): number {
    let v = 0;
    for (let i = size - 1; i >= 0; i--) {
      const at = off + i;
      const b = at >= GPE0_LEN ? 0xff : at < 2 ? (this.gpeSts >>> (8 * at)) & 0xff : (this.gpeEn >>> (8 * (at - 2))) & 0xff;
      v = v * 256 + b;
    }
    return v >>> 0;
  }

  private gpeWrite(off: number, size: number, value: number): void {
    for (let i = 0; i < size; i++) {
      const at = off + i;
      const b = (value >>> (8 * i)) & 0xff;
      if (at < 2) this.gpeSts &= ~(b << (8 * at));
      else if (at < GPE0_LEN) this.gpeEn = (this.gpeEn & ~(0xff << (8 * (at - 2)))) | (b << (8 * (at - 2)));
    }
    this.updateSci();
  }

  /** A hotplug controller signals general-purpose event `bit` (QEMU's acpi_send_event). */
  raiseGpe(bit: number): void {
    this.gpeSts |= 1 << bit;
    this.updateSci();
  }

  /** Ticks of the ACPI PM timer since power-on (the register shows the low 24 bits). */
  timerTicks(): number {
    return nsToTicks(this.clock.nanoseconds, PM_TIMER_HZ);
  }

  protected configWritten(offset: number, size: number): void {
    if ((offset <= PIIX4_PMBA + 1 && offset + size > PIIX4_PMBA) || (offset <= PIIX4_PMREGMISC && offset + size > PIIX4_PMREGMISC)) this.updateIoMapping();
  }

  private updateIoMapping(): void {
    if (!this.bus) return;
    const base = this.config[PIIX4_PMREGMISC] & 1 ? (this.config[PIIX4_PMBA] | (this.config[PIIX4_PMBA + 1] << 8)) & 0xffc0 : -1;
    // The bus cannot move a port range, so the ports are claimed at the first enabled base (firmware sets
    // PMBA once: SeaBIOS 0x600) and answer only while PMBA still points there and PMREGMISC enables them.
    if (this.claimedBase < 0 && base > 0) {
      this.claimedBase = base;
      const h = { read: (p: number, s: number) => this.ioRead(p - base, s), write: (p: number, s: number, v: number) => this.ioWrite(p - base, s, v) };
      this.bus.registerPorts(base, 64, {
        read: (p, s) => (this.ioBase === base ? h.read(p, s) : allOnes(s)),
        write: (p, s, v) => { if (this.ioBase === base) h.write(p, s, v); },
        clock: (p) => this.ioBase === base && p - base >= 8 && p - base < 12,
      });
    }
    this.ioBase = base;
  }

  private ioRead(off: number, size: number): number {
    this.updateTimerStatus();
    let v: number;
    if (off >= 8 && off < 12) v = (this.timerTicks() & 0xffffff) >>> (8 * (off - 8));
    else if (off >= 6) {
      // QEMU's PM block decodes PM1 event, PM1 control and the timer only: the rest of its 64 ports
      // (0x06-0x07, 0x0C-0x3F) read all ones under QEMU 7.2.
      return allOnes(size);
    } else {
      const regs = this.sts | (this.en << 16);
      v = off < 4 ? regs >>> (8 * off) : this.cnt >>> (8 * (off - 4));
      if (size === 4 && off === 4) v = this.cnt;
    }
    return size === 4 ? v >>> 0 : v & (size === 2 ? 0xffff : 0xff);
  }

  private ioWrite(off: number, size: number, value: number): void {
    this.updateTimerStatus();
    const bytes = size === 4 ? [value, value >>> 8, value >>> 16, value >>> 24] : size === 2 ? [value, value >>> 8] : [value];
    bytes.forEach((b, i) => this.writeByte(off + i, b & 0xff));
    this.updateSci();
  }

  private writeByte(off: number, b: number): void {
    switch (off) {
      case 0: this.sts &= ~b; break; // write one to clear
      case 1: this.sts &= ~(b << 8); break;
      case 2: this.en = (this.en & 0xff00) | b; this.scheduleTimer(); break;
      case 3: this.en = (this.en & 0x00ff) | (b << 8); break;
      case 4: this.cnt = (this.cnt & 0xff00) | b; break;
      case 5: {
        const v = (b << 8) | (this.cnt & 0xff);
        this.cnt = v & ~CNT_SLP_EN;
        if (v & CNT_SLP_EN) {
          const type = (v >>> 10) & 7;
          if (type === 0 || type === 2) this.onPowerOff();
          else if (type === 1 && this.sleepAt < 0) { this.sleepAt = this.clock.instructions + SLEEP_ENTRY_NS; this.armSleep(); }
        }
        break;
      }
    }
  }

  private armSleep(): void {
    if (this.sleepTimer) this.clock.cancel(this.sleepTimer);
    this.sleepTimer = 0;
    if (this.sleepAt < 0) return;
    this.sleepTimer = this.clock.schedule(this.sleepAt, () => {
      this.sleepTimer = 0;
      this.sleepAt = -1;
      this.onSuspend();
    }, TimerKey.ACPI_PM);
  }

  /** The RTC alarm may wake the machine from S3 (PM1_EN.RTC_EN). */
  get rtcWakeEnabled(): boolean {
    return (this.en & STS_RTC) !== 0;
  }

  /** After the wake-up reset: WAK_STS, and RTC_STS when the RTC alarm woke the machine (QEMU's acpi_notify_wakeup). */
  woke(byRtc: boolean): void {
    this.sts |= STS_WAK | (byRtc ? STS_RTC : 0);
    this.updateSci();
  }

  /** TMR_STS: set when timer bit 23 has toggled since the last update. */
  private updateTimerStatus(): void {
    const epoch = Math.floor(this.timerTicks() / 0x800000);
    if (epoch !== this.tmrEpoch) {
      this.tmrEpoch = epoch;
      this.sts |= STS_TMR;
    }
  }

  private scheduleTimer(): void {
    if (this.timerId) { this.clock.cancel(this.timerId); this.timerId = 0; }
    if (!(this.en & STS_TMR)) return;
    const at = ticksToNs((Math.floor(this.timerTicks() / 0x800000) + 1) * 0x800000, PM_TIMER_HZ);
    this.timerId = this.clock.schedule(at, () => {
      this.timerId = 0;
      this.updateTimerStatus();
      this.updateSci();
      this.scheduleTimer();
    }, TimerKey.ACPI_PM);
  }

  private updateSci(): void {
    this.irq.setIrq(SCI_IRQ, (this.sts & this.en & (STS_TMR | STS_PWRBTN | STS_GBL | STS_RTC)) !== 0 || (this.gpeSts & this.gpeEn) !== 0);
  }

  reset(): void {
    this.sts = this.en = this.cnt = this.apmCnt = this.apmSts = 0;
    this.gpeSts = this.gpeEn = 0;
    this.tmrEpoch = 0;
    if (this.timerId) this.clock.cancel(this.timerId);
    this.timerId = 0;
    if (this.sleepTimer) this.clock.cancel(this.sleepTimer);
    this.sleepTimer = 0;
    this.sleepAt = -1;
  }

  saveState(): unknown {
    return { sts: this.sts, en: this.en, cnt: this.cnt, apmCnt: this.apmCnt, apmSts: this.apmSts, tmrEpoch: this.tmrEpoch, sleepAt: this.sleepAt, gpeSts: this.gpeSts, gpeEn: this.gpeEn };
  }

  loadState(state: unknown): void {
    const o = (state ?? {}) as Record<string, unknown>;
    this.sts = num(o.sts); this.en = num(o.en); this.cnt = num(o.cnt);
    this.apmCnt = num(o.apmCnt); this.apmSts = num(o.apmSts); this.tmrEpoch = num(o.tmrEpoch);
    this.gpeSts = num(o.gpeSts); this.gpeEn = num(o.gpeEn);
    this.timerId = 0;
    this.scheduleTimer();
    this.sleepAt = o.sleepAt === undefined ? -1 : num(o.sleepAt);
    this.sleepTimer = 0;
    this.armSleep();
  }
}
