/**
 * The 82078's register bits and the controller's internal enums, shared by the controller (fdc.ts) and its
 * command table (fdc-commands.ts); names as QEMU's hw/block/fdc.c.
 */
export const SECTOR = 512;

export const DOR = { SELMASK: 0x01, nRESET: 0x04, DMAEN: 0x08, MOTEN0: 0x10, MOTEN1: 0x20 } as const;
export const DSR = { DRATEMASK: 0x03, PWRDOWN: 0x40, SWRESET: 0x80 } as const;
export const MSR = { CMDBUSY: 0x10, NONDMA: 0x20, DIO: 0x40, RQM: 0x80 } as const;
export const SR0 = { HEAD: 0x04, SEEK: 0x20, ABNTERM: 0x40, INVCMD: 0x80, RDYCHG: 0xc0 } as const;
export const SR1 = { MA: 0x01, NW: 0x02, EC: 0x80 } as const;
export const SR2 = { SNS: 0x04, SEH: 0x08 } as const;
export const SRA_nDRV2 = 0x40;
export const SRA_INTPEND = 0x80;
export const SRB = { MTR0: 0x01, MTR1: 0x02, DR0: 0x20 } as const;
export const TDR_BOOTSEL = 0x04;
export const CONFIG = { EFIFO: 0x20, EIS: 0x40 } as const;
/** SENSE INTERRUPT STATUS after a reset: one per drive QEMU's controller could have. */
export const RESET_SENSEI_COUNT = 4;
/** The command's MT bit (multi-track), kept for the transfer. */
export const STATE_MULTI = 0x01;

/** A transfer's direction (QEMU FD_DIR_*). */
export enum Dir { WRITE = 0, READ = 1, SCANE = 2, SCANL = 3, SCANH = 4, VERIFY = 5 }
export enum Phase { COMMAND = 1, EXECUTION = 2, RESULT = 3 }
