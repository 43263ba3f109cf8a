import type { EventLog } from '@ossim/eventlog';
import {
  EXCEPTION_STACK_SIZE,
  NR_CACHED_STACKS,
  PAGE_SIZE,
  STACK_END_CORRUPTED_PANIC,
  STACK_END_MAGIC,
  THREAD_INFO_OFFSETS,
  THREAD_INFO_SIZE,
  THREAD_SIZES,
  type ThreadSize,
  WORD_SIZE,
} from './constants.ts';
import { KstackError } from './errors.ts';
import type { KstackAllocPayload } from './events.ts';
import { formatGreatestDepth, formatKernelStackLine } from './format.ts';
import { freeRegion, inRange, type Region } from './internal/backend.ts';
import { STRATEGIES, type Strategy } from './internal/strategies.ts';
import type { KstackMemory } from './memory.ts';
import type {
  AddressRange,
  CachedStack,
  GuardOwner,
  KernelStack,
  KstackState,
  KstackStrategyName,
  OverflowHow,
  OverflowReport,
  OverflowStack,
  PerCpuStack,
  ReleasePolicy,
  StackLocation,
  StackRegion,
  ThreadInfoPlacement,
} from './types.ts';

/** i386's `HARDIRQ_OFFSET`: the preempt_count an IRQ stack's own thread_info starts with (`irq_ctx_init()`). */
const HARDIRQ_OFFSET = 0x10000;

/** How to build a kernel-stack allocator. */
export interface KstackOptions {
  /** The machine's memory, as the kernel exposes it (see {@link KstackMemory}). */
  readonly memory: KstackMemory;
  /** The event log the allocator publishes its `kstack.*` facts to. */
  readonly log: EventLog;
  /** `contiguous`, `vmap` or `single`. */
  readonly strategy: KstackStrategyName;
  /** THREAD_SIZE in bytes: 4096, 8192, 16384 or 32768. */
  readonly threadSize: number;
  /** The number of CPUs (per-CPU IRQ, exception stacks and caches). */
  readonly cpus: number;
  /**
   * Per-CPU hardirq stacks: `false` (default: interrupts run on the interrupted stack),
   * `true` (THREAD_SIZE each) or `{ size }`. With the `contiguous` layout the size must be
   * THREAD_SIZE, since `current` is found by masking SP on the IRQ stack too.
   */
  readonly irqStacks?: boolean | { readonly size: number };
  /** Per-CPU double-fault stacks of 4 KiB (x86_64 IST-like); default `true`. */
  readonly exceptionStacks?: boolean;
  /** Freed stacks kept per CPU (default {@link NR_CACHED_STACKS}, 2); 0 disables the cache. Ignored by `single`. */
  readonly nrCachedStacks?: number;
  /** When a dead task's stack is released; default `at-reap` when thread_info is on the stack, else `at-final-switch`. */
  readonly releasePolicy?: ReleasePolicy;
  /** CONFIG_DEBUG_STACK_USAGE: measure each exiting task's stack and report new low-water marks (default `true`). */
  readonly debugStackUsage?: boolean;
}

/** What the kernel passes when a task runs `do_exit()`. */
export interface TaskExit {
  readonly tid: number;
  /** The task's comm, for the greatest-stack-depth message. */
  readonly comm: string;
}

/** A trap, interrupt or exception entry as the CPU performed it. */
export interface TrapEntry {
  readonly cpu: number;
  /** SP before the entry (the interrupted context's kernel SP). */
  readonly spBefore: number;
  /** SP after the entry code switched stacks (if it did). */
  readonly spAfter: number;
}

/** What to check in {@link KstackAllocator.checkOverflow}. */
export interface OverflowCheck {
  readonly cpu: number;
  /** The task running on `cpu`, whose stack is checked (magic word, thread_info). */
  readonly tid?: number;
  /** The address of a page fault taken in kernel mode, checked against every guard page. */
  readonly faultAddress?: number;
}

/**
 * A kernel-stack allocator: one strategy, one THREAD_SIZE, per-CPU IRQ and exception
 * stacks, per-CPU caches of freed stacks, KernelStack accounting and
 * CONFIG_DEBUG_STACK_USAGE. Every decision is published on the log as a `kstack.*` event.
 *
 * The kernel calls, in a task's life: {@link KstackAllocator.alloc} in fork
 * (`dup_task_struct()`); {@link KstackAllocator.taskStackEndCorrupted} in `schedule()`;
 * {@link KstackAllocator.noteTrapEntry} on interrupt entry; {@link KstackAllocator.taskExited}
 * in `do_exit()`; {@link KstackAllocator.finalSwitch} in `finish_task_switch()` after the
 * dead task's last schedule; {@link KstackAllocator.reaped} when the parent reaps it. The
 * allocator frees the stack at the point its {@link ReleasePolicy} names.
 */
export interface KstackAllocator {
  /** The strategy. */
  readonly strategy: KstackStrategyName;
  /** THREAD_SIZE in bytes. */
  readonly threadSize: ThreadSize;
  /** Where thread_info lives: `stack` (contiguous) or `task` (vmap, single). */
  readonly threadInfoPlacement: ThreadInfoPlacement;
  /** When dead tasks' stacks are released. */
  readonly releasePolicy: ReleasePolicy;
  /** The number of CPUs. */
  readonly cpus: number;
  /** Cache slots per CPU (0 for `single`). */
  readonly nrCachedStacks: number;
  /** NR_KERNEL_STACK_KB: KiB of task kernel stacks accounted now (cached stacks are not). */
  readonly kernelStackKb: number;
  /** CONFIG_DEBUG_STACK_USAGE's `lowest_to_date`: the fewest bytes left at any exit so far (THREAD_SIZE at first). */
  readonly lowestToDate: number;

  /**
   * `alloc_thread_stack_node()` plus `set_task_stack_end_magic()` and
   * `account_kernel_stack(+1)`: gives `tid` a zeroed kernel stack, from `cpu`'s cache
   * first, with STACK_END_MAGIC at `end_of_stack()` and (contiguous) thread_info at its
   * lowest address. Returns `null` (and emits `kstack.alloc_failed`) when memory is
   * exhausted: fork fails with ENOMEM.
   */
  alloc(request: { readonly tid: number; readonly cpu: number }): KernelStack | null;
  /** The stack `tid` holds. Throws `unknown-tid`. */
  stackOf(tid: number): KernelStack;
  /** True if `tid` holds a stack. */
  has(tid: number): boolean;
  /** Every held task stack, by ascending tid. */
  stacks(): KernelStack[];
  /** `cpu`'s cache slots, slot 0 first (`null` = empty). */
  cachedStacks(cpu: number): (CachedStack | null)[];
  /** `cpu`'s IRQ stack, or `null` without IRQ stacks. */
  irqStack(cpu: number): PerCpuStack | null;
  /** `cpu`'s exception (double fault) stack, or `null` without them. */
  exceptionStack(cpu: number): PerCpuStack | null;
  /** `end_of_stack(t)`: the address of `tid`'s STACK_END_MAGIC word. */
  endOfStack(tid: number): number;
  /**
   * `current_thread_info()` on the old layout: `sp & ~(THREAD_SIZE-1)`. Throws
   * `thread-info-in-task` when thread_info is in the task.
   */
  currentThreadInfo(sp: number): number;
  /**
   * `current` on the old layout: the task word read from memory at
   * `(sp & ~(THREAD_SIZE-1)) + 0`, the tid written there at allocation. Nothing is
   * checked: a clobbered thread_info gives a wrong answer, as it did on i386.
   * Throws `thread-info-in-task` when thread_info is in the task.
   */
  current(sp: number): number;
  /** Which stack (or guard page, or part of a stack) `address` falls in, or `null`. */
  whereIs(address: number): StackLocation | null;
  /**
   * `stack_not_used()`: bytes from `end_of_stack()` to the first non-zero word above
   * it (the magic word included, as Linux counts); at most `top - end_of_stack`.
   */
  stackNotUsed(tid: number): number;
  /**
   * `task_stack_end_corrupted()` as `schedule_debug()` calls it under
   * CONFIG_SCHED_STACK_END_CHECK. When the magic word is gone, emits `kstack.overflow`
   * (`detectedIn: 'schedule'`, `panic: 'corrupted stack end detected inside scheduler'`)
   * and returns `true`; the kernel then panics.
   */
  taskStackEndCorrupted(tid: number, cpu: number): boolean;
  /**
   * Explains an overflow: a fault address in a guard page, a clobbered magic word, a
   * clobbered thread_info. Emits `kstack.overflow` and returns the report when there is
   * evidence; returns `null` otherwise.
   */
  checkOverflow(check: OverflowCheck): OverflowReport | null;
  /**
   * Called on every interrupt or exception entry: when execution moved onto `cpu`'s IRQ
   * stack (or exception stack), emits `kstack.irq_stack_switch`
   * (`kstack.exception_stack_switch`) and returns `'irq'` (`'exception'`); else `null`.
   * On the contiguous layout, entering the IRQ stack copies the interrupted task word
   * into the IRQ stack's thread_info, as i386's `execute_on_irq_stack()` did, so
   * `current` still works there.
   */
  noteTrapEntry(entry: TrapEntry): 'irq' | 'exception' | null;
  /**
   * `do_exit()`: the uncounting of newer kernels (`at-final-switch`), then
   * `check_stack_usage()` (CONFIG_DEBUG_STACK_USAGE): a new low-water mark emits
   * `kstack.greatest_depth` with the kernel's message.
   */
  taskExited(exit: TaskExit): void;
  /** `finish_task_switch()` after the dead task's final schedule on `cpu`: `put_task_stack()`. */
  finalSwitch(tid: number, cpu: number): void;
  /** The parent reaped the zombie on `cpu` (`release_task()`, the last `put_task_struct()`). */
  reaped(tid: number, cpu: number): void;
  /** The `/proc/meminfo` line: `KernelStack:    %8lu kB`. */
  meminfo(): string;
  /**
   * A checkpoint: every held stack and its holders' lifecycle flags, the per-CPU caches,
   * the tids awaiting their reap, the IRQ and exception stacks, KernelStack and the
   * low-water mark. Plain data sharing nothing with the allocator. The stacks' bytes
   * are memory's: checkpoint the memory alongside.
   */
  save(): KstackState;
  /**
   * Puts back what `save()` captured, on an allocator of the same strategy, THREAD_SIZE,
   * CPUs and cache size, over memory restored to the same moment. Nothing is emitted and
   * memory is not touched.
   */
  load(state: KstackState): void;
}

interface Held {
  readonly region: Region;
  holders: number;
  accounted: number;
}

interface TaskRecord {
  readonly tid: number;
  readonly cpu: number;
  readonly held: Held;
  exited: boolean;
  switchedOut: boolean;
  reaped: boolean;
  accounted: boolean;
}

const STRATEGY_NAMES = Object.keys(STRATEGIES) as KstackStrategyName[];

/**
 * Creates a kernel-stack allocator over `memory`, publishing to `log`. Per-CPU IRQ and
 * exception stacks are allocated now (emitting `kstack.percpu_stack`).
 *
 * @example
 * ```ts
 * const kstack = createKstackAllocator({ memory, log, strategy: 'contiguous', threadSize: 8192, cpus: 2 });
 * const stack = kstack.alloc({ tid: 1, cpu: 0 });
 * kstack.current(stack!.top - 4); // 1: found by masking SP
 * ```
 */
export function createKstackAllocator(options: KstackOptions): KstackAllocator {
  const { memory, log } = options;
  const strategy = checkStrategy(options.strategy);
  const threadSize = checkThreadSize(options.threadSize);
  const cpus = checkCount(options.cpus, 'cpus', 1, 4096);
  if (memory.pageSize !== PAGE_SIZE) throw new KstackError('bad-option', 'memory.pageSize', `must be ${PAGE_SIZE}, got ${memory.pageSize}`);
  const nrCached = strategy.cacheable ? checkCount(options.nrCachedStacks ?? NR_CACHED_STACKS, 'nrCachedStacks', 0, 64) : 0;
  const placement = strategy.threadInfo;
  const policy = checkPolicy(options.releasePolicy ?? (placement === 'stack' ? 'at-reap' : 'at-final-switch'));
  const irqSize = checkIrqStacks(options.irqStacks ?? false, threadSize, placement);
  const debugStackUsage = options.debugStackUsage ?? true;
  const kbPerStack = threadSize / 1024;

  const records = new Map<number, TaskRecord>();
  // Freed before the parent reaped them (at-final-switch): the tid stays taken until reaped.
  const awaitingReap = new Set<number>();
  const caches: (Region | null)[][] = Array.from({ length: cpus }, () => Array.from({ length: nrCached }, () => null));
  let sharedHeld: Held | null = null;
  let kernelStackKb = 0;
  let lowestToDate: number = threadSize;

  const endOfStackOf = (base: number): number => (placement === 'stack' ? base + THREAD_INFO_SIZE : base);

  // ---- per-CPU stacks, set up at boot ----
  const bootStack = (cpu: number, kind: 'irq' | 'exception', size: number): PerCpuStack => {
    const region = strategy.allocPerCpu(memory, size);
    if (region === null) throw new KstackError('no-memory', `${kind} stack of cpu ${cpu}`, `no memory for a ${size}-byte stack at boot`);
    memory.fill(region.base, size, 0);
    const threadInfo = kind === 'irq' && placement === 'stack' ? region.base : null;
    if (threadInfo !== null) {
      memory.write32(threadInfo + THREAD_INFO_OFFSETS.cpu, cpu);
      memory.write32(threadInfo + THREAD_INFO_OFFSETS.preemptCount, HARDIRQ_OFFSET);
    }
    const stack: PerCpuStack = {
      kind,
      cpu,
      base: region.base,
      top: region.base + size,
      size,
      threadInfo,
      guardBelow: region.guardBelow,
      guardAbove: region.guardAbove,
    };
    log.emit('kstack.percpu_stack', {
      cpu,
      kind,
      base: stack.base,
      top: stack.top,
      size,
      guardBelow: copyRange(stack.guardBelow),
      guardAbove: copyRange(stack.guardAbove),
    });
    return stack;
  };
  const irqStacks: (PerCpuStack | null)[] = [];
  const exceptionStacks: (PerCpuStack | null)[] = [];
  for (let cpu = 0; cpu < cpus; cpu++) {
    irqStacks.push(irqSize === null ? null : bootStack(cpu, 'irq', irqSize));
    exceptionStacks.push(options.exceptionStacks === false ? null : bootStack(cpu, 'exception', EXCEPTION_STACK_SIZE));
  }

  // ---- helpers ----
  const checkCpu = (cpu: number): void => {
    if (!Number.isSafeInteger(cpu) || cpu < 0 || cpu >= cpus) throw new KstackError('bad-cpu', `cpu ${cpu}`, `must be 0..${cpus - 1}`);
  };
  const recordOf = (tid: number): TaskRecord => {
    const record = records.get(tid);
    if (record === undefined) throw new KstackError('unknown-tid', `tid ${tid}`, 'holds no kernel stack');
    return record;
  };
  const view = (r: TaskRecord): KernelStack => {
    const { base, size } = r.held.region;
    return {
      tid: r.tid,
      strategy: strategy.name,
      base,
      top: base + size,
      size,
      threadInfo: placement === 'stack' ? base : null,
      endOfStack: endOfStackOf(base),
      guardBelow: r.held.region.guardBelow,
      guardAbove: r.held.region.guardAbove,
      cpu: r.cpu,
      exited: r.exited,
      switchedOut: r.switchedOut,
      reaped: r.reaped,
    };
  };
  const allocPayload = (tid: number, cpu: number, region: Region): KstackAllocPayload => ({
    tid,
    cpu,
    strategy: strategy.name,
    base: region.base,
    top: region.base + region.size,
    size: region.size,
    threadInfo: placement === 'stack' ? region.base : null,
    endOfStack: endOfStackOf(region.base),
    guardBelow: copyRange(region.guardBelow),
    guardAbove: copyRange(region.guardAbove),
  });
  // A stack is handed out zeroed (THREADINFO_GFP has __GFP_ZERO; a cached one is memset),
  // then gets its magic word and, on the old layout, its thread_info.
  const prepare = (tid: number, cpu: number, region: Region): void => {
    memory.fill(region.base, region.size, 0);
    if (placement === 'stack') {
      memory.write32(region.base + THREAD_INFO_OFFSETS.task, tid);
      memory.write32(region.base + THREAD_INFO_OFFSETS.cpu, cpu);
    }
    memory.write32(endOfStackOf(region.base), STACK_END_MAGIC);
  };
  const account = (tid: number, held: Held, delta: 1 | -1): void => {
    held.accounted += delta;
    if ((delta === 1 && held.accounted === 1) || (delta === -1 && held.accounted === 0)) {
      kernelStackKb += delta * kbPerStack;
      log.emit('kstack.account', { tid, deltaKb: delta * kbPerStack, kernelStackKb });
    }
  };
  const uncount = (r: TaskRecord): void => {
    if (!r.accounted) return;
    r.accounted = false;
    account(r.tid, r.held, -1);
  };
  const putTaskStack = (r: TaskRecord, cpu: number): void => {
    if (policy === 'at-reap') uncount(r);
    records.delete(r.tid);
    if (!r.reaped) awaitingReap.add(r.tid);
    const { held } = r;
    const { region } = held;
    const base = { tid: r.tid, cpu, strategy: strategy.name, base: region.base, top: region.base + region.size, size: region.size };
    held.holders--;
    if (held.holders > 0) {
      log.emit('kstack.free', { ...base, to: 'kept', slot: null });
      return;
    }
    if (held === sharedHeld) sharedHeld = null;
    const cache = caches[cpu] as (Region | null)[];
    const slot = cache.indexOf(null);
    if (slot >= 0) {
      cache[slot] = region;
      log.emit('kstack.free', { ...base, to: 'cache', slot });
      return;
    }
    freeRegion(memory, region);
    log.emit('kstack.free', { ...base, to: 'memory', slot: null });
  };
  const maybeRelease = (r: TaskRecord, cpu: number): void => {
    if (r.switchedOut && (policy === 'at-final-switch' || r.reaped)) putTaskStack(r, cpu);
  };
  const onStack = (s: { base: number; top: number }, sp: number): boolean => sp >= s.base && sp <= s.top;
  const requireStackThreadInfo = (): void => {
    if (placement !== 'stack') {
      throw new KstackError(
        'thread-info-in-task',
        `strategy ${strategy.name}`,
        'thread_info is in the task: current cannot be found by masking SP',
      );
    }
  };
  const maskSp = (sp: number): number => (sp & ~(threadSize - 1)) >>> 0;

  // Every held task stack once (single: one entry for all its holders), by ascending lowest tid.
  const heldStacks = (): { held: Held; tids: number[] }[] => {
    const byHeld = new Map<Held, number[]>();
    for (const tid of [...records.keys()].sort((a, b) => a - b)) {
      const held = (records.get(tid) as TaskRecord).held;
      const tids = byHeld.get(held);
      if (tids === undefined) byHeld.set(held, [tid]);
      else tids.push(tid);
    }
    return [...byHeld].map(([held, tids]) => ({ held, tids }));
  };

  const guardOwners = (): { range: AddressRange | null; side: 'below' | 'above'; owner: GuardOwner }[] => {
    const out: { range: AddressRange | null; side: 'below' | 'above'; owner: GuardOwner }[] = [];
    const add = (s: { guardBelow: AddressRange | null; guardAbove: AddressRange | null }, owner: GuardOwner): void => {
      out.push({ range: s.guardBelow, side: 'below', owner }, { range: s.guardAbove, side: 'above', owner });
    };
    for (const { held, tids } of heldStacks()) add(held.region, { kind: 'task-stack', tids });
    for (let cpu = 0; cpu < cpus; cpu++) {
      const irq = irqStacks[cpu];
      if (irq) add(irq, { kind: 'irq-stack', cpu });
      const exc = exceptionStacks[cpu];
      if (exc) add(exc, { kind: 'exception-stack', cpu });
      (caches[cpu] as (Region | null)[]).forEach((region, slot) => {
        if (region) add(region, { kind: 'cached-stack', cpu, slot });
      });
    }
    // An overflow runs downward, into the guard below its stack: those win over "above".
    return [...out.filter((g) => g.side === 'below'), ...out.filter((g) => g.side === 'above')];
  };

  const evidenceOnTaskStack = (r: TaskRecord): { evidence: OverflowHow[]; word: number } => {
    const evidence: OverflowHow[] = [];
    const word = memory.read32(endOfStackOf(r.held.region.base));
    if (word !== STACK_END_MAGIC) evidence.push('stack-end-magic');
    if (placement === 'stack' && memory.read32(r.held.region.base + THREAD_INFO_OFFSETS.task) !== r.tid) evidence.push('thread-info');
    return { evidence, word };
  };

  const report = (r: Omit<OverflowReport, 'how'> & { evidence: OverflowHow[] }): OverflowReport => {
    const full: OverflowReport = { ...r, how: r.evidence[0] as OverflowHow };
    log.emit('kstack.overflow', { ...full, evidence: [...full.evidence] });
    return full;
  };

  const allocator: KstackAllocator = {
    strategy: strategy.name,
    threadSize,
    threadInfoPlacement: placement,
    releasePolicy: policy,
    cpus,
    nrCachedStacks: nrCached,
    get kernelStackKb() {
      return kernelStackKb;
    },
    get lowestToDate() {
      return lowestToDate;
    },

    alloc({ tid, cpu }) {
      if (!Number.isSafeInteger(tid) || tid < 0) throw new KstackError('bad-option', `tid ${tid}`, 'must be a non-negative integer');
      checkCpu(cpu);
      if (records.has(tid) || awaitingReap.has(tid)) throw new KstackError('duplicate-tid', `tid ${tid}`, 'already holds a kernel stack');
      let held: Held;
      if (strategy.shared && sharedHeld !== null) {
        // Every thread gets the one stack, exactly as it is: nothing is zeroed or rewritten.
        held = sharedHeld;
        held.holders++;
        log.emit('kstack.alloc', { ...allocPayload(tid, cpu, held.region), source: 'shared' });
      } else {
        const cache = caches[cpu] as (Region | null)[];
        const slot = cache.findIndex((r) => r !== null);
        if (slot >= 0) {
          const region = cache[slot] as Region;
          cache[slot] = null;
          prepare(tid, cpu, region);
          held = { region, holders: 1, accounted: 0 };
          log.emit('kstack.cache_hit', { ...allocPayload(tid, cpu, region), slot });
        } else {
          const region = strategy.allocStack(memory, threadSize);
          if (region === null) {
            log.emit('kstack.alloc_failed', { tid, cpu, strategy: strategy.name, size: threadSize });
            return null;
          }
          prepare(tid, cpu, region);
          held = { region, holders: 1, accounted: 0 };
          if (strategy.shared) sharedHeld = held;
          log.emit('kstack.alloc', { ...allocPayload(tid, cpu, region), source: region.release.kind });
        }
      }
      const record: TaskRecord = { tid, cpu, held, exited: false, switchedOut: false, reaped: false, accounted: true };
      records.set(tid, record);
      account(tid, held, 1);
      return view(record);
    },

    stackOf: (tid) => view(recordOf(tid)),
    has: (tid) => records.has(tid),
    stacks: () => [...records.keys()].sort((a, b) => a - b).map((tid) => view(records.get(tid) as TaskRecord)),
    cachedStacks(cpu) {
      checkCpu(cpu);
      return (caches[cpu] as (Region | null)[]).map((r, slot) =>
        r === null
          ? null
          : { cpu, slot, base: r.base, top: r.base + r.size, size: r.size, guardBelow: r.guardBelow, guardAbove: r.guardAbove },
      );
    },
    irqStack(cpu) {
      checkCpu(cpu);
      return irqStacks[cpu] ?? null;
    },
    exceptionStack(cpu) {
      checkCpu(cpu);
      return exceptionStacks[cpu] ?? null;
    },
    endOfStack: (tid) => endOfStackOf(recordOf(tid).held.region.base),

    currentThreadInfo(sp) {
      requireStackThreadInfo();
      return maskSp(sp);
    },
    current(sp) {
      requireStackThreadInfo();
      return memory.read32(maskSp(sp) + THREAD_INFO_OFFSETS.task);
    },

    whereIs(address) {
      for (const { held, tids } of heldStacks()) {
        const { base, size } = held.region;
        if (address < base || address >= base + size) continue;
        const eos = endOfStackOf(base);
        const part = address >= eos && address < eos + WORD_SIZE ? 'stack-end' : address < eos ? 'thread-info' : 'stack';
        return { kind: 'task-stack', tids, base, top: base + size, part };
      }
      for (let cpu = 0; cpu < cpus; cpu++) {
        const irq = irqStacks[cpu];
        if (irq && address >= irq.base && address < irq.top) {
          const part = irq.threadInfo !== null && address < irq.threadInfo + THREAD_INFO_SIZE ? 'thread-info' : 'stack';
          return { kind: 'irq-stack', cpu, base: irq.base, top: irq.top, part };
        }
        const exc = exceptionStacks[cpu];
        if (exc && address >= exc.base && address < exc.top) return { kind: 'exception-stack', cpu, base: exc.base, top: exc.top };
        const cache = caches[cpu] as (Region | null)[];
        for (let slot = 0; slot < cache.length; slot++) {
          const r = cache[slot];
          if (r && address >= r.base && address < r.base + r.size)
            return { kind: 'cached-stack', cpu, slot, base: r.base, top: r.base + r.size };
        }
      }
      for (const g of guardOwners()) {
        if (inRange(g.range, address)) return { kind: 'guard-page', side: g.side, start: g.range.start, end: g.range.end, owner: g.owner };
      }
      return null;
    },

    stackNotUsed(tid) {
      const { base, size } = recordOf(tid).held.region;
      const eos = endOfStackOf(base);
      const top = base + size;
      if (memory.firstNonZero32 !== undefined) return memory.firstNonZero32(eos + WORD_SIZE, top) - eos;
      let n = eos;
      do n += WORD_SIZE;
      while (n < top && memory.read32(n) === 0);
      return n - eos;
    },

    taskStackEndCorrupted(tid, cpu) {
      checkCpu(cpu);
      const r = recordOf(tid);
      // The common case, on every schedule(): one load and a compare, as in Linux.
      if (memory.read32(endOfStackOf(r.held.region.base)) === STACK_END_MAGIC) return false;
      const { evidence, word } = evidenceOnTaskStack(r);
      if (word === STACK_END_MAGIC) return false;
      const { base, size } = r.held.region;
      report({
        cpu,
        tid,
        stack: 'task',
        base,
        top: base + size,
        evidence,
        faultAddress: null,
        endOfStackWord: word,
        detectedIn: 'schedule',
        panic: STACK_END_CORRUPTED_PANIC,
      });
      return true;
    },

    checkOverflow({ cpu, tid, faultAddress }) {
      checkCpu(cpu);
      const evidence: OverflowHow[] = [];
      let target: { stack: OverflowStack; tid: number | null; base: number; top: number } | null = null;
      let record: TaskRecord | null = tid === undefined ? null : recordOf(tid);
      if (faultAddress !== undefined) {
        const loc = allocator.whereIs(faultAddress);
        if (loc?.kind === 'guard-page' && loc.owner.kind !== 'cached-stack') {
          evidence.push('guard-page');
          const { owner } = loc;
          if (owner.kind === 'task-stack') {
            const owning = tid !== undefined && owner.tids.includes(tid) ? tid : (owner.tids[0] as number);
            record = recordOf(owning);
          } else {
            const s = (owner.kind === 'irq-stack' ? irqStacks : exceptionStacks)[owner.cpu] as PerCpuStack;
            target = { stack: owner.kind === 'irq-stack' ? 'irq' : 'exception', tid: null, base: s.base, top: s.top };
            record = null;
          }
        }
      }
      let word: number | null = null;
      if (record !== null) {
        const found = evidenceOnTaskStack(record);
        evidence.push(...found.evidence);
        word = found.word;
        const { base, size } = record.held.region;
        target = { stack: 'task', tid: record.tid, base, top: base + size };
      }
      if (evidence.length === 0 || target === null) return null;
      return report({
        cpu,
        ...target,
        evidence,
        faultAddress: faultAddress ?? null,
        endOfStackWord: word,
        detectedIn: faultAddress === undefined ? 'check' : 'fault',
        panic: null,
      });
    },

    noteTrapEntry({ cpu, spBefore, spAfter }) {
      checkCpu(cpu);
      const irq = irqStacks[cpu];
      if (irq && onStack(irq, spAfter) && !onStack(irq, spBefore)) {
        if (irq.threadInfo !== null) {
          const from = maskSp(spBefore);
          memory.write32(irq.threadInfo + THREAD_INFO_OFFSETS.task, memory.read32(from + THREAD_INFO_OFFSETS.task));
        }
        log.emit('kstack.irq_stack_switch', { cpu, spBefore, spAfter, base: irq.base, top: irq.top });
        return 'irq';
      }
      const exc = exceptionStacks[cpu];
      if (exc && onStack(exc, spAfter) && !onStack(exc, spBefore)) {
        log.emit('kstack.exception_stack_switch', { cpu, spBefore, spAfter, base: exc.base, top: exc.top });
        return 'exception';
      }
      return null;
    },

    taskExited({ tid, comm }) {
      const r = recordOf(tid);
      if (r.exited) throw new KstackError('bad-state', `tid ${tid}`, 'has already exited');
      r.exited = true;
      if (policy === 'at-final-switch') uncount(r);
      if (!debugStackUsage) return;
      const free = allocator.stackNotUsed(tid);
      if (free >= lowestToDate) return;
      lowestToDate = free;
      log.emit('kstack.greatest_depth', { tid, comm, bytesLeft: free, message: formatGreatestDepth(comm, tid, free) });
    },

    finalSwitch(tid, cpu) {
      checkCpu(cpu);
      const r = recordOf(tid);
      if (!r.exited) throw new KstackError('bad-state', `tid ${tid}`, 'final switch of a task that has not exited');
      if (r.switchedOut) throw new KstackError('bad-state', `tid ${tid}`, 'has already made its final switch');
      r.switchedOut = true;
      maybeRelease(r, cpu);
    },

    reaped(tid, cpu) {
      checkCpu(cpu);
      if (awaitingReap.delete(tid)) return;
      const r = recordOf(tid);
      if (!r.exited) throw new KstackError('bad-state', `tid ${tid}`, 'reaped before it exited');
      if (r.reaped) throw new KstackError('bad-state', `tid ${tid}`, 'has already been reaped');
      r.reaped = true;
      maybeRelease(r, cpu);
    },

    meminfo: () => formatKernelStackLine(kernelStackKb),

    save() {
      const heldIndex = new Map<Held, number>();
      const held: { region: StackRegion; holders: number; accounted: number }[] = [];
      const tasks = [...records.values()].map((r) => {
        let index = heldIndex.get(r.held);
        if (index === undefined) {
          index = held.length;
          heldIndex.set(r.held, index);
          held.push({ region: copyRegion(r.held.region), holders: r.held.holders, accounted: r.held.accounted });
        }
        const { tid, cpu, exited, switchedOut, reaped, accounted } = r;
        return { tid, cpu, held: index, exited, switchedOut, reaped, accounted };
      });
      return {
        strategy: strategy.name,
        threadSize,
        cpus,
        nrCachedStacks: nrCached,
        held,
        tasks,
        awaitingReap: [...awaitingReap],
        caches: caches.map((slots) => slots.map((r) => (r === null ? null : copyRegion(r)))),
        sharedHeld: sharedHeld === null ? null : (heldIndex.get(sharedHeld) ?? null),
        kernelStackKb,
        lowestToDate,
        irqStacks: irqStacks.map(copyPerCpu),
        exceptionStacks: exceptionStacks.map(copyPerCpu),
      };
    },

    load(state) {
      if (
        state.strategy !== strategy.name ||
        state.threadSize !== threadSize ||
        state.cpus !== cpus ||
        state.nrCachedStacks !== nrCached ||
        state.caches.length !== cpus
      ) {
        throw new KstackError(
          'bad-checkpoint',
          'checkpoint',
          `taken of a ${state.strategy} allocator (THREAD_SIZE ${state.threadSize}, ${state.cpus} CPUs, ${state.nrCachedStacks} cache slots), not this ${strategy.name} one (THREAD_SIZE ${threadSize}, ${cpus} CPUs, ${nrCached} cache slots)`,
        );
      }
      const helds: Held[] = state.held.map((h) => ({ region: copyRegion(h.region), holders: h.holders, accounted: h.accounted }));
      records.clear();
      for (const t of state.tasks) {
        const h = helds[t.held];
        if (h === undefined)
          throw new KstackError('bad-checkpoint', `tid ${t.tid}`, `names held stack ${t.held}, which the checkpoint lacks`);
        const { tid, cpu, exited, switchedOut, reaped, accounted } = t;
        records.set(tid, { tid, cpu, held: h, exited, switchedOut, reaped, accounted });
      }
      awaitingReap.clear();
      for (const tid of state.awaitingReap) awaitingReap.add(tid);
      state.caches.forEach((slots, cpu) => {
        caches[cpu] = slots.map((r) => (r === null ? null : copyRegion(r)));
      });
      sharedHeld = state.sharedHeld === null ? null : (helds[state.sharedHeld] ?? null);
      kernelStackKb = state.kernelStackKb;
      lowestToDate = state.lowestToDate;
      irqStacks.splice(0, irqStacks.length, ...state.irqStacks.map(copyPerCpu));
      exceptionStacks.splice(0, exceptionStacks.length, ...state.exceptionStacks.map(copyPerCpu));
    },
  };
  return allocator;
}

function copyRegion(r: StackRegion): Region {
  return {
    base: r.base,
    size: r.size,
    guardBelow: copyRange(r.guardBelow),
    guardAbove: copyRange(r.guardAbove),
    release: r.release.kind === 'pages' ? { kind: 'pages', pfn: r.release.pfn, order: r.release.order } : { kind: 'vmalloc' },
  };
}

function copyPerCpu(s: PerCpuStack | null): PerCpuStack | null {
  return s === null ? null : { ...s, guardBelow: copyRange(s.guardBelow), guardAbove: copyRange(s.guardAbove) };
}

function copyRange(range: AddressRange | null): AddressRange | null {
  return range === null ? null : { start: range.start, end: range.end };
}

function checkStrategy(name: KstackStrategyName): Strategy {
  if (!STRATEGY_NAMES.includes(name)) {
    throw new KstackError('bad-option', 'strategy', `must be one of ${STRATEGY_NAMES.join(', ')}, got ${String(name)}`);
  }
  return STRATEGIES[name];
}

function checkThreadSize(size: number): ThreadSize {
  if (!(THREAD_SIZES as readonly number[]).includes(size)) {
    throw new KstackError('bad-thread-size', 'threadSize', `must be 4096, 8192, 16384 or 32768 bytes (4, 8, 16 or 32 KiB), got ${size}`);
  }
  return size as ThreadSize;
}

function checkCount(value: number, name: string, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new KstackError('bad-option', name, `must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

function checkPolicy(policy: ReleasePolicy): ReleasePolicy {
  if (policy !== 'at-reap' && policy !== 'at-final-switch') {
    throw new KstackError('bad-option', 'releasePolicy', `must be 'at-reap' or 'at-final-switch', got ${String(policy)}`);
  }
  return policy;
}

function checkIrqStacks(
  option: boolean | { readonly size: number },
  threadSize: ThreadSize,
  placement: ThreadInfoPlacement,
): number | null {
  if (option === false) return null;
  if (option === true) return threadSize;
  const { size } = option;
  if (!(THREAD_SIZES as readonly number[]).includes(size)) {
    throw new KstackError('bad-option', 'irqStacks.size', `must be 4096, 8192, 16384 or 32768 bytes, got ${size}`);
  }
  if (placement === 'stack' && size !== threadSize) {
    throw new KstackError(
      'bad-option',
      'irqStacks.size',
      `must equal threadSize (${threadSize}) when thread_info is on the stack: current is found by masking SP`,
    );
  }
  return size;
}
