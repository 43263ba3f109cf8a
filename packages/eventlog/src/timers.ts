import { PriorityQueue } from '@datastructures-js/priority-queue';
import type { EventMap, EventMapBase } from './events.ts';
import type { EventLog } from './log.ts';

/** A timer waiting in the queue: the event it will append, and when. */
export interface PendingTimer {
  /** Identifies the timer; also its place among timers due at the same time. */
  readonly id: number;
  /** Simulated time, in ns, at which the event fires. */
  readonly time: number;
  readonly type: string;
  readonly payload: object;
}

/** The saved form of a timer queue (see {@link TimerQueue.save}). */
export interface TimerQueueState {
  readonly nextId: number;
  readonly pending: readonly PendingTimer[];
}

/**
 * Events scheduled for a future simulated time. They fire in (time, id) order: by
 * time, and in scheduling order among equal times.
 */
export interface TimerQueue<M extends EventMapBase = EventMap> {
  /** Schedules `type` with `payload` to be appended at `time`. Returns the timer's id. */
  schedule<K extends keyof M & string>(time: number, type: K, payload: M[K]): number;
  /** Cancels a pending timer. Returns false when it already fired or was cancelled. */
  cancel(id: number): boolean;
  /** The time of the next pending timer, or undefined when there is none. */
  nextTime(): number | undefined;
  /** Advances the clock to the next timer and appends its event. False when none is pending. */
  fireNext(): boolean;
  /** Fires, in order, every timer due at or before `time`, then advances the clock to `time`. */
  runUntil(time: number): number;
  /** Number of pending timers. */
  readonly size: number;
  /** The pending timers in firing order, as plain data. */
  save(): TimerQueueState;
  /** Replaces the pending timers by a saved set. */
  load(state: TimerQueueState): void;
}

const order = (a: PendingTimer, b: PendingTimer): number => a.time - b.time || a.id - b.id;

/**
 * Creates a timer queue that appends its events to `log`.
 *
 * @example
 * ```ts
 * const timers = createTimerQueue(log);
 * timers.schedule(4_000_000, 'log.marker', { label: 'tick' });
 * timers.fireNext(); // clock at 4 ms, marker appended
 * ```
 */
export function createTimerQueue<M extends EventMapBase = EventMap>(log: EventLog<M>): TimerQueue<M> {
  let heap = new PriorityQueue<PendingTimer>(order);
  const live = new Set<number>();
  let nextId = 1;

  const skipCancelled = (): PendingTimer | null => {
    let top = heap.front();
    while (top !== null && !live.has(top.id)) {
      heap.dequeue();
      top = heap.front();
    }
    return top;
  };

  const fire = (timer: PendingTimer): void => {
    heap.dequeue();
    live.delete(timer.id);
    log.clock.advanceTo(timer.time);
    log.emit(timer.type as keyof M & string, timer.payload as M[keyof M & string]);
  };

  return {
    schedule(time, type, payload) {
      if (!Number.isSafeInteger(time) || time < log.clock.now) {
        throw new RangeError(`cannot schedule ${type} at ${time} ns: the clock is at ${log.clock.now} ns`);
      }
      const id = nextId++;
      heap.enqueue({ id, time, type, payload: payload as object });
      live.add(id);
      return id;
    },
    cancel(id) {
      return live.delete(id);
    },
    nextTime() {
      return skipCancelled()?.time;
    },
    fireNext() {
      const top = skipCancelled();
      if (top === null) return false;
      fire(top);
      return true;
    },
    runUntil(time) {
      let fired = 0;
      for (let top = skipCancelled(); top !== null && top.time <= time; top = skipCancelled()) {
        fire(top);
        fired++;
      }
      log.clock.advanceTo(time);
      return fired;
    },
    get size() {
      return live.size;
    },
    save() {
      const pending = heap
        .toArray()
        .filter((t) => live.has(t.id))
        .sort(order)
        .map((t) => ({ id: t.id, time: t.time, type: t.type, payload: structuredClone(t.payload) }));
      return { nextId, pending };
    },
    load(state) {
      heap = new PriorityQueue<PendingTimer>(order);
      live.clear();
      for (const t of state.pending) {
        heap.enqueue({ id: t.id, time: t.time, type: t.type, payload: structuredClone(t.payload) });
        live.add(t.id);
      }
      nextId = state.nextId;
    },
  };
}
