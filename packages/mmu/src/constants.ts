/**
 * The numbers of i386 two-level paging and of the 3 GiB / 1 GiB split, under their
 * Linux names (arch/x86/include/asm/pgtable_types.h, page_32_types.h, trap_pf.h).
 */

/** log2 of the page size. */
export const PAGE_SHIFT = 12;
/** 4 KiB: the size of a page and of a page frame. */
export const PAGE_SIZE = 4096;
/** Bits 0-11 cleared: `vaddr & PAGE_MASK` is the start of the page. */
export const PAGE_MASK = 0xfffff000;
/** log2 of the span of one page-directory entry (4 MiB). */
export const PGDIR_SHIFT = 22;
/** 4 MiB: the span of one page-directory entry, and the size of a large (PS) page. */
export const PGDIR_SIZE = 0x400000;
/** Entries in a page directory. */
export const PTRS_PER_PGD = 1024;
/** Entries in a page table. */
export const PTRS_PER_PTE = 1024;
/** Where the kernel half starts: user space is 0-3 GiB, the kernel 3-4 GiB. */
export const PAGE_OFFSET = 0xc0000000;
/** The first kernel page-directory entry (`pgd_index(PAGE_OFFSET)` = 768). */
export const KERNEL_PGD_BOUNDARY = 768;
/** The highest buddy order: blocks of up to 2^10 pages (4 MiB). */
export const MAX_PAGE_ORDER = 10;
/** Orders 0..MAX_PAGE_ORDER: 11 free lists. */
export const NR_PAGE_ORDERS = 11;

/** PDE/PTE bit: present. */
export const _PAGE_PRESENT = 0x001;
/** PDE/PTE bit: writable. */
export const _PAGE_RW = 0x002;
/** PDE/PTE bit: user-accessible (clear: supervisor only). */
export const _PAGE_USER = 0x004;
/** PDE/PTE bit: page write-through. */
export const _PAGE_PWT = 0x008;
/** PDE/PTE bit: page cache disable. */
export const _PAGE_PCD = 0x010;
/** PDE/PTE bit: accessed, set by the MMU on the first use of the entry. */
export const _PAGE_ACCESSED = 0x020;
/** PTE (and large-page PDE) bit: dirty, set by the MMU on the first write. */
export const _PAGE_DIRTY = 0x040;
/** PDE bit: this entry maps a 4 MiB page directly (page size). */
export const _PAGE_PSE = 0x080;
/** PTE (and large-page PDE) bit: global, kept in the TLB across CR3 loads. */
export const _PAGE_GLOBAL = 0x100;

/** The PDE flags of a user page table (`_PAGE_TABLE`: P, RW, US, A, D = 0x067). */
export const _PAGE_TABLE = 0x067;
/** The PDE flags of a kernel page table (`_KERNPG_TABLE`: P, RW, A, D = 0x063). */
export const _KERNPG_TABLE = 0x063;
/** The PTE flags of a kernel page (`PAGE_KERNEL`: P, RW, A, D, G = 0x163). */
export const PAGE_KERNEL = 0x163;
/** The PDE flags of a kernel 4 MiB page (`PAGE_KERNEL_LARGE_EXEC`: P, RW, A, D, PS, G = 0x1e3). */
export const PAGE_KERNEL_LARGE = 0x1e3;

/** Page-fault error code bit: set for a protection violation, clear for a not-present page. */
export const X86_PF_PROT = 0x1;
/** Page-fault error code bit: the access was a write. */
export const X86_PF_WRITE = 0x2;
/** Page-fault error code bit: the access came from user mode. */
export const X86_PF_USER = 0x4;
/** Page-fault error code bit: a reserved bit was set in an entry (never raised by this MMU). */
export const X86_PF_RSVD = 0x8;
/** Page-fault error code bit: instruction fetch (only with NX or SMEP, so never raised by 2-level paging). */
export const X86_PF_INSTR = 0x10;

/** Lowmem limit: at most 896 MiB of physical memory is direct-mapped at PAGE_OFFSET. */
export const MAXMEM = 896 * 1024 * 1024;
/** The hole between the end of the direct map and the vmalloc area (8 MiB), catching overruns. */
export const VMALLOC_OFFSET = 8 * 1024 * 1024;
/** The end (exclusive) of the vmalloc area; the top 8 MiB of the address space stays unmapped. */
export const VMALLOC_END = 0xff800000;

/** The default RLIMIT_STACK (`_STK_LIM`): 8 MiB. */
export const _STK_LIM = 8 * 1024 * 1024;
/** `stack_guard_gap`: 256 pages (1 MiB) below a stack that no other mapping may come within. */
export const STACK_GUARD_GAP = 256 * PAGE_SIZE;
/** `mmap_min_addr`: user mappings and stack growth stay above the first 64 KiB. */
export const MMAP_MIN_ADDR = 0x10000;
/** The top of the user stack (`STACK_TOP` = TASK_SIZE = PAGE_OFFSET on i386, without randomisation). */
export const STACK_TOP = PAGE_OFFSET;
/** The initial size of the stack region made by exec (`stack_expand` in setup_arg_pages: 128 KiB). */
export const STACK_INITIAL_SIZE = 128 * 1024;
