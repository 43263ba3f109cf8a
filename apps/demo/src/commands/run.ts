import { readFileSync } from 'node:fs';
import {
  assembleProgram,
  checkWorkload,
  createKernel,
  defineOs,
  KernelError,
  PRESETS,
  runScenario,
  SCENARIOS,
  type Workload,
} from '@ossim/kernel';
import type { Command } from 'commander';
import { CliError, type CliIo } from '../io.ts';
import { loadOs, openRecording } from '../kernelRun.ts';
import { showProgress } from '../progress.ts';
import { parseDuration } from '../units.ts';

interface RunFlags {
  os?: string;
  until?: string;
  json?: boolean;
  record?: string;
  snapshotEvery?: string;
  force?: boolean;
  seed?: string;
}

function loadWorkload(path: string): Workload {
  const text = readFileSync(path, 'utf8');
  if (path.endsWith('.s')) {
    const name = path.replace(/^.*\//, '').replace(/\.s$/, '').slice(0, 15) || 'prog';
    // Assemble once here so that errors name the file the user gave (path:line:column).
    assembleProgram(name, text, path);
    return { name, programs: { [name]: text }, processes: [{ program: name }] };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new CliError(`${path}: not JSON (${(e as Error).message})`);
  }
  // Checked here, before a recording is opened for it, and named by the file the user gave
  // (an assembly error as `<file>: programs.<name>:line:column`).
  try {
    const workload = checkWorkload(value);
    for (const [name, source] of Object.entries(workload.programs)) assembleProgram(name, source, `${path}: programs.${name}`);
    return workload;
  } catch (e) {
    if (e instanceof KernelError) throw new CliError(e.message.startsWith(path) ? e.message : `${path}: ${e.message}`);
    throw e;
  }
}

/** `ossim run <scenario|program.s|workload.json> [--os <preset|variant.json>] [--until <time>] [--record <trace>] [--json]` */
export function registerRun(program: Command, io: CliIo): void {
  program
    .command('run')
    .description(`run a scenario (${SCENARIOS.join(', ')}) or a program/workload on an OS variant`)
    .argument('<what>', 'a scenario name, a program (.s) or a workload (.json)')
    .option('--os <variant>', 'a preset (i386, x86_64, single-stack, xv6) or a variant JSON file')
    .option('--until <time>', 'stop at this simulated time, with its unit (12ms, 3400us, 52000ns, 1.5s)')
    .option('--json', 'print the result as JSON')
    .option('--record <file>', 'record the run to a trace (.ndjson, or .ndjson.gz for gzip)')
    .option('--force', 'with --record: replace the file if it exists')
    .option(
      '--snapshot-every <events>',
      'with --record: a checkpoint every so many events in <file>.snapshots, for seeking (default 100000; 0: none)',
    )
    .option('--seed <n>', 'seed of the run (default 1)')
    .action((what: string, flags: RunFlags) => {
      try {
        if ((SCENARIOS as readonly string[]).includes(what)) {
          if (flags.record !== undefined)
            throw new CliError(
              `--record: a scenario runs several variants; record a program or workload run (ossim run <file> --os <variant> --record ${flags.record})`,
              2,
            );
          if (flags.snapshotEvery !== undefined)
            throw new CliError('--snapshot-every: only with --record, which a scenario does not take', 2);
          for (const [flag, given] of [
            ['--os', flags.os],
            ['--until', flags.until],
            ['--seed', flags.seed],
          ] as const) {
            if (given !== undefined)
              throw new CliError(`${flag}: a scenario runs the variants and inputs it compares; ${flag} is for a program or workload`, 2);
          }
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
        const os = flags.os === undefined ? PRESETS.i386 : loadOs(flags.os);
        const until = flags.until === undefined ? undefined : parseDuration(flags.until, '--until');
        if (until === 0) throw new CliError('--until: the run must last longer than 0 ns', 2);
        const seed = flags.seed === undefined ? 1 : Number(flags.seed);
        if (flags.seed !== undefined && !/^\d+$/.test(flags.seed))
          throw new CliError(`--seed: ${JSON.stringify(flags.seed)} is not a non-negative integer`, 2);
        const variant = defineOs({ ...os });
        const workload = loadWorkload(what);
        const recorder = openRecording(
          flags.record,
          flags.force,
          {
            os: variant,
            workload,
            seed,
            ...(until === undefined ? {} : { untilNs: until }),
          },
          flags.snapshotEvery,
        );
        let events = 0;
        const kernel = createKernel({
          os: variant,
          workload,
          seed,
          attach: (log) => {
            log.listen(() => {
              events++;
            });
            recorder?.attach(log);
          },
        });
        const progress = flags.json === true ? undefined : showProgress(io, kernel.log, until);
        let r: ReturnType<typeof kernel.run>;
        try {
          const options = until === undefined ? {} : { until };
          r = recorder === undefined ? kernel.run(options) : recorder.run(kernel, options);
        } finally {
          progress?.stop();
          recorder?.close();
        }
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
        if (flags.record !== undefined) io.out(`recorded to ${flags.record} (replay it: ossim replay ${flags.record} --verify)\n`);
      } catch (e) {
        if (e instanceof KernelError) throw new CliError(e.message);
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new CliError(`${what}: no such scenario or file`);
        throw e;
      }
    });
}
