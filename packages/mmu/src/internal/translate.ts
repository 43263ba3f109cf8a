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
} from '../constants.ts';
import type { PhysicalMemory } from '../physmem.ts';

/** What {@link translateInto} found: plain numbers and flags, in one object reused from walk to walk. */
export interface Translation {
  /** The physical address, when the access is allowed. */
  paddr: number;
  /** The page-fault error code, or -1 when the access is allowed. */
  errorCode: number;
  writable: boolean;
  userAccessible: boolean;
  global: boolean;
  /** A 4 MiB page (PDE with PS). */
  large: boolean;
  /** The leaf entry (PTE, or the PDE of a large page) after the hardware's A/D updates. */
  leaf: number;
}

export function createTranslation(): Translation {
  return { paddr: 0, errorCode: -1, writable: false, userAccessible: false, global: false, large: false, leaf: 0 };
}

/**
 * The hot-path twin of `walkPageTables` (same rules, same A/D updates) for TLB fills and
 * kernel accesses: it allocates nothing and writes its result into `out`. Returns true
 * when the access is allowed. A test checks both agree on every kind of entry.
 */
export function translateInto(
  phys: PhysicalMemory,
  cr3: number,
  vaddr: number,
  write: boolean,
  user: boolean,
  update: boolean,
  out: Translation,
): boolean {
  const va = vaddr >>> 0;
  const accessBits = (write ? X86_PF_WRITE : 0) | (user ? X86_PF_USER : 0);
  const pdeAddress = ((cr3 & PAGE_MASK) >>> 0) + (va >>> PGDIR_SHIFT) * 4;
  const pde = phys.read32(pdeAddress);
  out.paddr = 0;
  if ((pde & _PAGE_PRESENT) === 0) return fault(out, accessBits);
  if ((pde & _PAGE_PSE) !== 0) {
    const writable = (pde & _PAGE_RW) !== 0;
    const userAccessible = (pde & _PAGE_USER) !== 0;
    if (!permitted(out, accessBits, writable, userAccessible)) return false;
    const after = (pde | _PAGE_ACCESSED | (write ? _PAGE_DIRTY : 0)) >>> 0;
    if (update && after !== pde) phys.write32(pdeAddress, after);
    out.paddr = ((pde & 0xffc00000) | (va & (PGDIR_SIZE - 1))) >>> 0;
    out.writable = writable;
    out.userAccessible = userAccessible;
    out.global = (pde & _PAGE_GLOBAL) !== 0;
    out.large = true;
    out.leaf = after;
    return true;
  }
  const pteAddress = ((pde & PAGE_MASK) >>> 0) + ((va >>> 12) & 0x3ff) * 4;
  const pte = phys.read32(pteAddress);
  if ((pte & _PAGE_PRESENT) === 0) return fault(out, accessBits);
  const writable = (pde & pte & _PAGE_RW) !== 0;
  const userAccessible = (pde & pte & _PAGE_USER) !== 0;
  if (!permitted(out, accessBits, writable, userAccessible)) return false;
  const pdeAfter = (pde | _PAGE_ACCESSED) >>> 0;
  const pteAfter = (pte | _PAGE_ACCESSED | (write ? _PAGE_DIRTY : 0)) >>> 0;
  if (update) {
    if (pdeAfter !== pde) phys.write32(pdeAddress, pdeAfter);
    if (pteAfter !== pte) phys.write32(pteAddress, pteAfter);
  }
  out.paddr = ((pte & PAGE_MASK) | (va & (PAGE_SIZE - 1))) >>> 0;
  out.writable = writable;
  out.userAccessible = userAccessible;
  out.global = (pte & _PAGE_GLOBAL) !== 0;
  out.large = false;
  out.leaf = pteAfter;
  return true;
}

function fault(out: Translation, errorCode: number): false {
  out.errorCode = errorCode;
  return false;
}

function permitted(out: Translation, accessBits: number, writable: boolean, userAccessible: boolean): boolean {
  if ((accessBits & X86_PF_USER) !== 0 && !userAccessible) return fault(out, X86_PF_PROT | accessBits);
  if ((accessBits & X86_PF_WRITE) !== 0 && !writable) return fault(out, X86_PF_PROT | accessBits);
  out.errorCode = -1;
  return true;
}
