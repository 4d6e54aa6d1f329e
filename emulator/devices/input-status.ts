import type { InputStatus } from '../api';
import type { PcDevices } from './index';

/**
 * Whether the guest can hear the keyboard and mouse now: the 8042's command byte and scanning state, and IRQ1's
 * mask at the PIC (or, once the guest routes interrupts through the I/O APIC, its redirection entry). Read by
 * the Guest Screen a few times a second for its "keyboard interrupt not enabled" hint.
 */
export function guestInputStatus(d: PcDevices): InputStatus {
  const pic = d.pic.saveState() as { master?: { imr?: number } };
  const io = d.ioapic.saveState() as { lo?: number[] };
  const picOpen = ((pic.master?.imr ?? 0xff) & 0x02) === 0;
  // ISA IRQ1 arrives on I/O APIC pin 1; bit 16 of the entry's low dword masks it (power-on: masked).
  const ioapicOpen = ((io.lo?.[1] ?? 0x10000) & 0x10000) === 0;
  return { keyboardInterrupt: d.ps2.keyboardInterruptEnabled, irq1Unmasked: picOpen || ioapicOpen, mouseReporting: d.ps2.mouseReporting };
}
