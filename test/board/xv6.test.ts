import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { test } from 'node:test';
import { DiskImage } from '../../emulator/devices/disk-image';
import { loadFirmware } from '../../emulator/firmware/seabios';
import { Machine } from '../../emulator/machine';
import { firmwareMissing } from '../support/firmware';
import { XV6_CANDIDATES, xv6Dir, xv6QemuArgs } from '../support/xv6';

/**
 * Unmodified xv6 (mit-pdos/xv6-public) from its two IDE disk images, booted by SeaBIOS: the boot sector
 * loads the kernel with PIO from the primary master, the kernel finds the MP table, the IOAPIC and the
 * file system on the primary slave, starts the shell on the serial line; `ls` typed on COM1 must print what
 * it prints under QEMU (512 MiB, one CPU, xv6's own QEMU options otherwise). The images are built locally
 * from upstream and never committed: the test looks for xv6.img and fs.img in $FAULTLINE_XV6_DIR,
 * ../shared/xv6, or /work/cache/xv6(/src), and skips when they are absent.
 */
const dir = xv6Dir();
const qemu = spawnSync('qemu-system-x86_64', ['--version']).status === 0;
const skip = firmwareMissing() ?? (!dir ? `no xv6.img/fs.img in ${XV6_CANDIDATES.join(', ')} (build xv6-public there: make xv6.img fs.img)` : !qemu ? 'qemu-system-x86_64 is not installed' : undefined);

/** Shell prompt count reached → send the command after the first one; stop after the second. */
function ours(images: string): string {
  const fw = loadFirmware();
  const m = Machine.create({
    memoryMB: 512, onTripleFault: 'stop',
    board: { bios: fw.bios, vgaBios: fw.vgaBios, hda: DiskImage.open(path.join(images, 'xv6.img')), hdb: DiskImage.open(path.join(images, 'fs.img')) },
  });
  let out = '';
  m.on('serial', (b) => { out += String.fromCharCode(b); });
  m.bootFirmware();
  let sent = false;
  for (let slice = 0; slice < 300; slice++) {
    const stop = m.run(5_000_000);
    assert.equal(stop.reason, 'budget', `xv6 stopped: ${stop.reason} ${stop.event?.reason ?? ''}\n${out}`);
    if (!sent && out.includes('$ ')) { m.sendSerial([...Buffer.from('ls\n')]); sent = true; }
    if (sent && out.split('$ ').length > 2) return out;
  }
  assert.fail(`no second shell prompt after 1.5e9 instructions:\n${out}`);
}

function underQemu(images: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('qemu-system-x86_64', xv6QemuArgs(images));
    let out = '';
    let sent = false;
    const timer = setTimeout(() => { p.kill(); reject(new Error(`QEMU did not reach the second prompt in 60 s:\n${out}`)); }, 60_000);
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString('latin1');
      if (!sent && out.includes('$ ')) { sent = true; p.stdin.write('ls\n'); }
      if (sent && out.split('$ ').length > 2) { clearTimeout(timer); p.kill(); resolve(out); }
    });
  });
}

test('xv6 boots from IDE through SeaBIOS to the shell and `ls` prints what it prints under QEMU', { skip }, async () => {
  const expected = await underQemu(dir!);
  const got = ours(dir!);
  assert.match(got, /init: starting sh\n\$ ls\n/);
  assert.equal(got, expected);
});
