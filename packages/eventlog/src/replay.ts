import type { OssimEvent } from './events.ts';
import { isInputType } from './events.ts';
import { firstDifference } from './internal/jsonEqual.ts';
import { type Reducer, reduceImmutable } from './reducer.ts';
import type { TraceInputs, TraceReader } from './trace.ts';

type Events<E> = Iterable<E> | AsyncIterable<E>;

/** Options of {@link refold}. */
export interface RefoldOptions {
  /** Stop after the event with this seq (default: the whole stream). */
  readonly untilSeq?: number;
  /** Fold through immer's `produce` (immutable states sharing structure) instead of in place. */
  readonly immutable?: boolean;
  /** Called with the state after every event (e.g. to keep periodic snapshots). */
  readonly onEvent?: (event: OssimEvent) => void;
}

/**
 * Re-fold: streams events through a reducer and returns the state after the last
 * one (or after `untilSeq`), with the seq it reached. `initial` is only mutated
 * when folding in place.
 *
 * @example
 * ```ts
 * const trace = await openTraceFile('run.ndjson.gz');
 * const { state } = await refold(trace.events, tasksReducer, { tasks: {} }, { untilSeq: 1200 });
 * ```
 */
export async function refold<S, E extends { readonly seq: number } = OssimEvent>(
  events: Events<E>,
  reducer: Reducer<S, E>,
  initial: S,
  options: RefoldOptions = {},
): Promise<{ state: S; seq: number }> {
  const until = options.untilSeq ?? Number.POSITIVE_INFINITY;
  let state = initial;
  let seq = 0;
  const step = (event: E): boolean => {
    if (event.seq > until) return false;
    if (options.immutable) state = reduceImmutable(reducer, state, event);
    else reducer(state, event);
    seq = event.seq;
    options.onEvent?.(event as unknown as OssimEvent);
    return true;
  };
  if (Symbol.asyncIterator in events) {
    for await (const event of events) if (!step(event)) break;
  } else {
    // In-memory events fold without a microtask per event.
    for (const event of events) if (!step(event)) break;
  }
  return { state, seq };
}

/** The first place where a re-execution and its recording disagree. */
export interface Divergence {
  /**
   * `mismatch`: both have an event at `seq` and they differ; `missing`: the re-run
   * ended before the recording; `extra`: the re-run went on past the recording's end.
   */
  readonly kind: 'mismatch' | 'missing' | 'extra';
  readonly seq: number;
  /** The recorded event (undefined for `extra`). */
  readonly expected: OssimEvent | undefined;
  /** The re-executed event (undefined for `missing`). */
  readonly actual: OssimEvent | undefined;
  /** The path of the first field that differs (`"type"`, `"payload.sp"`, ...), for `mismatch`. */
  readonly field: string | undefined;
  /** The events just before the divergence (up to 10), oldest first, from the recording. */
  readonly before: readonly OssimEvent[];
}

/** The result of comparing a re-execution with its recording. */
export interface ReexecuteResult {
  /** Number of events that matched. */
  readonly matched: number;
  readonly divergence: Divergence | null;
}

/**
 * Compares two event streams one by one and reports the first divergence, with the
 * `context` (default 10) events that came before it.
 */
export async function compareEvents(
  expected: Events<OssimEvent>,
  actual: Events<OssimEvent>,
  options: { context?: number } = {},
): Promise<ReexecuteResult> {
  const context = options.context ?? 10;
  const before: OssimEvent[] = [];
  const actualIt = iterate(actual);
  let matched = 0;
  try {
    for await (const e of expected) {
      const a = await actualIt.next();
      if (a.done) return { matched, divergence: { kind: 'missing', seq: e.seq, expected: e, actual: undefined, field: undefined, before } };
      const field = firstDifference(e, a.value);
      if (field !== undefined)
        return { matched, divergence: { kind: 'mismatch', seq: e.seq, expected: e, actual: a.value, field, before } };
      matched++;
      before.push(e);
      if (before.length > context) before.shift();
    }
    const extra = await actualIt.next();
    if (!extra.done) {
      return {
        matched,
        divergence: { kind: 'extra', seq: extra.value.seq, expected: undefined, actual: extra.value, field: undefined, before },
      };
    }
    return { matched, divergence: null };
  } finally {
    await actualIt.return?.();
  }
}

/** Runs a recording's inputs again; returns the events it derives, in order. */
export type Execute = (inputs: TraceInputs, inputEvents: readonly OssimEvent[]) => Events<OssimEvent>;

/**
 * Re-execute: reads the recording's inputs (its header and its `input.*` events),
 * runs them again through `execute`, and compares every event with the recording.
 * `open` is called twice (a first pass gathers the input events), so it must open
 * the trace anew each time.
 *
 * @example
 * ```ts
 * const result = await reexecute(() => openTraceFile(path), (inputs) => runKernel(inputs));
 * if (result.divergence) console.log(`diverged at seq ${result.divergence.seq}`);
 * ```
 */
export async function reexecute(
  open: () => Promise<TraceReader> | TraceReader,
  execute: Execute,
  options: { context?: number } = {},
): Promise<ReexecuteResult> {
  const first = await open();
  const inputEvents: OssimEvent[] = [];
  for await (const e of first.events) if (isInputType(e.type)) inputEvents.push(e);
  const trace = await open();
  return compareEvents(trace.events, execute(trace.header.inputs, inputEvents), options);
}

function iterate<E>(events: Events<E>): AsyncIterator<E> | Iterator<E> {
  return Symbol.asyncIterator in events ? (events as AsyncIterable<E>)[Symbol.asyncIterator]() : (events as Iterable<E>)[Symbol.iterator]();
}
