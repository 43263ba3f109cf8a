import { describe, expect, it } from 'vitest';
import type { IndexColumns } from '../protocol.ts';
import { findType, seqAtTime, step } from './cursor.ts';

// seq:        1             2               3               4             5               6
const typeNames = ['kernel.boot', 'syscall.enter', 'sched.switch', 'syscall.exit', 'timer.tick'];
const index: IndexColumns = {
  typeNames,
  types: Uint8Array.from([0, 1, 2, 4, 3, 2]),
  times: Float64Array.from([0, 10, 20, 20, 35, 50]),
  tids: Int32Array.from([-1, 3, 4, -1, 3, 3]),
};

describe('stepping the cursor', () => {
  it('moves by one event within 0..last', () => {
    expect(step(index, { seq: 0, insns: 0 }, 'event', -1)).toEqual({ seq: 0, insns: 0 });
    expect(step(index, { seq: 0, insns: 0 }, 'event', 1)).toEqual({ seq: 1, insns: 0 });
    expect(step(index, { seq: 6, insns: 0 }, 'event', 1)).toEqual({ seq: 6, insns: 0 });
  });

  it('moves to the next or previous system-call entry or exit, and context switch', () => {
    expect(step(index, { seq: 1, insns: 0 }, 'syscall', 1)).toEqual({ seq: 2, insns: 0 });
    expect(step(index, { seq: 2, insns: 0 }, 'syscall', 1)).toEqual({ seq: 5, insns: 0 });
    expect(step(index, { seq: 6, insns: 0 }, 'syscall', -1)).toEqual({ seq: 5, insns: 0 });
    expect(step(index, { seq: 3, insns: 0 }, 'switch', 1)).toEqual({ seq: 6, insns: 0 });
    expect(step(index, { seq: 6, insns: 0 }, 'switch', -1)).toEqual({ seq: 3, insns: 0 });
    expect(step(index, { seq: 6, insns: 0 }, 'switch', 1)).toEqual({ seq: 6, insns: 0 });
  });

  it('counts instructions after an event, and steps back through them to the event before', () => {
    expect(step(index, { seq: 3, insns: 0 }, 'instruction', 1)).toEqual({ seq: 3, insns: 1 });
    expect(step(index, { seq: 3, insns: 2 }, 'instruction', -1)).toEqual({ seq: 3, insns: 1 });
    expect(step(index, { seq: 3, insns: 0 }, 'instruction', -1)).toEqual({ seq: 2, insns: 0 });
    expect(step(index, { seq: 3, insns: 2 }, 'event', -1)).toEqual({ seq: 3, insns: 0 });
    expect(step(index, { seq: 3, insns: 2 }, 'event', 1)).toEqual({ seq: 4, insns: 0 });
  });

  it('finds the last event at or before a time, and events by type', () => {
    expect(seqAtTime(index, -1)).toBe(0);
    expect(seqAtTime(index, 20)).toBe(4);
    expect(seqAtTime(index, 49)).toBe(5);
    expect(seqAtTime(index, 1e9)).toBe(6);
    expect(findType(index, 'sched.switch', 4)).toBe(6);
    expect(findType(index, 'kernel.oops')).toBe(0);
  });
});
