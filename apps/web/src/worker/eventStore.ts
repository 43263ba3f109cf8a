import type { OssimEvent } from '@ossim/eventlog';
import type { EventQuery, EventRow, IndexColumns } from '../protocol.ts';

const CHUNK = 1024;

/**
 * Every event of a run, compactly: per-event columns (time, type, tid) for stepping and
 * scrubbing, and the events' JSON in blocks of 1024 lines for the event list, its filter and
 * its search (about 100 bytes per event, where keeping the objects would cost several times that).
 */
export interface EventStore {
  add(e: OssimEvent): void;
  readonly size: number;
  /** The columns, trimmed to size (copies: they can be transferred). */
  columns(): IndexColumns;
  /** The JSON line of event `seq`. */
  line(seq: number): string | undefined;
  /** The seq of the last event of this type at or before `seq`, or 0. */
  findLast(type: string, seq: number): number;
  /** The seq of the last event of this type at or before `seq` whose JSON line passes `test`, or 0. */
  findLastWhere(type: string, seq: number, test: (line: string) => boolean): number;
  /** Up to `count` rows matching `query` from seq `from` on (`count` negative: backwards, before `from`). */
  query(from: number, count: number, q: EventQuery): { rows: EventRow[]; total: number; first: number };
}

/** An empty {@link EventStore}. */
export function createEventStore(): EventStore {
  let cap = 4096;
  let size = 0;
  let times = new Float64Array(cap);
  let types = new Uint8Array(cap);
  let tids = new Int32Array(cap);
  const typeNames: string[] = [];
  const typeIds = new Map<string, number>();
  const blocks: string[] = [];
  let open: string[] = [];
  let totalCache: { key: string; total: number } | null = null;

  // The last block split into lines: scans go block by block.
  let split: { block: number; lines: string[] } | null = null;
  const lineAt = (seq: number): string | undefined => {
    const i = seq - 1;
    const b = Math.floor(i / CHUNK);
    if (b === blocks.length) return open[i % CHUNK];
    if (split?.block !== b) {
      const block = blocks[b];
      if (block === undefined) return undefined;
      split = { block: b, lines: block.split('\n') };
    }
    return split.lines[i % CHUNK];
  };
  const toRow = (seq: number, line: string): EventRow => {
    const i = seq - 1;
    return { seq, time: times[i] as number, type: typeNames[types[i] as number] as string, text: line };
  };
  const matches = (seq: number, line: string | undefined, q: EventQuery, needle: string): boolean => {
    if (q.types.length > 0) {
      const t = typeNames[types[seq - 1] as number] as string;
      if (!q.types.some((p) => t.startsWith(p))) return false;
    }
    return needle === '' || line?.toLowerCase().includes(needle) === true;
  };

  return {
    add(e) {
      if (size === cap) {
        cap *= 2;
        const t = new Float64Array(cap);
        t.set(times);
        times = t;
        const y = new Uint8Array(cap);
        y.set(types);
        types = y;
        const d = new Int32Array(cap);
        d.set(tids);
        tids = d;
      }
      let id = typeIds.get(e.type);
      if (id === undefined) {
        id = typeNames.length;
        typeNames.push(e.type);
        typeIds.set(e.type, id);
      }
      times[size] = e.time;
      types[size] = id;
      const tid = (e as { tid?: unknown }).tid ?? (e as { nextTid?: unknown }).nextTid;
      tids[size] = typeof tid === 'number' ? tid : -1;
      size++;
      open.push(JSON.stringify(e));
      if (open.length === CHUNK) {
        blocks.push(open.join('\n'));
        open = [];
      }
      totalCache = null;
    },
    get size() {
      return size;
    },
    columns() {
      return { times: times.slice(0, size), types: types.slice(0, size), tids: tids.slice(0, size), typeNames: [...typeNames] };
    },
    line: lineAt,
    findLastWhere(type, seq, test) {
      const id = typeIds.get(type);
      if (id === undefined) return 0;
      for (let q = Math.min(seq, size); q >= 1; q--) if (types[q - 1] === id && test(lineAt(q) ?? '')) return q;
      return 0;
    },
    findLast(type, seq) {
      const id = typeIds.get(type);
      if (id === undefined) return 0;
      for (let q = Math.min(seq, size); q >= 1; q--) if (types[q - 1] === id) return q;
      return 0;
    },
    query(from, count, q) {
      const needle = q.search.trim().toLowerCase();
      const rows: EventRow[] = [];
      const all = q.types.length === 0 && needle === '';
      const key = `${q.types.join(',')}\u0000${needle}`;
      let total = size;
      if (!all) {
        if (totalCache?.key === key) total = totalCache.total;
        else {
          total = 0;
          for (let seq = 1; seq <= size; seq++) if (matches(seq, needle === '' ? undefined : lineAt(seq), q, needle)) total++;
          totalCache = { key, total };
        }
      }
      if (count >= 0) {
        for (let seq = Math.max(1, from); seq <= size && rows.length < count; seq++) {
          const line = lineAt(seq);
          if (line !== undefined && matches(seq, line, q, needle)) rows.push(toRow(seq, line));
        }
      } else {
        for (let seq = Math.min(size, from - 1); seq >= 1 && rows.length < -count; seq--) {
          const line = lineAt(seq);
          if (line !== undefined && matches(seq, line, q, needle)) rows.unshift(toRow(seq, line));
        }
      }
      return { rows, total, first: rows[0]?.seq ?? 0 };
    },
  };
}
