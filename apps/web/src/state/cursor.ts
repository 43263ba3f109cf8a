import type { IndexColumns, Moment } from '../protocol.ts';

/** What a step moves by. */
export type StepUnit = 'event' | 'syscall' | 'switch' | 'instruction';

/** The type names each unit stops at. */
const STOPS: Record<Exclude<StepUnit, 'event' | 'instruction'>, readonly string[]> = {
  syscall: ['syscall.enter', 'syscall.exit'],
  switch: ['sched.switch'],
};

/**
 * The moment one step away: by event (seq +- 1), to the next or previous system-call
 * entry or exit, or context switch, or by one instruction (within the event: `insns`
 * counts instructions executed after it; stepping back from 0 goes to the previous event).
 * Stays within 0..last; without a stop in that direction it stays put.
 */
export function step(index: IndexColumns, at: Moment, unit: StepUnit, direction: 1 | -1): Moment {
  const last = index.types.length;
  if (unit === 'instruction') {
    if (direction === 1) return { seq: at.seq, insns: at.insns + 1 };
    if (at.insns > 0) return { seq: at.seq, insns: at.insns - 1 };
    return { seq: Math.max(0, at.seq - 1), insns: 0 };
  }
  if (unit === 'event') {
    if (direction === -1 && at.insns > 0) return { seq: at.seq, insns: 0 };
    return { seq: Math.min(last, Math.max(0, at.seq + direction)), insns: 0 };
  }
  const ids = new Set(STOPS[unit].map((name) => index.typeNames.indexOf(name)).filter((i) => i >= 0));
  if (direction === 1) {
    for (let seq = at.seq + 1; seq <= last; seq++) if (ids.has(index.types[seq - 1] as number)) return { seq, insns: 0 };
  } else {
    const from = at.insns > 0 ? at.seq : at.seq - 1;
    for (let seq = from; seq >= 1; seq--) if (ids.has(index.types[seq - 1] as number)) return { seq, insns: 0 };
  }
  return at;
}

/** The last event at or before a simulated time (0 before the first). */
export function seqAtTime(index: IndexColumns, timeNs: number): number {
  const t = index.times;
  let lo = 0;
  let hi = t.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((t[mid] as number) <= timeNs) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The first event of a type at or after `from` (0 when none). */
export function findType(index: IndexColumns, type: string, from = 1): number {
  const id = index.typeNames.indexOf(type);
  if (id < 0) return 0;
  for (let seq = Math.max(1, from); seq <= index.types.length; seq++) if (index.types[seq - 1] === id) return seq;
  return 0;
}
