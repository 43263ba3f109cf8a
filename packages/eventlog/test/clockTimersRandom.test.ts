import { describe, expect, it } from 'vitest';
import { createClock, createEventLog, createRandom, createTimerQueue, EventlogError } from '../src/index.ts';

interface M {
  fire: { label: string };
}

describe('simulated clock', () => {
  it('moves only forward, in integer nanoseconds', () => {
    const clock = createClock(10);
    clock.advanceBy(5);
    clock.advanceTo(100);
    expect(clock.now).toBe(100);
    expect(() => clock.advanceTo(99)).toThrow(EventlogError);
    expect(() => clock.advanceBy(1.5)).toThrow(/integer/);
    expect(() => createClock(-1)).toThrow(/non-negative/);
  });
});

describe('timer queue', () => {
  const setup = () => {
    const log = createEventLog<M>({ clock: createClock() });
    const timers = createTimerQueue(log);
    const fired: string[] = [];
    log.on('fire', (e) => fired.push(`${e.time}:${e.label}`));
    return { log, timers, fired };
  };

  it('fires in (time, scheduling order) order and advances the clock', () => {
    const { log, timers, fired } = setup();
    timers.schedule(300, 'fire', { label: 'c' });
    timers.schedule(100, 'fire', { label: 'a' });
    timers.schedule(300, 'fire', { label: 'd' });
    timers.schedule(100, 'fire', { label: 'b' });
    while (timers.fireNext()) {}
    expect(fired).toEqual(['100:a', '100:b', '300:c', '300:d']);
    expect(log.clock.now).toBe(300);
  });

  it('cancels pending timers and never fires them', () => {
    const { timers, fired } = setup();
    const id = timers.schedule(50, 'fire', { label: 'x' });
    timers.schedule(60, 'fire', { label: 'y' });
    expect(timers.cancel(id)).toBe(true);
    expect(timers.cancel(id)).toBe(false);
    expect(timers.size).toBe(1);
    expect(timers.nextTime()).toBe(60);
    timers.runUntil(1000);
    expect(fired).toEqual(['60:y']);
  });

  it('runUntil fires what is due and leaves the clock at the given time', () => {
    const { log, timers, fired } = setup();
    timers.schedule(10, 'fire', { label: 'a' });
    timers.schedule(20, 'fire', { label: 'b' });
    timers.schedule(30, 'fire', { label: 'c' });
    expect(timers.runUntil(20)).toBe(2);
    expect(log.clock.now).toBe(20);
    expect(fired).toEqual(['10:a', '20:b']);
    expect(() => timers.schedule(5, 'fire', { label: 'late' })).toThrow(RangeError);
  });

  it('timers scheduled by handlers for the current time fire after the ones already due', () => {
    const { log, timers, fired } = setup();
    log.on('fire', (e) => {
      if (e.label === 'a') timers.schedule(e.time, 'fire', { label: 'a2' });
    });
    timers.schedule(10, 'fire', { label: 'a' });
    timers.schedule(10, 'fire', { label: 'b' });
    timers.runUntil(10);
    expect(fired).toEqual(['10:a', '10:b', '10:a2']);
  });

  it('saves and loads its pending timers', () => {
    const { timers } = setup();
    timers.schedule(10, 'fire', { label: 'a' });
    const gone = timers.schedule(20, 'fire', { label: 'b' });
    timers.schedule(5, 'fire', { label: 'c' });
    timers.cancel(gone);
    const saved = timers.save();
    expect(saved.pending.map((t) => t.time)).toEqual([5, 10]);
    const other = setup();
    other.timers.load(saved);
    other.timers.runUntil(100);
    expect(other.fired).toEqual(['5:c', '10:a']);
  });
});

describe('seeded random', () => {
  const draw = (seed: number, names: string[]) => {
    const rng = createRandom(seed);
    return names.map((n) => Array.from({ length: 5 }, () => rng.fork(n).int(0, 1_000_000)));
  };

  it('gives the same numbers for the same seed and different ones for another', () => {
    expect(draw(7, ['a', 'b'])).toEqual(draw(7, ['a', 'b']));
    expect(draw(7, ['a'])).not.toEqual(draw(8, ['a']));
  });

  it('forks streams that a new consumer cannot shift', () => {
    const lone = createRandom(3);
    const alone = Array.from({ length: 10 }, () => lone.fork('disk').int(0, 1e9));
    const busy = createRandom(3);
    const cpu = busy.fork('cpu');
    const mixed: number[] = [];
    for (let i = 0; i < 10; i++) {
      cpu.int(0, 10);
      busy.fork('net').float();
      mixed.push(busy.fork('disk').int(0, 1e9));
    }
    expect(mixed).toEqual(alone);
    expect(busy.fork('cpu').fork('0').path).toBe('cpu/0');
  });

  it('draws within bounds: ints inclusive, floats in [0, 1)', () => {
    const rng = createRandom(11);
    for (let i = 0; i < 2000; i++) {
      const n = rng.int(-3, 3);
      expect(n).toBeGreaterThanOrEqual(-3);
      expect(n).toBeLessThanOrEqual(3);
      const f = rng.float();
      expect(f).toBeGreaterThanOrEqual(0);
      expect(f).toBeLessThan(1);
    }
    expect(rng.chance(0)).toBe(false);
    expect(rng.chance(1)).toBe(true);
  });

  it('saves and restores every stream', () => {
    const rng = createRandom(5);
    rng.fork('a').int(0, 100);
    rng.int(0, 100);
    const saved = rng.save();
    const expected = [rng.fork('a').int(0, 1e6), rng.int(0, 1e6), rng.fork('b').int(0, 1e6)];
    const again = createRandom(5);
    again.load(saved);
    expect([again.fork('a').int(0, 1e6), again.int(0, 1e6), again.fork('b').int(0, 1e6)]).toEqual(expected);
  });

  it('rejects bad seeds and stream names', () => {
    expect(() => createRandom(1.5)).toThrow(RangeError);
    expect(() => createRandom(1).fork('a/b')).toThrow(RangeError);
  });
});
