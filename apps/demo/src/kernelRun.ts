import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createTraceHeader, type EventLog, type TraceInputs } from '@ossim/eventlog';
import { recordTraceFile, type TraceFileRecorder } from '@ossim/eventlog/node';
import {
  createKernel,
  defineOs,
  isPresetName,
  type Kernel,
  type OsVariant,
  PRESETS,
  parseOs,
  type RunResult,
  type Workload,
} from '@ossim/kernel';
import { CliError } from './io.ts';
import { openSnapshots, SNAPSHOT_EVERY, snapshotsPath } from './snapshots.ts';
import { OSSIM_VERSION } from './version.ts';

/** What `--os` takes: a preset name or a variant JSON file. */
export function loadOs(spec: string): OsVariant {
  if (isPresetName(spec)) return PRESETS[spec];
  let text: string;
  try {
    text = readFileSync(spec, 'utf8');
  } catch {
    throw new CliError(`--os: ${spec} is neither a preset (${Object.keys(PRESETS).join(', ')}) nor a readable variant file`, 2);
  }
  return parseOs(text, spec);
}

/** A run being recorded (`--record`): its events to the trace, its checkpoints to the snapshot file beside it. */
export interface Recording {
  /** Follows the kernel's log (pass to `createKernel`'s `attach`). */
  attach(log: EventLog): void;
  /** Runs the kernel as `kernel.run(options)` does, writing a checkpoint every `--snapshot-every` events. */
  run(kernel: Kernel, options: { until?: number }): RunResult;
  /** Flushes and closes both files. */
  close(): void;
}

/**
 * Starts recording a run for `--record`: the header holds the run's inputs, so the trace
 * can be re-executed; `<file>.snapshots` holds a checkpoint every `snapshotEvery` events
 * (default {@link SNAPSHOT_EVERY}; 0: no snapshot file) for seeking. An existing file is
 * replaced only with `--force`.
 */
export function openRecording(
  path: string | undefined,
  force: boolean | undefined,
  inputs: TraceInputs,
  snapshotEvery?: string,
): Recording | undefined {
  if (path === undefined) {
    if (snapshotEvery !== undefined) throw new CliError('--snapshot-every: only with --record', 2);
    return undefined;
  }
  if (snapshotEvery !== undefined && !/^\d+$/.test(snapshotEvery))
    throw new CliError(`--snapshot-every: ${JSON.stringify(snapshotEvery)} is not a number of events (0: no snapshots)`, 2);
  if (existsSync(path) && force !== true) throw new CliError(`--record: ${path} exists (use --force to replace it)`, 1);
  const every = snapshotEvery === undefined ? SNAPSHOT_EVERY : Number(snapshotEvery);
  const stale = snapshotsPath(path);
  if (existsSync(stale)) {
    if (force !== true) throw new CliError(`--record: ${stale} exists (use --force to replace it)`, 1);
    // The snapshots of the recording being replaced: they go with it.
    if (every === 0) rmSync(stale);
  }
  const snapshots = every === 0 ? undefined : openSnapshots(path, force, every);
  let trace: TraceFileRecorder;
  try {
    trace = recordTraceFile(path, createTraceHeader(OSSIM_VERSION, inputs), { overwrite: true });
  } catch (e) {
    snapshots?.close();
    throw e;
  }
  return {
    attach: (log) => {
      trace.attach(log);
    },
    run: (kernel, options) => (snapshots === undefined ? kernel.run(options) : snapshots.run(kernel, options)),
    close() {
      try {
        trace.close();
      } finally {
        snapshots?.close();
      }
    },
  };
}

/**
 * A kernel built from a recording's inputs, on the recorded variant or on `os`, with
 * `attach` seeing every event from seq 1; `run` runs it as the recording was run.
 */
export function kernelFromInputs(
  inputs: TraceInputs,
  options: { os?: OsVariant; attach?: (log: EventLog) => void } = {},
): { kernel: Kernel; os: OsVariant; run: () => RunResult } {
  let os: OsVariant;
  try {
    os = options.os ?? defineOs(inputs.os as OsVariant);
  } catch (e) {
    throw new CliError(`the recorded OS variant is not valid: ${(e as Error).message}`);
  }
  const kernel = createKernel({
    os,
    workload: inputs.workload as Workload,
    seed: inputs.seed,
    ...(options.attach === undefined ? {} : { attach: options.attach }),
  });
  return { kernel, os, run: () => kernel.run(inputs.untilNs === undefined ? {} : { until: inputs.untilNs }) };
}
