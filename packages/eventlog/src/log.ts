import { Observable } from 'rxjs';
import type { Clock } from './clock.ts';
import type { AnyEvent, EventMap, EventMapBase, EventOf } from './events.ts';

/** Stops a subscription. */
export type Unsubscribe = () => void;

/**
 * The append-only event log. It assigns `seq` and `time`, and dispatches every event
 * to its subscribers in one deterministic order.
 *
 * **FIFO dispatch**: an event emitted while another is being handled is queued and
 * delivered to every subscriber after the current event has reached all of them,
 * never depth-first. Subscribers are called in the order they subscribed,
 * whether they listen to every event or to one type.
 *
 * The log keeps no history of its own (that is what recorders and reducers are for),
 * so it costs nothing per event beyond the event object and the calls.
 */
export interface EventLog<M extends EventMapBase = EventMap> {
  /** The simulated clock that stamps `time`. */
  readonly clock: Clock;
  /** The seq of the last event appended (0 before the first). */
  readonly lastSeq: number;
  /** True while events are being delivered. */
  readonly dispatching: boolean;
  /**
   * Appends an event and dispatches it (now, or after the event being handled).
   * Returns the event as appended.
   */
  emit<K extends keyof M & string>(type: K, payload: M[K]): EventOf<M, K>;
  /**
   * Appends an event its emitter built whole, envelope first (`seq` and `time` are
   * placeholders the log overwrites), and dispatches it like {@link EventLog.emit}.
   * The same event as `emit(type, payload)` with the payload's keys in the same order,
   * without copying the payload into a new object: for emitters on a hot path.
   * Returns `event`, now appended.
   *
   * @example
   * ```ts
   * log.append({ seq: 0, time: 0, type: 'log.marker', label: 'hello' }); // seq and time assigned
   * ```
   */
  append<K extends keyof M & string>(event: { seq: number; time: number; type: K } & M[K]): EventOf<M, K>;
  /** Calls `handler` with every event. The fastest way to follow the log. */
  listen(handler: (event: AnyEvent<M>) => void): Unsubscribe;
  /** Calls `handler` with every event of `type`. */
  on<K extends keyof M & string>(type: K, handler: (event: EventOf<M, K>) => void): Unsubscribe;
  /** Every event as it is dispatched, as an rxjs Observable. */
  readonly events$: Observable<AnyEvent<M>>;
  /** The events of the given types, as an rxjs Observable. */
  ofType<K extends keyof M & string>(...types: K[]): Observable<EventOf<M, K>>;
  /** Continues numbering after `seq`: used when a run resumes from a snapshot. */
  resumeAfter(seq: number): void;
}

type Handler = (event: never) => void;

interface Subscription {
  readonly type: string | null;
  readonly handler: Handler;
}

/**
 * Creates an event log stamped by `clock`.
 *
 * @example
 * ```ts
 * const log = createEventLog({ clock: createClock() });
 * log.on('log.marker', (e) => console.log(e.seq, e.label));
 * log.emit('log.marker', { label: 'hello' }); // prints "1 hello"
 * ```
 */
export function createEventLog<M extends EventMapBase = EventMap>(options: { clock: Clock }): EventLog<M> {
  const { clock } = options;
  let seq = 0;
  let dispatching = false;
  const queue: AnyEvent<M>[] = [];
  let head = 0;
  const subscriptions: Subscription[] = [];
  // Handlers per type, in subscription order; rebuilt lazily after (un)subscribing.
  const byType = new Map<string, ((event: AnyEvent<M>) => void)[]>();

  const handlersFor = (type: string): ((event: AnyEvent<M>) => void)[] => {
    let list = byType.get(type);
    if (list === undefined) {
      list = [];
      for (const s of subscriptions) {
        if (s.type === null || s.type === type) list.push(s.handler as (event: AnyEvent<M>) => void);
      }
      byType.set(type, list);
    }
    return list;
  };

  const subscribe = (type: string | null, handler: Handler): Unsubscribe => {
    const sub: Subscription = { type, handler };
    subscriptions.push(sub);
    byType.clear();
    return () => {
      const i = subscriptions.indexOf(sub);
      if (i >= 0) {
        subscriptions.splice(i, 1);
        byType.clear();
      }
    };
  };

  const deliver = (event: AnyEvent<M>): void => {
    const list = handlersFor(event.type);
    for (let i = 0; i < list.length; i++) (list[i] as (event: AnyEvent<M>) => void)(event);
  };

  // Delivers `event` now, or queues it behind the event being delivered.
  const dispatch = (event: AnyEvent<M>): void => {
    if (dispatching) {
      queue.push(event);
      return;
    }
    dispatching = true;
    try {
      deliver(event);
      while (head < queue.length) deliver(queue[head++] as AnyEvent<M>);
    } finally {
      if (queue.length !== 0) {
        queue.length = 0;
        head = 0;
      }
      dispatching = false;
    }
  };

  const log: EventLog<M> = {
    clock,
    get lastSeq() {
      return seq;
    },
    get dispatching() {
      return dispatching;
    },
    emit(type, payload) {
      const event = { seq: ++seq, time: clock.now, type, ...payload } as unknown as AnyEvent<M>;
      dispatch(event);
      return event as never;
    },
    append(event) {
      event.seq = ++seq;
      event.time = clock.now;
      dispatch(event as unknown as AnyEvent<M>);
      return event as never;
    },
    listen(handler) {
      return subscribe(null, handler);
    },
    on(type, handler) {
      return subscribe(type, handler);
    },
    events$: new Observable<AnyEvent<M>>((subscriber) => subscribe(null, (event: AnyEvent<M>) => subscriber.next(event))),
    ofType(...types) {
      return new Observable((subscriber) => {
        const offs = types.map((type) => subscribe(type, (event: never) => subscriber.next(event)));
        return () => {
          for (const off of offs) off();
        };
      });
    },
    resumeAfter(after) {
      if (!Number.isSafeInteger(after) || after < 0) throw new RangeError(`resumeAfter: bad seq ${after}`);
      seq = after;
    },
  };
  return log;
}
