import type { EventLog } from '@ossim/eventlog';
import { type PolicyName, policyFactory } from './builtins.ts';
import { SchedulerError } from './errors.ts';
import { checkNonNegativeInt, checkPositiveInt } from './internal/check.ts';
import { MinHeap } from './internal/heap.ts';
import type { PolicyFactory, SchedTask } from './policy.ts';
import { createRunQueues } from './runqueue.ts';
import { isNice } from './weights.ts';

/** A job of a standalone simulation. All times are integers in one unit of your choice. */
export interface Job {
  /** How the job is named in the results (OSTEP's A, B, C or 0, 1, 2). Unique. */
  readonly id: string | number;
  /** When it becomes runnable. */
  readonly arrival: number;
  /** The CPU time it needs in all. */
  readonly length: number;
  /** With I/O: it runs this long, then blocks for `ioLength`, then is runnable again (until it has run `length`). */
  readonly ioEvery?: number;
  /** How long each I/O blocks the job. */
  readonly ioLength?: number;
  /** Nice value for CFS, -20 to 19 (default 0). */
  readonly nice?: number;
  /** Static priority for PRIO, smaller runs first (default 0). */
  readonly priority?: number;
}

/** Options of {@link simulate}. */
export interface SimulateOptions {
  readonly jobs: readonly Job[];
  /** A built-in policy by name (default options), or a factory giving each CPU its policy instance. */
  readonly policy: PolicyName | PolicyFactory;
  /** Number of CPUs, each with its own run queue (default 1). */
  readonly cpus?: number;
  /**
   * Time a CPU spends switching each time it starts a job other than the one it was
   * just running (including from idle); the job waits meanwhile. Default 0.
   */
  readonly switchCost?: number;
  /** With several CPUs, the period of the load balance, from time 0 (default 4 ms in ns: 4,000,000). */
  readonly balanceInterval?: number;
  /** Where to publish `sched.*` events; its clock is moved forward with the simulation (time 0 = the clock's time at the start). */
  readonly log?: EventLog;
}

/** A stretch of time one job ran on one CPU, [start, end). */
export interface Segment {
  readonly cpu: number;
  /** The job's id. */
  readonly id: string | number;
  /** The job's index in the job list (its tid). */
  readonly job: number;
  readonly start: number;
  readonly end: number;
}

/** The figures of one job, as OSTEP ch. 7 defines them. */
export interface JobResult {
  readonly id: string | number;
  readonly arrival: number;
  readonly length: number;
  /** When it first ran. */
  readonly firstRun: number;
  /** When it finished. */
  readonly completion: number;
  /** firstRun - arrival. */
  readonly response: number;
  /** completion - arrival. */
  readonly turnaround: number;
  /** Time it was runnable but not running (switches included). */
  readonly wait: number;
  /** Time it was blocked on I/O. */
  readonly blocked: number;
}

/** Averages over the jobs. */
export interface Averages {
  readonly response: number;
  readonly turnaround: number;
  readonly wait: number;
}

/** What {@link simulate} returns. */
export interface SimulationResult {
  /** The policy's name (of CPU 0's instance). */
  readonly policy: string;
  readonly cpus: number;
  /** One result per job, in job order. */
  readonly jobs: readonly JobResult[];
  /** Who ran when, on which CPU, by start time then CPU; consecutive runs of a job are merged. */
  readonly segments: readonly Segment[];
  readonly averages: Averages;
  /** When the last job finished. */
  readonly makespan: number;
  /** How many times a CPU picked a task to run. */
  readonly decisions: number;
  /** How many of those started a job other than the one the CPU was just running. */
  readonly switches: number;
}

interface SimJob extends SchedTask {
  readonly tid: number;
  readonly id: string | number;
  readonly arrival: number;
  readonly length: number;
  remaining: number;
  readonly ioEvery: number;
  readonly ioLength: number;
  burstLeft: number;
  wakeAt: number;
  firstRun: number | undefined;
  completion: number;
  wait: number;
  waitStart: number | undefined;
  blocked: number;
}

interface OpenSegment {
  readonly cpu: number;
  readonly id: string | number;
  readonly job: number;
  readonly start: number;
  end: number;
}

function checkJobs(jobs: readonly Job[]): SimJob[] {
  if (!Array.isArray(jobs) || jobs.length === 0) throw new SchedulerError('bad-job', 'jobs: give at least one job');
  const ids = new Set<string | number>();
  return jobs.map((job, tid) => {
    const where = `jobs[${tid}]`;
    if (typeof job.id !== 'string' && typeof job.id !== 'number')
      throw new SchedulerError('bad-job', `${where}.id: must be a string or a number`);
    if (ids.has(job.id)) throw new SchedulerError('bad-job', `${where}.id: ${JSON.stringify(job.id)} is used by another job`);
    ids.add(job.id);
    checkNonNegativeInt(job.arrival, `${where}.arrival`, 'bad-job');
    checkPositiveInt(job.length, `${where}.length`, 'bad-job');
    if ((job.ioEvery === undefined) !== (job.ioLength === undefined)) {
      throw new SchedulerError('bad-job', `${where}: give both ioEvery and ioLength, or neither`);
    }
    if (job.ioEvery !== undefined) checkPositiveInt(job.ioEvery, `${where}.ioEvery`, 'bad-job');
    if (job.ioLength !== undefined) checkPositiveInt(job.ioLength, `${where}.ioLength`, 'bad-job');
    const nice = job.nice ?? 0;
    if (!isNice(nice)) throw new SchedulerError('bad-job', `${where}.nice: must be an integer in [-20, 19], got ${nice}`);
    const priority = job.priority ?? 0;
    if (!Number.isSafeInteger(priority)) throw new SchedulerError('bad-job', `${where}.priority: must be an integer, got ${priority}`);
    const ioEvery = job.ioEvery ?? Number.POSITIVE_INFINITY;
    return {
      tid,
      id: job.id,
      nice,
      priority,
      arrival: job.arrival,
      length: job.length,
      remaining: job.length,
      ioEvery,
      ioLength: job.ioLength ?? 0,
      burstLeft: ioEvery,
      wakeAt: 0,
      firstRun: undefined,
      completion: 0,
      wait: 0,
      waitStart: undefined,
      blocked: 0,
    };
  });
}

/**
 * Runs jobs to completion under a policy, on one or more CPUs, and measures them.
 * With every arrival at 0 and no switch cost the figures are the textbook's.
 *
 * At one instant, things happen in this order: running jobs are charged (and finish,
 * block for I/O or use up their slice); jobs arriving or waking are placed and
 * queued, in job order; the load balance runs, if due; then every CPU whose job left
 * or must be preempted puts its job back (behind the jobs just queued) and picks.
 *
 * @example
 * ```ts
 * const r = simulate({
 *   jobs: [{ id: 'A', arrival: 0, length: 100 }, { id: 'B', arrival: 0, length: 200 }, { id: 'C', arrival: 0, length: 300 }],
 *   policy: 'FIFO',
 * });
 * r.averages.turnaround; // 333.33...
 * ```
 */
export function simulate(options: SimulateOptions): SimulationResult {
  const jobs = checkJobs(options.jobs);
  const nrCpus = checkPositiveInt(options.cpus ?? 1, 'cpus');
  const switchCost = checkNonNegativeInt(options.switchCost ?? 0, 'switchCost');
  const balanceInterval = checkPositiveInt(options.balanceInterval ?? 4_000_000, 'balanceInterval');
  const factory = typeof options.policy === 'string' ? policyFactory(options.policy) : options.policy;
  const log = options.log;
  const base = log?.clock.now ?? 0;
  const rq = createRunQueues({ cpus: nrCpus, policy: factory, ...(log === undefined ? {} : { log }) });

  const n = jobs.length;
  const order = [...jobs].sort((a, b) => a.arrival - b.arrival || a.tid - b.tid);
  const wakeups = new MinHeap<SimJob>((a, b) => a.wakeAt < b.wakeAt || (a.wakeAt === b.wakeAt && a.tid < b.tid));
  const segments: OpenSegment[] = [];
  // Per CPU: when its job (starts to) execute(s) or was last charged, the job it last ran, its open segment, when to look again.
  const execFrom = new Array<number>(nrCpus).fill(0);
  const lastJob = new Array<SimJob | undefined>(nrCpus).fill(undefined);
  const openSeg = new Array<OpenSegment | undefined>(nrCpus).fill(undefined);
  const stopAt = new Array<number>(nrCpus).fill(Number.POSITIVE_INFINITY);
  const cpus = Array.from({ length: nrCpus }, (_, c) => rq.cpu(c));
  const batch: SimJob[] = [];
  const balancing = nrCpus > 1;
  let nextBalance = balanceInterval;
  let ai = 0;
  let done = 0;
  let now = 0;
  let decisions = 0;
  let switches = 0;

  const dispatch = (c: number, next: SchedTask | undefined): void => {
    if (next === undefined) {
      lastJob[c] = undefined;
      return;
    }
    decisions++;
    const job = next as SimJob;
    if (lastJob[c] === job) execFrom[c] = now;
    else {
      switches++;
      execFrom[c] = now + switchCost;
      lastJob[c] = job;
    }
  };

  while (done < n) {
    // The next instant something happens.
    let t = ai < n ? (order[ai] as SimJob).arrival : Number.POSITIVE_INFINITY;
    const w = wakeups.peek();
    if (w !== undefined && w.wakeAt < t) t = w.wakeAt;
    let queued = false;
    for (let c = 0; c < nrCpus; c++) {
      const q = cpus[c] as (typeof cpus)[number];
      if (q.curr !== undefined && (stopAt[c] as number) < t) t = stopAt[c] as number;
      if (q.nrQueued > 0) queued = true;
    }
    if (balancing && queued && nextBalance < t) t = nextBalance;
    if (t === Number.POSITIVE_INFINITY) {
      throw new SchedulerError('policy', `policy ${cpus[0]?.policy.name} left ${n - done} job(s) that never finished`);
    }
    now = t;
    log?.clock.advanceTo(base + now);

    // 1. Charge the running jobs.
    for (let c = 0; c < nrCpus; c++) {
      const job = cpus[c]?.curr as SimJob | undefined;
      if (job === undefined) continue;
      const from = execFrom[c] as number;
      if (now <= from) continue;
      const ran = now - from;
      if (job.waitStart !== undefined) {
        job.wait += from - job.waitStart;
        job.waitStart = undefined;
      }
      job.firstRun ??= from;
      const seg = openSeg[c];
      if (seg !== undefined && seg.job === job.tid && seg.end === from) seg.end = now;
      else {
        const s: OpenSegment = { cpu: c, id: job.id, job: job.tid, start: from, end: now };
        openSeg[c] = s;
        segments.push(s);
      }
      job.remaining -= ran;
      job.burstLeft -= ran;
      execFrom[c] = now;
      rq.tick(c, ran, now);
      if (job.remaining === 0) {
        job.completion = now;
        rq.putPrev(c, now, 'dead');
        done++;
      } else if (job.burstLeft === 0) {
        rq.putPrev(c, now, 'blocked');
        job.blocked += job.ioLength;
        job.burstLeft = job.ioEvery;
        job.wakeAt = now + job.ioLength;
        wakeups.push(job);
      }
    }

    // 2. Arrivals and wake-ups, in job order.
    batch.length = 0;
    while (ai < n && (order[ai] as SimJob).arrival === now) batch.push(order[ai++] as SimJob);
    const arrivals = batch.length;
    while (wakeups.peek()?.wakeAt === now) batch.push(wakeups.pop() as SimJob);
    if (arrivals > 0 && batch.length > arrivals) batch.sort((a, b) => a.tid - b.tid);
    for (const job of batch) {
      job.waitStart = now;
      rq.wakeUp(job, now);
    }

    // 3. Load balance.
    if (balancing && now >= nextBalance) rq.rebalance(now);
    if (nextBalance <= now) nextBalance = (Math.floor(now / balanceInterval) + 1) * balanceInterval;

    // 4. Reschedule: first CPUs with their own work, then idle ones (which may pull).
    for (let c = 0; c < nrCpus; c++) {
      const q = cpus[c] as (typeof cpus)[number];
      const curr = q.curr as SimJob | undefined;
      if (curr !== undefined) {
        if (!q.needResched && !q.needReschedLazy) continue;
        curr.waitStart ??= now;
        rq.putPrev(c, now, 'runnable');
      } else if (q.nrQueued === 0) continue;
      dispatch(c, rq.pickNext(c, now));
    }
    for (let c = 0; c < nrCpus; c++) {
      if (cpus[c]?.curr === undefined) dispatch(c, rq.pickNext(c, now));
    }

    // 5. When each running job must be looked at again.
    for (let c = 0; c < nrCpus; c++) {
      const job = cpus[c]?.curr as SimJob | undefined;
      if (job === undefined) {
        stopAt[c] = Number.POSITIVE_INFINITY;
        continue;
      }
      let run = Math.min(job.remaining, job.burstLeft);
      const slice = rq.timeSlice(c, now);
      if (slice !== undefined) run = Math.min(run, Math.max(1, slice));
      stopAt[c] = (execFrom[c] as number) + run;
    }
  }

  const results: JobResult[] = jobs.map((j) => {
    const firstRun = j.firstRun as number;
    return {
      id: j.id,
      arrival: j.arrival,
      length: j.length,
      firstRun,
      completion: j.completion,
      response: firstRun - j.arrival,
      turnaround: j.completion - j.arrival,
      wait: j.wait,
      blocked: j.blocked,
    };
  });
  const mean = (f: (r: JobResult) => number): number => results.reduce((sum, r) => sum + f(r), 0) / n;
  segments.sort((a, b) => a.start - b.start || a.cpu - b.cpu);
  return {
    policy: cpus[0]?.policy.name ?? '',
    cpus: nrCpus,
    jobs: results,
    segments,
    averages: { response: mean((r) => r.response), turnaround: mean((r) => r.turnaround), wait: mean((r) => r.wait) },
    makespan: results.reduce((m, r) => Math.max(m, r.completion), 0),
    decisions,
    switches,
  };
}
