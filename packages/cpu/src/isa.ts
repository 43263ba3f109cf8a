/**
 * Architectural constants of the ossim processor: trap vectors, the processor status
 * word (PS), control registers and the trap frame. Names follow x86 and Linux where
 * they have one.
 */

/** Trap vectors (indexes into the vector table at `idtr`). 0-31 are exceptions, 32-255 external interrupts. */
export const Vector = {
  /** #DE: `div` or `rem` by zero. No error code. The saved PC is the faulting instruction. */
  DIVIDE_ERROR: 0,
  /** #UD: an undefined opcode, a bad register field, or `ncall` of an unregistered native. */
  INVALID_OPCODE: 6,
  /** #DF: a fault while delivering a fault. Error code 0. Runs on the exception stack (`dfsp`) when configured. */
  DOUBLE_FAULT: 8,
  /** #GP: a privileged instruction in user mode (error code 0), or an empty vector-table entry (error code `vector << 3 | 2`). */
  GENERAL_PROTECTION: 13,
  /** #PF: the bus could not translate an address; `cr2` holds it, the error code says why (see `PageFaultError`). */
  PAGE_FAULT: 14,
  /** The first vector of external interrupts. */
  FIRST_EXTERNAL: 32,
  /** The `syscall` instruction traps through this vector (Linux i386's `int $0x80`). */
  SYSCALL: 0x80,
} as const;

/** Bits of the processor status word PS. */
export const PS = {
  /** Carry: unsigned overflow of `add`, borrow of `sub`/`cmp`. */
  C: 0x1,
  /** Signed overflow of `add`, `sub`, `cmp`. */
  V: 0x2,
  /** Zero result. */
  Z: 0x4,
  /** Negative result (bit 31). */
  N: 0x8,
  /** Interrupt enable (x86 IF): external interrupts are delivered only when set. */
  IE: 0x200,
  /** Mode: set in user mode, clear in kernel mode. */
  USER: 0x8000,
} as const;

/** Every PS bit that exists; `iret` ignores the others. */
export const PS_MASK = 0x820f;

/** The condition-flag bits of PS (N Z V C). */
export const PS_FLAGS = 0xf;

/** Processor mode. */
export type CpuMode = 'user' | 'kernel';

/**
 * Control registers, read with `mov rd, <name>` and written with `mov <name>, rs`
 * (both privileged). Their index is the number encoded in the instruction.
 *
 * - `cr2`: the address of the last page fault (x86 CR2).
 * - `cr3`: the page-table base; writing it calls {@link MemoryBus.loadPageTableBase}.
 * - `sp0`: the kernel stack top loaded on a trap from user mode (x86 TSS.sp0).
 * - `idtr`: the address of the vector table (256 words: vector -> handler address).
 * - `cpuid`: this CPU's number (read-only).
 * - `irqsp`, `irqsize`: the per-CPU interrupt stack's top and size (size 0 = none).
 * - `dfsp`: the per-CPU double-fault exception stack top (0 = none; x86 IST).
 */
export const CONTROL_REGISTERS = ['cr2', 'cr3', 'sp0', 'idtr', 'cpuid', 'irqsp', 'irqsize', 'dfsp'] as const;

/** A control register's name. */
export type ControlRegister = (typeof CONTROL_REGISTERS)[number];

/**
 * The trap frame the CPU pushes on every trap, as byte offsets from the stack pointer
 * the handler starts with (lowest address first). It is always five words; `iret`
 * pops all five.
 */
export const TrapFrame = {
  /** Error code: the page-fault error code, the #GP code, 0 for everything else. */
  ERROR_CODE: 0,
  /** The vector number (Linux's `orig_ax` slot). */
  VECTOR: 4,
  /** PC to return to: the faulting instruction for exceptions, the next one for `syscall` and interrupts. */
  PC: 8,
  /** PS before the trap (mode, IE, flags). */
  PS: 12,
  /** SP before the trap (the user SP on a trap from user mode). */
  SP: 16,
  /** Frame size in bytes. */
  SIZE: 20,
} as const;

/** Cycles the CPU spends delivering a trap (reading the vector table and pushing the frame). */
export const TRAP_ENTRY_CYCLES = 20;
