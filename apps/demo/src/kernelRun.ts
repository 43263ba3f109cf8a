import { existsSync, readFileSync } from 'node:fs';
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

/**
 * Starts recording a run for `--record`: the header holds the run's inputs, so the trace
 * can be re-executed. An existing file is replaced only with `--force`.
 */
export function openRecording(path: string | undefined, force: boolean | undefined, inputs: TraceInputs): TraceFileRecorder | undefined {
  if (path === undefined) return undefined;
  if (existsSync(path) && force !== true) throw new CliError(`--record: ${path} exists (use --force to replace it)`, 1);
  return recordTraceFile(path, createTraceHeader(OSSIM_VERSION, inputs), { overwrite: true });
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
