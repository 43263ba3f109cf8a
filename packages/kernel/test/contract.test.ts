import { describe, expect, it } from 'vitest';
import { buildWorkload, createKernel, defineOs, type OsVariant, PRESETS, type ProcessShape, SYSCALLS } from '../src/index.ts';

/** Runs processes on a variant and gathers what the contract checks. */
function run(os: OsVariant, processes: ProcessShape[], until = 500_000_000) {
  const k = createKernel({ os, workload: buildWorkload({ name: 'contract', processes }) });
  const exits: { tid: number; pid: number; code: number; state: string }[] = [];
  const reaps: { tid: number; by: number }[] = [];
  const reparents: { tid: number; from: number; to: number }[] = [];
  const switches: { prevTid: number; nextTid: number; preempt: boolean; prevState: string }[] = [];
  const syscalls: { tid: number; nr: number; ret: number }[] = [];
  const oopses: { tid: number | null; message: string }[] = [];
  k.log.on('task.exit', (e) => exits.push(e));
  k.log.on('syscall.exit', (e) => syscalls.push({ tid: e.tid, nr: e.nr, ret: e.ret }));
  k.log.on('kernel.oops', (e) => oopses.push({ tid: e.tid, message: e.message }));
  k.log.on('task.reap', (e) => reaps.push({ tid: e.tid, by: e.by }));
  k.log.on('task.reparent', (e) => reparents.push({ tid: e.tid, from: e.from, to: e.to }));
  k.log.on('sched.switch', (e) => switches.push(e));
  const r = k.run({ until });
  return { k, r, exits, reaps, reparents, switches, syscalls, oopses };
}

/**
 * The single shared stack (the seeds' thought experiment): a task that blocked inside the
 * kernel resumes on frames another task's kernel entry overwrote, pops a wrong return
 * address and the kernel oopses; the oopsing task is one that had been switched out inside
 * the kernel (asleep, or yielding).
 */
function expectOopsOnResume({ r, switches, oopses }: ReturnType<typeof run>, tid: number): void {
  expect(r.outcome).toBe('oops');
  expect(oopses).toHaveLength(1);
  expect(oopses[0]?.tid).toBe(tid);
  expect(switches.some((s) => s.prevTid === tid)).toBe(true);
}

const presets: OsVariant[] = [PRESETS.i386, PRESETS.x86_64, PRESETS.xv6, PRESETS['single-stack']];

describe.each(presets.map((os) => [os.name, os]))('kernel contract: %s', (_name, os) => {
  /** One kernel stack for every task: what blocks in the kernel breaks (positively asserted below). */
  const shared = os.stackAllocator === 'single';

  it('boots idle, init (pid 1) and kthreadd (pid 2, no mm)', () => {
    const { k, r } = run(os, [{ comm: 'hello', steps: [{ op: 'write', text: 'hello\n' }] }]);
    expect(r.outcome).toBe('ok');
    expect(r.finished).toBe(true);
    expect(k.console).toBe('hello\n');
    const tasks = k.tasks();
    expect(tasks[0]).toMatchObject({ tid: 0, comm: 'swapper/0', kernelThread: true });
    expect(tasks.find((t) => t.tid === 1)).toMatchObject({ comm: 'init', kernelThread: false });
    expect(tasks.find((t) => t.tid === 2)).toMatchObject({ comm: 'kthreadd', kernelThread: true, mm: null, userStack: null });
  });

  it('fork and exit without blocking: both run to completion and become zombies', () => {
    const { k, r, exits } = run(os, [
      {
        comm: 'parent',
        steps: [
          { op: 'fork', child: [{ op: 'write', text: 'child\n' }] },
          { op: 'write', text: 'parent\n' },
        ],
      },
    ]);
    expect(r.outcome).toBe('ok');
    expect(k.console).toContain('child\n');
    expect(k.console).toContain('parent\n');
    expect(exits.filter((e) => e.pid === 3 || e.pid === 4).map((e) => e.state)).toEqual(['Z', 'Z']);
  });

  it('fork, exit and wait4: the parent reaps its child', () => {
    const result = run(os, [
      {
        comm: 'parent',
        steps: [{ op: 'fork', child: [{ op: 'write', text: 'child\n' }] }, { op: 'wait' }, { op: 'write', text: 'parent\n' }],
      },
    ]);
    const { k, r, exits, reaps } = result;
    if (shared) {
      // The parent sleeps in wait4; the child's kernel entries reuse the stack; the parent resumes on them.
      expect(k.console).toBe('child\n');
      expectOopsOnResume(result, 3);
      return;
    }
    expect(r.outcome).toBe('ok');
    expect(k.console).toContain('child\n');
    expect(k.console).toContain('parent\n');
    const parent = exits.find((e) => e.pid === 3);
    const child = exits.find((e) => e.pid === 4);
    expect(parent?.state).toBe('Z');
    expect(child?.state).toBe('Z');
    expect(reaps).toContainEqual({ tid: 4, by: 3 });
  });

  it('threads share the mm, have their own user and kernel stacks, and join by futex', () => {
    const result = run(os, [
      {
        comm: 'mt',
        steps: [
          { op: 'threads', count: 3, steps: [{ op: 'getpid' }, { op: 'yield' }] },
          { op: 'write', text: 'joined\n' },
        ],
      },
    ]);
    const { k, r, exits } = result;
    if (shared) {
      // main sleeps in futex_wait to join; a thread that yielded inside the kernel resumes on frames others overwrote.
      const tid = result.oopses[0]?.tid ?? -1;
      expect(k.console).toBe('');
      expect([4, 5, 6]).toContain(tid);
      expectOopsOnResume(result, tid);
      return;
    }
    expect(r.outcome).toBe('ok');
    expect(k.console).toBe('joined\n');
    const threads = exits.filter((e) => e.pid === 3 && e.tid !== 3);
    expect(threads).toHaveLength(3);
    for (const t of threads) expect(t.state).toBe('X');
  });

  it('blocking I/O: a disk write sleeps in D until the DMA interrupt, and others run meanwhile', () => {
    const result = run(os, [
      {
        comm: 'writer',
        steps: [
          { op: 'disk-write', bytes: 4096 },
          { op: 'write', text: 'written\n' },
        ],
      },
      { comm: 'other', steps: [{ op: 'getpid' }, { op: 'write', text: 'other\n' }] },
    ]);
    const { k, r, switches } = result;
    expect(switches.some((s) => s.prevTid === 3 && s.prevState === 'D')).toBe(true);
    if (shared) {
      // other runs and exits while the writer sleeps in D; init, asleep in wait4 since boot, is woken first and oopses.
      expect(k.console).toBe('other\n');
      expectOopsOnResume(result, 1);
      return;
    }
    expect(r.outcome).toBe('ok');
    expect(k.console.indexOf('other\n')).toBeLessThan(k.console.indexOf('written\n'));
    expect(switches.some((s) => s.prevTid === 3 && s.prevState === 'D')).toBe(true);
  });

  it('pipes and nanosleep block and wake', () => {
    const { k, r, syscalls } = run(os, [
      {
        comm: 'pp',
        steps: [
          { op: 'pipe-pingpong', rounds: 4 },
          { op: 'sleep', ns: 3_000_000 },
          { op: 'write', text: 'done\n' },
        ],
      },
    ]);
    if (shared) {
      // No oops this time, but worse: the parent, switched out in sched_yield, resumes on the pt_regs the
      // child's read() left at the top of the shared stack. Its sched_yield returns garbage instead of 0, and it
      // goes back to user mode with the child's registers: it reads the pipe too, and both sleep forever.
      const yields = syscalls.filter((s) => s.tid === 3 && s.nr === SYSCALLS.sched_yield);
      expect(yields.length).toBeGreaterThan(0);
      expect(yields[0]?.ret).not.toBe(0);
      expect(r).toMatchObject({ outcome: 'ok', finished: false });
      expect(k.console).toBe('');
      expect(k.task(3)?.state).toBe('S');
      expect(k.task(4)?.state).toBe('S');
      return;
    }
    expect(r.outcome).toBe('ok');
    expect(k.console).toBe('done\n');
    expect(r.simulatedNs).toBeGreaterThan(3_000_000);
  });

  it('preemption: two CPU-bound processes share the CPU by the timer tick unless the policy runs each to completion', () => {
    const { r, switches } = run(os, [
      {
        comm: 'a',
        steps: [
          { op: 'compute', cycles: 20_000_000 },
          { op: 'compute', cycles: 20_000_000 },
        ],
      },
      {
        comm: 'b',
        steps: [
          { op: 'compute', cycles: 20_000_000 },
          { op: 'compute', cycles: 20_000_000 },
        ],
      },
    ]);
    expect(r.outcome).toBe('ok');
    const preempted = switches.filter((s) => s.prevState === 'R' && (s.prevTid === 3 || s.prevTid === 4));
    if (os.scheduler.policy === 'FIFO') expect(preempted).toHaveLength(0);
    else expect(preempted.length).toBeGreaterThan(2);
  });

  it('sched_yield hands the CPU to another runnable thread: yielding threads take turns', () => {
    const result = run(os, [
      { comm: 'yielder', steps: [{ op: 'threads', count: 3, steps: [{ op: 'loop', times: 10, steps: [{ op: 'yield' }] }] }] },
    ]);
    const { r, switches, syscalls } = result;
    const yielders = new Set([4, 5, 6]);
    // Switches from one yielding thread, still runnable, straight to another.
    const handovers = switches.filter((s) => s.prevState === 'R' && yielders.has(s.prevTid) && yielders.has(s.nextTid));
    if (shared) {
      // A thread switched out inside sched_yield resumes on the frames the next one's entry left.
      expect(r.outcome).toBe('oops');
      expect(handovers.length).toBeGreaterThan(0);
      return;
    }
    expect(r.outcome).toBe('ok');
    expect(syscalls.filter((s) => s.nr === SYSCALLS.sched_yield && s.ret === 0)).toHaveLength(30);
    expect(handovers.length).toBeGreaterThanOrEqual(27);
  });

  it('a long compute step is preempted by the tick, not only at its end', () => {
    const { r, switches, exits } = run(os, [
      { comm: 'a', steps: [{ op: 'compute', cycles: 60_000_000 }] },
      { comm: 'b', steps: [{ op: 'compute', cycles: 60_000_000 }] },
    ]);
    expect(r.outcome).toBe('ok');
    expect(exits.map((e) => e.tid).filter((t) => t === 3 || t === 4)).toHaveLength(2);
    // Each computes in one step: with the step atomic, neither could be switched out before it exits.
    const taking = switches.filter((s) => s.prevState === 'R' && [3, 4].includes(s.prevTid) && [3, 4].includes(s.nextTid));
    if (os.scheduler.policy === 'FIFO') expect(taking).toHaveLength(0);
    else expect(taking.length).toBeGreaterThanOrEqual(3);
  });

  it('orphans are reparented to init, which reaps them', () => {
    const result = run(os, [{ comm: 'orphaner', steps: [{ op: 'fork', child: [{ op: 'sleep', ns: 2_000_000 }] }] }]);
    const { r, reparents, reaps } = result;
    expect(reparents).toContainEqual({ tid: 4, from: 3, to: 1 });
    if (shared) {
      // init, asleep in wait4, is woken when the orphaner exits and resumes on the frames its children's entries left.
      expectOopsOnResume(result, 1);
      return;
    }
    expect(r.outcome).toBe('ok');
    expect(reparents).toContainEqual({ tid: 4, from: 3, to: 1 });
    expect(reaps).toContainEqual({ tid: 3, by: 1 });
  });
});

describe('defineOs', () => {
  it('names the bad field', () => {
    expect(() => defineOs({ threadSize: 12288 })).toThrow(/^threadSize: must be 4096/);
    expect(() => defineOs({ scheduler: { policy: 'LOTTERY' as 'RR' } })).toThrow(/^scheduler.policy/);
    expect(() => defineOs({ bogus: 1 } as never)).toThrow(/^bogus: is not a field/);
    expect(() => defineOs({ preset: 'x86_64', threadInfo: 'stack' })).toThrow(/^threadInfo/);
  });
  it('fills defaults from a preset', () => {
    expect(defineOs({ preset: 'x86_64', name: 'mine', hz: 1000 })).toMatchObject({
      name: 'mine',
      threadSize: 16384,
      hz: 1000,
      preemption: 'full',
    });
  });
});
