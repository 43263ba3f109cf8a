/**
 * The event registry. Every ossim package declares the payloads of the events it
 * publishes by augmenting {@link EventMap}; together they form one discriminated
 * union, {@link OssimEvent}, that the compiler checks everywhere.
 *
 * @example
 * ```ts
 * declare module '@ossim/eventlog' {
 *   interface EventMap {
 *     'cpu.halt': { cpu: number; pc: number };
 *   }
 * }
 * ```
 */
export interface EventMap {
  /** A free-form annotation: scenario steps, narration anchors, test markers. */
  'log.marker': { label: string };
}

/** A map from event type to payload; {@link EventMap} is the global one. */
export type EventMapBase = object;

/** The envelope the log adds to every payload. */
export interface EventEnvelope<K extends string = string> {
  /** Position in the log, assigned by the log: 1, 2, 3, ... without gaps. */
  readonly seq: number;
  /** Simulated time in integer nanoseconds when the event was appended. */
  readonly time: number;
  /** Namespaced type: `cpu.trap_enter`, `mmu.page_fault`, `sched.switch`, ... */
  readonly type: K;
}

/** The event of type `K` of map `M`: envelope plus payload. */
export type EventOf<M extends EventMapBase, K extends keyof M & string> = EventEnvelope<K> & M[K];

/** Every event of map `M`, as a discriminated union on `type`. */
export type AnyEvent<M extends EventMapBase> = { [K in keyof M & string]: EventOf<M, K> }[keyof M & string];

/** Every event any installed ossim package declares. */
export type OssimEvent = AnyEvent<EventMap>;

/** The type names of {@link EventMap}. */
export type EventType = keyof EventMap & string;

/**
 * Inputs are what the outside world feeds a run (injected interrupts, device
 * completions given by the workload); facts are everything the simulation derived.
 * By convention an input's type lives in the `input.` namespace.
 */
export function isInputType(type: string): boolean {
  return type.startsWith('input.');
}
