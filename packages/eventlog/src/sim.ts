import { type Clock, createSettableClock } from './clock.ts';
import { EventlogError } from './errors.ts';
import type { AnyEvent, EventMap, EventMapBase } from './events.ts';
import { createEventLog, type EventLog } from './log.ts';
import { createRandom, type RandomRoot, type RandomState } from './random.ts';
import type { Reducer } from './reducer.ts';
import { createTimerQueue, type TimerQueue, type TimerQueueState } from './timers.ts';

/** A piece of simulation state that snapshots save and restore. Its state must be plain data. */
export interface SnapshotParticipant {
  save(): unknown;
  load(state: unknown): void;
}

/** Everything needed to continue a run from one point: taken between events, never during dispatch. */
export interface Snapshot {
  readonly version: 1;
  /** The seq of the last event before the snapshot. */
  readonly seq: number;
  /** Simulated time, in ns. */
  readonly time: number;
  readonly random: RandomState;
  readonly timers: TimerQueueState;
  /** The state of every registered participant (reducer states among them), by name. */
  readonly state: Readonly<Record<string, unknown>>;
}

/** A folded view of the log: the reducer's state, kept up to date in place. */
export interface Fold<S> {
  readonly name: string;
  readonly state: S;
}

/**
 * One run: a clock, an event log, a timer queue and a seeded random root, plus the
 * state that snapshots capture. Everything a simulation decides must come from
 * these, so that the same inputs give the same events, and a snapshot restored and
 * continued gives the same events as a run never interrupted.
 */
export interface Simulation<M extends EventMapBase = EventMap> {
  readonly clock: Clock;
  readonly log: EventLog<M>;
  readonly timers: TimerQueue<M>;
  readonly random: RandomRoot;
  /** Adds state to snapshots under `name`. */
  register(name: string, participant: SnapshotParticipant): void;
  /**
   * Folds every event into `initial` with `reducer`, in place, and includes the
   * state in snapshots. Subscribes now: create folds before the handlers that read them.
   */
  fold<S>(name: string, reducer: Reducer<S, AnyEvent<M>>, initial: S): Fold<S>;
  /** Fires the next timer. False when nothing is pending. */
  step(): boolean;
  /** Fires timers until none is pending, the clock would pass `until`, or `maxSteps` timers fired. */
  run(options?: { until?: number; maxSteps?: number }): number;
  /** Captures the run's state (deep-copied). */
  snapshot(): Snapshot;
  /**
   * Puts the run back in the state of `snapshot` (the same participants must be registered),
   * whether it was taken earlier in this run (seeking back: the clock moves back with it) or in another run of the same inputs.
   */
  restore(snapshot: Snapshot): void;
}

/**
 * Creates a simulation seeded with `seed`.
 *
 * @example
 * ```ts
 * const sim = createSimulation({ seed: 1 });
 * const count = sim.fold('count', (d: { n: number }) => { d.n++; }, { n: 0 });
 * sim.timers.schedule(1000, 'log.marker', { label: 'one' });
 * sim.run();
 * count.state.n; // 1
 * ```
 */
export function createSimulation<M extends EventMapBase = EventMap>(options: { seed: number; start?: number }): Simulation<M> {
  const clock = createSettableClock(options.start ?? 0);
  const log = createEventLog<M>({ clock });
  const timers = createTimerQueue(log);
  const random = createRandom(options.seed);
  const participants = new Map<string, SnapshotParticipant>();

  const register = (name: string, participant: SnapshotParticipant): void => {
    if (participants.has(name)) throw new Error(`a snapshot participant named ${JSON.stringify(name)} is already registered`);
    participants.set(name, participant);
  };

  return {
    clock,
    log,
    timers,
    random,
    register,
    fold(name, reducer, initial) {
      let state = initial;
      register(name, {
        save: () => state,
        load: (saved) => {
          state = saved as typeof state;
        },
      });
      log.listen((event) => reducer(state, event));
      return {
        name,
        get state() {
          return state;
        },
      };
    },
    step: () => timers.fireNext(),
    run(runOptions = {}) {
      const until = runOptions.until ?? Number.POSITIVE_INFINITY;
      const max = runOptions.maxSteps ?? Number.POSITIVE_INFINITY;
      let steps = 0;
      while (steps < max) {
        const next = timers.nextTime();
        if (next === undefined || next > until) break;
        timers.fireNext();
        steps++;
      }
      return steps;
    },
    snapshot() {
      if (log.dispatching) throw new EventlogError('bad-snapshot', 'a snapshot cannot be taken while an event is being dispatched');
      const state: Record<string, unknown> = {};
      for (const [name, p] of participants) state[name] = structuredClone(p.save());
      return { version: 1, seq: log.lastSeq, time: clock.now, random: random.save(), timers: timers.save(), state };
    },
    restore(snapshot) {
      if (snapshot.version !== 1) throw new EventlogError('bad-snapshot', `snapshot version ${String(snapshot.version)} is not supported`);
      for (const name of participants.keys()) {
        if (!(name in snapshot.state)) throw new EventlogError('bad-snapshot', `the snapshot has no state for ${JSON.stringify(name)}`);
      }
      for (const name of Object.keys(snapshot.state)) {
        if (!participants.has(name))
          throw new EventlogError('bad-snapshot', `the snapshot holds state for ${JSON.stringify(name)}, which this run does not register`);
      }
      // The snapshot may be earlier than now (seeking back in the same run): the simulation owns its clock.
      clock.set(snapshot.time);
      log.resumeAfter(snapshot.seq);
      random.load(snapshot.random);
      timers.load(snapshot.timers);
      for (const [name, p] of participants) p.load(structuredClone(snapshot.state[name]));
    },
  };
}

/**
 * The events a simulation appends, as an iterable that steps it on demand: a lazy
 * stream for {@link reexecute} that holds only the events of one step at a time.
 */
export function eventsOf<M extends EventMapBase>(sim: Pick<Simulation<M>, 'log' | 'step'>, start?: () => void): Iterable<AnyEvent<M>> {
  return {
    *[Symbol.iterator]() {
      let buffer: AnyEvent<M>[] = [];
      const off = sim.log.listen((event) => buffer.push(event));
      try {
        start?.();
        for (;;) {
          if (buffer.length > 0) {
            const out = buffer;
            buffer = [];
            yield* out;
            continue;
          }
          if (!sim.step()) break;
        }
      } finally {
        off();
      }
    },
  };
}
