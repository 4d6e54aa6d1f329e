/**
 * Guest faults raised inside instruction execution. The executing code `throw`s the one preallocated
 * GuestFault; the step loop catches it and hands it to delivery (exceptions.ts). Faults are rare, so the
 * fast path never pays for them.
 */
export class GuestFault {
  vector = 0;
  /** Error code, or -1 when the vector pushes none. */
  errorCode = -1;
  /** Plain-English reason recorded at the check that failed (for the debugger's diagnosis). */
  reason = '';
  /** For #PF: the access that faulted. */
  pfAddress = 0;
  pfWrite = false;
  pfUser = false;
  pfFetch = false;
}

export const FAULT = new GuestFault();

export function raise(vector: number, errorCode: number, reason: string): never {
  FAULT.vector = vector;
  FAULT.errorCode = errorCode;
  FAULT.reason = reason;
  throw FAULT;
}

/** #GP(code). */
export function gp(code: number, reason: string): never {
  return raise(13, code, reason);
}

/** #UD. */
export function ud(reason = 'invalid or undefined opcode'): never {
  return raise(6, -1, reason);
}

/** #SS(code). */
export function ss(code: number, reason: string): never {
  return raise(12, code, reason);
}
