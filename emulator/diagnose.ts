/**
 * Plain-English diagnosis of an exception chain: why a fault escalated to #DF or a triple fault, derived from
 * the fault chain's reasons and the machine state (IDT gates, TSS IST slots, GDT entries, the stack page).
 * Output sentences name the cause and, where there is one, the fix.
 *
 * TODO(inspect): read gates/TSS/descriptors through emulator/inspect/{idt,tss,gdt}.ts once they exist; the
 * few fields read here are the ones SDM §6.14.1 (Figure 6-8, 64-bit gate), §7.7 (Figure 7-11, 64-bit TSS) and
 * §3.4.5 (segment descriptor) define.
 */
import type { ExceptionEvent, Runtime } from './api';
import { vectorMnemonic } from './cpu/vectors';

/** Sentences explaining the chain, most specific first; empty when there is nothing to explain. */
export function diagnose(rt: Runtime, chain: ExceptionEvent[]): string[] {
  const out: string[] = [];
  const add = (s: string) => { if (s && !out.includes(s)) out.push(s); };
  if (chain.length === 0) return out;
  const st = rt.state();
  const hex = (v: bigint | number) => '0x' + v.toString(16);

  // 1. The emulator's own reason at each failed check, in order.
  for (const ev of chain) {
    if (ev.phase === 'raised' && ev.duringDeliveryOf !== undefined && ev.reason) {
      add(`${ev.name} while delivering ${vectorMnemonic(ev.duringDeliveryOf)}: ${ev.reason}`);
    } else if (ev.phase === 'tripleFault' && ev.reason) {
      add(`triple fault: ${ev.reason}`);
    }
  }

  // 2. A #PF whose address is on the stack: a stack overflow into an unmapped (guard) page.
  const stackPf = chain.find((e) => e.vector === 14 && e.phase === 'raised' && isNearStack(e));
  if (stackPf) {
    add(`RSP ${hex(stackPf.rsp)} is in an unmapped page (likely a stack overflow into a guard page): the push to ${hex(stackPf.cr2)} faulted`);
  }

  // Real mode: delivery reads the IVT, not IDT gates, descriptors or a TSS (SDM §20.1.4).
  if (st.mode === 'real') {
    for (const ev of chain) {
      if (ev.phase === 'delivered' && ev.realMode && ev.cs === 0 && ev.rip === 0n) {
        add(`IVT entry ${ev.vector} (${ev.name}) is 0000:0000: the CPU jumped to linear address 0, into the IVT itself; install a handler at ${hex(ev.vector * 4)}`);
      }
    }
    return out;
  }

  // 3. #DF: which stack would it use?
  const df = chain.find((e) => e.vector === 8);
  if (df && st.mode === 'long') {
    const gate = readGate64(rt, st.idtr.base, st.idtr.limit, 8);
    if (gate && !gate.present) add('IDT gate 8 (#DF) is not present: install a double-fault handler');
    if (gate && gate.present) {
      if (gate.ist === 0) {
        if (stackPf) add('the #DF gate has no IST stack (IST 0), so the CPU pushes the #DF frame onto the same overflowed stack; give #DF its own stack through an IST entry in the TSS');
      } else if (st.tr.selector === 0) {
        add(`the #DF gate uses IST${gate.ist} but TR not loaded (selector 0): load a TSS with LTR`);
      } else {
        const ist = readU64(rt, st.tr.base + 0x24n + BigInt(8 * (gate.ist - 1)));
        if (ist === 0n) {
          const filled = lastFilledIst(rt, st.tr.base);
          add(filled > 0
            ? `IST index ${gate.ist} but TSS only filled up to IST${filled}`
            : `the #DF gate uses IST${gate.ist} but TSS.IST${gate.ist} is 0`);
        } else if (ist !== undefined && rt.readLinear(ist - 8n, 8).readable < 8) {
          add(`the #DF gate uses IST${gate.ist} = ${hex(ist)}, but the page below it is not mapped`);
        }
      }
    }
  }

  if (df && st.mode === 'protected') {
    const gate = readGate32(rt, st.idtr.base, st.idtr.limit, 8);
    if (gate && !gate.present) add('IDT gate 8 (#DF) is not present: install a double-fault handler');
    else if (gate && gate.type === 5) {
      add(`the #DF gate is a task gate: the CPU switches to the task in TSS ${hex(gate.selector)}, with that TSS's own stack and EIP; the interrupted task's state is saved in its own TSS (the new task's back link names it)`);
    } else if (gate && stackPf) {
      add('the #DF gate is an interrupt or trap gate, so the CPU pushes the #DF frame onto the same overflowed stack; in 32-bit mode make IDT entry 8 a task gate to a double-fault task with its own TSS and stack');
    }
  }

  // 4. Not-present gates named by selector error codes (bit 1 = IDT, SDM §6.13).
  for (const ev of chain) {
    if (ev.phase !== 'raised' || ev.errorCode === undefined || ![10, 11, 12, 13].includes(ev.vector)) continue;
    if ((ev.errorCode & 2) !== 0) {
      const v = ev.errorCode >> 3;
      const gate = st.mode === 'long' ? readGate64(rt, st.idtr.base, st.idtr.limit, v) : readGate32(rt, st.idtr.base, st.idtr.limit, v);
      if (gate && !gate.present) add(`IDT gate ${v} is not present`);
      else if (!gate) add(`IDT gate ${v} is beyond IDTR.limit ${hex(st.idtr.limit)} or unreadable`);
    }
  }

  // 5. CS indexing a system descriptor: LGDT replaced the table without reloading CS.
  const cs = readDescriptor(rt, st.gdtr.base, st.gdtr.limit, st.cs.selector);
  if (cs && !cs.s && (cs.type === 9 || cs.type === 11)) {
    add(`CS selector ${hex(st.cs.selector)} indexes a TSS descriptor after LGDT (reload CS with a far jump or far return)`);
  }
  if (chain.some((e) => e.reason && /\bTR\b|task register/i.test(e.reason)) && st.tr.selector === 0) add('TR not loaded: execute LTR with the TSS selector');
  return out;
}

function isNearStack(e: ExceptionEvent): boolean {
  const d = e.rsp - e.cr2;
  return d >= -64n && d <= 0x1000n;
}

function readU64(rt: Runtime, a: bigint): bigint | undefined {
  const r = rt.readLinear(a, 8);
  if (r.readable < 8) return undefined;
  return new DataView(r.data.buffer, r.data.byteOffset, 8).getBigUint64(0, true);
}

/** 64-bit IDT gate fields (SDM Figure 6-8): present bit 47, IST bits 32..34. */
function readGate64(rt: Runtime, base: bigint, limit: number, vector: number): { present: boolean; ist: number } | undefined {
  if (vector * 16 + 15 > limit) return undefined;
  const lo = readU64(rt, base + BigInt(vector * 16));
  if (lo === undefined) return undefined;
  return { present: ((lo >> 47n) & 1n) === 1n, ist: Number((lo >> 32n) & 7n) };
}

/** 32-bit IDT gate fields (SDM Figure 6-2): selector bits 16..31, type bits 40..43, present bit 47. */
function readGate32(rt: Runtime, base: bigint, limit: number, vector: number): { present: boolean; type: number; selector: number } | undefined {
  if (vector * 8 + 7 > limit) return undefined;
  const d = readU64(rt, base + BigInt(vector * 8));
  if (d === undefined) return undefined;
  return { present: ((d >> 47n) & 1n) === 1n, type: Number((d >> 40n) & 0xfn), selector: Number((d >> 16n) & 0xffffn) };
}

/** Segment descriptor type and S bit (SDM §3.4.5). */
function readDescriptor(rt: Runtime, base: bigint, limit: number, selector: number): { type: number; s: boolean } | undefined {
  const index = selector >> 3;
  if ((selector & 4) !== 0 || index === 0 || index * 8 + 7 > limit) return undefined;
  const d = readU64(rt, base + BigInt(index * 8));
  if (d === undefined) return undefined;
  return { type: Number((d >> 40n) & 0xfn), s: ((d >> 44n) & 1n) === 1n };
}

/** Highest IST slot (1..7) with a non-zero pointer, 0 if none. */
function lastFilledIst(rt: Runtime, trBase: bigint): number {
  let last = 0;
  for (let i = 1; i <= 7; i++) if ((readU64(rt, trBase + 0x24n + BigInt(8 * (i - 1))) ?? 0n) !== 0n) last = i;
  return last;
}
