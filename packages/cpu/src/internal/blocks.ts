import { isPageFault, type MemoryBus, type SoftTlb, SoftTlbAllow } from '../bus.ts';
import { PS, PS_FLAGS, TrapFrame, Vector } from '../isa.ts';
import { type CpuCore, callNative, callNativeFn, execute, NATIVE_TABLE_SIZE } from './core.ts';
import {
  ALU_ADD,
  ALU_AND,
  ALU_CMP,
  ALU_DIV,
  ALU_MUL,
  ALU_OR,
  ALU_REM,
  ALU_SAR,
  ALU_SHL,
  ALU_SHR,
  ALU_SUB,
  ALU_TEST,
  ALU_XOR,
  BY_OPCODE,
  OP_ALU_RI,
  OP_ALU_RR,
  OP_ALU_RS,
  OP_CALL_I,
  OP_CALL_R,
  OP_CLI,
  OP_INVLPG,
  OP_IRET,
  OP_JLAST,
  OP_JMP,
  OP_JMP_R,
  OP_LD,
  OP_LD_A,
  OP_LDB,
  OP_MOV_CR,
  OP_MOV_RC,
  OP_MOV_RI,
  OP_MOV_RR,
  OP_MOV_RS,
  OP_NCALL,
  OP_NOP,
  OP_POP_L,
  OP_POP_R,
  OP_PUSH_I,
  OP_PUSH_L,
  OP_PUSH_R,
  OP_RET,
  OP_ST,
  OP_STB,
  OP_STB_A,
  OP_STI,
  OP_SYSCALL,
  OP_WORK_I,
  OP_WORK_R,
  REG_SP,
} from './opcodes.ts';

/**
 * The block translator: runs of instructions compiled once into JavaScript functions,
 * which V8 then compiles to machine code. It is an accelerator for {@link execute},
 * never a second semantics: translated code does exactly what the interpreter does
 * instruction by instruction (the same registers, flags, memory accesses in the same
 * order, cycles and instruction counts; a page fault restarts the faulting instruction
 * with everything before it done; a slice ends on the same instruction), and anything
 * it cannot express is left to the interpreter.
 *
 * - A translation ("trace") starts at a PC and follows the code through its page: moves,
 *   arithmetic (not `div`/`rem` by a register, which may divide by zero), loads and
 *   stores, push and pop, `work`, `syscall`, and in kernel mode also `cli`, `sti`,
 *   `ncall`, `iret`, `invlpg` and the control registers. It follows jumps and calls within
 *   the page; a conditional jump leaves the trace when taken; a `ret` from a call the
 *   trace followed checks the return address it pops and goes on when it is the expected
 *   one. It ends at a jump out of the page or back into the trace, an indirect jump or
 *   call, a `syscall` or `iret`, after a CR3 load or `invlpg`, and after 32 instructions;
 *   `hlt` and undefined instructions are the interpreter's.
 * - A trace runs only when all of it starts before the slice ends (the interpreter takes
 *   a slice's last instructions otherwise), and checks the cycles again only where a
 *   native or `work rN` moved them. It returns to the machine where the interpreter would
 *   (after a native, `sti`, a trap or `iret`) when the machine has something to do.
 * - Code is interpreted until the process has run {@link WARMUP} instructions and until it
 *   has run {@link HOT} times from the same place, counted over every page that held the same
 *   code when first run (`jit: 'eager'`: at once).
 * - Translations are found by the page storage the bus fetches from
 *   (`MemoryBus.codePage`), the word offset in it and the CPU mode, and each run first
 *   checks that the page still holds every word the trace was made from: code that
 *   changes, a page reused for other code, or the same code at another address are all
 *   handled without invalidation.
 * - The compiled functions are shared by every machine in the process (by the words
 *   they were made from): the same kernel text compiles once.
 */

/**
 * A compiled trace: runs from `pc0` (with `end` the cycle the slice ends at); it keeps the
 * CPU's cycles, instruction count and flags up to date and returns the next PC (an int32),
 * or that PC (unsigned) plus {@link STOP} when the machine needs to see the CPU before it
 * goes on (an interrupt may be delivered, a stop was asked for, a fault was delivered), or,
 * having done nothing, {@link STALE} when `page` no longer holds its code and
 * {@link INTERPRET} when the slice ends inside it.
 */
type TraceFn = (
  c: CpuCore,
  r: Int32Array,
  bus: MemoryBus,
  user: boolean,
  pc0: number,
  end: number,
  page: Uint32Array,
  tlb: SoftTlb,
) => number;

/** A trace, or (fn null) a marker that the instruction at this offset is the interpreter's. */
interface Trace {
  readonly fn: TraceFn | null;
  /** The first instruction word (checked for the interpreter's markers). */
  readonly first: number;
}

/** The TLB of a bus without one: every access misses and calls the bus. */
const NO_TLB: SoftTlb = { tag: new Int32Array(1).fill(-1), allow: new Uint8Array(1), words: [new Uint32Array(1024)], mask: 0 };

/**
 * Stands in the generated code, after the native at emitted instruction k, for the check of
 * the words of the instructions after it (known once the trace is all made): `$$CHECK k$$`.
 */
const CHECK = /\$\$CHECK (\d+)\$\$/g;
/** What a trace returns when its page no longer holds its code (no int32 PC equals it). */
const STALE = 2 ** 32;
/** What a trace returns (having done nothing) when the slice ends inside it: the interpreter takes the rest. */
const INTERPRET = 2 ** 33;
/** Added to the (unsigned) PC a trace returns when the machine must look at the CPU first. */
const STOP = 2 ** 40;
const PAGE_WORDS = 1024;
/**
 * The most instructions in one trace (`push`/`pop` of a list weigh more). Longer traces
 * cost V8 more to compile than they save (and past some size it will not optimize them).
 */
const MAX_TRACE = 32;
/**
 * Compiled functions kept for reuse across machines; past this many the cache starts over
 * (a kernel and its programs make a few hundred; each function holds its source and code).
 */
const MAX_SHARED = 5_000;
const shared = new Map<string, TraceFn>();

const F_C = 1;
const F_V = 2;
const F_Z = 4;
const F_N = 8;

/** Control registers `mov rd, <ctl>` reads, by number, as the CPU's fields. */
const CONTROL_FIELDS = ['cr2Value', 'cr3Value', 'sp0Value', 'idtrValue', 'id', 'irqspValue', 'irqsizeValue', 'dfspValue'] as const;

/** The traces of one page storage, a hash of what it held when first seen, and how often each offset was reached untranslated (shared by pages of that hash). */
interface PageTraces {
  readonly hash: number;
  readonly traces: (Trace | undefined)[];
  readonly heat: Uint16Array;
}

/**
 * How many times code is interpreted from an offset before it is translated (unless a
 * trace for it is already known): a trace pays for itself only when it runs thousands
 * of times, since V8 first runs it unoptimized and then spends milliseconds optimizing it.
 */
const HOT = 1000;
/**
 * Instructions the process interprets before it translates anything: a run shorter than
 * this never pays for translation. Shared by every machine in the process, like the traces.
 */
const WARMUP = 10_000_000;
let warmupLeft = WARMUP;
/** What `lookup` returns for code still too cold to translate: the interpreter runs it up to its next jump. */
const COLD: Trace = { fn: null, first: -1 };

/**
 * Traces already made, by (hash of their page's contents when first seen, offset, mode),
 * for every machine in the process: a new machine running the same code (another run of
 * the same kernel, the same program in another process's frames) finds them here instead
 * of translating again. A trace found here still checks its words when it runs.
 */
const known = new Map<number, Trace>();
const MAX_KNOWN = 8_000;

/**
 * How often code was reached untranslated, per (hash of its page's contents when first
 * seen, mode), for every machine in the process: the same program in many processes (each
 * with its own frames), or in many short runs, heats up together.
 */
const heats = new Map<number, Uint16Array>();
const MAX_HEATS = 4_096;

function heatOf(hash: number, user: boolean): Uint16Array {
  const key = hash * 2 + (user ? 1 : 0);
  let h = heats.get(key);
  if (h === undefined) {
    if (heats.size >= MAX_HEATS) heats.clear();
    h = new Uint16Array(PAGE_WORDS);
    heats.set(key, h);
  }
  return h;
}

/** FNV-1a over the page's words. */
function hashPage(page: Uint32Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < page.length; i++) h = Math.imul(h ^ (page[i] as number), 0x01000193);
  return h >>> 0;
}

/** One CPU's traces for one mode, by page storage. */
class TraceCache {
  private readonly user: boolean;
  private readonly hot: number;
  private readonly pages = new WeakMap<Uint32Array, PageTraces>();
  /** A direct-mapped memo of the last pages used, by virtual page number (read by the dispatcher). */
  readonly memoPage: (Uint32Array | null)[] = new Array<Uint32Array | null>(64).fill(null);
  readonly memoTraces: PageTraces[] = new Array<PageTraces>(64).fill({ hash: 0, traces: [], heat: new Uint16Array(0) });

  constructor(user: boolean, hot: number) {
    this.user = user;
    this.hot = hot;
  }

  private entry(page: Uint32Array, vpn: number): PageTraces {
    const slot = vpn & 63;
    if (this.memoPage[slot] === page) return this.memoTraces[slot] as PageTraces;
    let found = this.pages.get(page);
    if (found === undefined) {
      const hash = hashPage(page);
      found = { hash, traces: new Array<Trace | undefined>(PAGE_WORDS).fill(undefined), heat: heatOf(hash, this.user) };
      this.pages.set(page, found);
    }
    this.memoPage[slot] = page;
    this.memoTraces[slot] = found;
    return found;
  }

  /** The trace at word `off` of `page` (which may be stale: its function says so), or {@link COLD}. */
  lookup(page: Uint32Array, vpn: number, off: number): Trace {
    const e = this.entry(page, vpn);
    let t = e.traces[off];
    if (t !== undefined && (t.fn !== null || t.first === page[off])) return t;
    const key = e.hash * 2048 + off * 2 + (this.user ? 1 : 0);
    t = known.get(key);
    if (t === undefined || (t.fn === null && t.first !== page[off])) {
      if ((e.heat[off] as number) < this.hot) {
        e.heat[off] = (e.heat[off] as number) + 1;
        return COLD;
      }
      t = translate(page, off, this.user);
      if (known.size >= MAX_KNOWN) known.clear();
      known.set(key, t);
    }
    e.traces[off] = t;
    return t;
  }

  /** Translates the code at word `off` of `page` afresh (its trace found it changed). */
  retranslate(page: Uint32Array, vpn: number, off: number): Trace {
    const t = translate(page, off, this.user);
    this.entry(page, vpn).traces[off] = t;
    return t;
  }
}

/**
 * A CPU's translations: one cache per mode (kernel-mode traces hold privileged
 * instructions). `eager` translates code the first time it runs, without the process's
 * warm-up (for tests, and for runs that know they are long).
 */
export class BlockCache {
  readonly eager: boolean;
  readonly kernel: TraceCache;
  readonly user: TraceCache;
  constructor(eager: boolean) {
    this.eager = eager;
    this.kernel = new TraceCache(false, eager ? 0 : HOT);
    this.user = new TraceCache(true, eager ? 0 : HOT);
  }
}

let available: boolean | undefined;
/** Whether this engine runs generated code (a Content-Security-Policy may forbid it). */
export function jitAvailable(): boolean {
  if (available === undefined) {
    try {
      available = new Function('return 1')() === 1;
    } catch {
      available = false;
    }
  }
  return available;
}

/**
 * Runs `c` from its PC until its cycle count reaches `end` or an instruction needs the
 * machine (as {@link execute} does without `single`), running translated code where it
 * can. The bus must have `codePage`.
 */
export function executeBlocks(c: CpuCore, end: number, caches: BlockCache): void {
  if (warmupLeft > 0 && !caches.eager) {
    const before = c.instructions;
    execute(c, end, false);
    warmupLeft -= c.instructions - before;
    return;
  }
  const r = c.r;
  const bus = c.bus as Required<MemoryBus>;
  const tlb = bus.tlb ?? NO_TLB;
  let user = c.user;
  let cache = user ? caches.user : caches.kernel;
  let fetchable = user ? SoftTlbAllow.USER_READ : SoftTlbAllow.KERNEL_READ;
  let pc = c.pcValue | 0;
  for (;;) {
    if (c.cycles >= end) break;
    if ((pc & 3) !== 0) {
      // A misaligned PC: the interpreter fetches it byte by byte.
      c.pcValue = pc >>> 0;
      execute(c, end, false);
      return;
    }
    // The fetch's page: from the TLB when it holds it readable (as the bus's fast path), else from the bus.
    const vpn = pc >>> 12;
    const slot = vpn & tlb.mask;
    let page: Uint32Array;
    if (tlb.tag[slot] === vpn && ((tlb.allow[slot] as number) & fetchable) !== 0) page = tlb.words[slot] as Uint32Array;
    else {
      try {
        page = bus.codePage(pc >>> 0, user);
      } catch (e) {
        c.pcValue = pc >>> 0;
        if (!isPageFault(e)) throw e;
        c.exception(Vector.PAGE_FAULT, e.errorCode, e.address, pc >>> 0);
        return;
      }
    }
    const off = (pc & 0xfff) >>> 2;
    // The memo of the last pages first; everything else (and a marker to recheck) in lookup.
    let t = cache.memoPage[vpn & 63] === page ? (cache.memoTraces[vpn & 63] as PageTraces).traces[off] : undefined;
    if (t === undefined || t.fn === null) t = cache.lookup(page, vpn, off);
    let fn = t.fn;
    if (fn === null) {
      // Code not translated (yet): the interpreter runs it, then the machine is looked at.
      if (!interpret(c, end, t === COLD, page, off, pc, user)) return;
      if (c.user !== user) {
        user = c.user;
        cache = user ? caches.user : caches.kernel;
        fetchable = user ? SoftTlbAllow.USER_READ : SoftTlbAllow.KERNEL_READ;
      }
      pc = c.pcValue | 0;
      continue;
    }
    // A page fault inside the trace is delivered by the trace itself (it returns with STOP).
    let next = fn(c, r, bus, user, pc, end, page, tlb);
    if (next >= STALE) {
      if (next === STALE) {
        t = cache.retranslate(page, pc >>> 12, off);
        fn = t.fn;
        if (fn === null) continue;
        next = fn(c, r, bus, user, pc, end, page, tlb);
      }
      if (next === INTERPRET) {
        c.pcValue = pc >>> 0;
        execute(c, end, false);
        return;
      }
      if (next >= STOP) {
        c.pcValue = (next - STOP) >>> 0;
        return;
      }
    }
    if (c.user !== user) {
      // A system call or an iret changed the mode.
      user = c.user;
      cache = user ? caches.user : caches.kernel;
      fetchable = user ? SoftTlbAllow.USER_READ : SoftTlbAllow.KERNEL_READ;
    }
    pc = next;
  }
  c.pcValue = pc >>> 0;
}

/**
 * Runs untranslated code at `pc`: up to its next jump when it is cold, or the one
 * instruction the translator leaves to the interpreter (a native call at the start of a
 * trace, `hlt`, an undefined instruction...). Returns whether the dispatcher may go on: no
 * stop asked for, not halted, no interrupt that could be delivered.
 */
function interpret(c: CpuCore, end: number, cold: boolean, page: Uint32Array, off: number, pc: number, user: boolean): boolean {
  c.pcValue = pc >>> 0;
  let attention: boolean;
  if (cold) attention = execute(c, end, false, true);
  else {
    const w = page[off] as number;
    const native = !user && (w & 0xff) === OP_NCALL && off + 1 < page.length ? (page[off + 1] as number) : -1;
    if (native >= 0 && c.host.natives.has(native)) {
      c.pcValue = (pc + 8) >>> 0;
      c.cycles += 5;
      c.instructions++;
      callNative(c, native, pc >>> 0);
      attention = true;
    } else attention = execute(c, end, true);
  }
  // Where the interpreter would not have returned to the machine, the machine would not have
  // looked yet (a stop or an interrupt asked for meanwhile waits for the next such point).
  return !attention || !(c.host.stopping || c.halted || (c.ie && c.pendingCount > 0));
}

// ---- translation ----

interface Insn {
  readonly w: number;
  readonly ext: number;
  readonly op: number;
  readonly size: number;
}

const isJump = (op: number): boolean => op >= OP_JMP && op <= OP_JLAST;
/** Does `op` write the condition flags? */
const writesFlags = (op: number): boolean =>
  (op >= OP_ALU_RR && op < OP_ALU_RR + 16) || (op >= OP_ALU_RI && op < OP_ALU_RI + 16) || (op >= OP_ALU_RS && op < OP_ALU_RS + 16);
/** Can `op` fault (touch memory)? */
const touchesMemory = (op: number): boolean =>
  (op >= OP_LD && op <= OP_STB_A) ||
  (op >= OP_PUSH_R && op <= OP_POP_L) ||
  op === OP_CALL_I ||
  op === OP_CALL_R ||
  op === OP_RET ||
  op === OP_IRET;

/** The cycles of a translatable instruction (as the interpreter charges them). */
function cyclesOf(i: Insn): number {
  const op = i.op;
  if (op === OP_WORK_I) return i.ext === 0 ? 1 : i.ext;
  if (writesFlags(op)) {
    const n = op & 0x0f;
    return n === ALU_MUL ? 3 : n === ALU_DIV || n === ALU_REM ? 12 : 1;
  }
  if (op === OP_PUSH_L || op === OP_POP_L) return 1 + popcount(i.w >>> 16);
  if (op === OP_INVLPG || op === OP_NCALL) return 5;
  if (op === OP_IRET) return 10;
  if (op === OP_MOV_CR) return ((i.w >>> 8) & 31) === 1 ? 10 : 1;
  if (touchesMemory(op)) return 2;
  return 1;
}

function popcount(m: number): number {
  let n = 0;
  for (let x = m; x !== 0; x &= x - 1) n++;
  return n;
}

/** Can the translator express this instruction in this mode? */
function translatable(i: Insn, user: boolean): boolean {
  const op = i.op;
  const info = BY_OPCODE[op];
  if (info === undefined || (info.privileged && user)) return false;
  const a = (i.w >>> 8) & 31;
  const b = (i.w >>> 13) & 31;
  switch (info.shape) {
    case 'none':
      return op === OP_NOP || op === OP_RET || op === OP_CLI || op === OP_STI || op === OP_SYSCALL || op === OP_IRET;
    case 'rr':
      if (a > REG_SP || b > REG_SP) return false;
      // Division by a register may divide by zero: the interpreter's.
      return !(op === OP_ALU_RR + ALU_DIV || op === OP_ALU_RR + ALU_REM);
    case 'rs':
    case 'ri': {
      if (a > REG_SP) return false;
      const n = op & 0x0f;
      if (op !== OP_MOV_RS && op !== OP_MOV_RI && (n === ALU_DIV || n === ALU_REM)) return (op >= OP_ALU_RS ? i.w >> 13 : i.ext) !== 0;
      return true;
    }
    case 'r':
      return a <= REG_SP;
    case 'load':
    case 'store':
      return a <= REG_SP && b <= REG_SP;
    case 'loadAbs':
    case 'storeAbs':
      return a <= REG_SP;
    case 'list':
      return i.w >>> 16 !== 0;
    case 'i':
      return op === OP_WORK_I || op === OP_PUSH_I || op === OP_NCALL;
    case 'rel':
      return true;
    case 'rc':
      return a <= REG_SP && b < CONTROL_FIELDS.length;
    case 'cr':
      return b <= REG_SP && a < CONTROL_FIELDS.length && a !== 4;
    default:
      return false;
  }
}

/** Translates the code at word `off0` of `page` for a CPU in `user` mode. */
function translate(page: Uint32Array, off0: number, user: boolean): Trace {
  const limit = Math.min(PAGE_WORDS, page.length);
  const first = page[off0] as number;
  const firstInsn = decode(page, off0, limit);
  // A trace never starts with a native call: the dispatcher runs those (and refuses unknown ones).
  if (firstInsn === null || !translatable(firstInsn, user) || firstInsn.op === OP_NCALL) {
    return { fn: null, first };
  }
  /** Per emitted instruction (the index `k` a fault reports): its byte offset from the start, and the count and cycles before it on its path. */
  const offsets: number[] = [];
  const counts: number[] = [];
  const cycleCounts: number[] = [];
  /** Word offsets of every word the trace was made from, and of each emitted instruction. */
  const used = new Set<number>();
  const wordsAt: number[][] = [];
  let budget = MAX_TRACE;
  const pcOf = (o: number): string => `(pc0 + ${(o - off0) * 4}) | 0`;
  /** Leaves the trace after `n` instructions and `cycles` cycles, at `pc`. */
  const exit = (n: number, cycles: number, pc: string): string => `{ xp = ${pc}; xn = ${n}; xc = ${cycles}; break x; }`;
  /** After something that moved the cycle count (a native, work rN): leave at `pc` unless the rest fits the slice. */
  const refit = (n: number, cycles: number, pc: string): string => `if (base + MAXB >= end) ${exit(n, cycles, pc)}`;
  // Aligned 32-bit accesses that hit the bus's TLB (MemoryBus.tlb) read and write the page
  // directly, as the bus's own fast path would; everything else calls the bus.
  // The prologue loads only what the trace uses (each load costs on every run): the TLB's
  // arrays when it touches memory or calls a native, the native table when it calls one.
  let usesTlb = false;
  let usesNatives = false;
  /** The TLB permission bits of this mode's reads and writes. */
  const READ = user ? SoftTlbAllow.USER_READ : SoftTlbAllow.KERNEL_READ;
  const WRITE = user ? SoftTlbAllow.USER_WRITE : SoftTlbAllow.KERNEL_WRITE;
  const slot = (x: string): string => {
    usesTlb = true;
    return `((${x} >>> 12) & M)`;
  };
  const hit = (x: string, bit: number): string => `T[${slot(x)}] === ${x} >>> 12 && (${x} & 3) === 0 && (P[${slot(x)}] & ${bit}) !== 0`;
  /** A read of the word at `x` (a name: it is evaluated several times). */
  const rd = (x: string): string => `(${hit(x, READ)} ? W[${slot(x)}][(${x} & 4095) >>> 2] : bus.read32(${x}, user))`;
  /** Are the bytes from `lo` to `hi` (names) aligned words of one page the TLB holds with `bit` allowed? */
  const span = (lo: string, hi: string, bit: number): string =>
    `(${lo} & 3) === 0 && ${lo} >>> 12 === ${hi} >>> 12 && T[${slot(lo)}] === ${lo} >>> 12 && (P[${slot(lo)}] & ${bit}) !== 0`;
  /** A write of `v` (evaluated once) to the word at `x` (a name). */
  const wr = (x: string, v: string): string =>
    `if (${hit(x, WRITE)}) W[${slot(x)}][(${x} & 4095) >>> 2] = ${v}; else bus.write32(${x}, ${v}, user);`;

  /**
   * The code of the trace from word `start`, `n0` instructions and `cycles0` cycles in.
   * `visited` holds its instructions (a jump back to one ends it), `returns` where the
   * calls it followed return to.
   */
  const path = (start: number, n0: number, cycles0: number, visited: Set<number>, returns: number[]): string[] => {
    const lines: string[] = [];
    let o = start;
    let n = n0;
    let cycles = cycles0;
    /**
     * After a write: leave the trace (at `pc`) when it wrote into the page the trace runs
     * from, whose code may have changed (the next trace checks what it holds).
     */
    const wrote = (addresses: string[], pc: string): string =>
      `if (${addresses.map((x) => `((${x} ^ pc0) >>> 12) === 0`).join(' || ')}) ${exit(n, cycles, pc)}`;
    for (;;) {
      const insn = budget > 0 && o >= 0 && !visited.has(o) ? decode(page, o, limit) : null;
      if (insn === null || !translatable(insn, user)) {
        lines.push(exit(n, cycles, pcOf(o)));
        return lines;
      }
      const { w, op, size } = insn;
      visited.add(o);
      used.add(o);
      if (size === 8) used.add(o + 1);
      wordsAt.push(size === 8 ? [o, o + 1] : [o]);
      const k = offsets.length;
      offsets.push((o - off0) * 4);
      counts.push(n);
      cycleCounts.push(cycles);
      budget -= op === OP_PUSH_L || op === OP_POP_L ? 1 + (popcount(w >>> 16) >> 2) : 1;
      n++;
      cycles += cyclesOf(insn);
      const a = (w >>> 8) & 31;
      const b = (w >>> 13) & 31;
      const mark = touchesMemory(op) ? `k = ${k}; ` : '';
      const next = o + size / 4;
      if (op === OP_NOP || op === OP_WORK_I) o = next;
      else if (op === OP_WORK_R) {
        // Interruptible, like x86 rep: the register holds the cycles still to do. When the
        // slice ends first, it keeps the rest and the instruction is not done (not counted);
        // when it completes, the path's later cycle counts shift by what it took beyond 1.
        lines.push(
          `{ const w = r[${a}] >>> 0; if (w > 0) { const room = end - (base + ${cycles - 1}); if (w > room) { r[${a}] = w - room; c.flags = f; c.cycles = end; c.instructions = ib + ${n - 1}; return ${pcOf(o)}; } r[${a}] = 0; base += w - 1; } }`,
          refit(n, cycles, pcOf(next)),
        );
        o = next;
      } else if (op === OP_MOV_RR) {
        lines.push(`r[${a}] = r[${b}];`);
        o = next;
      } else if (op === OP_MOV_RS) {
        lines.push(`r[${a}] = ${w >> 13};`);
        o = next;
      } else if (op === OP_MOV_RI) {
        lines.push(`r[${a}] = ${insn.ext | 0};`);
        o = next;
      } else if (writesFlags(op)) {
        lines.push(alu(op, a, b, w, insn.ext));
        o = next;
      } else if (op === OP_LD || op === OP_LDB || op === OP_ST || op === OP_STB) {
        lines.push(mark + access(op - OP_LD, a, `(r[${b}] + ${w >> 18}) >>> 0`, wrote(['s', '(s + 3) >>> 0'], pcOf(next)), rd, wr));
        o = next;
      } else if (op >= OP_LD_A && op <= OP_STB_A) {
        lines.push(mark + access(op - OP_LD_A, a, `${insn.ext >>> 0}`, wrote(['s', '(s + 3) >>> 0'], pcOf(next)), rd, wr));
        o = next;
      } else if (op === OP_PUSH_R) {
        lines.push(`${mark}{ const s = (r[16] - 4) >>> 0; ${wr('s', `r[${a}]`)} r[16] = s; ${wrote(['s', '(s + 3) >>> 0'], pcOf(next))} }`);
        o = next;
      } else if (op === OP_POP_R) {
        lines.push(`${mark}{ const s = r[16] >>> 0; const v = ${rd('s')}; r[16] = s + 4; r[${a}] = v; }`);
        o = next;
      } else if (op === OP_PUSH_I) {
        lines.push(
          `${mark}{ const s = (r[16] - 4) >>> 0; ${wr('s', `${insn.ext >>> 0}`)} r[16] = s; ${wrote(['s', '(s + 3) >>> 0'], pcOf(next))} }`,
        );
        o = next;
      } else if (op === OP_PUSH_L) {
        // As if pushed one by one from r15 down to r0. When the words are aligned in one
        // page the TLB holds writable, they go straight into it (one check for them all).
        const regs: number[] = [];
        for (let i = 15; i >= 0; i--) if ((w >>> 16) & (1 << i)) regs.push(i);
        const slow: string[] = ['let s = top;'];
        for (const i of regs) slow.push(`s = (s - 4) >>> 0; ${wr('s', `r[${i}]`)}`);
        const fast = regs.map((i, j) => `q[i + ${regs.length - 1 - j}] = r[${i}];`);
        lines.push(
          `${mark}{ const top = r[16] >>> 0; const s = (top - ${4 * regs.length}) >>> 0;`,
          `if (${span('s', '(top - 1) >>> 0', WRITE)}) { const q = W[${slot('s')}], i = (s & 4095) >>> 2; ${fast.join(' ')} }`,
          `else { ${slow.join(' ')} }`,
          `r[16] = s; ${wrote(['s', '(top - 1) >>> 0'], pcOf(next))} }`,
        );
        o = next;
      } else if (op === OP_POP_L) {
        // Every word is read before any register changes (straight from the TLB's page when
        // they are aligned in one page it holds readable).
        const regs: number[] = [];
        for (let i = 0; i < 16; i++) if ((w >>> 16) & (1 << i)) regs.push(i);
        const reads = regs.map((i, j) => `const a${i} = ${j === 0 ? 's' : `(s + ${4 * j}) >>> 0`}; const v${i} = ${rd(`a${i}`)};`);
        const sets = regs.map((i) => `r[${i}] = v${i};`);
        const fast = regs.map((i, j) => `r[${i}] = q[i + ${j}];`);
        lines.push(
          `${mark}{ const s = r[16] >>> 0;`,
          `if (${span('s', `(s + ${4 * regs.length - 1}) >>> 0`, READ)}) { const q = W[${slot('s')}], i = (s & 4095) >>> 2; ${fast.join(' ')} }`,
          `else { ${reads.join(' ')} ${sets.join(' ')} }`,
          `r[16] = (s + ${4 * regs.length}) >>> 0; }`,
        );
        o = next;
      } else if (op === OP_CLI) {
        lines.push('c.ie = false;');
        o = next;
      } else if (op === OP_STI) {
        // The interpreter returns to the machine after sti: leave when the machine has
        // something to do (an interrupt pending, a stop asked for).
        lines.push(`c.ie = true; if (c.pendingCount > 0 || c.host.stopping) ${exit(n, cycles, `${STOP} + ((${pcOf(next)}) >>> 0)`)}`);
        o = next;
      } else if (op === OP_NCALL) {
        // As the interpreter: the CPU is past the ncall when the native runs. Go on when the
        // native left the CPU there, in the same mode and address space, and the machine has
        // nothing to do (no stop asked for, nothing to deliver).
        const after = `(${pcOf(next)}) >>> 0`;
        const number = insn.ext >>> 0;
        const fn = number < NATIVE_TABLE_SIZE ? `NT[${number}]` : `c.host.natives.get(${number})`;
        usesNatives = true;
        usesTlb = true;
        lines.push(
          `{ const fn = ${fn};`,
          `if (fn === undefined) ${exit(n - 1, cycles - 5, pcOf(o))}`,
          `c.flags = f; c.cycles = base + ${cycles}; c.instructions = ib + ${n}; c.pcValue = ${after}; k = -1;`,
          `callNativeFn(c, fn, (${pcOf(o)}) >>> 0); }`,
          `if (c.host.stopping || c.halted || (c.ie && c.pendingCount > 0) || c.user !== user) return ${STOP} + c.pcValue;`,
          `if (c.pcValue !== ${after} || c.cr3Value !== cr3) return c.pcValue | 0;`,
          `base = c.cycles - ${cycles}; ib = c.instructions - ${n}; f = c.flags;`,
          refit(n, cycles, pcOf(next)),
          // The native may have rewritten or unmapped this code, or given its frame a copy of
          // its own (a checkpoint shared it): go on only when the TLB maps the next fetch to
          // the same page holding the same words (else the dispatcher fetches it afresh, and
          // delivers any fault).
          `{ const sl = (${after} >>> 12) & M;`,
          `if (T[sl] !== ${after} >>> 12 || (P[sl] & ${READ}) === 0 || W[sl] !== p || $$CHECK ${k}$$) return c.pcValue | 0; }`,
        );
        o = next;
      } else if (op === OP_MOV_RC) {
        lines.push(`r[${a}] = c.${CONTROL_FIELDS[b]};`);
        o = next;
      } else if (op === OP_MOV_CR || op === OP_INVLPG) {
        lines.push(
          op === OP_INVLPG
            ? `k = ${k}; bus.invalidatePage(r[${a}] >>> 0);`
            : a === 1
              ? `k = ${k}; c.writeControl(1, r[${b}]);`
              : `c.${CONTROL_FIELDS[a]} = r[${b}] >>> 0;`,
        );
        o = next;
        if (op === OP_INVLPG || a === 1) {
          // The mapping of this code may have changed: fetch afresh.
          lines.push(exit(n, cycles, pcOf(o)));
          return lines;
        }
      } else if (op === OP_CALL_I || op === OP_CALL_R) {
        const push = `const s = (r[16] - 4) >>> 0; ${wr('s', `(pc0 + ${(next - off0) * 4}) >>> 0`)} r[16] = s;`;
        if (op === OP_CALL_R) {
          lines.push(`${mark}{ const t = r[${a}]; ${push} ${exit(n, cycles, 't')} }`);
          return lines;
        }
        const target = o + (w >> 8);
        lines.push(`${mark}{ ${push} ${wrote(['s', '(s + 3) >>> 0'], pcOf(target))} }`);
        returns.push(next);
        o = target;
      } else if (op === OP_RET) {
        const expected = returns.pop();
        if (expected === undefined) {
          lines.push(`${mark}{ const s = r[16] >>> 0; const t = ${rd('s')} | 0; r[16] = s + 4; ${exit(n, cycles, 't')} }`);
          return lines;
        }
        // Back from a call the trace followed: go on when the popped address is the call's.
        lines.push(
          `${mark}{ const s = r[16] >>> 0; const t = ${rd('s')} | 0; r[16] = s + 4; if (t !== (${pcOf(expected)})) ${exit(n, cycles, 't')} }`,
        );
        o = expected;
      } else if (op === OP_SYSCALL) {
        // The trap, as the interpreter delivers it once the CPU is past the instruction.
        const after = `(${pcOf(next)}) >>> 0`;
        lines.push(
          `c.flags = f; c.cycles = base + ${cycles}; c.instructions = ib + ${n}; c.pcValue = ${after}; k = -1;`,
          `c.deliver(${Vector.SYSCALL}, 'syscall', 0, ${after});`,
          `return c.host.stopping || c.halted ? ${STOP} + c.pcValue : c.pcValue | 0;`,
        );
        return lines;
      } else if (op === OP_IRET) {
        // Every word of the frame is read before anything changes (a fault restarts the iret).
        const at = (d: number): string => `const a${d} = (s + ${d}) >>> 0;`;
        lines.push(
          `${mark}{ const s = r[16] >>> 0; ${at(TrapFrame.VECTOR)} const vec = ${rd(`a${TrapFrame.VECTOR}`)}; ${at(TrapFrame.PC)} const npc = ${rd(`a${TrapFrame.PC}`)}; ${at(TrapFrame.PS)} const nps = ${rd(`a${TrapFrame.PS}`)}; ${at(TrapFrame.SP)} const nsp = ${rd(`a${TrapFrame.SP}`)};`,
          `c.flags = nps & ${PS_FLAGS}; c.user = (nps & ${PS.USER}) !== 0; c.ie = (nps & ${PS.IE}) !== 0; r[16] = nsp;`,
          `c.cycles = base + ${cycles}; c.instructions = ib + ${n}; c.pcValue = npc >>> 0; k = -1;`,
          `if (c.host.quiet[vec] !== 1) c.host.emit(c, 'cpu.trap_exit', { cpu: c.id, vector: vec, modeAfter: c.user ? 'user' : 'kernel', pc: c.pcValue, spBefore: s, spAfter: r[16] >>> 0 });`,
          `return c.host.stopping || c.halted || (c.ie && c.pendingCount > 0) ? ${STOP} + c.pcValue : c.pcValue | 0; }`,
        );
        return lines;
      } else if (op === OP_JMP_R) {
        lines.push(exit(n, cycles, `r[${a}]`));
        return lines;
      } else if (isJump(op)) {
        const target = o + (w >> 8);
        if (op === OP_JMP) o = target;
        else {
          lines.push(`if (${CONDITIONS[op - OP_JMP]}) ${exit(n, cycles, pcOf(target))}`);
          o = next;
        }
      } else throw new Error(`blocks: opcode 0x${op.toString(16)} passed translatable() but has no translation`);
    }
  };

  const lines = path(off0, 0, 0, new Set<number>(), []);
  const words = [...used].sort((x, y) => x - y);
  const check = words.map((i) => `p[${i}] !== ${page[i] as number}`).join(' || ');
  /** The check of the words the instructions after emitted instruction `k` were made from. */
  const checkAfter = (k: number): string => {
    const later = [...new Set(wordsAt.slice(k + 1).flat())].sort((x, y) => x - y);
    return later.length === 0 ? 'false' : later.map((i) => `p[${i}] !== ${page[i] as number}`).join(' || ');
  };
  const key = `${user ? 'u' : 'k'}${off0}:${words.map((i) => `${i}=${page[i] as number}`).join(',')}`;
  let fn = shared.get(key);
  if (fn === undefined) {
    if (shared.size >= MAX_SHARED) shared.clear();
    // The trace runs only when every instruction of it starts before the slice ends (the
    // interpreter takes the slice's last instructions otherwise), so it checks the cycles
    // once, and again only where a native or work rN moved them.
    const maxBefore = `${cycleCounts[cycleCounts.length - 1] as number}`;
    const source = `const KO = [${offsets.join(',')}];
const KN = [${counts.join(',')}];
const KC = [${cycleCounts.join(',')}];
const MAXB = ${maxBefore};
return function trace(c, r, bus, user, pc0, end, p, tlb) {
  if (${check}) return ${STALE};
  let base = c.cycles;
  if (base + MAXB >= end) return ${INTERPRET};
  ${usesTlb ? 'const T = tlb.tag, P = tlb.allow, W = tlb.words, M = tlb.mask;' : ''}
  ${usesNatives ? 'const NT = c.nativeTable, cr3 = c.cr3Value;' : ''}
  let f = c.flags;
  let ib = c.instructions;
  let k = 0;
  let xp = 0, xn = 0, xc = 0;
  try {
    x: {
    ${lines.join('\n    ').replaceAll(CHECK, (_, k: string) => checkAfter(Number(k)))}
    }
    c.flags = f;
    c.cycles = base + xc;
    c.instructions = ib + xn;
    return xp;
  } catch (e) {
    // k < 0: the CPU was already left as the interpreter leaves it (past a native, a
    // syscall or an iret) when a native, the trap delivery or a listener threw.
    if (k < 0) throw e;
    c.flags = f;
    c.cycles = base + KC[k];
    c.instructions = ib + KN[k];
    c.pcValue = (pc0 + KO[k]) >>> 0;
    if (!isPageFault(e)) throw e;
    c.exception(${Vector.PAGE_FAULT}, e.errorCode, e.address, c.pcValue);
    return ${STOP} + c.pcValue;
  }
};`;
    fn = new Function('callNativeFn', 'isPageFault', source)(callNativeFn, isPageFault) as TraceFn;
    shared.set(key, fn);
  }
  return { fn, first };
}

/** The instruction at word `o`, or null past the page (or an extension word past it). */
function decode(page: Uint32Array, o: number, limit: number): Insn | null {
  if (o < 0 || o >= limit) return null;
  const w = page[o] as number;
  const op = w & 0xff;
  const size = BY_OPCODE[op]?.size ?? 4;
  if (size === 8 && o + 1 >= limit) return null;
  return { w, ext: size === 8 ? (page[o + 1] as number) : 0, op, size };
}

const flagsNZ = `(res < 0 ? ${F_N} : 0) | (res === 0 ? ${F_Z} : 0)`;

const CONDITIONS: readonly string[] = [
  'true',
  `(f & ${F_Z}) !== 0`,
  `(f & ${F_Z}) === 0`,
  '(((f >> 3) ^ (f >> 1)) & 1) !== 0',
  '(((f >> 3) ^ (f >> 1)) & 1) === 0',
  `(f & ${F_Z}) === 0 && (((f >> 3) ^ (f >> 1)) & 1) === 0`,
  `(f & ${F_Z}) !== 0 || (((f >> 3) ^ (f >> 1)) & 1) !== 0`,
  `(f & ${F_C}) !== 0`,
  `(f & ${F_C}) === 0`,
  `(f & ${F_C | F_Z}) === 0`,
  `(f & ${F_C | F_Z}) !== 0`,
  `(f & ${F_N}) !== 0`,
  `(f & ${F_N}) === 0`,
  `(f & ${F_V}) !== 0`,
  `(f & ${F_V}) === 0`,
];

/** A load or store (`kind`: ld, ldb, st, stb) at `addr`; `wrote` follows a store (the address is `s`). */
function access(
  kind: number,
  a: number,
  addr: string,
  wrote: string,
  rd: (x: string) => string,
  wr: (x: string, v: string) => string,
): string {
  switch (kind) {
    case 0:
      return `{ const s = ${addr}; r[${a}] = ${rd('s')}; }`;
    case 1:
      return `r[${a}] = bus.read8(${addr}, user);`;
    case 2:
      return `{ const s = ${addr}; ${wr('s', `r[${a}]`)} ${wrote} }`;
    default:
      return `{ const s = ${addr}; bus.write8(s, r[${a}] & 0xff, user); ${wrote} }`;
  }
}

/** An ALU instruction: `res` from `x` (register A) and `y`, then the flags, then the store. */
function alu(op: number, a: number, b: number, w: number, ext: number): string {
  const y = op >= OP_ALU_RS ? `${w >> 13}` : op >= OP_ALU_RI ? `${ext | 0}` : `r[${b}]`;
  const n = op & 0x0f;
  const emit = (expr: string, stores: boolean, flags: string): string =>
    `{ const x = r[${a}], y = ${y}, res = ${expr}; f = ${flags}; ${stores ? `r[${a}] = res; ` : ''}}`;
  switch (n) {
    case ALU_ADD:
      return emit('(x + y) | 0', true, `${flagsNZ} | ((res >>> 0) < (x >>> 0) ? ${F_C} : 0) | ((~(x ^ y) & (x ^ res)) < 0 ? ${F_V} : 0)`);
    case ALU_SUB:
    case ALU_CMP:
      return emit(
        '(x - y) | 0',
        n === ALU_SUB,
        `${flagsNZ} | ((x >>> 0) < (y >>> 0) ? ${F_C} : 0) | (((x ^ y) & (x ^ res)) < 0 ? ${F_V} : 0)`,
      );
    case ALU_AND:
    case ALU_TEST:
      return emit('x & y', n === ALU_AND, flagsNZ);
    case ALU_OR:
      return emit('x | y', true, flagsNZ);
    case ALU_XOR:
      return emit('x ^ y', true, flagsNZ);
    case ALU_SHL:
      return emit('x << (y & 31)', true, flagsNZ);
    case ALU_SHR:
      return emit('(x >>> (y & 31)) | 0', true, flagsNZ);
    case ALU_SAR:
      return emit('x >> (y & 31)', true, flagsNZ);
    case ALU_MUL:
      return emit('Math.imul(x, y)', true, flagsNZ);
    case ALU_DIV:
      return emit('((x >>> 0) / (y >>> 0)) | 0', true, flagsNZ);
    default:
      return emit('((x >>> 0) % (y >>> 0)) | 0', true, flagsNZ);
  }
}
