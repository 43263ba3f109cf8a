import type { KstackAllocator, KstackOptions, KstackStrategyName, ReleasePolicy, ThreadInfoPlacement } from '@ossim/kstack';
import { isPolicyName, type PolicyFactory, type PolicyName, PREEMPTION_MODELS, type PreemptionModel } from '@ossim/scheduler';
import { KernelError } from './errors.ts';

/** The scheduler of a variant: a built-in policy by name with its parameters. */
export interface SchedulerConfig {
  readonly policy: PolicyName;
  /** Time slice of RR, MLFQ and PRIO, in ns. */
  readonly quantum?: number;
}

/**
 * An OS variant: plain, serialisable data (it goes in a trace header as an input).
 * Code extension points live in {@link OsExtensions}, passed beside it.
 */
export interface OsVariant {
  readonly name: string;
  readonly cpus: number;
  /** Physical memory in bytes. */
  readonly memory: number;
  /** THREAD_SIZE: 4096, 8192, 16384 or 32768. */
  readonly threadSize: number;
  /** The kernel-stack allocator. */
  readonly stackAllocator: KstackStrategyName;
  /** Where thread_info lives: on the stack (current = sp & ~(THREAD_SIZE-1)) or in the task. */
  readonly threadInfo: ThreadInfoPlacement;
  /** Per-CPU hardirq stacks. */
  readonly irqStacks: boolean;
  readonly preemption: PreemptionModel;
  readonly scheduler: SchedulerConfig;
  /** Timer interrupts per second. */
  readonly hz: number;
  /** When a dead task's kernel stack is released. */
  readonly stackRelease: ReleasePolicy;
  /** Disk DMA latency in ns. */
  readonly diskLatency: number;
}

/** Code a user plugs into a variant: their own scheduling policy or kernel-stack allocator. */
export interface OsExtensions {
  /** Replaces the variant's built-in policy (called once per CPU). */
  readonly policy?: PolicyFactory;
  /**
   * Replaces the kernel-stack allocator: called once at creation with the options the kernel
   * would give `createKstackAllocator` (the kernel's memory, the log and the variant's
   * strategy, THREAD_SIZE, CPUs, interrupt stacks and release policy). Usually wraps it.
   */
  readonly stackAllocator?: (options: KstackOptions) => KstackAllocator;
}

/** The input of {@link defineOs}: every field but `name` is optional (defaults are the i386 preset's). */
export type OsVariantInput = Partial<OsVariant> & { readonly name?: string; readonly preset?: PresetName };

/** The names of the preset variants. */
export type PresetName = 'i386' | 'x86_64' | 'single-stack' | 'xv6';

const MS = 1_000_000;
const base: OsVariant = {
  name: 'i386',
  cpus: 1,
  memory: 64 << 20,
  threadSize: 8192,
  stackAllocator: 'contiguous',
  threadInfo: 'stack',
  irqStacks: false,
  preemption: 'voluntary',
  scheduler: { policy: 'RR', quantum: 10 * MS },
  hz: 250,
  stackRelease: 'at-reap',
  diskLatency: 2 * MS,
};

/**
 * The preset variants:
 * - `i386`: 8 KiB contiguous stacks with thread_info at their base, no interrupt stacks,
 *   voluntary preemption, round robin, zombies keep their stacks;
 * - `x86_64`: 16 KiB vmapped stacks between guard pages, thread_info in the task,
 *   per-CPU interrupt stacks, full preemption, the fair (CFS) policy, stacks released
 *   at the final switch;
 * - `single-stack`: the seeds' thought experiment, one kernel stack shared by every task;
 * - `xv6`: 4 KiB stacks, no kernel preemption, round robin.
 */
export const PRESETS: Readonly<Record<PresetName, OsVariant>> = {
  i386: base,
  x86_64: {
    ...base,
    name: 'x86_64',
    threadSize: 16384,
    stackAllocator: 'vmap',
    threadInfo: 'task',
    irqStacks: true,
    preemption: 'full',
    scheduler: { policy: 'CFS' },
    stackRelease: 'at-final-switch',
  },
  'single-stack': {
    ...base,
    name: 'single-stack',
    stackAllocator: 'single',
    threadInfo: 'task',
    preemption: 'none',
    scheduler: { policy: 'FIFO' },
    stackRelease: 'at-final-switch',
  },
  xv6: {
    ...base,
    name: 'xv6',
    threadSize: 4096,
    preemption: 'none',
    scheduler: { policy: 'RR', quantum: 10 * MS },
  },
};

/** True when `name` names a preset. */
export function isPresetName(name: string): name is PresetName {
  return Object.hasOwn(PRESETS, name);
}

const FIELDS = new Set([...Object.keys(base), 'preset']);

const bad = (field: string, reason: string, got: unknown): KernelError =>
  new KernelError('bad-variant', `${field}: ${reason}, got ${JSON.stringify(got) ?? String(got)}`);

/**
 * Validates an OS variant and fills in defaults from a preset (`preset`, default `i386`).
 * A bad field is a {@link KernelError} (`bad-variant`) whose message starts with the field's name.
 *
 * @example
 * ```ts
 * const small = defineOs({ preset: 'i386', name: 'i386-4k', threadSize: 4096 });
 * defineOs({ threadSize: 12288 }); // throws "threadSize: must be 4096, 8192, 16384 or 32768, got 12288"
 * ```
 */
export function defineOs(input: OsVariantInput): OsVariant {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw bad('variant', 'must be an object', input);
  for (const key of Object.keys(input)) if (!FIELDS.has(key)) throw bad(key, 'is not a field of an OS variant', key);
  const presetName = input.preset ?? 'i386';
  if (typeof presetName !== 'string' || !isPresetName(presetName))
    throw bad('preset', `must be one of ${Object.keys(PRESETS).join(', ')}`, presetName);
  const { preset: _preset, ...rest } = input;
  const v: OsVariant = { ...PRESETS[presetName], ...rest };
  if (typeof v.name !== 'string' || v.name.length === 0) throw bad('name', 'must be a non-empty string', v.name);
  if (!Number.isInteger(v.cpus) || v.cpus < 1 || v.cpus > 64) throw bad('cpus', 'must be an integer from 1 to 64', v.cpus);
  if (!Number.isInteger(v.memory) || v.memory < 16 << 20 || v.memory > 1 << 30 || v.memory % (4 << 20) !== 0)
    throw bad('memory', 'must be a multiple of 4 MiB from 16 MiB to 1 GiB', v.memory);
  if (![4096, 8192, 16384, 32768].includes(v.threadSize)) throw bad('threadSize', 'must be 4096, 8192, 16384 or 32768', v.threadSize);
  if (!['contiguous', 'vmap', 'single'].includes(v.stackAllocator))
    throw bad('stackAllocator', 'must be "contiguous", "vmap" or "single"', v.stackAllocator);
  if (v.threadInfo !== 'stack' && v.threadInfo !== 'task') throw bad('threadInfo', 'must be "stack" or "task"', v.threadInfo);
  if (v.threadInfo === 'stack' && v.stackAllocator !== 'contiguous')
    throw bad('threadInfo', 'can be "stack" only with the contiguous allocator', v.threadInfo);
  if (v.threadInfo === 'task' && v.stackAllocator === 'contiguous')
    throw bad('threadInfo', 'must be "stack" with the contiguous allocator (it puts thread_info at the base)', v.threadInfo);
  if (typeof v.irqStacks !== 'boolean') throw bad('irqStacks', 'must be true or false', v.irqStacks);
  if (!PREEMPTION_MODELS.includes(v.preemption)) throw bad('preemption', `must be one of ${PREEMPTION_MODELS.join(', ')}`, v.preemption);
  if (typeof v.scheduler !== 'object' || v.scheduler === null) throw bad('scheduler', 'must be an object', v.scheduler);
  if (typeof v.scheduler.policy !== 'string' || !isPolicyName(v.scheduler.policy))
    throw bad('scheduler.policy', 'must be FIFO, SJF, STCF, RR, PRIO, MLFQ or CFS', v.scheduler.policy);
  for (const key of Object.keys(v.scheduler))
    if (key !== 'policy' && key !== 'quantum') throw bad(`scheduler.${key}`, 'is not a scheduler field', key);
  if (v.scheduler.quantum !== undefined && (!Number.isSafeInteger(v.scheduler.quantum) || v.scheduler.quantum < 1000))
    throw bad('scheduler.quantum', 'must be an integer number of ns of at least 1000', v.scheduler.quantum);
  if (!Number.isInteger(v.hz) || v.hz < 10 || v.hz > 10000) throw bad('hz', 'must be an integer from 10 to 10000', v.hz);
  if (v.stackRelease !== 'at-reap' && v.stackRelease !== 'at-final-switch')
    throw bad('stackRelease', 'must be "at-reap" or "at-final-switch"', v.stackRelease);
  if (!Number.isSafeInteger(v.diskLatency) || v.diskLatency < 1000)
    throw bad('diskLatency', 'must be an integer number of ns of at least 1000', v.diskLatency);
  return v;
}

/** Parses a variant given as JSON text (a variant file); errors name the source and the field. */
export function parseOs(text: string, source = '<variant>'): OsVariant {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new KernelError('bad-variant', `${source}: not JSON (${(e as Error).message})`, { cause: e });
  }
  try {
    return defineOs(data as OsVariantInput);
  } catch (e) {
    if (e instanceof KernelError) throw new KernelError('bad-variant', `${source}: ${e.message}`, { cause: e });
    throw e;
  }
}
