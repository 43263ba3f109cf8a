import { createRandom } from '@ossim/eventlog';
import {
  createPolicy,
  isNice,
  isPolicyName,
  type Job,
  POLICY_NAMES,
  type PolicyName,
  type PolicyOptions,
  SchedulerError,
  type SimulationResult,
  simulate,
} from '@ossim/scheduler';
import type { Command } from 'commander';
import { CliError, type CliIo } from '../io.ts';

/** The CLI's times are milliseconds; the simulator runs in integer nanoseconds. */
const MS = 1_000_000;
const DEFAULT_QUANTUM_MS = 10;
const TIMELINE_WIDTH = 60;
const SYMBOLS = '0123456789abcdefghijklmnopqrstuvwxyz';

interface SchedFlags {
  policy?: string;
  compare?: string;
  jobs?: string;
  arrivals?: string;
  quantum?: string;
  randomJobs?: string;
  seed?: string;
  maxLen?: string;
  nice?: string;
  priority?: string;
  cpus?: string;
  switchCost?: string;
  boost?: string;
  segments?: boolean;
  json?: boolean;
}

/** What `--json` prints for one policy: exactly these keys. */
interface JsonReport {
  policy: PolicyName;
  quantum: number | null;
  jobs: { id: number; length: number; response: number; turnaround: number; wait: number }[];
  averages: { response: number; turnaround: number; wait: number };
}

const usage = (message: string): CliError => new CliError(message, 2);

function parseNumber(text: string, what: string): number {
  const value = text.trim() === '' ? Number.NaN : Number(text);
  if (!Number.isFinite(value)) throw usage(`${what}: ${JSON.stringify(text)} is not a number`);
  return value;
}

function parseInteger(text: string, what: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const value = parseNumber(text, what);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw usage(`${what}: ${text} must be an integer${max === Number.MAX_SAFE_INTEGER ? ` of at least ${min}` : ` in [${min}, ${max}]`}`);
  }
  return value;
}

/** A time in milliseconds (fractions allowed, to the nanosecond) as integer nanoseconds. */
function parseMs(text: string, what: string, allowZero: boolean): number {
  const value = parseNumber(text, what);
  if (value < 0 || (value === 0 && !allowZero))
    throw usage(`${what}: must be ${allowZero ? 'zero or more' : 'more than zero'} milliseconds, got ${text}`);
  const ns = Math.round(value * MS);
  if (!Number.isSafeInteger(ns)) throw usage(`${what}: ${text} ms is too large`);
  if (ns === 0 && !allowZero) throw usage(`${what}: ${text} ms is shorter than a nanosecond`);
  return ns;
}

function parseList<T>(text: string, what: string, parse: (item: string, where: string) => T): T[] {
  return text.split(',').map((item, i) => parse(item, `${what} (item ${i + 1})`));
}

function parsePolicy(text: string, what: string): PolicyName {
  const name = text.trim().toUpperCase();
  if (!isPolicyName(name)) throw usage(`${what}: unknown policy ${JSON.stringify(text)} (expected one of ${POLICY_NAMES.join(', ')})`);
  return name;
}

function matching<T>(values: T[] | undefined, n: number, flag: string): T[] | undefined {
  if (values !== undefined && values.length !== n) throw usage(`${flag}: ${values.length} value(s) for ${n} job(s)`);
  return values;
}

/** The jobs the flags describe, in ns. */
function jobsFrom(flags: SchedFlags): { jobs: Job[]; origin: string } {
  if (flags.jobs !== undefined && flags.randomJobs !== undefined) throw usage('give either --jobs or --random-jobs, not both');
  let lengths: number[];
  let origin: string;
  if (flags.randomJobs !== undefined) {
    const count = parseInteger(flags.randomJobs, '--random-jobs', 1, 100_000);
    const seed = flags.seed === undefined ? 0 : parseInteger(flags.seed, '--seed', Number.MIN_SAFE_INTEGER);
    const maxLen = flags.maxLen === undefined ? 100 : parseInteger(flags.maxLen, '--max-len', 1, 1_000_000);
    const rng = createRandom(seed).fork('sched-jobs');
    lengths = Array.from({ length: count }, () => rng.int(1, maxLen) * MS);
    origin = `${count} random job(s) (seed ${seed}, lengths 1..${maxLen} ms)`;
  } else if (flags.jobs !== undefined) {
    if (flags.seed !== undefined || flags.maxLen !== undefined) throw usage('--seed and --max-len go with --random-jobs');
    lengths = parseList(flags.jobs, '--jobs', (item, where) => parseMs(item, where, false));
    origin = `${lengths.length} job(s)`;
  } else {
    throw usage('give the jobs: --jobs 100,200,300 (lengths in ms) or --random-jobs N');
  }
  const n = lengths.length;
  const arrivals = matching(
    flags.arrivals === undefined ? undefined : parseList(flags.arrivals, '--arrivals', (t, w) => parseMs(t, w, true)),
    n,
    '--arrivals',
  );
  const nice = matching(
    flags.nice === undefined
      ? undefined
      : parseList(flags.nice, '--nice', (t, w) => {
          const v = parseInteger(t, w, -20, 19);
          if (!isNice(v)) throw usage(`${w}: ${t} is not a nice value`);
          return v;
        }),
    n,
    '--nice',
  );
  const priority = matching(
    flags.priority === undefined ? undefined : parseList(flags.priority, '--priority', (t, w) => parseInteger(t, w, -1_000_000, 1_000_000)),
    n,
    '--priority',
  );
  const jobs = lengths.map(
    (length, i): Job => ({
      id: i,
      arrival: arrivals?.[i] ?? 0,
      length,
      ...(nice === undefined ? {} : { nice: nice[i] as number }),
      ...(priority === undefined ? {} : { priority: priority[i] as number }),
    }),
  );
  return { jobs, origin };
}

const ms = (ns: number): number => ns / MS;
const fmt = (value: number): string => (Number.isInteger(value) ? String(value) : value.toFixed(2));

function report(name: PolicyName, quantumMs: number | null, result: SimulationResult): JsonReport {
  const jobs = result.jobs.map((j, i) => ({
    id: i,
    length: ms(j.length),
    response: ms(j.response),
    turnaround: ms(j.turnaround),
    wait: ms(j.wait),
  }));
  const mean = (f: (j: (typeof jobs)[number]) => number): number => jobs.reduce((sum, j) => sum + f(j), 0) / jobs.length;
  return {
    policy: name,
    quantum: quantumMs,
    jobs,
    averages: { response: mean((j) => j.response), turnaround: mean((j) => j.turnaround), wait: mean((j) => j.wait) },
  };
}

/** One row per CPU: in each column the job that ran most of it ('.' idle). */
function timeline(result: SimulationResult): string[] {
  const n = result.jobs.length;
  const perColumn = Math.max(1, Math.ceil(result.makespan / TIMELINE_WIDTH));
  const columns = Math.ceil(result.makespan / perColumn);
  const lines: string[] = [];
  for (let cpu = 0; cpu < result.cpus; cpu++) {
    const shares = Array.from({ length: columns }, () => new Map<number, number>());
    for (const s of result.segments) {
      if (s.cpu !== cpu) continue;
      for (let c = Math.floor(s.start / perColumn); c * perColumn < s.end; c++) {
        const overlap = Math.min(s.end, (c + 1) * perColumn) - Math.max(s.start, c * perColumn);
        const m = shares[c] as Map<number, number>;
        m.set(s.job, (m.get(s.job) ?? 0) + overlap);
      }
    }
    const row = shares.map((m) => {
      let best = -1;
      let most = 0;
      for (const [job, time] of m) if (time > most || (time === most && job < best)) [best, most] = [job, time];
      return best < 0 ? '.' : n <= SYMBOLS.length ? (SYMBOLS[best] as string) : '#';
    });
    lines.push(`cpu${cpu} |${row.join('')}|`);
  }
  lines.push(
    `      1 column = ${fmt(ms(perColumn))} ms, 0 to ${fmt(ms(result.makespan))} ms; ${n <= SYMBOLS.length ? 'each job shown by its id' : '# = busy'}, . = idle`,
  );
  return lines;
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number)))
      .join('  ')
      .trimEnd();
  return `${[headers, ...rows].map(line).join('\n')}\n`;
}

/** `ossim sched`: run a job list under a scheduling policy (or several) and show the schedule and the textbook figures. */
export function registerSched(program: Command, io: CliIo): void {
  program
    .command('sched')
    .description('schedule a job list with FIFO, SJF, STCF, RR, PRIO, MLFQ or CFS and show response, turnaround and wait times (ms)')
    .option('--policy <name>', `the policy: ${POLICY_NAMES.join(', ')}`)
    .option('--compare <names>', 'several policies on the same jobs, side by side (e.g. FIFO,SJF,RR)')
    .option('--jobs <lengths>', 'job lengths in ms, comma-separated (jobs 0, 1, 2, ...)')
    .option('--arrivals <times>', 'arrival times in ms, one per job (default: all at 0)')
    .option('--quantum <ms>', `time slice of RR and MLFQ (and of PRIO among equals, when given)`, String(DEFAULT_QUANTUM_MS))
    .option('--random-jobs <n>', 'n jobs of random length instead of --jobs')
    .option('--seed <n>', 'seed of the random jobs (default 0)')
    .option('--max-len <ms>', 'longest random job (default 100)')
    .option('--nice <values>', 'nice values for CFS, one per job (-20..19)')
    .option('--priority <values>', 'priorities for PRIO, one per job (smaller runs first)')
    .option('--cpus <n>', 'CPUs, each with its own run queue', '1')
    .option('--switch-cost <ms>', 'time each switch to another job costs', '0')
    .option('--boost <ms>', "MLFQ's priority boost period (default: none)")
    .option('--segments', 'list who ran when instead of drawing a timeline')
    .option('--json', 'print the figures as JSON (an array with --compare)')
    .action((flags: SchedFlags) => {
      if (flags.policy !== undefined && flags.compare !== undefined) throw usage('give either --policy or --compare, not both');
      if (flags.policy === undefined && flags.compare === undefined) throw usage(`give --policy (${POLICY_NAMES.join(', ')}) or --compare`);
      const policies =
        flags.compare === undefined
          ? [parsePolicy(flags.policy as string, '--policy')]
          : parseList(flags.compare, '--compare', parsePolicy);
      const quantumGiven = program.commands.find((c) => c.name() === 'sched')?.getOptionValueSource('quantum') === 'cli';
      const quantum = parseMs(flags.quantum ?? String(DEFAULT_QUANTUM_MS), '--quantum', false);
      const cpus = parseInteger(flags.cpus ?? '1', '--cpus', 1, 1024);
      const switchCost = parseMs(flags.switchCost ?? '0', '--switch-cost', true);
      const boost = flags.boost === undefined ? undefined : parseMs(flags.boost, '--boost', false);
      const { jobs, origin } = jobsFrom(flags);

      const runs = policies.map((name) => {
        const usesQuantum = name === 'RR' || name === 'MLFQ' || (name === 'PRIO' && quantumGiven);
        const options: PolicyOptions = {
          ...(usesQuantum ? { quantum } : {}),
          ...(name === 'MLFQ' && boost !== undefined ? { boostPeriod: boost } : {}),
        };
        let result: SimulationResult;
        try {
          result = simulate({ jobs, policy: () => createPolicy(name, options), cpus, switchCost });
        } catch (error) {
          if (error instanceof SchedulerError) throw usage(error.message);
          throw error;
        }
        return { name, quantumMs: usesQuantum ? ms(quantum) : null, result };
      });

      if (flags.json === true) {
        const reports = runs.map((r) => report(r.name, r.quantumMs, r.result));
        io.out(`${JSON.stringify(flags.compare === undefined ? reports[0] : reports)}\n`);
        return;
      }
      const where = `${origin} on ${cpus} CPU${cpus === 1 ? '' : 's'}${switchCost > 0 ? `, switch cost ${fmt(ms(switchCost))} ms` : ''}; times in ms`;
      if (flags.compare !== undefined) {
        io.out(`${runs.map((r) => r.name).join(' vs ')}: ${where}\n\n`);
        const rows = runs.map((r) => [
          r.name,
          r.quantumMs === null ? '-' : fmt(r.quantumMs),
          ms(r.result.averages.response).toFixed(2),
          ms(r.result.averages.turnaround).toFixed(2),
          ms(r.result.averages.wait).toFixed(2),
          fmt(ms(r.result.makespan)),
          String(r.result.switches),
        ]);
        io.out(table(['policy', 'quantum', 'avg response', 'avg turnaround', 'avg wait', 'makespan', 'switches'], rows));
        return;
      }
      const { name, quantumMs, result } = runs[0] as (typeof runs)[number];
      io.out(`${name}${quantumMs === null ? '' : ` (quantum ${fmt(quantumMs)} ms)`}: ${where}\n\n`);
      if (flags.segments === true) {
        const w = fmt(ms(result.makespan)).length;
        for (const s of result.segments) {
          io.out(`cpu${s.cpu}  ${fmt(ms(s.start)).padStart(w)} - ${fmt(ms(s.end)).padStart(w)}  job ${s.id}\n`);
        }
      } else {
        for (const line of timeline(result)) io.out(`${line}\n`);
      }
      io.out('\n');
      const rows = result.jobs.map((j, i) => [
        String(i),
        fmt(ms(j.length)),
        fmt(ms(j.arrival)),
        fmt(ms(j.response)),
        fmt(ms(j.turnaround)),
        fmt(ms(j.wait)),
      ]);
      const avg = result.averages;
      rows.push(['avg', '', '', ms(avg.response).toFixed(2), ms(avg.turnaround).toFixed(2), ms(avg.wait).toFixed(2)]);
      io.out(table(['job', 'length', 'arrival', 'response', 'turnaround', 'wait'], rows));
    });
}
