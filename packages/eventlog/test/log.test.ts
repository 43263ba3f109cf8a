import { filter, lastValueFrom, map, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createClock, createEventLog } from '../src/index.ts';

interface M {
  a: { n: number };
  b: { n: number };
  c: { n: number };
}

describe('event log', () => {
  it('assigns seq from 1 without gaps and stamps simulated time', () => {
    const clock = createClock();
    const log = createEventLog<M>({ clock });
    const first = log.emit('a', { n: 1 });
    clock.advanceBy(250);
    const second = log.emit('b', { n: 2 });
    expect(first).toEqual({ seq: 1, time: 0, type: 'a', n: 1 });
    expect(second).toEqual({ seq: 2, time: 250, type: 'b', n: 2 });
    expect(Object.keys(second)).toEqual(['seq', 'time', 'type', 'n']);
    expect(log.lastSeq).toBe(2);
  });

  it('appends a whole event like emit: seq and time assigned, the same keys in the same order, FIFO behind the current one', () => {
    const clock = createClock();
    const log = createEventLog<M>({ clock });
    const seen: string[] = [];
    log.listen((e) => {
      seen.push(`${e.type}:${e.seq}`);
      if (e.seq === 1) log.append({ seq: 0, time: 0, type: 'c', n: 3 });
    });
    clock.advanceBy(100);
    const first = log.append({ seq: 0, time: 0, type: 'a', n: 1 });
    const second = log.emit('b', { n: 2 });
    expect(first).toEqual({ seq: 1, time: 100, type: 'a', n: 1 });
    expect(JSON.stringify(first)).toBe(JSON.stringify(log.emit('a', { n: 1 })).replace('"seq":4', '"seq":1'));
    expect(second.seq).toBe(3);
    expect(seen).toEqual(['a:1', 'c:2', 'b:3', 'a:4']);
  });

  it('dispatches FIFO: events emitted while handling are delivered to every subscriber after the current one', () => {
    const log = createEventLog<M>({ clock: createClock() });
    const seen: string[] = [];
    log.listen((e) => {
      seen.push(`A:${e.seq}`);
      if (e.type === 'a') {
        log.emit('b', { n: 1 });
        log.emit('c', { n: 2 });
      }
    });
    log.on('b', (e) => {
      seen.push(`B:${e.seq}`);
      log.emit('c', { n: 3 });
    });
    log.listen((e) => seen.push(`C:${e.seq}`));
    log.emit('a', { n: 0 });
    // Depth-first would give A:1 A:2 B:2 ...; FIFO finishes seq 1 everywhere first.
    expect(seen).toEqual(['A:1', 'C:1', 'A:2', 'B:2', 'C:2', 'A:3', 'C:3', 'A:4', 'C:4']);
    expect(log.lastSeq).toBe(4);
    expect(log.dispatching).toBe(false);
  });

  it('calls subscribers in subscription order, whether they follow one type or all', () => {
    const log = createEventLog<M>({ clock: createClock() });
    const order: string[] = [];
    log.on('a', () => order.push('typed-1'));
    log.listen(() => order.push('all-2'));
    log.on('a', () => order.push('typed-3'));
    log.on('b', () => order.push('other'));
    log.emit('a', { n: 0 });
    expect(order).toEqual(['typed-1', 'all-2', 'typed-3']);
  });

  it('stops delivering after unsubscribe', () => {
    const log = createEventLog<M>({ clock: createClock() });
    const seen: number[] = [];
    const off = log.on('a', (e) => seen.push(e.n));
    log.emit('a', { n: 1 });
    off();
    log.emit('a', { n: 2 });
    expect(seen).toEqual([1]);
  });

  it('exposes the live events as rxjs Observables, all and by type', async () => {
    const log = createEventLog<M>({ clock: createClock() });
    const all = lastValueFrom(log.events$.pipe(take(3), toArray()));
    const bsDone = lastValueFrom(
      log.ofType('b', 'c').pipe(
        map((e) => `${e.type}${e.n}`),
        filter((s) => s !== 'c9'),
        take(2),
        toArray(),
      ),
    );
    log.emit('a', { n: 1 });
    log.emit('c', { n: 9 });
    log.emit('b', { n: 2 });
    log.emit('c', { n: 3 });
    expect((await all).map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(await bsDone).toEqual(['b2', 'c3']);
  });

  it('recovers when a handler throws: the error surfaces and the log keeps working', () => {
    const log = createEventLog<M>({ clock: createClock() });
    const off = log.on('a', () => {
      log.emit('b', { n: 1 });
      throw new Error('handler bug');
    });
    expect(() => log.emit('a', { n: 0 })).toThrow('handler bug');
    off();
    const seen: number[] = [];
    log.listen((e) => seen.push(e.seq));
    log.emit('c', { n: 0 });
    expect(log.dispatching).toBe(false);
    expect(seen).toEqual([3]);
  });

  it('resumes numbering after a given seq', () => {
    const log = createEventLog<M>({ clock: createClock() });
    log.resumeAfter(41);
    expect(log.emit('a', { n: 0 }).seq).toBe(42);
    expect(() => log.resumeAfter(-1)).toThrow(RangeError);
  });
});
