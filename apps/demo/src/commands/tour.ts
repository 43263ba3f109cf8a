import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { createTraceHeader, eventsOf, type OssimEvent, reexecute, refold, stateHash } from '@ossim/eventlog';
import { openTraceFile, recordTraceFile } from '@ossim/eventlog/node';
import { runScenario, SCENARIOS, type ScenarioName } from '@ossim/kernel';
import type { Command } from 'commander';
import { CliError, type CliIo } from '../io.ts';
import { createToy, initialToyState, type ToyInputs, toyReducer } from '../toy.ts';
import { formatNs } from '../units.ts';
import { OSSIM_VERSION } from '../version.ts';

/** `ossim tour`: a guided walk through what ossim guarantees, run live. */
export function registerTour(program: Command, io: CliIo): void {
  program
    .command('tour')
    .description('a guided tour: the seed scenarios one after another, then recording, replay and snapshots')
    .option('--seed <n>', 'seed of the event-log part', '42')
    .option('--skip-scenarios', 'only the event-log part')
    .action(async (options: { seed: string; skipScenarios?: boolean }) => {
      const seed = Number(options.seed);
      if (!/^\d+$/.test(options.seed) || !Number.isSafeInteger(seed))
        throw new CliError(`--seed: ${JSON.stringify(options.seed)} is not a non-negative integer`, 2);
      if (options.skipScenarios !== true) scenarios(io);
      await tour(io, { seed, durationNs: 100_000_000, tickNs: 4_000_000 });
    });
}

/** Why each seed scenario is in the tour: what to look for in its narration. */
const WHY: Record<ScenarioName, string> = {
  'two-stacks': 'Every thread has two stacks: one in the user half, one in the kernel half. Watch SP move at a system call.',
  'preempt-in-kernel':
    'A write() blocks on disk DMA inside the kernel; another process runs meanwhile. Both kernel stacks hold live frames.',
  'single-stack':
    "The seeds' thought experiment: one kernel stack for everybody. Blocking inside the kernel breaks it, and the kernel oopses.",
  'irq-nesting':
    'A deep interrupt on a deep kernel path: small stacks overflow into thread_info; interrupt stacks or guard pages change the outcome.',
  zombie: 'A child exits before its parent waits: does the zombie keep its kernel stack? It depends on the kernel generation.',
  'kernel-threads': "Kernel threads have no mm: they borrow the previous task's and the page tables are not switched.",
  'thread-info-mask': 'On the old layout, `current` is found by masking SP down to the stack base, where thread_info lives.',
};

function scenarios(io: CliIo): void {
  io.out('ossim tour, part 1: the seed scenarios (each is also `ossim run <name>`)\n\n');
  for (const [i, name] of SCENARIOS.entries()) {
    const r = runScenario(name);
    io.out(`${i + 1}/${SCENARIOS.length} ${name}: ${WHY[name]}\n\n`);
    for (const run of r.runs) io.out(`${run.narration.map((l) => `  ${l}`).join('\n')}\n\n`);
  }
  io.out('ossim tour, part 2: the event log under all of it\n\n');
}

async function tour(io: CliIo, inputs: ToyInputs): Promise<void> {
  const say = (text = ''): void => io.out(`${text}\n`);
  const dir = mkdtempSync(join(tmpdir(), 'ossim-tour-'));
  try {
    const header = createTraceHeader(OSSIM_VERSION, {
      os: 'toy',
      workload: { durationNs: inputs.durationNs, tickNs: inputs.tickNs },
      seed: inputs.seed,
    });
    const path = join(dir, 'toy.ndjson.gz');

    say('ossim tour: the event log every part of the simulator talks through');
    say('');
    say(`1. Run a toy machine for ${formatNs(inputs.durationNs)} of simulated time (seed ${inputs.seed}):`);
    say('   a timer every 4 ms, a disk whose requests finish after a seeded random latency.');
    const toy = createToy(inputs);
    const recorder = recordTraceFile(path, header);
    recorder.attach(toy.sim.log);
    const shown: OssimEvent[] = [];
    const off = toy.sim.log.listen((e) => {
      if (shown.length < 8) shown.push(e);
    });
    toy.start();
    toy.sim.run();
    off();
    recorder.close();
    for (const e of shown) say(`   ${describe(e)}`);
    say(`   ... ${toy.sim.log.lastSeq} events, recorded (gzip NDJSON, streamed) to a temporary file.`);
    const finalHash = stateHash(toy.state());
    say(`   Final state: ${JSON.stringify(toy.state())}`);
    say(`   State hash:  ${finalHash.slice(0, 16)}`);
    say('');

    say('2. Re-fold: stream the recording back through the same reducer.');
    const trace = await openTraceFile(path);
    const { state, seq } = await refold(trace.events, toyReducer, initialToyState());
    say(
      `   State after seq ${seq}: hash ${stateHash(state).slice(0, 16)} (${stateHash(state) === finalHash ? 'identical to the live run' : 'DIFFERENT'})`,
    );
    const mid = Math.floor(seq / 2);
    const at = await refold((await openTraceFile(path)).events, toyReducer, initialToyState(), { untilSeq: mid });
    say(`   Any moment: the state at seq ${mid} has ${at.state.ticks} ticks and ${at.state.inflight.length} request(s) in flight.`);
    say('');

    say('3. Re-execute: run the recorded inputs again and compare every event.');
    const rerun = (): Iterable<OssimEvent> => {
      const again = createToy(inputs);
      return eventsOf(again.sim, again.start);
    };
    const same = await reexecute(() => openTraceFile(path), rerun);
    say(
      `   ${same.matched} events compared, ${same.divergence === null ? 'no divergence: same inputs, same events, byte for byte.' : `divergence at seq ${same.divergence.seq}`}`,
    );
    const tampered = join(dir, 'tampered.ndjson');
    const lines = gunzipSync(readFileSync(path)).toString('utf8').split('\n');
    const victim = lines.findIndex((l, i) => i > lines.length / 2 && l.includes('"toy.request"'));
    lines[victim] = (lines[victim] as string).replace(/"latency":(\d+)/, (_m, n: string) => `"latency":${Number(n) + 1}`);
    writeFileSync(tampered, lines.join('\n'));
    const diff = await reexecute(() => openTraceFile(tampered), rerun);
    const d = diff.divergence;
    if (d !== null) {
      say(`   Tamper with one latency on line ${victim + 1} and re-execute: divergence at seq ${d.seq}, field "${d.field}":`);
      say(`     expected ${JSON.stringify(d.expected)}`);
      say(`     actual   ${JSON.stringify(d.actual)}`);
      say(`     after the ${d.before.length} events seq ${d.before[0]?.seq}..${d.before.at(-1)?.seq}`);
    }
    say('');

    say('4. Snapshot at 50 ms, restore it into a fresh machine, and continue.');
    const first = createToy(inputs);
    first.start();
    first.sim.timers.runUntil(inputs.durationNs / 2);
    const snap = first.sim.snapshot();
    const resumed = createToy(inputs);
    resumed.sim.restore(snap);
    resumed.sim.run();
    const resumedHash = stateHash(resumed.state());
    say(
      `   Snapshot at seq ${snap.seq} (${formatNs(snap.time)}): ${snap.timers.pending.length} pending timer(s), random state of ${Object.keys(snap.random).length} stream(s).`,
    );
    say(
      `   Resumed run ends at seq ${resumed.sim.log.lastSeq} with hash ${resumedHash.slice(0, 16)} (${resumedHash === finalHash ? 'identical to the uninterrupted run' : 'DIFFERENT'}).`,
    );
    say('');
    say('Record and replay a kernel run yourself:');
    say('  pnpm -s ossim run <program.s|workload.json> --os x86_64 --record run.ndjson.gz');
    say('  pnpm -s ossim replay run.ndjson.gz --verify     pnpm -s ossim ps run.ndjson.gz --at 2ms');
    say('  pnpm -s ossim strace run.ndjson.gz               pnpm -s ossim export run.ndjson.gz --format chrome -o run.json');
    say('  pnpm -s ossim stacks run.ndjson.gz 1 --at 2ms    (from the nearest snapshot in run.ndjson.gz.snapshots)');
    say('Or see it all in the browser: pnpm web (the scenarios, your recordings and strace logs, at any moment).');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function describe(e: OssimEvent): string {
  const { seq, time, type, ...payload } = e;
  return `seq ${String(seq).padStart(3)}  ${formatNs(time).padStart(11)}  ${type.padEnd(13)} ${JSON.stringify(payload)}`;
}
