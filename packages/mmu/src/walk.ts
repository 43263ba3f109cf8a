import {
  _PAGE_ACCESSED,
  _PAGE_DIRTY,
  _PAGE_GLOBAL,
  _PAGE_PRESENT,
  _PAGE_PSE,
  _PAGE_RW,
  _PAGE_USER,
  PAGE_MASK,
  PAGE_SIZE,
  PGDIR_SHIFT,
  PGDIR_SIZE,
  X86_PF_PROT,
  X86_PF_USER,
  X86_PF_WRITE,
} from './constants.ts';
import type { PhysicalMemory } from './physmem.ts';

/** The kind of memory access being translated. */
export interface Access {
  /** A write (default: a read). */
  readonly write?: boolean;
  /** From user mode (default: kernel mode). */
  readonly user?: boolean;
  /** An instruction fetch: checked as a read (2-level paging has no NX bit). */
  readonly fetch?: boolean;
}

/** Why a walk faulted. */
export interface WalkFault {
  /** The x86 page-fault error code. */
  readonly errorCode: number;
  /** The entry that stopped the walk. */
  readonly level: 'pde' | 'pte';
  /** `not-present`, or which permission was missing. */
  readonly reason: 'not-present' | 'read-only' | 'supervisor-only';
}

/**
 * Every step of a two-level page walk, as the MMU performs it: the page-directory
 * entry, then (for a 4 KiB page) the page-table entry, then the physical address or
 * the fault. `pdeAfter`/`pteAfter` are the entries after the accessed and dirty bits
 * the MMU sets on a successful access (equal to `pde`/`pte` when nothing changes).
 */
export interface Walk {
  /** The virtual address translated (unsigned). */
  readonly vaddr: number;
  readonly write: boolean;
  readonly user: boolean;
  readonly fetch: boolean;
  /** The page directory's physical address (CR3). */
  readonly cr3: number;
  /** `vaddr >>> 22`. */
  readonly pdeIndex: number;
  /** Physical address of the PDE: `cr3 + pdeIndex * 4`. */
  readonly pdeAddress: number;
  /** The PDE as read. */
  readonly pde: number;
  /** The PDE after the walk's accessed/dirty update. */
  readonly pdeAfter: number;
  /** `(vaddr >>> 12) & 0x3ff`, or null when the PDE is not present or maps a 4 MiB page. */
  readonly pteIndex: number | null;
  /** Physical address of the PTE, or null. */
  readonly pteAddress: number | null;
  /** The PTE as read, or null. */
  readonly pte: number | null;
  /** The PTE after the walk's accessed/dirty update, or null. */
  readonly pteAfter: number | null;
  /** 4096 or 4194304 when the walk reached a page, else null. */
  readonly pageSize: number | null;
  /** The physical address, or null on a fault. */
  readonly paddr: number | null;
  /** Effective permissions of the page (both levels combined), or null when not present. */
  readonly writable: boolean | null;
  readonly userAccessible: boolean | null;
  /** True when the leaf entry is global (kept in the TLB across CR3 loads). */
  readonly global: boolean | null;
  /** The fault, or null when the access is allowed. */
  readonly fault: WalkFault | null;
}

/**
 * Walks the page tables at `cr3` for `vaddr` the way the MMU does (i386 2-level paging
 * with CR4.PSE and CR4.PGE on and CR0.WP set, as Linux runs it): present, writable and
 * user bits of both levels must allow the access. With `update`, a successful access
 * sets the accessed bit of the PDE and of the PTE, and on a write the dirty bit of the
 * leaf, in simulated memory, as the hardware does.
 */
export function walkPageTables(phys: PhysicalMemory, cr3: number, vaddr: number, access: Access = {}, update = false): Walk {
  const va = vaddr >>> 0;
  const base = (cr3 & PAGE_MASK) >>> 0;
  const write = access.write === true;
  const user = access.user === true;
  const fetch = access.fetch === true;
  const accessBits = (write ? X86_PF_WRITE : 0) | (user ? X86_PF_USER : 0);
  const pdeIndex = va >>> PGDIR_SHIFT;
  const pdeAddress = base + pdeIndex * 4;
  const pde = phys.read32(pdeAddress);
  const common = { vaddr: va, write, user, fetch, cr3: base, pdeIndex, pdeAddress, pde };
  const none = { pteIndex: null, pteAddress: null, pte: null, pteAfter: null };
  if ((pde & _PAGE_PRESENT) === 0) {
    return {
      ...common,
      ...none,
      pdeAfter: pde,
      pageSize: null,
      paddr: null,
      writable: null,
      userAccessible: null,
      global: null,
      fault: { errorCode: accessBits, level: 'pde', reason: 'not-present' },
    };
  }

  if ((pde & _PAGE_PSE) !== 0) {
    const writable = (pde & _PAGE_RW) !== 0;
    const userAccessible = (pde & _PAGE_USER) !== 0;
    const fault = permissionFault(accessBits, writable, userAccessible, 'pde');
    const pdeAfter = fault === null ? (pde | _PAGE_ACCESSED | (write ? _PAGE_DIRTY : 0)) >>> 0 : pde;
    if (update && pdeAfter !== pde) phys.write32(pdeAddress, pdeAfter);
    return {
      ...common,
      ...none,
      pdeAfter,
      pageSize: PGDIR_SIZE,
      paddr: fault === null ? ((pde & 0xffc00000) | (va & (PGDIR_SIZE - 1))) >>> 0 : null,
      writable,
      userAccessible,
      global: (pde & _PAGE_GLOBAL) !== 0,
      fault,
    };
  }

  const pteIndex = (va >>> 12) & 0x3ff;
  const pteAddress = ((pde & PAGE_MASK) >>> 0) + pteIndex * 4;
  const pte = phys.read32(pteAddress);
  if ((pte & _PAGE_PRESENT) === 0) {
    return {
      ...common,
      pdeAfter: pde,
      pteIndex,
      pteAddress,
      pte,
      pteAfter: pte,
      pageSize: null,
      paddr: null,
      writable: null,
      userAccessible: null,
      global: null,
      fault: { errorCode: accessBits, level: 'pte', reason: 'not-present' },
    };
  }
  const writable = (pde & pte & _PAGE_RW) !== 0;
  const userAccessible = (pde & pte & _PAGE_USER) !== 0;
  const level = user && !userAccessible ? ((pde & _PAGE_USER) === 0 ? 'pde' : 'pte') : (pde & _PAGE_RW) === 0 ? 'pde' : 'pte';
  const fault = permissionFault(accessBits, writable, userAccessible, level);
  const pdeAfter = fault === null ? (pde | _PAGE_ACCESSED) >>> 0 : pde;
  const pteAfter = fault === null ? (pte | _PAGE_ACCESSED | (write ? _PAGE_DIRTY : 0)) >>> 0 : pte;
  if (update) {
    if (pdeAfter !== pde) phys.write32(pdeAddress, pdeAfter);
    if (pteAfter !== pte) phys.write32(pteAddress, pteAfter);
  }
  return {
    ...common,
    pdeAfter,
    pteIndex,
    pteAddress,
    pte,
    pteAfter,
    pageSize: PAGE_SIZE,
    paddr: fault === null ? ((pte & PAGE_MASK) | (va & (PAGE_SIZE - 1))) >>> 0 : null,
    writable,
    userAccessible,
    global: (pte & _PAGE_GLOBAL) !== 0,
    fault,
  };
}

function permissionFault(accessBits: number, writable: boolean, userAccessible: boolean, level: 'pde' | 'pte'): WalkFault | null {
  if ((accessBits & X86_PF_USER) !== 0 && !userAccessible) {
    return { errorCode: X86_PF_PROT | accessBits, level, reason: 'supervisor-only' };
  }
  if ((accessBits & X86_PF_WRITE) !== 0 && !writable) return { errorCode: X86_PF_PROT | accessBits, level, reason: 'read-only' };
  return null;
}
