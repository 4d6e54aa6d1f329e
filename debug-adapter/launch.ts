/**
 * The launch request's machine: launch.json (checked by launch-args.ts) → the kernel, initrd, disks and CD read
 * through the host, the firmware chosen (SeaBIOS or the direct multiboot load), the runtime created and booted,
 * its history (reverse debugging) enabled, its symbols loaded (kernel-symbols.ts), its output and exception
 * filters connected to the session, and with gdbPort the gdb server sharing it (gdb-share.ts). Each missing or
 * wrong file is one sentence for the user. Attach is not offered.
 */
import { Event } from '@vscode/debugadapter';
import type { Runtime } from '../emulator/api';
import type { ElfFile } from '../emulator/boot';
import type { PcBoardOptions } from '../emulator/board/pc';
import { defaultFirmwareFor } from '../emulator/firmware/kernel-rom';
import { parseRtcBase } from '../emulator/devices/cmos';
import type { AdapterHost } from './host';
import { isBzImage, symbolsFrom } from './kernel-symbols';
import { parseModuleList } from '../emulator/boot/loader';
import { isPvhKernel, takesInitrd } from '../emulator/boot/kernel';
import { validateLaunch } from './launch-args';
import type { FaultlineLaunchArguments } from './protocol';
import { DEFAULT_HISTORY_MB, type Reversible } from './reverse';
import type { RuntimeFactory } from './runtime-bridge';
import { UserError, type SessionState } from './session-state';
import { reportStop } from './stops';
import { THREAD_ID } from './threads';

/** Build and boot the machine launch.json describes, with its symbols; sets s.launchArgs, s.cwd, s.rt, s.symbols. */
export async function launchMachine(s: SessionState, host: AdapterHost | undefined, createRuntime: RuntimeFactory,
  raw: Partial<FaultlineLaunchArguments>): Promise<{ rt: Runtime; args: FaultlineLaunchArguments }> {
  if (s.rt) throw new UserError('this session already has a machine; start a new debug session');
  const args = validateLaunch(raw);
  s.launchArgs = args;
  if (!host) throw new UserError('this debug adapter was built without a way to read files; start it with createFaultlineSession(factory, host)');
  const path = host.path;
  s.cwd = args.cwd ? path.resolve(host.cwd(), args.cwd) : host.cwd();
  const kernelPath = args.kernel ? path.resolve(s.cwd, args.kernel) : undefined;
  let kernel: Uint8Array | undefined;
  if (kernelPath) {
    if (!(await host.exists(kernelPath))) throw new UserError(`kernel ${kernelPath} does not exist; set "kernel" in launch.json to your kernel ELF (relative paths start at "cwd")`);
    kernel = await host.readFile(kernelPath).catch((e: Error) => { throw new UserError(`kernel: ${e.message}`); });
  }
  // Without "firmware": SeaBIOS, as qemu -kernel (a bzImage: the direct load; firmware/kernel-rom.ts defaultFirmwareFor).
  const firmware = (args.firmware ?? (kernel ? defaultFirmwareFor(kernel) : 'seabios')) === 'seabios';
  let board: PcBoardOptions | undefined;
  if (args.bios && !firmware) throw new UserError('"bios" runs through the firmware; remove "firmware": "none" (it loads the kernel directly, no BIOS runs)');
  if (args.disks?.length || args.cdrom || args.fda || args.bios || (firmware && host.openMedia)) {
    // Disks, CD, floppy and (with firmware) the BIOS: emulator/firmware/boot-media.ts, BootError sentences.
    if (!host.openMedia) throw new UserError('disk, CD and floppy images and "bios" need the desktop debug adapter (Node); here, boot a "kernel"');
    board = host.openMedia({
      hda: args.disks?.[0] && path.resolve(s.cwd, args.disks[0]), hdb: args.disks?.[1] && path.resolve(s.cwd, args.disks[1]),
      cdrom: args.cdrom && path.resolve(s.cwd, args.cdrom), fda: args.fda && path.resolve(s.cwd, args.fda), boot: args.boot, writeThrough: args.snapshot === false, firmware, kernel: !!kernelPath,
      nic: args.nic !== 'none', bios: args.bios && path.resolve(s.cwd, args.bios),
    });
  } else if (firmware) {
    // The browser: SeaBIOS from the extension's own files.
    if (!host.firmware) throw new UserError('this debug adapter cannot read SeaBIOS; set "firmware": "none" to load the kernel directly');
    if (!kernel) throw new UserError('"kernel" is missing: set it in launch.json to the path of your kernel ELF');
    const fw = await host.firmware().catch((e: Error) => { throw new UserError(`${e.message}; or set "firmware": "none" to load the kernel directly`); });
    board = { bios: fw.bios, vgaBios: fw.vgaBios };
  }
  if (!board?.vgaBios && host.vgaBios) {
    const vgaBios = await host.vgaBios().catch(() => undefined);
    if (vgaBios) board = { ...board, vgaBios };
  }
  if (args.nic === 'none') board = { ...board, nic: false };
  const rtcStart = args.rtc !== undefined ? parseRtcBase(args.rtc, Date.now(), new Date().getTimezoneOffset()) : undefined;
  const rt = createRuntime({ memoryMB: args.memoryMB, onTripleFault: args.onTripleFault ?? 'stop', board, com2: args.com2, smp: args.smp, rtcStart, fastWaits: args.fastWaits });
  if (firmware && !kernel) {
    if (!rt.bootFirmware) throw new UserError('this runtime cannot boot firmware; use "kernel" with "firmware": "none"');
    rt.bootFirmware();
  } else {
    if (!kernelPath || !kernel) throw new UserError('"kernel" is missing: set it in launch.json to the path of your kernel ELF, or boot "disks"/"cdrom"/"fda" through "firmware": "seabios"');
    // "initrd" as qemu -initrd: the initial RAM disk of a bzImage or a PVH kernel, or a multiboot kernel's modules ("FILE[ ARGS],...").
    const ramDisk = takesInitrd(kernel);
    const initrdPath = args.initrd && ramDisk ? path.resolve(s.cwd, args.initrd) : undefined;
    if (initrdPath && !(await host.exists(initrdPath))) throw new UserError(`initrd ${initrdPath} does not exist; set "initrd" in launch.json to your initial RAM disk`);
    const initrd = initrdPath ? await host.readFile(initrdPath).catch((e: Error) => { throw new UserError(`initrd: ${e.message}`); }) : undefined;
    const modules: { name: string; data: Uint8Array; cmdline: string }[] = [];
    for (const m of args.initrd && !ramDisk ? parseModuleList(args.initrd) : []) {
      const file = path.resolve(s.cwd, m.file);
      if (!(await host.exists(file))) throw new UserError(`module ${file} does not exist; "initrd" lists a multiboot kernel's modules as FILE[ ARGS], separated by commas (relative paths start at "cwd")`);
      modules.push({ name: m.file, data: await host.readFile(file).catch((e: Error) => { throw new UserError(`module ${file}: ${e.message}`); }), cmdline: m.cmdline });
    }
    // With "firmware": "seabios" the board has the BIOS and the kernel boots through its option ROM
    // (emulator/firmware/kernel-rom.ts). BootError: its message is the sentence for the user.
    rt.boot(kernel, { cmdline: args.append ?? args.cmdline, fileName: args.kernel, initrd, modules });
  }
  s.rt = rt;
  // Reverse debugging is on by default with one CPU; with several it stays off (snapshots hold one CPU).
  const historyMB = args.historyMB ?? ((args.smp ?? 1) > 1 ? 0 : DEFAULT_HISTORY_MB);
  if (historyMB > 0 && 'enableHistory' in rt) (rt as Runtime & Reversible).enableHistory({ limitMB: historyMB });
  const symbolsPath = args.symbols ? path.resolve(s.cwd, args.symbols) : kernelPath;
  const bz = !args.symbols && kernel !== undefined && isBzImage(kernel);
  if (symbolsPath) {
    const bytes = bz ? undefined : symbolsPath === kernelPath ? kernel : await host.readFile(symbolsPath).catch((e: Error) => e);
    const loaded = symbolsFrom(bytes, path.basename(symbolsPath), symbolsPath);
    s.symbols = loaded.symbols;
    for (const m of loaded.messages) s.log(m);
  }
  // A PVH vmlinux taken from a bzImage is stripped (objcopy -S): its kallsyms, read from memory, name the functions.
  const strippedPvh = !args.symbols && kernel !== undefined && isPvhKernel(kernel) && (s.symbols?.symbols.length ?? 0) === 0;
  if (strippedPvh) s.symbols = undefined;
  s.kallsymsPending = !s.symbols && (bz || strippedPvh);
  connectRuntime(s, rt, args);
  if (args.gdbPort !== undefined) await startGdb(s, host, args.gdbPort);
  return { rt, args };
}

/** The runtime's exception filter, output and reset notice, to the session. */
function connectRuntime(s: SessionState, rt: Runtime, args: FaultlineLaunchArguments): void {
  rt.shouldStopOnException = (ev) => s.filters.shouldStop(ev);
  rt.on('serial', (b) => { s.io.serialByte(b); s.out.serialByte(b); });
  rt.on('debugcon', (b) => { s.out.serialByte(b); });
  if (args.com2) rt.on('serial2', (b) => { s.io.serialByte(b, 2); s.out.com2Byte(b); });
  rt.on('screen', () => { s.out.screenChanged(); });
  rt.on('reset', () => s.log('the machine reset (triple fault with onTripleFault = "reset")'));
}

/** launch.json gdbPort: gdb shares this machine (semantics in gdb-share.ts). */
async function startGdb(s: SessionState, host: AdapterHost, port: number): Promise<void> {
  const elf = (s.rt as { entry?: { elf?: ElfFile } }).entry?.elf;
  if (!host.shareWithGdb) throw new UserError('"gdbPort" needs the desktop adapter (Node): this host cannot open TCP ports, e.g. VS Code for the Web');
  s.gdb = await host.shareWithGdb(s.rt!, port, elf, {
    running: () => s.running,
    breakpoints: () => new Set([...s.bps.addresses(), ...s.tempBreakpoints]),
    continued: () => {
      s.invalidate();
      s.lastStop = undefined;
      s.sendEvent(new Event('continued', { threadId: THREAD_ID, allThreadsContinued: true }));
    },
    stopped: (stop) => reportStop(s, stop.reason === 'budget' ? { reason: 'step' } : stop, undefined,
      stop.reason === 'exception' || stop.reason === 'shutdown' ? undefined : 'Stopped by gdb'),
    log: (l) => s.log(l),
  }).catch((e: Error) => { throw new UserError(`gdbPort: ${e.message}`); });
  s.log(`gdb server on 127.0.0.1:${s.gdb.port} shares this machine: in gdb, target remote :${s.gdb.port}`);
}
