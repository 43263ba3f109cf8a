import type { OsVariant, RunCounters } from '@ossim/kernel';
import type { TimelineData } from './worker/timeline.ts';

/** Where a session's events come from. */
export type Source =
  | { readonly kind: 'scenario'; readonly scenario: string; readonly run: number; readonly os: OsVariant | null }
  | { readonly kind: 'recording'; readonly name: string; readonly bytes: ArrayBuffer }
  | { readonly kind: 'strace'; readonly name: string; readonly bytes: ArrayBuffer; readonly os: OsVariant | null };

/** A moment: after event `seq`, then `insns` more instructions executed by the CPU that runs `cpu`. */
export interface Moment {
  readonly seq: number;
  readonly insns: number;
}

export type Request =
  | { readonly id: number; readonly type: 'load'; readonly source: Source }
  | { readonly id: number; readonly type: 'at'; readonly moment: Moment; readonly tid: number | null; readonly window: number }
  | { readonly id: number; readonly type: 'events'; readonly from: number; readonly count: number; readonly query: EventQuery }
  | { readonly id: number; readonly type: 'walk'; readonly seq: number; readonly pid: number; readonly vaddr: number }
  | { readonly id: number; readonly type: 'compare'; readonly a: OsVariant; readonly b: OsVariant };

/** Which events the event list shows. */
export interface EventQuery {
  /** Event type prefixes (`sched.`, `syscall.`); empty: all. */
  readonly types: readonly string[];
  /** Text the event's JSON must contain (case-insensitive); empty: any. */
  readonly search: string;
}

export type Reply =
  | {
      readonly id: number;
      readonly type: 'loaded';
      readonly session: SessionInfo;
      readonly index: IndexColumns;
      readonly timeline: TimelineData;
    }
  | { readonly id: number; readonly type: 'progress'; readonly events: number; readonly phase: string }
  | { readonly id: number; readonly type: 'snapshot'; readonly snapshot: Snapshot }
  | { readonly id: number; readonly type: 'events'; readonly rows: readonly EventRow[]; readonly total: number; readonly first: number }
  | { readonly id: number; readonly type: 'walk'; readonly walk: WalkView }
  | { readonly id: number; readonly type: 'compare'; readonly runs: readonly RunCounters[] }
  | { readonly id: number; readonly type: 'error'; readonly message: string };

/** What was loaded. */
export interface SessionInfo {
  readonly label: string;
  readonly os: OsVariant;
  readonly workloadName: string;
  readonly seed: number;
  readonly untilNs: number;
  readonly events: number;
  readonly endNs: number;
  readonly cpus: number;
  readonly outcome: string;
  readonly cause: string | null;
  /** For a strace log: which run tid each log tid became. */
  readonly tidMap: Readonly<Record<string, number>> | null;
  /** How long the first pass took, in ms. */
  readonly loadMs: number;
  readonly checkpoints: number;
}

/** Per-event columns (index 0 is seq 1), for stepping and scrubbing on the page. */
export interface IndexColumns {
  readonly times: Float64Array;
  readonly types: Uint8Array;
  readonly tids: Int32Array;
  /** Type names by code. */
  readonly typeNames: readonly string[];
}

/** One row of the event list. */
export interface EventRow {
  readonly seq: number;
  readonly time: number;
  readonly type: string;
  readonly text: string;
}

/** A word of a stack drawn as memory. */
export interface MemWord {
  readonly address: number;
  /** Null: not mapped. */
  readonly value: number | null;
  /** What the word is (`return address`, `thread_info.task`, `trap frame: pc`, ...). */
  readonly what: string;
  /** The section it belongs to, for colour: frame, regs, trap, thread-info, magic, free, guard, data. */
  readonly kind: 'ret' | 'regs' | 'trap' | 'thread-info' | 'magic' | 'free' | 'guard' | 'data' | 'switch' | 'overwritten';
  /** A symbol when the word is a return address. */
  readonly symbol: string | null;
  /** Markers pointing at this word (SP, thread.sp, sp0). */
  readonly markers: readonly string[];
}

/** A stack region drawn as memory, highest address first in the page. */
export interface StackPicture {
  readonly title: string;
  readonly base: number;
  readonly top: number;
  readonly words: readonly MemWord[];
  readonly guardBelow: { readonly low: number; readonly high: number } | null;
  readonly guardAbove: { readonly low: number; readonly high: number } | null;
  /** Notes: where SP is, whether the magic holds, overflow. */
  readonly notes: readonly string[];
}

/** One thread in the task list at the cursor. */
export interface TaskRow {
  readonly pid: number;
  readonly tid: number;
  readonly comm: string;
  readonly state: string;
  readonly kernelThread: boolean;
  readonly onCpu: number | null;
}

/** A region of the address-space diagram. */
export interface SpaceRegion {
  readonly low: number;
  /** Exclusive. */
  readonly high: number;
  readonly label: string;
  readonly kind: 'user-text' | 'user-stack' | 'kernel-text' | 'direct-map' | 'vmalloc' | 'kernel-stack' | 'guard';
  /** The thread it belongs to, if any. */
  readonly tid: number | null;
}

/** One process's address space. */
export interface SpaceView {
  readonly pid: number;
  readonly comm: string;
  /** Null for kernel threads (they borrow an mm). */
  readonly pgd: number | null;
  readonly user: readonly SpaceRegion[];
  readonly kernel: readonly SpaceRegion[];
  /** Kernel PDEs (768-1023) present, and how many equal swapper_pg_dir's. */
  readonly kernelPdes: { readonly present: number; readonly sameAsSwapper: number } | null;
  readonly threads: readonly number[];
}

/** A page-table walk, step by step. */
export interface WalkView {
  readonly vaddr: number;
  readonly lines: readonly string[];
  readonly paddr: number | null;
}

/** Everything the views show at a moment. */
export interface Snapshot {
  readonly seq: number;
  readonly insns: number;
  readonly time: number;
  readonly tid: number | null;
  readonly tasks: readonly TaskRow[];
  /** `ps -eLf` at the moment. */
  readonly ps: string;
  /** `/proc/PID/task/TID/stack` of the selected thread. */
  readonly procStack: string;
  readonly kernelStack: StackPicture | null;
  /** Another stack SP is on (an IRQ stack), when it is not the thread's own. */
  readonly otherStack: StackPicture | null;
  readonly userStack: StackPicture | null;
  readonly spaces: readonly SpaceView[];
  readonly cpus: readonly CpuView[];
  /** The instructions executed since the event, for instruction steps. */
  readonly executed: readonly string[];
  readonly events: readonly EventRow[];
  readonly kernelStackKb: number;
  readonly oops: string | null;
  /** Where the worker's time went, ms: reaching the moment, then computing the views. */
  readonly timing: { readonly seekMs: number; readonly viewsMs: number; readonly fromSeq: number };
}

/** A CPU's registers at the moment. */
export interface CpuView {
  readonly cpu: number;
  readonly current: number;
  readonly pc: string;
  readonly sp: number;
  readonly mode: string;
  readonly next: string;
  readonly regs: string;
}

/** A run's counters for the compare view (as @ossim/kernel counts them). */
export type { RunCounters };
