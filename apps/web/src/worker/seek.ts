import type { OssimEvent } from '@ossim/eventlog';
import {
  createKernel,
  createKernelView,
  type Kernel,
  type KernelCheckpoint,
  type KernelView,
  kernelViewReducer,
  type OsVariant,
  type RunResult,
  type Workload,
} from '@ossim/kernel';

/** What a run is made from: enough to run it again, event for event. */
export interface SessionInputs {
  readonly os: OsVariant;
  readonly workload: Workload;
  readonly seed: number;
  readonly untilNs: number;
}

/**
 * A kernel stopped at a moment of its run, with the kernel's view folded to it. As for
 * `ossim stack --at`, the machine "at seq N" is the machine paused as event N+1 is
 * appended (at the next instruction boundary): events N+1... emitted by that instruction
 * wait in `pending`, to be folded when the kernel moves on.
 */
export interface Positioned {
  readonly kernel: Kernel;
  view: KernelView;
  pending: OssimEvent[];
  /** True once run() returned without being paused: the run is over. */
  ended: boolean;
  /** True after instructions were stepped by hand: the machine left the recorded path. */
  dirty: boolean;
  result: RunResult | null;
  /** The seq the kernel pauses after; null: run to the end. */
  target: number | null;
  pausing: boolean;
  /** Called with every event folded (for event windows, the compare counters). */
  each: ((e: OssimEvent) => void) | null;
}

/** A checkpoint taken during the first pass: the kernel's, and the view and pending events beside it. */
export interface Checkpoint {
  readonly seq: number;
  readonly kernel: KernelCheckpoint;
  readonly view: KernelView;
  readonly pending: readonly OssimEvent[];
}

/** A fresh kernel for `inputs`, positioned before its first event. */
export function createPositioned(inputs: SessionInputs, from?: Checkpoint): Positioned {
  const view = from === undefined ? createKernelView() : structuredClone(from.view);
  const holder: { p?: Positioned } = {};
  // Events emitted while the kernel is being created (before `p` exists) wait to be folded like pending ones.
  const early: OssimEvent[] = [];
  const kernel = createKernel({
    os: inputs.os,
    workload: inputs.workload,
    seed: inputs.seed,
    attach: (log) =>
      log.listen((e) => {
        const p = holder.p;
        if (p === undefined) {
          early.push(e);
          return;
        }
        if (p.pausing || (p.target !== null && e.seq > p.target)) {
          p.pending.push(e);
          if (!p.pausing) {
            p.pausing = true;
            p.kernel.pause();
          }
          return;
        }
        kernelViewReducer(p.view, e);
        p.each?.(e);
      }),
  });
  const p: Positioned = {
    kernel,
    view,
    pending: from === undefined ? early : structuredClone([...from.pending]),
    ended: false,
    dirty: false,
    result: null,
    target: null,
    pausing: false,
    each: null,
  };
  holder.p = p;
  if (from !== undefined) kernel.restore(from.kernel);
  return p;
}

/**
 * Moves a positioned kernel forward to `target` (it never goes back): folds the pending
 * events up to it, then runs until the event after it is appended, or the run ends.
 */
export function advance(p: Positioned, inputs: SessionInputs, target: number): void {
  while (p.pending.length > 0 && (p.pending[0] as OssimEvent).seq <= target) {
    const e = p.pending.shift() as OssimEvent;
    kernelViewReducer(p.view, e);
    p.each?.(e);
  }
  // With nothing pending the machine is still at the boundary where an earlier event was emitted: run on until event target + 1 is.
  if (p.pending.length > 0 || p.ended || p.view.seq > target) return;
  p.target = target;
  p.pausing = false;
  p.result = p.kernel.run({ until: inputs.untilNs });
  if (!p.pausing) p.ended = true;
  p.pausing = false;
}

/** Puts a positioned kernel back to a checkpoint of the same run (no new kernel to assemble). */
export function restorePositioned(p: Positioned, from: Checkpoint): void {
  p.kernel.restore(from.kernel);
  p.view = structuredClone(from.view);
  p.pending = structuredClone([...from.pending]);
  p.ended = false;
  p.dirty = false;
  p.result = null;
  p.target = null;
  p.pausing = false;
}

/** Takes a checkpoint of a positioned kernel, with the view and the pending events beside it. */
export function takeCheckpoint(p: Positioned): Checkpoint {
  return { seq: p.view.seq, kernel: p.kernel.checkpoint(), view: structuredClone(p.view), pending: structuredClone(p.pending) };
}

/**
 * Gives paused kernels at any seq of one run: "a kernel at seq N". It starts from the
 * closest of (a) the kernels it already holds at or before N, (b) the checkpoints,
 * (c) a fresh kernel, and re-executes from there. Moving forward reuses the same kernel,
 * so playing costs only the events played.
 */
export interface Seeker {
  at(target: number, each?: (e: OssimEvent) => void, options?: { fresh?: boolean }): Positioned;
  /**
   * One pass over the whole run taking a checkpoint every `every` events, a slice per `step`
   * (call it until it returns false).
   */
  prepare(every: number): { step(): boolean };
  readonly checkpoints: Checkpoint[];
  /** The seq the last `at` re-executed from. */
  readonly lastStart: number;
  readonly held: number;
}

/** A {@link Seeker} over one run's inputs, holding at most `keep` kernels. */
export function createSeeker(inputs: SessionInputs, options: { keep?: number; checkpoints?: Checkpoint[] } = {}): Seeker {
  const limit = options.keep ?? 4;
  let lastStart = 0;
  const checkpoints = options.checkpoints ?? [];
  let pool: Positioned[] = [];
  const remember = (p: Positioned): void => {
    pool = [p, ...pool.filter((q) => q !== p)].slice(0, limit);
  };
  const startFor = (target: number): Positioned => {
    let best: Positioned | null = null;
    for (const p of pool) {
      if (p.dirty) continue;
      const at = p.view.seq;
      const reaches = at <= target;
      if (reaches && (best === null || at > best.view.seq)) best = p;
    }
    let cp: Checkpoint | null = null;
    for (const c of checkpoints) if (c.seq <= target && (cp === null || c.seq > cp.seq)) cp = c;
    if (cp !== null && (best === null || cp.seq > best.view.seq)) {
      // Restore the least recently used kernel when the pool is full (restoring is cheaper than assembling a new one).
      const spare = pool.length >= limit ? pool[pool.length - 1] : undefined;
      if (spare !== undefined) {
        restorePositioned(spare, cp);
        return spare;
      }
      return createPositioned(inputs, cp);
    }
    return best ?? createPositioned(inputs);
  };
  return {
    at(target, each, opts) {
      const p = opts?.fresh ? createPositioned(inputs) : startFor(target);
      lastStart = p.view.seq;
      p.each = each ?? null;
      try {
        advance(p, inputs, target);
      } finally {
        p.each = null;
      }
      remember(p);
      return p;
    },
    prepare(every) {
      const p = createPositioned(inputs);
      return {
        step() {
          const target = p.view.seq + every;
          advance(p, inputs, target);
          if (!p.ended && p.view.seq === target && !checkpoints.some((c) => c.seq === target)) {
            checkpoints.push(takeCheckpoint(p));
            checkpoints.sort((a, b) => a.seq - b.seq);
          }
          if (p.ended) remember(p);
          return !p.ended;
        },
      };
    },
    checkpoints,
    get lastStart() {
      return lastStart;
    },
    get held() {
      return pool.length;
    },
  };
}
