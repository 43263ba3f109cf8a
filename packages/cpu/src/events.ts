import type { CpuMode } from './isa.ts';

/** Why the CPU entered the kernel. */
export type TrapKind = 'syscall' | 'interrupt' | 'exception';

/** The exceptions the CPU raises. */
export type ExceptionKind = 'divide-error' | 'invalid-opcode' | 'double-fault' | 'general-protection' | 'page-fault';

/** Which stack a trap frame was pushed on. */
export type TrapStack = 'current' | 'sp0' | 'irq' | 'exception';

/** `cpu.trap_enter`: the CPU pushed a trap frame and jumped to the vector's handler. */
export interface CpuTrapEnterPayload {
  readonly cpu: number;
  readonly vector: number;
  readonly kind: TrapKind;
  /** Mode when the trap happened. */
  readonly modeBefore: CpuMode;
  /** The PC saved in the frame (where `iret` returns to). */
  readonly pc: number;
  /** The handler's address, read from the vector table. */
  readonly handler: number;
  /** SP when the trap happened. */
  readonly spBefore: number;
  /** SP at the handler's first instruction: the address of the trap frame. */
  readonly spAfter: number;
  /** The stack the frame went on. */
  readonly stack: TrapStack;
  readonly errorCode: number;
}

/** `cpu.trap_exit`: `iret` popped a trap frame. */
export interface CpuTrapExitPayload {
  readonly cpu: number;
  /** The vector word of the popped frame. */
  readonly vector: number;
  /** Mode `iret` returned to. */
  readonly modeAfter: CpuMode;
  /** The PC `iret` returned to. */
  readonly pc: number;
  /** SP before `iret` (the frame's address). */
  readonly spBefore: number;
  /** SP after `iret` (the SP saved in the frame). */
  readonly spAfter: number;
}

/** `cpu.exception`: an exception was detected (published before it is delivered). */
export interface CpuExceptionPayload {
  readonly cpu: number;
  readonly kind: ExceptionKind;
  readonly vector: number;
  /** PC of the faulting instruction (for a fault during delivery: the PC being saved). */
  readonly pc: number;
  /** The faulting address (`cr2`) of a page fault; null for the other exceptions. */
  readonly address: number | null;
  readonly errorCode: number;
  /** Mode when the exception happened. */
  readonly mode: CpuMode;
}

/** `cpu.halt`: the CPU executed `hlt` and idles until an interrupt (forever when interrupts are disabled). */
export interface CpuHaltPayload {
  readonly cpu: number;
  /** PC after the `hlt` (where execution resumes after the interrupt returns). */
  readonly pc: number;
  readonly interruptsEnabled: boolean;
}

/** `cpu.shutdown`: a fault while delivering a double fault (a triple fault); the CPU stops for good. */
export interface CpuShutdownPayload {
  readonly cpu: number;
  readonly pc: number;
  /** The exception that could not be delivered. */
  readonly kind: ExceptionKind;
}

/** `cpu.insn`: one executed instruction (only when instruction tracing is on). */
export interface CpuInsnPayload {
  readonly cpu: number;
  readonly pc: number;
  /** Its disassembly. */
  readonly text: string;
  /** Registers whose value changed (r0-r15, sp, ps; not pc), with their new value. */
  readonly changed: Readonly<Record<string, number>>;
}

declare module '@ossim/eventlog' {
  interface EventMap {
    'cpu.trap_enter': CpuTrapEnterPayload;
    'cpu.trap_exit': CpuTrapExitPayload;
    'cpu.exception': CpuExceptionPayload;
    'cpu.halt': CpuHaltPayload;
    'cpu.shutdown': CpuShutdownPayload;
    'cpu.insn': CpuInsnPayload;
  }
}
