import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { BootError } from '../../emulator/boot/errors';
import { parseModuleList } from '../../emulator/boot/loader';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { ADAPTER, startClient } from '../adapter/helpers';

/**
 * Multiboot1 modules as `qemu -kernel K -initrd "FILE[ ARGS],FILE" -append ARGS` gives them (hw/i386/multiboot.c):
 * fixtures/src/mb-modules prints its command line and each module's placement, string and an FNV-1a hash of its
 * bytes; fixtures/golden/mb-modules.serial.txt is QEMU 7.2's output for the manifest's -initrd and -append
 * (record-golden.sh). Through the CLI (`--initrd`, as QEMU's), SeaBIOS and the multiboot option ROM, and loaded
 * directly, the output must be QEMU's.
 */
const ROOT = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const KERNEL = 'fixtures/bin/mb-modules.elf';
const MODULES = 'fixtures/bin/tiny-floppy.img,fixtures/bin/reset-vector.rom';
const golden = fs.readFileSync(path.join(ROOT, 'fixtures', 'golden', 'mb-modules.serial.txt'), 'utf8');

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'run', ...args], { encoding: 'utf8', cwd: ROOT, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('multiboot1 modules (qemu -initrd)', () => {
  it('the module list: commas separate, ",," is a comma in a name, the entry is the string and its first word the file', () => {
    assert.deepEqual(parseModuleList('a.bin'), [{ file: 'a.bin', cmdline: 'a.bin' }]);
    assert.deepEqual(parseModuleList('initrd.tar root=/ quiet,font.psf'), [
      { file: 'initrd.tar', cmdline: 'initrd.tar root=/ quiet' }, { file: 'font.psf', cmdline: 'font.psf' },
    ]);
    assert.deepEqual(parseModuleList('odd,,name.bin x=1,,2,b'), [{ file: 'odd,name.bin', cmdline: 'odd,name.bin x=1,2' }, { file: 'b', cmdline: 'b' }]);
    for (const bad of ['', 'a,', ',b', 'a,,,', ' args']) {
      assert.throws(() => parseModuleList(bad), (e: Error) => e instanceof BootError && /has an empty entry/.test(e.message), JSON.stringify(bad));
    }
  });

  describe('the CLI', { skip: !fs.existsSync(CLI) && 'dist/cli.js is missing (run node scripts/bundle.js)' }, () => {
    it('through SeaBIOS and the option ROM (the default), and loaded directly: QEMU\'s command line, module list and contents', () => {
      for (const extra of [[], ['--firmware', 'none']]) {
        const r = run(KERNEL, '--cmdline', 'hello world', '--initrd', MODULES, ...extra);
        assert.equal(r.status, 33, r.stderr);
        assert.ok(r.stdout.startsWith(golden), `${extra.join(' ') || 'seabios'}:\n${r.stdout}`);
      }
    });

    it('a module\'s arguments are part of its string, as QEMU passes them', () => {
      // QEMU 7.2, the same kernel with -initrd "fixtures/bin/tiny-floppy.img first module,fixtures/bin/reset-vector.rom"
      // (checked by hand): module 0's string is the whole entry, and module 1's string moves behind it.
      const r = run(KERNEL, '--cmdline', 'hello world', '--initrd', 'fixtures/bin/tiny-floppy.img first module,fixtures/bin/reset-vector.rom');
      assert.equal(r.status, 33, r.stderr);
      assert.match(r.stdout, /^module 0: start 0x112000 end 0x112400 size 1024 page-aligned yes string 0x111020 "fixtures\/bin\/tiny-floppy\.img first module" fnv1a 0xe5245166$/m);
      assert.match(r.stdout, /^module 1: start 0x113000 end 0x123000 size 65536 page-aligned yes string 0x11104a "fixtures\/bin\/reset-vector\.rom" fnv1a 0x6688f04d$/m);
    });

    it('a missing module is one sentence, status 2; --record with --initrd is refused', () => {
      const r = run(KERNEL, '--initrd', 'fixtures/bin/tiny-floppy.img,nope.bin args');
      assert.equal(r.status, 2);
      assert.match(r.stderr, /^faultline: module file nope\.bin does not exist/);
      const rec = run(KERNEL, '--initrd', MODULES, '--record', '/dev/null');
      assert.equal(rec.status, 2);
      assert.match(rec.stderr, /^faultline: --record cannot record a run with --initrd yet/);
    });
  });

  it('launch.json "initrd" gives a multiboot kernel its modules (the kernel sees its path, as given, before "cmdline")',
    { skip: !fs.existsSync(ADAPTER) && 'dist/debug-adapter.js is missing' }, async () => {
      const dc = await startClient();
      try {
        let out = '';
        dc.on('output', (e: DebugProtocol.OutputEvent) => { out += e.body.output; });
        const exited = dc.waitForEvent('exited') as Promise<DebugProtocol.ExitedEvent>;
        const configured = dc.waitForEvent('initialized').then(async () => {
          await dc.setExceptionBreakpointsRequest({ filters: [] });
          await dc.configurationDoneRequest();
        });
        await Promise.all([dc.launchRequest({ kernel: KERNEL, cwd: ROOT, cmdline: 'hello world', initrd: MODULES, serialTerminal: false } as DebugProtocol.LaunchRequestArguments), configured]);
        assert.equal((await exited).body.exitCode, 33);
        for (const line of golden.trim().split('\n')) assert.ok(out.includes(line), `${line}\n--- in ---\n${out}`);
      } finally {
        await dc.stop();
      }
    });
});
