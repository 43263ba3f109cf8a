import { isDraft } from 'immer';
import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  combineReducers,
  type Reducer,
  reduceImmutable,
  reduceInPlace,
  reduceWithPatches,
  stateHash,
} from '../src/index.ts';

interface Ev {
  seq: number;
  type: 'spawn' | 'exit';
  tid: number;
}
interface Tasks {
  byTid: Record<string, { state: string }>;
  live: number;
}
const tasks: Reducer<Tasks, Ev> = (draft, e) => {
  if (e.type === 'spawn') {
    draft.byTid[e.tid] = { state: 'R' };
    draft.live++;
  } else {
    const t = draft.byTid[e.tid];
    if (t) t.state = 'Z';
    draft.live--;
  }
};
const counter: Reducer<{ n: number }, Ev> = (draft) => {
  draft.n++;
};
const events: Ev[] = [
  { seq: 1, type: 'spawn', tid: 1 },
  { seq: 2, type: 'spawn', tid: 2 },
  { seq: 3, type: 'exit', tid: 1 },
];

describe('reducers', () => {
  it('give the same state in place and through immer', () => {
    const mutable: Tasks = { byTid: {}, live: 0 };
    for (const e of events) reduceInPlace(tasks, mutable, e);
    let immutable: Tasks = { byTid: {}, live: 0 };
    const history = [immutable];
    for (const e of events) {
      immutable = reduceImmutable(tasks, immutable, e);
      history.push(immutable);
    }
    expect(immutable).toEqual(mutable);
    expect(immutable).toEqual({ byTid: { '1': { state: 'Z' }, '2': { state: 'R' } }, live: 1 });
    // Earlier states are untouched and share what did not change.
    expect(history[1]).toEqual({ byTid: { '1': { state: 'R' } }, live: 1 });
    expect(history[3]?.byTid['2']).toBe(history[2]?.byTid['2']);
    expect(isDraft(immutable)).toBe(false);
  });

  it('produce patches that undo a step', () => {
    const s0: Tasks = { byTid: { '1': { state: 'R' } }, live: 1 };
    const [s1, patches, inverse] = reduceWithPatches(tasks, s0, { seq: 9, type: 'exit', tid: 1 });
    expect(s1.byTid['1']?.state).toBe('Z');
    expect(patches.length).toBeGreaterThan(0);
    expect(inverse.map((p) => p.path.join('.'))).toContain('byTid.1.state');
  });

  it('combine into slices that each see every event', () => {
    const root = combineReducers<{ tasks: Tasks; count: { n: number } }, Ev>({ tasks, count: counter });
    const state = { tasks: { byTid: {}, live: 0 }, count: { n: 0 } };
    for (const e of events) root(state, e);
    expect(state.count.n).toBe(3);
    expect(state.tasks.live).toBe(1);
  });
});

describe('state hash', () => {
  it('does not depend on key order', () => {
    const a = { x: 1, y: { p: [1, 2, { q: 'r' }], o: null } };
    const b = { y: { o: null, p: [1, 2, { q: 'r' }] }, x: 1 };
    expect(stateHash(a)).toBe(stateHash(b));
    expect(canonicalJson(b)).toBe('{"x":1,"y":{"o":null,"p":[1,2,{"q":"r"}]}}');
    expect(stateHash(a)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes with any value, and with array order', () => {
    const base = stateHash({ a: [1, 2], b: 'x' });
    expect(stateHash({ a: [2, 1], b: 'x' })).not.toBe(base);
    expect(stateHash({ a: [1, 2], b: 'y' })).not.toBe(base);
    expect(stateHash({ a: [1, 2], b: 'x', c: 0 })).not.toBe(base);
  });
});
