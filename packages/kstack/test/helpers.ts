import { createClock, createEventLog, type OssimEvent } from '@ossim/eventlog';
import { createKstackAllocator, type KstackAllocator, type KstackOptions } from '../src/index.ts';
import { createFakeMemory, type FakeMemory } from './fakeMemory.ts';

export const STRATEGY_NAMES = ['contiguous', 'vmap', 'single'] as const;
export const SIZES = [4096, 8192, 16384, 32768] as const;

export interface Rig {
  memory: FakeMemory;
  kstack: KstackAllocator;
  events: OssimEvent[];
  /** The events of one type, payloads only. */
  of<T extends OssimEvent['type']>(type: T): Extract<OssimEvent, { type: T }>[];
}

/** An allocator over a fresh fake memory (1 MiB unless told), recording every event. */
export function rig(options: Omit<KstackOptions, 'memory' | 'log' | 'cpus'> & { cpus?: number; frames?: number }): Rig {
  const { frames = 256, cpus = 2, ...rest } = options;
  const memory = createFakeMemory({ frames });
  const log = createEventLog({ clock: createClock() });
  const events: OssimEvent[] = [];
  log.listen((e) => events.push(e));
  const kstack = createKstackAllocator({ memory, log, cpus, ...rest });
  return {
    memory,
    kstack,
    events,
    of: (type) => events.filter((e) => e.type === type) as never,
  };
}

/** Runs a task's whole death: do_exit, the final switch, the parent's reap. */
export function die(kstack: KstackAllocator, tid: number, cpu = 0): void {
  kstack.taskExited({ tid, comm: `t${tid}` });
  kstack.finalSwitch(tid, cpu);
  kstack.reaped(tid, cpu);
}
