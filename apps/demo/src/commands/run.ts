import { readFileSync } from 'node:fs';
import {
  createKernel,
  defineOs,
  isPresetName,
  KernelError,
  type OsVariant,
  PRESETS,
  parseOs,
  runScenario,
  SCENARIOS,
  type Workload,
} from '@ossim/kernel';
import type { Command } from 'commander';
import { CliError, type CliIo } from '../io.ts';

interface RunFlags {
  os?: string;
  until?: string;
  json?: boolean;
}

function loadOs(spec: string | undefined): OsVariant {
  if (spec === undefined) return PRESETS.i386;
  if (isPresetName(spec)) return PRESETS[spec];
  return parseOs(readFileSync(spec, 'utf8'), spec);
}

function loadWorkload(path: string): Workload {
  const text = readFileSync(path, 'utf8');
  if (path.endsWith('.s')) {
    const name = path.replace(/^.*\//, '').replace(/\.s$/, '').slice(0, 15) || 'prog';
    return { name, programs: { [name]: text }, processes: [{ program: name }] };
  }
  try {
    return JSON.parse(text) as Workload;
  } catch (e) {
    throw new CliError(`${path}: not JSON (${(e as Error).message})`);
  }
}

/** `ossim run <scenario|program.s|workload.json> [--os <preset|variant.json>] [--until <ns>] [--json]` */
export function registerRun(program: Command, io: CliIo): void {
  program
    .command('run')
    .description(`run a scenario (${SCENARIOS.join(', ')}) or a program/workload on an OS variant`)
    .argument('<what>', 'a scenario name, a program (.s) or a workload (.json)')
    .option('--os <variant>', 'a preset (i386, x86_64, single-stack, xv6) or a variant JSON file')
    .option('--until <ns>', 'stop after this many simulated nanoseconds')
    .option('--json', 'print the result as JSON')
    .action((what: string, flags: RunFlags) => {
      try {
        if ((SCENARIOS as readonly string[]).includes(what)) {
          const r = runScenario(what);
          if (flags.json === true) {
            const runs = r.runs.map(({ narration: _n, checks: _c, ...rest }) => rest);
            io.out(`${JSON.stringify({ scenario: r.scenario, runs })}\n`);
            return;
          }
          io.out(`ossim run ${r.scenario}: ${r.title}\n\n`);
          for (const run of r.runs) io.out(`${run.narration.join('\n')}\n\n`);
          return;
        }
        const os = loadOs(flags.os);
        const until = flags.until === undefined ? undefined : Number(flags.until);
        if (until !== undefined && (!Number.isSafeInteger(until) || until <= 0))
          throw new CliError(`--until: ${flags.until} is not a positive number of ns`, 2);
        const kernel = createKernel({ os: defineOs({ ...os }), workload: loadWorkload(what) });
        let events = 0;
        kernel.log.listen(() => {
          events++;
        });
        const r = kernel.run(until === undefined ? {} : { until });
        const tasks = kernel
          .tasks()
          .filter((t) => t.tid !== 0)
          .map((t) => ({ pid: t.pid, tid: t.tid, comm: t.comm, kernelStack: t.kernelStack, userStack: t.userStack }));
        if (flags.json === true) {
          io.out(
            `${JSON.stringify({ scenario: what, runs: [{ os: os.name, outcome: r.outcome, cause: r.cause, tasks, events, simulatedNs: r.simulatedNs }] })}\n`,
          );
          return;
        }
        io.out(kernel.console);
        io.out(`\n${os.name}: ${r.outcome}${r.cause === null ? '' : ` (${r.cause})`} after ${r.simulatedNs} ns, ${events} events\n`);
      } catch (e) {
        if (e instanceof KernelError) throw new CliError(e.message);
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new CliError(`${what}: no such scenario or file`);
        throw e;
      }
    });
}
