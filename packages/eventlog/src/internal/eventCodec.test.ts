import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEventDecoder, createEventEncoder, type EncodedChunk } from './eventCodec.ts';

/** Encodes `events`, taking a chunk every `every` events, and decodes the chunks in order. */
function roundTrip(events: readonly { type: string }[], every: number): string {
  const encoder = createEventEncoder();
  const decode = createEventDecoder();
  const chunks: EncodedChunk[] = [];
  for (const [i, e] of events.entries()) {
    encoder.encode(e);
    if ((i + 1) % every === 0) {
      const c = encoder.take();
      if (c !== null) chunks.push(structuredClone(c));
    }
  }
  const last = encoder.take();
  if (last !== null) chunks.push(structuredClone(last));
  return chunks.map(decode).join('');
}

const lines = (events: readonly object[]): string => events.map((e) => `${JSON.stringify(e)}\n`).join('');

describe('the recorder’s event codec', () => {
  it('gives back exactly the lines JSON.stringify writes, whatever the payloads (property)', () => {
    const value = fc.letrec((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.double(),
        fc.integer(),
        fc.constantFrom(0, -0, 0xffffffff, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY),
        fc.string(),
        fc.string({ unit: 'grapheme', minLength: 60, maxLength: 200 }),
        fc.boolean(),
        fc.constant(null),
        fc.constant(undefined),
        fc.array(tie('v'), { maxLength: 5 }),
        fc.dictionary(fc.string({ maxLength: 5 }), tie('v'), { maxKeys: 4 }),
      ),
    })).v;
    const event = fc.tuple(
      fc.constantFrom('a.one', 'b.two', 'c.three'),
      fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), value, { maxKeys: 6 }),
    );
    fc.assert(
      fc.property(fc.array(event, { maxLength: 60 }), fc.integer({ min: 1, max: 10 }), (drawn, every) => {
        const events = drawn.map(([type, payload], i) => ({ seq: i + 1, time: i * 10, type, ...payload }));
        expect(roundTrip(events, every)).toBe(lines(events));
      }),
      { numRuns: 300, seed: 20261122 },
    );
  });

  it('follows a type whose keys change from one event to the next (an optional field), and huge values', () => {
    const big = Array.from({ length: 70_000 }, (_, i) => i);
    const events = [
      { seq: 1, time: 0, type: 'syscall.enter', tid: 3, name: 'read', args: [1, 2, 3, 4] },
      { seq: 2, time: 1, type: 'syscall.enter', tid: 3, name: 'read', args: [1, 2, 3, 4], argsText: 'fd=3, "\\x7fELF", 832' },
      { seq: 3, time: 2, type: 'syscall.enter', tid: 3, name: 'read', args: [5] },
      { seq: 4, time: 3, type: 'syscall.enter', name: 'read', tid: 3, args: [] },
      { seq: 5, time: 4, type: 'huge', values: big, text: 'x'.repeat(100_000), nested: { a: [{ b: 1 }], ü: 'ß' } },
      { seq: 6, time: 5, type: 'syscall.enter', tid: 4, name: 'write', args: [1, 2, 3, 4] },
      JSON.parse('{"seq":7,"time":6,"type":"odd","__proto__":{"x":1},"constructor":2}') as { type: string },
      // The boundary the decoder splits a chunk at, inside an event's own data.
      { seq: 8, time: 7, type: 'nested', list: [{ seq: 1 }, { seq: 2 }], text: '},{"seq":' },
    ];
    expect(roundTrip(events, 2)).toBe(lines(events));
    expect(roundTrip(events, 100)).toBe(lines(events));
  });

  it('refuses what JSON.stringify refuses', () => {
    const encoder = createEventEncoder();
    expect(() => encoder.encode({ type: 'x', n: 1n } as { type: string })).toThrow(TypeError);
  });
});
