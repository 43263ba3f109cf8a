import { X86_PF_INSTR, X86_PF_PROT, X86_PF_RSVD, X86_PF_USER, X86_PF_WRITE } from './constants.ts';

/**
 * What the memory bus throws when a translation fails: a plain object, so that the CPU
 * can recognise it by shape without importing this package.
 */
export interface PageFaultSignal {
  readonly kind: 'page-fault';
  /** The faulting virtual address (CR2), unsigned. */
  readonly address: number;
  /** The x86 page-fault error code: {@link X86_PF_PROT} | {@link X86_PF_WRITE} | {@link X86_PF_USER}. */
  readonly errorCode: number;
}

/** True when `value` is a {@link PageFaultSignal}. */
export function isPageFaultSignal(value: unknown): value is PageFaultSignal {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { kind?: unknown; address?: unknown; errorCode?: unknown };
  return v.kind === 'page-fault' && typeof v.address === 'number' && typeof v.errorCode === 'number';
}

/**
 * How the page-fault handler resolved a fault:
 * - `demand-zero`: a fresh zeroed page for an anonymous region (or for a write to the zero page);
 * - `zero-page`: a read of an untouched anonymous page, mapped read-only to the shared zero page;
 * - `cow-copy`: a write to a page shared copy-on-write: the page was copied;
 * - `cow-reuse`: a write to a copy-on-write page no one else maps any more: write re-enabled;
 * - `pfnmap`: a page of a region of fixed physical frames was (re)mapped;
 * - `spurious`: the page tables already allowed the access (a stale TLB entry).
 */
export type FaultResolution = 'demand-zero' | 'zero-page' | 'cow-copy' | 'cow-reuse' | 'pfnmap' | 'spurious';

/**
 * Why the page-fault handler refused a fault (the kernel then sends SIGSEGV, or oopses
 * for a kernel-mode fault):
 * - `segv`: no region covers the address;
 * - `protection`: the region does not allow the access (write to read-only, user to kernel-only);
 * - `stack-limit`: the stack would grow past RLIMIT_STACK;
 * - `guard-gap`: the stack would grow to within `stack_guard_gap` of the region below it;
 * - `oom`: no free page frame;
 * - `vmalloc-guard`: a kernel access hit the guard page of a vmalloc area (a vmapped stack overflow);
 * - `kernel-address`: any other fault on a kernel address;
 * - `no-mm`: a fault on a user address with no address space (a kernel thread).
 */
export type FaultRefusal = 'segv' | 'protection' | 'stack-limit' | 'guard-gap' | 'oom' | 'vmalloc-guard' | 'kernel-address' | 'no-mm';

/** The result of handling a page fault. */
export type FaultResult =
  | {
      readonly resolved: true;
      readonly how: FaultResolution;
      /** The frame now mapped at the faulting page. */
      readonly pfn: number;
      /** True when the stack region grew down to cover the address. */
      readonly stackGrew: boolean;
    }
  | { readonly resolved: false; readonly reason: FaultRefusal };

/**
 * Spells out a page-fault error code, e.g. `not-present, write, user` for 0x6.
 *
 * @example
 * ```ts
 * describeErrorCode(0x6); // 'not-present, write, user'
 * describeErrorCode(0x5); // 'protection, read, user'
 * ```
 */
export function describeErrorCode(errorCode: number): string {
  const parts = [
    errorCode & X86_PF_PROT ? 'protection' : 'not-present',
    errorCode & X86_PF_WRITE ? 'write' : 'read',
    errorCode & X86_PF_USER ? 'user' : 'kernel',
  ];
  if (errorCode & X86_PF_RSVD) parts.push('reserved-bit');
  if (errorCode & X86_PF_INSTR) parts.push('instruction-fetch');
  return parts.join(', ');
}
