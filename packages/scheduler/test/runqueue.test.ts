import { createClock, createEventLog, type OssimEvent } from '@ossim/eventlog';
import { describe, expect, it } from 'vitest';
import { createFifo, createRunQueues, type SchedPolicy, type SchedTask, SchedulerError } from '../src/index.ts';

const task = (tid: number): SchedTask => ({ tid, nice: 0, priority: 0, length: undefined, remaining: undefined });
const recording = () => {
  const log = createEventLog({ clock: createClock() });
  const events: OssimEvent[] = [];
  log.listen((e) => events.push(e));
  return { log, events };
};
const strip = (events: OssimEvent[]) => events.map(({ seq: _s, time: _t, ...rest }) => rest);

describe('wake-up placement', () => {
  it('new tasks go to the least-loaded CPU, ties to the lowest id', () => {
    const rq = createRunQueues({ policy: 'FIFO', cpus: 3 });
    expect([1, 2, 3, 4, 5].map((tid) => rq.wakeUp(task(tid), 0))).toEqual([0, 1, 2, 0, 1]);
    expect([0, 1, 2].map((c) => rq.cpu(c).nrRunning)).toEqual([2, 2, 1]);
  });

  it('a woken task goes back to its previous CPU if that CPU is idle', () => {
    const rq = createRunQueues({ policy: 'FIFO', cpus: 2 });
    const [a, b] = [task(1), task(2)];
    rq.wakeUp(a, 0);
    rq.wakeUp(b, 0);
    rq.schedule(0, 0);
    rq.schedule(1, 0);
    rq.putPrev(1, 5, 'blocked'); // b sleeps; CPU 1 idles
    expect(rq.placement(2)).toEqual({ cpu: 1, state: 'sleeping' });
    expect(rq.wakeUp(b, 9)).toBe(1);
  });

  it('otherwise the least-loaded CPU, preferring the previous one on a tie', () => {
    const rq = createRunQueues({ policy: 'FIFO', cpus: 3 });
    const ts = [1, 2, 3, 4].map(task);
    for (const t of ts) rq.wakeUp(t, 0); // CPUs 0, 1, 2, 0
    for (const c of [0, 1, 2]) rq.schedule(c, 0); // 1, 2, 3 run; 4 waits on CPU 0
    rq.putPrev(2, 1, 'blocked'); // task 3 sleeps, CPU 2 idle
    rq.schedule(2, 1);
    rq.wakeUp(task(5), 1); // goes to idle CPU 2
    rq.schedule(2, 1);
    // task 3 wakes: CPU 2 (its previous) is busy; loads 2, 1, 1 -> CPU 2 (tie with 1, previous wins)
    expect(rq.wakeUp(ts[2] as SchedTask, 2)).toBe(2);
  });

  it('sets needResched on an idle target, and asks the policy on a busy one', () => {
    const rq = createRunQueues({ policy: 'STCF', cpus: 1 });
    const long = { ...task(1), length: 100, remaining: 100 };
    expect(rq.wakeUp(long, 0)).toBe(0);
    expect(rq.cpu(0).needResched).toBe(true);
    rq.schedule(0, 0);
    expect(rq.cpu(0).needResched).toBe(false);
    rq.wakeUp({ ...task(2), length: 200, remaining: 200 }, 1);
    expect(rq.cpu(0).needResched).toBe(false);
    rq.wakeUp({ ...task(3), length: 10, remaining: 10 }, 2);
    expect(rq.cpu(0).needResched).toBe(true);
  });
});

describe('sched_yield', () => {
  it("tells the running task's policy, then schedule() picks: CFS passes the yielder over, RR queues it last", () => {
    const order = (policy: 'CFS' | 'RR'): number[] => {
      const rq = createRunQueues({ policy, cpus: 1 });
      for (const tid of [1, 2, 3]) rq.wakeUp(task(tid), 0);
      const ran = [rq.schedule(0, 0)?.tid ?? 0];
      for (let now = 1000; now <= 5000; now += 1000) {
        rq.schedYield(0, now); // CFS charges the 1,000 units it ran since its pick
        ran.push(rq.schedule(0, now, 'runnable')?.tid ?? 0);
      }
      return ran;
    };
    expect(order('RR')).toEqual([1, 2, 3, 1, 2, 3]);
    expect(order('CFS')).toEqual([1, 2, 3, 1, 2, 3]);
    // Without the yield, CFS keeps the leftmost task (no CPU time was charged): 1 runs on.
    const rq = createRunQueues({ policy: 'CFS', cpus: 1 });
    for (const tid of [1, 2]) rq.wakeUp(task(tid), 0);
    expect([rq.schedule(0, 0), rq.schedule(0, 0), rq.schedule(0, 0)].map((t) => t?.tid)).toEqual([1, 1, 1]);
  });

  it('does nothing on an idle CPU', () => {
    const rq = createRunQueues({ policy: 'CFS', cpus: 1 });
    expect(() => rq.schedYield(0, 0)).not.toThrow();
    expect(rq.cpu(0).curr).toBeUndefined();
  });
});

describe('load balancing', () => {
  it('moves the longest-waiting tasks from the busiest to the idlest CPU until they differ by less than 2', () => {
    const { log, events } = recording();
    const rq = createRunQueues({ policy: 'FIFO', cpus: 3, log });
    const ts = Array.from({ length: 12 }, (_, i) => task(i + 1));
    for (const t of ts) rq.wakeUp(t, 0); // CPU 0: 1 4 7 10, CPU 1: 2 5 8 11, CPU 2: 3 6 9 12
    rq.schedule(0, 0); // 1 runs on CPU 0
    for (const tid of [3, 6, 9, 12, 11]) rq.dequeue(task(tid), 0, 'exit');
    expect([0, 1, 2].map((c) => rq.cpu(c).nrRunning)).toEqual([4, 3, 0]);
    events.length = 0;
    // 4 vs 0: CPU 0 gives its longest-waiting task, 4; then 3, 3, 1: the busiest is CPU 0 (lowest id), it gives 7; then 2, 3, 2
    expect(rq.rebalance(5)).toBe(2);
    expect([0, 1, 2].map((c) => rq.cpu(c).nrRunning)).toEqual([2, 3, 2]);
    expect(strip(events).filter((e) => e.type === 'sched.migrate')).toEqual([
      { type: 'sched.migrate', tid: 4, from: 0, to: 2, reason: 'balance' },
      { type: 'sched.migrate', tid: 7, from: 0, to: 2, reason: 'balance' },
    ]);
    expect(rq.cpu(0).curr?.tid).toBe(1); // running tasks never move
    expect(rq.cpu(2).needResched).toBe(true); // the idle target must schedule
    expect(rq.rebalance(6)).toBe(0);
  });

  it('an idle CPU pulls the longest-waiting task of the CPU with the most waiting', () => {
    const { log, events } = recording();
    const rq = createRunQueues({ policy: 'FIFO', cpus: 2, log });
    for (const tid of [1, 2, 3, 4]) rq.wakeUp(task(tid), 0); // 0, 1, 0, 1
    rq.schedule(0, 0); // 1 runs, 3 waits
    expect(rq.pickNext(1, 0)?.tid).toBe(2);
    rq.putPrev(1, 1, 'dead');
    expect(rq.pickNext(1, 1)?.tid).toBe(4);
    rq.putPrev(1, 2, 'dead');
    expect(rq.pickNext(1, 2)?.tid).toBe(3); // its queue is empty: pulls 3 from CPU 0
    expect(rq.placement(3)).toEqual({ cpu: 1, state: 'running' });
    expect(strip(events).filter((e) => e.type === 'sched.migrate')).toEqual([
      { type: 'sched.migrate', tid: 3, from: 0, to: 1, reason: 'newidle' },
    ]);
  });
});

describe('events', () => {
  it('records enqueue, pick, tick, preempt, dequeue', () => {
    const { log, events } = recording();
    const rq = createRunQueues({ policy: 'RR', log });
    rq.wakeUp(task(1), 0);
    rq.wakeUp(task(2), 0);
    rq.schedule(0, 0);
    expect(rq.tick(0, 10_000_000, 10_000_000)).toBe(true);
    rq.schedule(0, 10_000_000);
    rq.schedule(0, 15_000_000, 'blocked');
    rq.schedule(0, 16_000_000, 'dead');
    expect(strip(events)).toEqual([
      { type: 'sched.enqueue', cpu: 0, tid: 1, reason: 'new', nrRunning: 1 },
      { type: 'sched.enqueue', cpu: 0, tid: 2, reason: 'new', nrRunning: 2 },
      { type: 'sched.pick', cpu: 0, tid: 1, prevTid: null, policy: 'RR', nrRunning: 2 },
      { type: 'sched.tick', cpu: 0, tid: 1, ran: 10_000_000, resched: true },
      { type: 'sched.preempt', cpu: 0, tid: 1 },
      { type: 'sched.enqueue', cpu: 0, tid: 1, reason: 'preempted', nrRunning: 2 },
      { type: 'sched.pick', cpu: 0, tid: 2, prevTid: 1, policy: 'RR', nrRunning: 2 },
      { type: 'sched.dequeue', cpu: 0, tid: 2, reason: 'block', nrRunning: 1 },
      { type: 'sched.pick', cpu: 0, tid: 1, prevTid: 2, policy: 'RR', nrRunning: 1 },
      { type: 'sched.dequeue', cpu: 0, tid: 1, reason: 'exit', nrRunning: 0 },
      { type: 'sched.pick', cpu: 0, tid: null, prevTid: 1, policy: 'RR', nrRunning: 0 },
    ]);
    // plain JSON
    expect(JSON.parse(JSON.stringify(events))).toEqual(events);
  });

  it("with events: 'host', publishes only what a host's own events do not imply (ticks, migrations)", () => {
    const { log, events } = recording();
    const rq = createRunQueues({ policy: 'RR', cpus: 2, log, events: 'host' });
    rq.wakeUp(task(1), 0);
    rq.wakeUp(task(2), 0);
    rq.wakeUp(task(3), 0);
    rq.schedule(0, 0);
    expect(rq.tick(0, 10_000_000, 10_000_000)).toBe(true);
    rq.schedule(0, 10_000_000);
    rq.schedule(0, 15_000_000, 'blocked');
    rq.schedule(1, 16_000_000);
    expect(new Set(strip(events).map((e) => e.type))).toEqual(new Set(['sched.tick']));
    expect(rq.cpu(0).curr?.tid).toBe(1);
    expect(() => createRunQueues({ policy: 'RR', events: 'some' as 'all' })).toThrow(`events: 'all' or 'host', got "some"`);
  });
});

describe('errors', () => {
  it('names the CPU, the task and the broken rule', () => {
    const rq = createRunQueues({ policy: 'FIFO', cpus: 2 });
    expect(() => rq.cpu(2)).toThrow('cpu 2 does not exist (2 CPUs)');
    expect(() => rq.tick(-1, 1, 1)).toThrow(SchedulerError);
    rq.wakeUp(task(1), 0);
    expect(() => rq.wakeUp(task(1), 0)).toThrow('task 1 is already queued on cpu 0');
    rq.schedule(0, 0);
    expect(() => rq.pickNext(0, 0)).toThrow('cpu 0 still runs task 1');
    expect(() => rq.dequeue(task(1), 0, 'block')).toThrow('task 1 is not waiting in a run queue (running)');
    expect(() => createRunQueues({ policy: 'XYZ' as 'FIFO' })).toThrow('unknown policy "XYZ"');
    expect(() => createRunQueues({ policy: 'FIFO', cpus: 0 })).toThrow('cpus: must be a positive integer, got 0');
  });

  it('catches a policy that picks a task it was never given, or nothing when it has work', () => {
    const rogue: SchedPolicy = { ...createFifo(), name: 'rogue', pickNext: () => task(99) };
    const rq = createRunQueues({ policy: () => rogue });
    rq.wakeUp(task(1), 0);
    expect(() => rq.pickNext(0, 0)).toThrow('policy rogue on cpu 0 picked task 99, which is not waiting there');
    const lazy: SchedPolicy = { ...createFifo(), name: 'idle', pickNext: () => undefined };
    const rq2 = createRunQueues({ policy: () => lazy });
    rq2.wakeUp(task(1), 0);
    expect(() => rq2.pickNext(0, 0)).toThrow('picked nothing although 1 task(s) wait');
  });
});
