import { describe, expect, it } from 'vitest';
import {
  createRunQueues,
  HARDIRQ_MASK,
  HARDIRQ_OFFSET,
  inAtomic,
  inHardirq,
  inInterrupt,
  inNmi,
  inServingSoftirq,
  NMI_MASK,
  NMI_OFFSET,
  PREEMPT_MASK,
  PREEMPT_OFFSET,
  PREEMPTION_MODELS,
  PREEMPTION_POINTS,
  type PreemptionModel,
  type PreemptionPoint,
  type SchedPolicy,
  SchedulerError,
  SOFTIRQ_DISABLE_OFFSET,
  SOFTIRQ_MASK,
  SOFTIRQ_OFFSET,
  shouldReschedule,
} from '../src/index.ts';

describe('preempt_count', () => {
  it('has Linux layout', () => {
    expect([PREEMPT_MASK, SOFTIRQ_MASK, HARDIRQ_MASK, NMI_MASK]).toEqual([0xff, 0xff00, 0xf0000, 0xf00000]);
    expect([PREEMPT_OFFSET, SOFTIRQ_OFFSET, SOFTIRQ_DISABLE_OFFSET, HARDIRQ_OFFSET, NMI_OFFSET]).toEqual([
      1, 0x100, 0x200, 0x10000, 0x100000,
    ]);
  });

  it('tells the context from the count', () => {
    expect(inAtomic(0)).toBe(false);
    expect(inAtomic(PREEMPT_OFFSET)).toBe(true);
    expect(inInterrupt(PREEMPT_OFFSET)).toBe(false);
    expect(inHardirq(HARDIRQ_OFFSET)).toBe(true);
    expect(inInterrupt(HARDIRQ_OFFSET)).toBe(true);
    expect(inServingSoftirq(SOFTIRQ_OFFSET)).toBe(true);
    expect(inServingSoftirq(SOFTIRQ_DISABLE_OFFSET)).toBe(false); // bh disabled, not serving
    expect(inInterrupt(SOFTIRQ_DISABLE_OFFSET)).toBe(true);
    expect(inNmi(NMI_OFFSET + HARDIRQ_OFFSET)).toBe(true);
    expect(inNmi(HARDIRQ_OFFSET)).toBe(false);
  });

  it('nests per CPU and refuses to underflow or overflow a field', () => {
    const rq = createRunQueues({ policy: 'FIFO', cpus: 2 });
    rq.preemptDisable(1);
    rq.preemptCountAdd(1, HARDIRQ_OFFSET);
    rq.preemptDisable(1);
    expect(rq.cpu(1).preemptCount).toBe(0x10002);
    expect(rq.cpu(0).preemptCount).toBe(0);
    rq.preemptCountSub(1, HARDIRQ_OFFSET);
    expect(() => rq.preemptCountSub(1, HARDIRQ_OFFSET)).toThrow(SchedulerError);
    expect(() => rq.preemptCountSub(0, PREEMPT_OFFSET)).toThrow('underflows');
    for (let i = 0; i < 15; i++) rq.preemptCountAdd(0, HARDIRQ_OFFSET);
    expect(() => rq.preemptCountAdd(0, HARDIRQ_OFFSET)).toThrow('overflows');
    expect(() => rq.preemptCountAdd(0, 0x101)).toThrow('not within one field');
  });
});

// The table of the README and of shouldReschedule's TSDoc, written out independently:
// Y always, - never, N needResched, NL needResched or the lazy flag; "0": only with preempt_count 0.
const TABLE: Record<PreemptionPoint, Record<PreemptionModel, string>> = {
  block: { none: 'Y', voluntary: 'Y', full: 'Y', lazy: 'Y' },
  'return-to-user': { none: 'NL', voluntary: 'NL', full: 'NL', lazy: 'NL' },
  'irq-return-kernel': { none: '-', voluntary: '-', full: 'N0', lazy: 'N0' },
  tick: { none: '-', voluntary: '-', full: 'N0', lazy: 'NL0' },
  'preempt-enable': { none: '-', voluntary: '-', full: 'N0', lazy: 'N0' },
  'cond-resched': { none: 'N0', voluntary: 'N0', full: '-', lazy: '-' },
  'might-resched': { none: '-', voluntary: 'N0', full: '-', lazy: '-' },
};

describe('preemption models', () => {
  const states = [false, true].flatMap((needResched) =>
    [false, true].flatMap((needReschedLazy) =>
      [0, PREEMPT_OFFSET, HARDIRQ_OFFSET].map((preemptCount) => ({ needResched, needReschedLazy, preemptCount })),
    ),
  );

  for (const point of PREEMPTION_POINTS) {
    for (const model of PREEMPTION_MODELS) {
      const rule = TABLE[point][model];
      it(`${model} at ${point}: ${rule}`, () => {
        for (const s of states) {
          const flagged = rule.startsWith('NL') ? s.needResched || s.needReschedLazy : s.needResched;
          const expected = rule === 'Y' || (rule !== '-' && flagged && (!rule.endsWith('0') || s.preemptCount === 0));
          expect(shouldReschedule(model, point, s), JSON.stringify(s)).toBe(expected);
        }
      });
    }
  }

  // A policy that always wants the running task preempted at the tick.
  const eager = (): SchedPolicy => {
    const queue: { tid: number }[] = [];
    return {
      name: 'eager',
      get nrQueued() {
        return queue.length;
      },
      enqueue: (t) => void queue.push(t),
      dequeue: () => false,
      pickNext: () => queue.shift() as never,
      tick: () => true,
    };
  };
  const task = { tid: 1, nice: 0, priority: 0, length: undefined, remaining: undefined };

  it('full: an interrupt returning to kernel code preempts, unless preempt_count says not now', () => {
    const rq = createRunQueues({ policy: eager, model: 'full' });
    rq.wakeUp(task, 0);
    rq.schedule(0, 0);
    rq.tick(0, 1, 1);
    expect(rq.cpu(0).needResched).toBe(true);
    rq.preemptDisable(0);
    expect(rq.shouldReschedule(0, 'irq-return-kernel')).toBe(false);
    expect(rq.preemptEnable(0)).toBe(true); // the outermost preempt_enable() reschedules
    expect(rq.shouldReschedule(0, 'irq-return-kernel')).toBe(true);
  });

  it('none: the kernel runs on until it returns to user mode or calls cond_resched()', () => {
    const rq = createRunQueues({ policy: eager, model: 'none' });
    rq.wakeUp(task, 0);
    rq.schedule(0, 0);
    rq.tick(0, 1, 1);
    rq.preemptDisable(0);
    expect(rq.preemptEnable(0)).toBe(false);
    expect(rq.shouldReschedule(0, 'irq-return-kernel')).toBe(false);
    expect(rq.shouldReschedule(0, 'might-resched')).toBe(false);
    expect(rq.shouldReschedule(0, 'cond-resched')).toBe(true);
    expect(rq.shouldReschedule(0, 'return-to-user')).toBe(true);
  });

  it('voluntary: also at might_sleep() points', () => {
    const rq = createRunQueues({ policy: eager, model: 'voluntary' });
    rq.wakeUp(task, 0);
    rq.schedule(0, 0);
    rq.tick(0, 1, 1);
    expect(rq.shouldReschedule(0, 'might-resched')).toBe(true);
    expect(rq.shouldReschedule(0, 'irq-return-kernel')).toBe(false);
  });

  it('lazy: a policy request waits for return to user or the next tick, an urgent one does not', () => {
    const rq = createRunQueues({ policy: eager, model: 'lazy' });
    rq.wakeUp(task, 0);
    rq.schedule(0, 0);
    rq.tick(0, 1, 1);
    expect(rq.cpu(0)).toMatchObject({ needResched: false, needReschedLazy: true });
    expect(rq.shouldReschedule(0, 'irq-return-kernel')).toBe(false);
    expect(rq.shouldReschedule(0, 'return-to-user')).toBe(true);
    expect(rq.shouldReschedule(0, 'tick')).toBe(true);
    rq.tick(0, 1, 2); // the next tick upgrades the lazy request
    expect(rq.cpu(0).needResched).toBe(true);
    expect(rq.shouldReschedule(0, 'irq-return-kernel')).toBe(true);
    rq.schedule(0, 2);
    expect(rq.cpu(0)).toMatchObject({ needResched: false, needReschedLazy: false });
    rq.setNeedResched(0);
    expect(rq.cpu(0).needResched).toBe(true);
  });

  it('full: a lazy request is an ordinary one', () => {
    const rq = createRunQueues({ policy: eager, model: 'full' });
    rq.wakeUp(task, 0);
    rq.schedule(0, 0);
    rq.setNeedResched(0, { lazy: true });
    expect(rq.cpu(0)).toMatchObject({ needResched: true, needReschedLazy: false });
  });

  it('rejects an unknown model', () => {
    expect(() => createRunQueues({ policy: 'FIFO', model: 'rt' as PreemptionModel })).toThrow('unknown preemption model "rt"');
  });
});
