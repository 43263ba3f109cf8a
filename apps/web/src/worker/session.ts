import type { OssimEvent } from '@ossim/eventlog';
import {
  CREATING_NRS,
  createRunCounter,
  defineOs,
  KernelError,
  mapTids,
  type OsVariant,
  PRESETS,
  SCENARIOS,
  type ScenarioName,
  type Workload,
  workloadFromStrace,
} from '@ossim/kernel';
import { openFile } from '../load.ts';
import type { EventRow, IndexColumns, Moment, RunCounters, SessionInfo, Snapshot, Source, WalkView } from '../protocol.ts';
import { SCENARIO_SEED, SCENARIO_UNTIL_NS, scenarioRuns } from '../scenarios.ts';
import { createEventStore, type EventStore } from './eventStore.ts';
import { advance, type Checkpoint, createPositioned, createSeeker, type Seeker, type SessionInputs, takeCheckpoint } from './seek.ts';
import {
  addressSpaces,
  cpuViews,
  framesLeft,
  kernelStackPicture,
  type LeftFrames,
  pageWalk,
  procStackText,
  psText,
  taskRows,
  userStackPicture,
} from './snapshot.ts';
import { createTimelineBuilder, type TimelineData } from './timeline.ts';

/** A checkpoint every this many events during the first pass: a seek re-executes at most this many (about 50 ms in Chromium on this machine). */
export const CHECKPOINT_EVERY = 10_000;

/** A loaded run: its inputs, every event (compactly), the timeline, and a seeker for any moment. */
export interface Session {
  readonly info: SessionInfo;
  readonly inputs: SessionInputs;
  readonly store: EventStore;
  readonly timeline: TimelineData;
  readonly seeker: Seeker;
  /** For a recording: the recorded events are checked against the re-executed ones at each seek. */
  readonly recorded: boolean;
}

const outcomeOf = (events: { oops: boolean; panic: boolean; overflow: boolean }): string =>
  events.overflow ? 'overflow' : events.panic ? 'panic' : events.oops ? 'oops' : 'ok';

/** The inputs a source runs with, and its label. */
function inputsOf(source: Source & { kind: 'scenario' }): { inputs: SessionInputs; label: string } {
  if (!(SCENARIOS as readonly string[]).includes(source.scenario)) {
    throw new KernelError('unknown-scenario', `unknown scenario ${JSON.stringify(source.scenario)} (one of ${SCENARIOS.join(', ')})`);
  }
  const runs = scenarioRuns(source.scenario as ScenarioName);
  const run = runs[source.run] ?? runs[0];
  if (run === undefined) throw new Error(`scenario ${source.scenario} has no runs`);
  const os = source.os ?? run.os;
  return {
    inputs: { os, workload: run.workload, seed: SCENARIO_SEED, untilNs: SCENARIO_UNTIL_NS },
    label: `${source.scenario} on ${source.os === null ? run.label : os.name}`,
  };
}

/**
 * Loads a source: runs it (a scenario or a strace log's workload) or reads it (a recording),
 * folding every event into the store and the timeline; checkpoints every
 * {@link CHECKPOINT_EVERY} events when the kernel offers them.
 */
export async function loadSession(
  source: Source,
  progress: (events: number, phase: string) => void,
  options: { checkpointEvery?: number } = {},
): Promise<Session> {
  const checkpointEvery = options.checkpointEvery ?? CHECKPOINT_EVERY;
  const t0 = performance.now();
  const store = createEventStore();
  const timeline = createTimelineBuilder();
  const flags = { oops: false, panic: false, overflow: false };
  const fold = (e: OssimEvent): void => {
    store.add(e);
    timeline.event(e);
    if (e.type === 'kernel.oops') flags.oops = true;
    else if (e.type === 'kernel.panic') flags.panic = true;
    else if (e.type === 'kstack.overflow') flags.overflow = true;
  };
  let inputs: SessionInputs;
  let label: string;
  let tidMap: Record<string, number> | null = null;
  let result: { outcome: string; cause: string | null; endNs: number };
  const checkpoints: Checkpoint[] = [];
  let recorded = false;

  const run = (extra?: (e: OssimEvent) => void): { outcome: string; cause: string | null; endNs: number } => {
    const p = createPositioned(inputs);
    p.each =
      extra === undefined
        ? fold
        : (e) => {
            fold(e);
            extra(e);
          };
    for (let target = checkpointEvery; !p.ended; target += checkpointEvery) {
      advance(p, inputs, target);
      progress(store.size, 'run');
      if (!p.ended && p.view.seq === target) checkpoints.push(takeCheckpoint(p));
    }
    const r = p.result;
    return { outcome: r?.outcome ?? 'ok', cause: r?.cause ?? null, endNs: r?.simulatedNs ?? p.view.time };
  };

  if (source.kind === 'scenario') {
    ({ inputs, label } = inputsOf(source));
    result = run();
  } else {
    const file = await openFile(source.name, new Uint8Array(source.bytes));
    if (file.kind === 'recording') {
      const recordedInputs = file.header.inputs;
      let os: OsVariant;
      try {
        os = defineOs(recordedInputs.os as OsVariant);
      } catch (e) {
        throw new Error(`the recorded OS variant is not valid: ${(e as Error).message}`);
      }
      inputs = {
        os,
        workload: recordedInputs.workload as Workload,
        seed: recordedInputs.seed,
        untilNs: recordedInputs.untilNs ?? 10_000_000_000,
      };
      label = source.name;
      recorded = true;
      let last = 0;
      for await (const batch of file.batches) {
        for (const e of batch) fold(e);
        if (store.size - last >= 50_000) {
          last = store.size;
          progress(store.size, 'read');
        }
      }
      const cols = store.columns();
      result = { outcome: outcomeOf(flags), cause: null, endNs: cols.times[cols.times.length - 1] ?? 0 };
    } else if (file.kind === 'workload') {
      // As `ossim run <workload.json|program.s>`: the chosen variant (default i386), seed 1, until 10 s.
      const os = source.kind === 'strace' && source.os !== null ? source.os : PRESETS.i386;
      inputs = { os, workload: file.workload, seed: 1, untilNs: 10_000_000_000 };
      label = `${source.name} on ${os.name}`;
      result = run();
    } else {
      const base = source.name.replace(/^.*\//, '').replace(/\.[^.]*$/, '') || 'strace';
      const imported = workloadFromStrace(file.log, `strace:${base}`);
      const os = source.kind === 'strace' && source.os !== null ? source.os : defineOs({ ...PRESETS.x86_64 });
      inputs = { os, workload: imported.workload, seed: 1, untilNs: Math.max(10_000_000_000, 4 * imported.spanNs + 1_000_000_000) };
      label = `${source.name} on ${os.name}`;
      const created = new Map<number, number[]>();
      result = run((e) => {
        if (e.type !== 'syscall.exit' || !CREATING_NRS.has(e.nr) || e.ret <= 0) return;
        created.set(e.tid, [...(created.get(e.tid) ?? []), e.ret]);
      });
      tidMap = Object.fromEntries([...mapTids(imported, created)].map(([o, s]) => [String(o), s]));
    }
  }
  const data = timeline.finish(result.endNs);
  const seeker = createSeeker(inputs, { checkpoints });
  return {
    info: {
      label,
      os: inputs.os,
      workloadName: inputs.workload.name,
      seed: inputs.seed,
      untilNs: inputs.untilNs,
      events: store.size,
      endNs: data.endNs,
      cpus: data.cpus,
      outcome: result.outcome,
      cause: result.cause,
      tidMap,
      loadMs: Math.round(performance.now() - t0),
      checkpoints: checkpoints.length,
    },
    inputs,
    store,
    timeline: data,
    seeker,
    recorded,
  };
}

/** The columns of the session's index, for the page. */
export const indexOf = (s: Session): IndexColumns => s.store.columns();

/** Everything the views show at a moment. */
export function snapshotAt(s: Session, moment: Moment, tid: number | null, window: number): Snapshot {
  const seq = Math.max(0, Math.min(moment.seq, s.store.size));
  const t0 = performance.now();
  // On a single shared stack: what the thread left there when it was switched out, to show what others overwrote.
  let left: LeftFrames | null = null;
  if (tid !== null && s.inputs.os.stackAllocator === 'single') {
    const out = s.store.findLastWhere('sched.switch', seq, (line) => line.includes(`"prevTid":${tid},`));
    const line = out === 0 ? undefined : s.store.line(out);
    if (line !== undefined) {
      // Read just before the switch: the next task's first entry may be copied onto the shared stack during it.
      const at = s.seeker.at(out - 1);
      left = framesLeft(at.kernel, tid, (JSON.parse(line) as { cpu: number }).cpu, out);
    }
  }
  const p = s.seeker.at(seq);
  if (s.recorded && p.view.seq > 0 && p.view.seq === seq) {
    const line = s.store.line(seq);
    const recordedEvent = line === undefined ? undefined : (JSON.parse(line) as OssimEvent);
    if (recordedEvent !== undefined && recordedEvent.time !== p.view.time) {
      throw new Error(`re-executing the inputs does not reach seq ${seq} as recorded (run ossim replay --verify on the file)`);
    }
  }
  const t1 = performance.now();
  const executed: string[] = [];
  if (moment.insns > 0) {
    // The instructions the run executes next, one at a time (all CPUs, in the order they interleave):
    // the kernel's own stepping, so timers fire and interrupts arrive as in the run. Events they emit
    // wait in `pending`; the kernel has left seq N behind and is not reused for other seeks.
    const before = p.pending.length;
    const machine = p.kernel.machine;
    p.pausing = true;
    p.dirty = true;
    for (let i = 0; i < moment.insns; i++) {
      const was = machine.cpus.map((c) => ({ pc: c.pc >>> 0, n: c.instructions }));
      let next: string[] = [];
      try {
        next = cpuViews(p.kernel, p.view).map((v) => v.next);
      } catch {
        next = [];
      }
      p.kernel.run({ until: s.inputs.untilNs, instructions: 1 });
      const cpu = machine.cpus.findIndex((c, k) => c.instructions !== was[k]?.n);
      if (cpu < 0) {
        executed.push('the run is over: no instruction is left to execute');
        break;
      }
      const where = `${machine.cpus.length > 1 ? `CPU ${cpu} ` : ''}${p.kernel.symbols.symbolize(was[cpu]?.pc ?? 0)}`;
      executed.push(`${where}: ${next[cpu] ?? ''}`);
    }
    for (const e of p.pending.slice(before)) executed.push(`  -> event ${e.seq} ${e.type}`);
  }
  const view = p.view;
  // Without a thread asked for, the first of the workload's (else any but idle), so the page needs no second request.
  const tasks = Object.values(view.tasks).sort((a, b) => a.tid - b.tid);
  const fallback = tasks.find((t) => t.pid >= 3 && !t.kernelThread) ?? tasks.find((t) => t.tid !== 0);
  const chosen = tid === null ? (fallback?.tid ?? null) : view.tasks[String(tid)] !== undefined ? tid : null;
  const pictures = chosen === null ? null : kernelStackPicture(p.kernel, view, chosen, left);
  const half = Math.floor(window / 2);
  const events: EventRow[] = s.store.query(Math.max(1, seq - half), window, { types: [], search: '' }).rows;
  const overflowSeq = s.store.findLast('kstack.overflow', view.seq);
  const overflowLine = overflowSeq === 0 ? undefined : s.store.line(overflowSeq);
  if (overflowLine !== undefined && pictures !== null) {
    const o = JSON.parse(overflowLine) as {
      how: string;
      faultAddress: number | null;
      detectedIn: string;
      tid: number | null;
      stack: string;
      evidence: string[];
    };
    if (o.tid === chosen) {
      const at = o.faultAddress === null ? '' : `, fault address 0x${(o.faultAddress >>> 0).toString(16).padStart(8, '0')}`;
      (pictures.own.notes as string[]).unshift(
        `kstack.overflow at seq ${overflowSeq}: ${o.how} on the ${o.stack} stack${at}, detected in ${o.detectedIn} (evidence: ${o.evidence.join(', ')})`,
      );
    }
  }
  const oopsSeq = s.store.findLast('kernel.oops', view.seq);
  const oopsLine = oopsSeq === 0 ? undefined : s.store.line(oopsSeq);
  const oops = oopsLine === undefined ? null : `seq ${oopsSeq}: ${(JSON.parse(oopsLine) as { message: string }).message}`;
  return {
    seq: view.seq,
    insns: moment.insns,
    time: view.time,
    tid: chosen,
    tasks: taskRows(view),
    ps: psText(view),
    procStack: chosen === null ? '' : procStackText(p.kernel, view, chosen),
    kernelStack: pictures?.own ?? null,
    otherStack: pictures?.other ?? null,
    userStack: chosen === null ? null : userStackPicture(p.kernel, view, chosen),
    spaces: addressSpaces(p.kernel, view),
    cpus: cpuViews(p.kernel, view),
    executed,
    events,
    kernelStackKb: view.kernelStackKb,
    oops,
    timing: { seekMs: Math.round(t1 - t0), viewsMs: Math.round(performance.now() - t1), fromSeq: s.seeker.lastStart },
  };
}

/** The page-table walk of `vaddr` in process `pid` at `seq`. */
export function walkAt(s: Session, seq: number, pid: number, vaddr: number): WalkView {
  const p = s.seeker.at(seq);
  return pageWalk(p.kernel, p.view, pid, vaddr);
}

/** Runs the session's inputs on a variant to the end, counting what the compare view shows. */
export function countersOf(inputs: SessionInputs, os: OsVariant): RunCounters {
  const p = createPositioned({ ...inputs, os });
  const counter = createRunCounter();
  p.each = (e) => counter.add(e);
  advance(p, { ...inputs, os }, Number.MAX_SAFE_INTEGER);
  const r = p.result;
  return counter.result(os.name, { outcome: r?.outcome ?? 'ok', cause: r?.cause ?? null, simulatedNs: r?.simulatedNs ?? p.view.time });
}
