import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Machine } from '../../emulator/machine';
import { StopInfo } from '../../emulator/api';

/**
 * Debian's OVMF (the EDK II UEFI firmware for QEMU, package ovmf) as `qemu -bios /usr/share/ovmf/OVMF.fd -nic none`
 * runs it: SEC and PEI from the reset vector, DXE with its PCI, ATA, video and serial drivers and QEMU's fw_cfg
 * (ACPI tables through the table loader, the boot order), BDS, then the UEFI shell on the serial console. The test
 * types what fixtures/ovmf/record-golden.js typed into QEMU (ESC at the startup.nsh countdown, `pci`, `reset -s`)
 * and the console must be QEMU TCG's (fixtures/golden/ovmf/shell.txt) but for escape sequences and the length of the
 * startup.nsh countdown; the
 * shell's `reset -s` ends the run with ACPI soft-off. About 1.5 billion instructions, so gated with the long boots
 * (FAULTLINE_LINUX_BOOT=1), and skipped where the ovmf package is not installed.
 */

const OVMF = process.env.FAULTLINE_OVMF ?? '/usr/share/ovmf/OVMF.fd';
const GOLDEN = path.join(__dirname, '..', '..', '..', 'fixtures', 'golden', 'ovmf', 'shell.txt');
const skip = !fs.existsSync(OVMF) ? `${OVMF} is not installed (apt-get install ovmf)`
  : !process.env.FAULTLINE_LINUX_BOOT ? 'OVMF to its shell takes a billion instructions or more; set FAULTLINE_LINUX_BOOT=1 to run it' : false;

function normalize(s: string): string {
  return s.replace(/\r/g, '').replace(/\x1b\[[0-9;?=]*[a-zA-Z]/g, '').replace(/\x1bc/g, '');
}

/**
 * The console to compare: normalized, and the startup.nsh countdown ("Press ESC in N seconds ...", one a second)
 * as one line: how many seconds passed before the ESC arrived depends, under QEMU, on the host (the script types it
 * when it sees the first one, QEMU's clock is real time), and here on the virtual clock.
 */
function comparable(s: string): string {
  return normalize(s).replace(/(Press ESC in \d+ seconds? to skip startup\.nsh or any other key to continue\.)+/g, '<countdown>');
}

test('OVMF boots to the UEFI shell on COM1, lists the PCI devices and powers off with `reset -s`, as under QEMU', { skip, timeout: 1_800_000 }, () => {
  const m = Machine.create({ memoryMB: 256, onTripleFault: 'stop', board: { bios: new Uint8Array(fs.readFileSync(OVMF)), nic: false } });
  let serial = '';
  m.on('serial', (b: number) => { serial += String.fromCharCode(b); });
  m.bootFirmware();
  let stop: StopInfo = { reason: 'budget' };
  let from = 0;
  /** Run until the console shows `text` after the last match (or the machine stops); then type `keys`. */
  const at = (text: string, keys: string): void => {
    for (let slice = 0; slice < 400; slice++) {
      const i = serial.indexOf(text, from);
      if (i >= 0) { from = i + text.length; m.sendSerial([...Buffer.from(keys, 'latin1')]); return; }
      stop = m.run(25_000_000);
      if (stop.reason !== 'budget') break;
    }
    assert.fail(`"${text}" did not appear (run ${stop.reason} after ${m.instructionCount} instructions); console:\n${normalize(serial)}`);
  };
  at('startup.nsh', '\x1b');
  at('Shell> ', 'pci\r');
  at('Shell> ', 'reset -s\r');
  for (let slice = 0; slice < 400 && stop.reason === 'budget'; slice++) stop = m.run(25_000_000);
  assert.equal(stop.reason, 'exit', `the run ended with ${stop.reason} after ${m.instructionCount} instructions`);
  assert.equal(stop.powerOff, true, 'ACPI soft-off');
  assert.equal(comparable(serial), comparable(fs.readFileSync(GOLDEN, 'utf8')));
});
