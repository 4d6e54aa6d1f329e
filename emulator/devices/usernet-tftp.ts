import { get16, put16 } from './net-packets';

/**
 * slirp's TFTP server (tftp.c, libslirp 4.7) as QEMU's `-nic user` has it without a `tftp=` root, shared by the
 * IPv4 (usernet.ts) and IPv6 (usernet6.ts) sides: it listens on port 69 of the virtual host (10.0.2.2, fec0::2).
 * A read request allocates a session, finds the service disabled and sends ERROR 2 "Access violation" (iPXE
 * reports "Permission denied"), which ends the session at once; so ACK and ERROR never find a session, and other
 * opcodes (WRQ included) are ignored, as is a payload shorter than its 2-byte opcode (tftp_input's mtod_check).
 *
 * Public API: TFTP_SERVER_PORT, tftpAnswer.
 */
export const TFTP_SERVER_PORT = 69;
const TFTP_RRQ = 1;
const TFTP_ERROR = 5;
const ACCESS_VIOLATION = 'Access violation';

/** The UDP payload slirp answers the guest's TFTP payload `data` with (from port 69, to the sender), or undefined. */
export function tftpAnswer(data: Uint8Array): Uint8Array | undefined {
  if (data.length < 2 || get16(data, 0) !== TFTP_RRQ) return undefined;
  const reply = new Uint8Array(4 + ACCESS_VIOLATION.length + 1);
  put16(reply, 0, TFTP_ERROR);
  put16(reply, 2, 2);
  for (let i = 0; i < ACCESS_VIOLATION.length; i++) reply[4 + i] = ACCESS_VIOLATION.charCodeAt(i);
  return reply;
}
