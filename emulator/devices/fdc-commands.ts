import type { Fdc } from './fdc';
import { Dir, DOR, RESET_SENSEI_COUNT, SECTOR, SR0, SRA_INTPEND, STATE_MULTI } from './fdc-regs';
import type { FloppyDrive } from './floppy-drive';

/**
 * The 82078's command set as QEMU 7.2 implements it (hw/block/fdc.c `handlers`): per command its byte and the
 * bits that select it, its parameter count and what it does once the parameters are in (the transfers are the
 * controller's, fdc.ts). Unknown bytes are an invalid command (ST0 0x80), as under QEMU.
 *
 * Public API: commandFor(byte) -> Command.
 */
type Handler = (f: Fdc, dir: Dir) => void;
export interface Command { value: number; mask: number; name: string; params: number; run: Handler; dir: Dir }

const toCommand = (f: Fdc) => f.toCommandPhase();

const handlers: Command[] = [];
function cmd(value: number, mask: number, name: string, params: number, run: Handler, dir: Dir = Dir.WRITE): void {
  handlers.push({ value, mask, name, params, run, dir });
}

const transfer: Handler = (f, dir) => f.startTransfer(dir);
const deleted: Handler = (f) => f.stopTransfer(SR0.ABNTERM | SR0.SEEK, 0, 0); // QEMU does not implement deleted data
const invalid: Handler = (f) => { f.fifo[0] = SR0.INVCMD; f.toResultPhase(1); };

function seekTo(f: Fdc, track: (d: FloppyDrive) => number): void {
  f.curDrv = f.fifo[1] & DOR.SELMASK;
  const d = f.curDrive();
  toCommand(f);
  // SEEK only steps the head: it works with or without a medium.
  d.seek(d.head, track(d) & 0xff, d.sect);
  f.status0 |= SR0.SEEK;
  f.raiseIrq();
}

cmd(0x06, 0x1f, 'READ', 8, transfer, Dir.READ);
cmd(0x05, 0x3f, 'WRITE', 8, transfer, Dir.WRITE);
cmd(0x0f, 0xff, 'SEEK', 2, (f) => seekTo(f, () => f.fifo[2]));
cmd(0x08, 0xff, 'SENSE INTERRUPT STATUS', 0, (f) => {
  const d = f.curDrive();
  if (f.resetSensei > 0) {
    // After a reset, one per drive: ST0 0xC0 + drive.
    f.fifo[0] = SR0.RDYCHG + RESET_SENSEI_COUNT - f.resetSensei;
    f.resetSensei--;
  } else if (!(f.sra & SRA_INTPEND)) {
    f.fifo[0] = SR0.INVCMD;
    f.toResultPhase(1);
    return;
  } else {
    f.fifo[0] = (f.status0 & ~(SR0.HEAD | 0x03)) | f.curDrv;
  }
  f.fifo[1] = d.track;
  f.toResultPhase(2);
  f.lowerIrq();
  f.status0 = SR0.RDYCHG;
});
cmd(0x07, 0xff, 'RECALIBRATE', 1, (f) => {
  f.curDrv = f.fifo[1] & DOR.SELMASK;
  f.curDrive().recalibrate();
  toCommand(f);
  f.status0 |= SR0.SEEK;
  f.raiseIrq();
});
cmd(0x0d, 0xbf, 'FORMAT TRACK', 5, (f) => {
  f.curDrv = f.fifo[1] & DOR.SELMASK;
  const d = f.curDrive();
  // As QEMU: the sectors per track become the command's, nothing is written, and the command ends at once.
  d.lastSect = f.fifo[3];
  f.dataState = f.fifo[0] & 0x80 ? f.dataState | STATE_MULTI : f.dataState & ~STATE_MULTI;
  f.stopTransfer(0, 0, 0);
});
cmd(0x02, 0xbf, 'READ TRACK', 8, transfer, Dir.READ);
cmd(0x4e, 0xff, 'RESTORE', 17, (f) => {
  const d = f.curDrive();
  f.drive(0).track = f.fifo[3];
  f.drive(1).track = f.fifo[4];
  f.timer0 = f.fifo[7];
  f.timer1 = f.fifo[8];
  d.lastSect = f.fifo[9];
  f.lock = f.fifo[10] >> 7;
  d.perpendicular = (f.fifo[10] >> 2) & 0xf;
  f.config = f.fifo[11];
  f.precompTrk = f.fifo[12];
  f.pwrd = f.fifo[13];
  toCommand(f);
});
cmd(0x2e, 0xff, 'SAVE', 0, (f) => {
  const d = f.curDrive();
  f.fifo.set([0, 0, f.drive(0).track, f.drive(1).track, 0, 0, f.timer0, f.timer1, d.lastSect, (f.lock << 7) | (d.perpendicular << 2), f.config, f.precompTrk, f.pwrd, 0, 0]);
  f.toResultPhase(15);
});
cmd(0x0c, 0x1f, 'READ DELETED DATA', 8, deleted, Dir.READ);
cmd(0x11, 0x1f, 'SCAN EQUAL', 8, transfer, Dir.SCANE);
cmd(0x16, 0x1f, 'VERIFY', 8, transfer, Dir.VERIFY);
cmd(0x19, 0x1f, 'SCAN LOW OR EQUAL', 8, transfer, Dir.SCANL);
cmd(0x1d, 0x1f, 'SCAN HIGH OR EQUAL', 8, transfer, Dir.SCANH);
cmd(0x09, 0x3f, 'WRITE DELETED DATA', 8, deleted, Dir.WRITE);
cmd(0x0a, 0xbf, 'READ ID', 1, (f) => f.startReadId());
cmd(0x03, 0xff, 'SPECIFY', 2, (f) => {
  f.timer0 = (f.fifo[1] >> 4) & 0xf;
  f.timer1 = f.fifo[2] >> 1;
  // The ND bit: 1 = non-DMA mode.
  f.dor = f.fifo[2] & 1 ? f.dor & ~DOR.DMAEN : f.dor | DOR.DMAEN;
  toCommand(f);
});
cmd(0x04, 0xff, 'SENSE DRIVE STATUS', 1, (f) => {
  f.curDrv = f.fifo[1] & DOR.SELMASK;
  const d = f.curDrive();
  d.head = (f.fifo[1] >> 2) & 1;
  // ST3: write protect, track 0, head, drive; bits 5 (ready) and 3 (two-sided) always set, as QEMU.
  f.fifo[0] = (d.readOnly ? 0x40 : 0) | (d.track === 0 ? 0x10 : 0) | (d.head << 2) | f.curDrv | 0x28;
  f.toResultPhase(1);
});
cmd(0x12, 0xff, 'PERPENDICULAR MODE', 1, (f) => {
  if (f.fifo[1] & 0x80) f.curDrive().perpendicular = f.fifo[1] & 0x7;
  toCommand(f);
});
cmd(0x13, 0xff, 'CONFIGURE', 3, (f) => {
  f.config = f.fifo[2];
  f.precompTrk = f.fifo[3];
  toCommand(f);
});
cmd(0x17, 0xff, 'POWERDOWN MODE', 2, (f) => {
  f.pwrd = f.fifo[1];
  f.fifo[0] = f.fifo[1];
  f.toResultPhase(1);
});
cmd(0x33, 0xff, 'OPTION', 1, (f) => toCommand(f));
cmd(0x8e, 0xff, 'DRIVE SPECIFICATION COMMAND', 5, (f) => {
  const pos = (f.dataPos - 1) % SECTOR;
  if (f.fifo[pos] & 0x80) {
    if (f.fifo[pos] & 0x40) {
      f.fifo[0] = f.fifo[1];
      f.fifo[2] = 0;
      f.fifo[3] = 0;
      f.toResultPhase(4);
    } else {
      toCommand(f);
    }
  } else if (f.dataLen > 7) {
    f.fifo[0] = 0x80 | (f.curDrive().head << 2) | f.curDrv;
    f.toResultPhase(1);
  }
});
cmd(0x8f, 0xff, 'RELATIVE SEEK OUT', 2, (f) => seekTo(f, (d) => (f.fifo[2] > d.track ? 0 : d.track - f.fifo[2])));
cmd(0xcd, 0xff, 'FORMAT AND WRITE', 10, invalid);
cmd(0xcf, 0xff, 'RELATIVE SEEK IN', 2, (f) => seekTo(f, (d) => (f.fifo[2] + d.track >= d.maxTrack ? d.maxTrack - 1 : d.track + f.fifo[2])));
cmd(0x14, 0x7f, 'LOCK', 0, (f) => {
  f.lock = f.fifo[0] & 0x80 ? 1 : 0;
  f.fifo[0] = f.lock << 4;
  f.toResultPhase(1);
});
cmd(0x0e, 0xff, 'DUMPREG', 0, (f) => {
  const d = f.curDrive();
  f.fifo.set([f.drive(0).track, f.drive(1).track, 0, 0, f.timer0, (f.timer1 << 1) | (f.dor & DOR.DMAEN ? 1 : 0), d.lastSect, (f.lock << 7) | (d.perpendicular << 2), f.config, f.precompTrk]);
  f.toResultPhase(10);
});
cmd(0x10, 0xff, 'VERSION', 0, (f) => { f.fifo[0] = 0x90; f.toResultPhase(1); }); // Intel 82078
cmd(0x18, 0xff, 'PART ID', 0, (f) => { f.fifo[0] = 0x41; f.toResultPhase(1); }); // stepping 1
cmd(0x05, 0x1f, 'WRITE (BeOS)', 8, transfer, Dir.WRITE);
cmd(0, 0, 'unknown', 0, invalid);

/** Command byte -> handler: the first entry of the table whose mask and value match (QEMU command_to_handler). */
const byCommand: Command[] = Array.from({ length: 256 }, (_, b) => handlers.find((h) => (b & h.mask) === h.value)!);

export function commandFor(b: number): Command {
  return byCommand[b & 0xff];
}
