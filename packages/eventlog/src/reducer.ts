import { enablePatches, type Patch, produce, produceWithPatches } from 'immer';
import type { OssimEvent } from './events.ts';

/**
 * A reducer is an immer-style recipe: it mutates `draft` to account for `event`
 * and returns nothing. The same function runs in place on mutable state (the hot
 * path) and through immer's `produce` (immutable snapshots, time travel).
 */
export type Reducer<S, E = OssimEvent> = (draft: S, event: E) => void;

/** Applies `event` to `state` in place and returns `state`. */
export function reduceInPlace<S, E>(reducer: Reducer<S, E>, state: S, event: E): S {
  reducer(state, event);
  return state;
}

/** Applies `event` to an immutable `state` through immer: a new state sharing what did not change. */
export function reduceImmutable<S, E>(reducer: Reducer<S, E>, state: S, event: E): S {
  return produce(state, (draft) => {
    reducer(draft as S, event);
  });
}

/** Like {@link reduceImmutable}, also returning immer patches and inverse patches (for stepping back). */
export function reduceWithPatches<S, E>(reducer: Reducer<S, E>, state: S, event: E): [S, Patch[], Patch[]] {
  enablePatches();
  return produceWithPatches(state, (draft) => {
    reducer(draft as S, event);
  }) as [S, Patch[], Patch[]];
}

/**
 * Combines reducers of slices into a reducer of an object holding them. Each slice
 * reducer sees every event, in the order of `reducers`' keys.
 *
 * @example
 * ```ts
 * const reducer = combineReducers({ tasks: tasksReducer, clock: clockReducer });
 * ```
 */
export function combineReducers<S extends Record<string, unknown>, E = OssimEvent>(
  reducers: { [K in keyof S]: Reducer<S[K], E> },
): Reducer<S, E> {
  const entries = Object.entries(reducers) as [keyof S, Reducer<unknown, E>][];
  return (draft, event) => {
    for (const [key, reducer] of entries) reducer(draft[key], event);
  };
}

export type { Patch } from 'immer';
