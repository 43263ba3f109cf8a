/**
 * A compact binary form of events for the trace recorder's writer thread. The simulation's
 * thread only copies each event's values into a Float64Array (a per-shape encoder, compiled
 * once per key list); the writer thread rebuilds each event with the same keys in the same
 * order and calls `JSON.stringify` on it, so the line it writes is the very line
 * `JSON.stringify(event)` would have given.
 *
 * Encoding: per event, the id of its shape (its key list), then a (tag, payload) pair per
 * value: 0 number; 1 string from the intern table; 2 string from the chunk's strings; 3 null;
 * 4 true; 5 false; 6 array (payload: length, then its elements); 7 any other object (its
 * JSON text in the chunk's strings); 8 undefined (or a function or symbol: JSON leaves the
 * key out, or writes null in an array, either way).
 */

/** What one chunk carries to the writer thread. */
export interface EncodedChunk {
  /** The values: a chunk's own buffer, or one the encoder's `allocate` lent (e.g. shared with the writer thread). */
  readonly values: Float64Array;
  /** Slots of `values` in use. */
  readonly n: number;
  readonly strings: string[];
  /** Strings interned since the previous chunk, in id order. */
  readonly interned: string[];
  /** Shapes (key lists) first seen since the previous chunk, in id order. */
  readonly shapes: string[][];
  readonly events: number;
}

/** Values in a chunk (8 bytes each): 2 MiB. */
export const CHUNK_SLOTS = 1 << 18;
const MAX_INTERNED = 1 << 16;
const MAX_INTERNED_LENGTH = 64;

interface Shape {
  readonly keys: string[];
  readonly encode: (event: object) => void;
}

/** The state the compiled encoders share. */
interface Sink {
  f: Float64Array;
  n: number;
  strings: string[];
  value(v: unknown): void;
}

/** Encodes events into chunks. */
export interface EventEncoder {
  encode(event: { readonly type: string }): void;
  /** Events in the current chunk. */
  readonly pending: number;
  /** Values used in the current chunk (of CHUNK_SLOTS, unless a huge value made it bigger). */
  readonly used: number;
  /** The current chunk, handed over (null when empty); encoding goes on in a new one. */
  take(): EncodedChunk | null;
}

/**
 * Creates an encoder. `allocate` gives the buffer of each new chunk (CHUNK_SLOTS values;
 * default: a new one each time); a value too big for a chunk gets a bigger buffer of its own.
 */
export function createEventEncoder(options: { allocate?: () => Float64Array } = {}): EventEncoder {
  const allocate = options.allocate ?? ((): Float64Array => new Float64Array(CHUNK_SLOTS));
  const ids = new Map<string, number>();
  let interned: string[] = [];
  let newShapes: string[][] = [];
  let shapeCount = 0;
  let events = 0;
  const byType = new Map<string, Shape>();
  const byKeys = new Map<string, Shape>();

  const fresh = (): void => {
    sink.f = allocate();
    sink.n = 0;
    sink.strings = [];
  };
  /** Makes room for `slots` more values, starting a bigger chunk for a huge value (its events move with it). */
  const room = (slots: number): void => {
    if (sink.n + slots <= sink.f.length) return;
    const bigger = new Float64Array(Math.max(sink.f.length * 2, sink.n + slots));
    bigger.set(sink.f.subarray(0, sink.n));
    sink.f = bigger;
  };
  const sink: Sink = {
    f: new Float64Array(0),
    n: 0,
    strings: [],
    value(v) {
      room(2);
      const f = sink.f;
      switch (typeof v) {
        case 'number':
          f[sink.n] = 0;
          f[sink.n + 1] = v;
          break;
        case 'string': {
          let id = v.length <= MAX_INTERNED_LENGTH ? ids.get(v) : undefined;
          if (id === undefined && v.length <= MAX_INTERNED_LENGTH && ids.size < MAX_INTERNED) {
            id = ids.size;
            ids.set(v, id);
            interned.push(v);
          }
          if (id === undefined) {
            f[sink.n] = 2;
            f[sink.n + 1] = sink.strings.push(v) - 1;
          } else {
            f[sink.n] = 1;
            f[sink.n + 1] = id;
          }
          break;
        }
        case 'boolean':
          f[sink.n] = v ? 4 : 5;
          break;
        case 'object':
          if (v === null) f[sink.n] = 3;
          else if (Array.isArray(v)) {
            f[sink.n] = 6;
            f[sink.n + 1] = v.length;
            sink.n += 2;
            for (let i = 0; i < v.length; i++) sink.value(v[i]);
            return;
          } else {
            f[sink.n] = 7;
            f[sink.n + 1] = sink.strings.push(JSON.stringify(v)) - 1;
          }
          break;
        case 'bigint':
          // JSON.stringify throws on a BigInt: so does recording it, here and now.
          JSON.stringify(v);
          break;
        default:
          f[sink.n] = 8;
      }
      sink.n += 2;
    },
  };
  fresh();

  const compile = (keys: string[], id: number): Shape => {
    // Inline: numbers (by far the commonest values), strings already interned, null. Everything else goes through sink.value.
    const body = keys
      .map(
        (k) => `v = e[${JSON.stringify(k)}];
  if (typeof v === 'number') { f[n] = 0; f[n + 1] = v; n += 2; }
  else if (v === null) { f[n] = 3; n += 2; }
  else if (typeof v === 'string' && (x = ids.get(v)) !== undefined) { f[n] = 1; f[n + 1] = x; n += 2; }
  else { s.n = n; s.value(v); f = s.f; n = s.n; }`,
      )
      .join('\n');
    const encode = new Function(
      's',
      'ids',
      `return (e) => { let f = s.f; let n = s.n; let v; let x; f[n++] = ${id};\n${body}\n s.n = n; };`,
    )(sink, ids) as Shape['encode'];
    return { keys, encode };
  };
  const shapeOf = (event: { readonly type: string }): Shape => {
    const known = byType.get(event.type);
    if (known !== undefined) {
      // The same keys in the same order (string keys compare by identity here, they are internalized).
      const keys = known.keys;
      let i = 0;
      let same = true;
      for (const k in event) {
        if (keys[i] !== k) {
          same = false;
          break;
        }
        i++;
      }
      if (same && i === keys.length) return known;
    }
    const keys = Object.keys(event);
    const joined = keys.join('\u0000');
    let shape = byKeys.get(joined);
    if (shape === undefined) {
      shape = compile(keys, shapeCount++);
      byKeys.set(joined, shape);
      newShapes.push(keys);
    }
    byType.set(event.type, shape);
    return shape;
  };

  return {
    encode(event) {
      const shape = shapeOf(event);
      // Room for the shape id and every top-level value; arrays and strings check their own.
      room(2 * shape.keys.length + 1);
      shape.encode(event);
      events++;
    },
    get pending() {
      return events;
    },
    get used() {
      return sink.n;
    },
    take() {
      if (events === 0 && interned.length === 0 && newShapes.length === 0) return null;
      const chunk: EncodedChunk = { values: sink.f, n: sink.n, strings: sink.strings, interned, shapes: newShapes, events };
      interned = [];
      newShapes = [];
      events = 0;
      fresh();
      return chunk;
    },
  };
}

/**
 * The writer thread's half: turns chunks back into NDJSON lines. Self-contained (no
 * references outside its body): the recorder ships its source to the worker.
 */
export function createEventDecoder(): (chunk: EncodedChunk) => string {
  const table: string[] = [];
  /** Per shape, a function building the event as an object literal with its keys in order (a fast object for JSON.stringify). */
  const builders: ((value: () => unknown) => object)[] = [];
  const builder = (keys: string[]): ((value: () => unknown) => object) => {
    // A literal's "__proto__": v would set the prototype: such a key is written as a computed one, an own property.
    const fields = keys.map((k) => (k === '__proto__' ? `[${JSON.stringify(k)}]: value()` : `${JSON.stringify(k)}: value()`));
    return new Function('value', `return { ${fields.join(', ')} };`) as (value: () => unknown) => object;
  };
  let f: Float64Array = new Float64Array(0);
  let strings: string[] = [];
  let i = 0;
  const value = (): unknown => {
    const tag = f[i] as number;
    const p = f[i + 1] as number;
    i += 2;
    switch (tag) {
      case 0:
        return p;
      case 1:
        return table[p];
      case 2:
        return strings[p];
      case 3:
        return null;
      case 4:
        return true;
      case 5:
        return false;
      case 6: {
        const a: unknown[] = new Array(p);
        for (let j = 0; j < p; j++) a[j] = value();
        return a;
      }
      case 7:
        return JSON.parse(strings[p] as string);
      default:
        return undefined;
    }
  };
  return (chunk) => {
    for (const s of chunk.interned) table.push(s);
    for (const k of chunk.shapes) builders.push(builder(k));
    f = chunk.values;
    strings = chunk.strings;
    i = 0;
    const events: object[] = [];
    while (i < chunk.n) {
      const build = builders[f[i++] as number] as (value: () => unknown) => object;
      events.push(build(value));
    }
    if (events.length === 0) return '';
    // One JSON.stringify of the whole chunk, split into lines where one event ends and the next
    // begins (every event starts with its seq). JSON text holds no raw newline, so counting them
    // proves the split: were that boundary to occur inside an event's data, each is written alone.
    const text = `${JSON.stringify(events).slice(1, -1).replaceAll('},{"seq":', '}\n{"seq":')}\n`;
    let lines = 0;
    for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) lines++;
    if (lines === events.length) return text;
    let out = '';
    for (const e of events) out += `${JSON.stringify(e)}\n`;
    return out;
  };
}
