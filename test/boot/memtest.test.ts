import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findSeabiosDir, loadFirmware } from '../../emulator/firmware/seabios';
import { Machine } from '../../emulator/machine';

/**
 * memtest86+ 6.10 (Debian bookworm's package; fixtures/memtest/build.sh puts memtest86+x64.bin in the cache) is a
 * bare-metal program written by other people: booted by the Linux boot protocol, it reads the SMBIOS (the system
 * name on the bottom line), CPUID (brand, caches, the package topology), the ACPI/MP tables, starts every CPU,
 * waits for Enter on the PS/2 keyboard and runs its tests on the VGA text screen. The screen must be QEMU's:
 * fixtures/golden/memtest/screen-smpN.txt, QEMU 7.2 TCG's text screen 5 s after Enter (record-screen.js).
 * Compared: every row that does not depend on time (the clock rate measured against the PIT, the progress
 * bars, the pattern, the elapsed time and which CPU is busy are not).
 */
const CACHE = process.env.FAULTLINE_MEMTEST_CACHE ?? path.join(os.homedir(), '.cache', 'faultline', 'memtest');
const BIN = path.join(CACHE, 'memtest86+x64.bin');
const root = path.resolve(__dirname, '..', '..', '..');
const missing = !fs.existsSync(BIN) && `memtest86+ is not in ${CACHE}; run bash fixtures/memtest/build.sh`;

/** The rows (or their left parts) that are the same at any moment of the run: [row, columns or undefined for all]. */
const STABLE: [number, number | undefined][] = [[0, undefined], [1, 9], [2, 28], [3, 28], [4, 28], [5, 28], [6, undefined],
  [7, 42], [9, undefined], [23, undefined], [24, undefined]];

/** As record-screen.js writes QEMU's: printable ASCII kept, NUL as a blank, anything else (box drawing) as '#'. */
function normalize(row: string): string {
  return [...row].map((ch) => (ch >= ' ' && ch <= '~' ? ch : ch === '\0' ? ' ' : '#')).join('').trimEnd();
}

function stableRows(screen: string[]): string[] {
  return STABLE.map(([r, cols]) => normalize((screen[r] ?? '').slice(0, cols)));
}

function run(smp: number, firmware: boolean): string[] {
  const fw = firmware ? loadFirmware() : undefined;
  const m = Machine.create({ memoryMB: 128, onTripleFault: 'stop', cpu: 'qemu64', smp, board: fw ? { bios: fw.bios, vgaBios: fw.vgaBios } : undefined });
  m.boot(new Uint8Array(fs.readFileSync(BIN)), {});
  let pressed = false;
  for (let k = 0; k < 24; k++) {
    const stop = m.run(25_000_000);
    assert.equal(stop.reason, 'budget', `memtest86+ stopped: ${JSON.stringify(stop)}\n${m.screenText()}`);
    const screen = m.screenText();
    if (!pressed && /<Enter> to start testing/.test(screen)) {
      m.sendKey('Enter', true);
      m.sendKey('Enter', false);
      pressed = true;
    } else if (pressed && /Status: Testing/.test(screen)) {
      return screen.split('\n');
    }
  }
  assert.fail(`memtest86+ did not start testing within 600 million instructions (Enter ${pressed ? 'was' : 'was not'} typed):\n${m.screenText()}`);
}

describe('memtest86+ (Debian) boots and tests with QEMU\'s screen', { skip: missing }, () => {
  for (const [smp, firmware] of [[1, false], [2, true]] as const) {
    it(`-smp ${smp}, ${firmware ? 'through SeaBIOS and the linuxboot ROM' : 'loaded directly (--firmware none)'}: brand, caches, memory, ` +
      'cores and threads, SMP mode, the SMBIOS system name', { skip: firmware && !findSeabiosDir() && 'SeaBIOS is not installed' }, () => {
      const screen = run(smp, firmware);
      const golden = fs.readFileSync(path.join(root, 'fixtures/golden/memtest', `screen-smp${smp}.txt`), 'latin1').split('\n');
      assert.deepEqual(stableRows(screen), stableRows(golden));
      assert.match(screen[8] ?? '', /Errors: 0/);
    });
  }
});
