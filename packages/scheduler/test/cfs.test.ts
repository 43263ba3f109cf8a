import { describe, expect, it } from 'vitest';
import {
  createCfs,
  type Job,
  NICE_0_LOAD,
  niceToPrio,
  niceToWeight,
  SCHED_PRIO_TO_WEIGHT,
  type SchedTask,
  simulate,
} from '../src/index.ts';
import { cpuTimeIn } from './helpers.ts';

const task = (tid: number, nice = 0): SchedTask => ({ tid, nice, priority: 0, length: undefined, remaining: undefined });
const MS = 1_000_000;

describe('nice weights', () => {
  it('are Linux sched_prio_to_weight', () => {
    expect(SCHED_PRIO_TO_WEIGHT).toHaveLength(40);
    expect(SCHED_PRIO_TO_WEIGHT.slice(0, 5)).toEqual([88761, 71755, 56483, 46273, 36291]);
    expect(SCHED_PRIO_TO_WEIGHT.slice(35)).toEqual([36, 29, 23, 18, 15]);
    expect([niceToWeight(-20), niceToWeight(-5), niceToWeight(0), niceToWeight(5), niceToWeight(19)]).toEqual([88761, 3121, 1024, 335, 15]);
    expect(NICE_0_LOAD).toBe(1024);
  });

  it('step by about 1.25x per nice level', () => {
    for (let i = 1; i < 40; i++) {
      const ratio = (SCHED_PRIO_TO_WEIGHT[i - 1] as number) / (SCHED_PRIO_TO_WEIGHT[i] as number);
      expect(ratio).toBeGreaterThanOrEqual(1.2); // 18 / 15 is the smallest step
      expect(ratio).toBeLessThan(1.3);
    }
  });

  it('reject nice values outside [-20, 19], and map nice to the prio ftrace prints', () => {
    expect(() => niceToWeight(20)).toThrow(RangeError);
    expect(() => niceToWeight(0.5)).toThrow(RangeError);
    expect([niceToPrio(-20), niceToPrio(0), niceToPrio(19)]).toEqual([100, 120, 139]);
  });
});

describe('CFS', () => {
  const share = (niceA: number, niceB: number): number => {
    const jobs: Job[] = [
      { id: 'a', arrival: 0, length: 1000 * MS, nice: niceA },
      { id: 'b', arrival: 0, length: 1000 * MS, nice: niceB },
    ];
    const [a = 0, b = 0] = cpuTimeIn(simulate({ jobs, policy: () => createCfs() }), 0, 600 * MS);
    return a / b;
  };

  it('gives a nice -5 task ~3x the CPU of a nice 0 one (3121 / 1024)', () => {
    const ratio = share(-5, 0);
    expect(ratio).toBeGreaterThan(2.95);
    expect(ratio).toBeLessThan(3.15);
  });

  it('shares equally between equal nice values, and by weight for others', () => {
    expect(share(0, 0)).toBeCloseTo(1, 1);
    expect(share(0, 5)).toBeCloseTo(1024 / 335, 0);
  });

  it('runs the task with the smallest vruntime, ties by tid, and vruntime grows by ran * 1024 / weight', () => {
    const cfs = createCfs();
    const [a, b, c] = [task(3), task(1, -5), task(2, 5)];
    for (const t of [a, b, c]) cfs.enqueue(t, 0);
    expect(cfs.queued().map((t) => t.tid)).toEqual([1, 2, 3]);
    expect(cfs.pickNext(0)).toBe(b);
    cfs.tick(b, 3121, 3121);
    expect(cfs.vruntimeOf(1)).toBe(1024);
    cfs.enqueue(b, 3121);
    expect(cfs.pickNext(3121)).toBe(c);
    cfs.tick(c, 335, 3456);
    expect(cfs.vruntimeOf(2)).toBe(1024);
    cfs.enqueue(c, 3456);
    expect(cfs.pickNext(3456)).toBe(a);
    expect(cfs.minVruntime).toBe(0);
  });

  it('slices sched_latency by weight, and uses nr * min_granularity when more than 8 tasks share the CPU', () => {
    const three = createCfs();
    for (let tid = 0; tid < 3; tid++) three.enqueue(task(tid), 0);
    expect(three.sliceOf(task(0))).toBe(2 * MS); // 6 ms / 3
    const ten = createCfs();
    for (let tid = 0; tid < 10; tid++) ten.enqueue(task(tid), 0);
    expect(ten.sliceOf(task(0))).toBe(750_000); // period 10 * 0.75 ms, shared by 10
    const mixed = createCfs();
    mixed.enqueue(task(0, -5), 0);
    mixed.enqueue(task(1, 0), 0);
    expect(mixed.sliceOf(task(0, -5))).toBe(Math.floor((6 * MS * 3121) / 4145));
    expect(mixed.sliceOf(task(1, 0))).toBe(Math.floor((6 * MS * 1024) / 4145));
    const light = createCfs();
    light.enqueue(task(0, 19), 0);
    light.enqueue(task(1, -20), 0);
    expect(light.sliceOf(task(0, 19))).toBe(750_000); // never below min_granularity
  });

  it('preempts at the tick when the slice is used, and not when the task runs alone', () => {
    const cfs = createCfs();
    const [a, b] = [task(1), task(2)];
    cfs.enqueue(a, 0);
    expect(cfs.pickNext(0)).toBe(a);
    expect(cfs.timeSlice?.(a, 0)).toBeUndefined();
    expect(cfs.tick(a, 50 * MS, 50 * MS)).toBe(false);
    cfs.enqueue(b, 50 * MS);
    expect(cfs.timeSlice?.(a, 50 * MS)).toBe(0); // 50 ms since it was picked: more than its 3 ms share
    expect(cfs.tick(a, 1 * MS, 51 * MS)).toBe(true);
    cfs.enqueue(a, 51 * MS);
    expect(cfs.pickNext(51 * MS)).toBe(b);
    expect(cfs.timeSlice?.(b, 51 * MS)).toBe(3 * MS); // 6 ms shared by two
    expect(cfs.tick(b, 2 * MS, 53 * MS)).toBe(false);
    expect(cfs.tick(b, 1 * MS, 54 * MS)).toBe(true);
  });

  it('places a new task at min_vruntime and a sleeper at most sched_latency / 2 behind it', () => {
    const cfs = createCfs();
    const [a, b, sleeper] = [task(1), task(2), task(3)];
    cfs.enqueue(sleeper, 0);
    cfs.pickNext(0);
    cfs.tick(sleeper, 1 * MS, 1 * MS); // then it sleeps
    cfs.enqueue(a, 1 * MS);
    cfs.pickNext(1 * MS);
    cfs.tick(a, 100 * MS, 101 * MS);
    expect(cfs.vruntimeOf(1)).toBe(101 * MS); // placed at min_vruntime (1 ms), then ran 100 ms
    expect(cfs.minVruntime).toBe(101 * MS);
    cfs.enqueue(b, 101 * MS);
    expect(cfs.vruntimeOf(2)).toBe(101 * MS);
    expect(cfs.vruntimeOf(3)).toBe(1 * MS);
    cfs.onWake?.(sleeper, 101 * MS);
    expect(cfs.vruntimeOf(3)).toBe(98 * MS); // min_vruntime - 6 ms / 2
    cfs.enqueue(sleeper, 101 * MS);
    expect(cfs.wakeupPreempt?.(a, sleeper, 101 * MS)).toBe(true); // 3 ms behind > 1 ms wakeup_granularity
    expect(cfs.wakeupPreempt?.(a, b, 101 * MS)).toBe(false); // not behind at all
  });

  it('yields to the next task in line (the skip buddy), which stays marked while it waits', () => {
    const cfs = createCfs();
    const [a, b, c] = [task(1), task(2), task(3)];
    const skip = (): number | null | undefined => cfs.save().skip;
    for (const t of [a, b, c]) cfs.enqueue(t, 0);
    expect(cfs.pickNext(0)).toBe(a); // all at vruntime 0: by tid
    // A yields before a tick charged it: still the leftmost, it is passed over for B.
    cfs.yieldTask?.(a, 0);
    cfs.enqueue(a, 0);
    expect(cfs.pickNext(0)).toBe(b);
    expect(skip()).toBe(1);
    // B yields: the mark moves to B, and A, the leftmost, runs.
    cfs.yieldTask?.(b, 0);
    cfs.enqueue(b, 0);
    expect(cfs.pickNext(0)).toBe(a);
    expect(skip()).toBe(2);
    // B is passed over while it waits marked: A, back without yielding, then C, runs.
    cfs.enqueue(a, 0);
    expect(cfs.pickNext(0)).toBe(a);
    cfs.tick(a, 2 * MS, 2 * MS);
    cfs.enqueue(a, 2 * MS);
    expect(cfs.pickNext(2 * MS)).toBe(c);
    expect(skip()).toBe(2);
  });

  it('lets the yielder run on when the next in line is more than wakeup_granularity to its right', () => {
    const cfs = createCfs();
    const [a, b] = [task(1), task(2)];
    const skip = (): number | null | undefined => cfs.save().skip;
    cfs.enqueue(a, 0);
    cfs.enqueue(b, 0);
    expect(cfs.pickNext(0)).toBe(a);
    cfs.tick(a, 3 * MS, 3 * MS);
    cfs.enqueue(a, 3 * MS);
    expect(cfs.pickNext(3 * MS)).toBe(b);
    cfs.tick(b, 1 * MS, 4 * MS); // vruntimes: A 3 ms, B 1 ms
    cfs.yieldTask?.(b, 4 * MS);
    expect(skip()).toBe(2);
    cfs.enqueue(b, 4 * MS);
    expect(cfs.pickNext(4 * MS)).toBe(b); // A is 2 ms to the right: more than 1 ms
    expect(skip()).toBeNull(); // picked: no longer marked
    // With the granularity scaled by a light yielder's weight (nice 5: 1 ms x 1024 / 335), A is close enough.
    const light = createCfs();
    const [x, y] = [task(1), task(2, 5)];
    light.enqueue(x, 0);
    light.enqueue(y, 0);
    expect(light.pickNext(0)).toBe(x);
    light.tick(x, 3 * MS, 3 * MS);
    light.enqueue(x, 3 * MS);
    expect(light.pickNext(3 * MS)).toBe(y);
    light.tick(y, 335_000, 4 * MS); // its vruntime grows 1.024 ms: X is 1.976 ms to its right, within 3.06 ms
    light.yieldTask?.(y, 4 * MS);
    light.enqueue(y, 4 * MS);
    expect(light.pickNext(4 * MS)).toBe(x);
  });

  it('charges a yielding task the time since its pick or last tick (update_curr)', () => {
    const cfs = createCfs();
    const [a, b] = [task(1), task(2, 5)];
    cfs.enqueue(a, 0);
    cfs.enqueue(b, 0);
    expect(cfs.pickNext(10)).toBe(a);
    cfs.yieldTask?.(a, 2 * MS + 10);
    expect(cfs.vruntimeOf(1)).toBe(2 * MS);
    cfs.enqueue(a, 2 * MS + 10);
    expect(cfs.pickNext(2 * MS + 10)).toBe(b);
    cfs.tick(b, 1 * MS, 3 * MS + 10);
    cfs.yieldTask?.(b, 3 * MS + 335_010); // 335 us since the tick, at weight 335: 1.024 ms of vruntime
    expect(cfs.vruntimeOf(2)).toBeCloseTo((1 * MS * 1024) / 335 + 1_024_000, 6);
  });

  it('ignores the yield of a task alone, and forgets the mark when the task leaves the queue', () => {
    const cfs = createCfs();
    const [a, b] = [task(1), task(2)];
    const skip = (): number | null | undefined => cfs.save().skip;
    cfs.enqueue(a, 0);
    expect(cfs.pickNext(0)).toBe(a);
    cfs.yieldTask?.(a, 0); // nobody waits: no mark (yield_task_fair returns at once)
    expect(skip()).toBeNull();
    cfs.enqueue(a, 0);
    cfs.enqueue(b, 0);
    expect(cfs.pickNext(0)).toBe(a);
    cfs.yieldTask?.(a, 0);
    expect(skip()).toBe(1);
    cfs.enqueue(a, 0);
    expect(cfs.dequeue(a, 0)).toBe(true); // it blocks before it runs again
    expect(skip()).toBeNull();
    cfs.enqueue(a, 0);
    cfs.enqueue(b, 0);
    expect(cfs.pickNext(0)).toBe(a);
  });

  it('forgets a detached task', () => {
    const cfs = createCfs();
    const a = task(1);
    cfs.enqueue(a, 0);
    cfs.detach?.(a);
    expect(cfs.nrQueued).toBe(0);
    expect(cfs.vruntimeOf(1)).toBeUndefined();
    expect(cfs.pickNext(0)).toBeUndefined();
  });
});
