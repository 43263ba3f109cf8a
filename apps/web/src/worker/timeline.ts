import type { OssimEvent } from '@ossim/eventlog';

/** What a slice of the timeline is. */
export const SLICE_KINDS = ['task', 'idle', 'syscall', 'irq', 'exception', 'running', 'runnable', 'sleeping', 'disk', 'zombie'] as const;
export type SliceKind = (typeof SLICE_KINDS)[number];

/**
 * The timeline as columns (transferable): one row per slice. CPU lanes hold the task a CPU
 * runs (depth 0) with its system call (depth 1) and interrupts or exceptions nested above;
 * thread lanes hold running, runnable and blocked (sleeping in S, disk in D) spans.
 */
export interface TimelineData {
  readonly count: number;
  /** Lane of each slice: CPU n is lane n; thread lanes follow, in `threads` order. */
  readonly lane: Int32Array;
  readonly start: Float64Array;
  /** Exclusive; the end of the run for slices still open then. */
  readonly end: Float64Array;
  readonly depth: Uint8Array;
  readonly kind: Uint8Array;
  /** Index into `labels`. */
  readonly label: Int32Array;
  /** The seq of the event that opened the slice. */
  readonly seq: Int32Array;
  readonly labels: readonly string[];
  readonly cpus: number;
  /** Thread lanes: tid and comm, in order of appearance. */
  readonly threads: readonly { readonly tid: number; readonly comm: string }[];
  readonly endNs: number;
}

const EXCEPTIONS: Record<number, string> = {
  0: '#DE divide error',
  6: '#UD invalid opcode',
  8: '#DF double fault',
  13: '#GP',
  14: '#PF page fault',
};
const VECTOR_NAMES: Record<number, string> = { 43: 'irq: nic', 46: 'irq: disk', 236: 'irq: timer', 253: 'irq: resched' };

interface Open {
  readonly lane: number;
  readonly start: number;
  readonly depth: number;
  readonly kind: SliceKind;
  readonly label: string;
  readonly seq: number;
}

/** Builds {@link TimelineData} from a run's events, one at a time. */
export function createTimelineBuilder(): { event(e: OssimEvent): void; finish(endNs: number): TimelineData } {
  let cap = 1024;
  let n = 0;
  let lane = new Int32Array(cap);
  let start = new Float64Array(cap);
  let end = new Float64Array(cap);
  let depth = new Uint8Array(cap);
  let kind = new Uint8Array(cap);
  let label = new Int32Array(cap);
  let seq = new Int32Array(cap);
  const labels: string[] = [];
  const labelIds = new Map<string, number>();
  const threads: { tid: number; comm: string }[] = [];
  const threadLane = new Map<number, number>();
  let cpus = 0;
  let lastTime = 0;

  const grow = (): void => {
    cap *= 2;
    const g = <T extends Int32Array | Float64Array | Uint8Array>(a: T, C: new (n: number) => T): T => {
      const b = new C(cap);
      b.set(a);
      return b;
    };
    lane = g(lane, Int32Array);
    start = g(start, Float64Array);
    end = g(end, Float64Array);
    depth = g(depth, Uint8Array);
    kind = g(kind, Uint8Array);
    label = g(label, Int32Array);
    seq = g(seq, Int32Array);
  };
  const push = (o: Open, until: number): void => {
    if (until <= o.start && o.kind !== 'syscall' && o.kind !== 'irq' && o.kind !== 'exception') return;
    if (n === cap) grow();
    let id = labelIds.get(o.label);
    if (id === undefined) {
      id = labels.length;
      labels.push(o.label);
      labelIds.set(o.label, id);
    }
    lane[n] = o.lane;
    start[n] = o.start;
    end[n] = Math.max(until, o.start);
    depth[n] = o.depth;
    kind[n] = SLICE_KINDS.indexOf(o.kind);
    label[n] = id;
    seq[n] = o.seq;
    n++;
  };

  // Per CPU: the task slice; per task (idle tasks keyed -1 - cpu): its trap nesting.
  const cpuTask: (Open | null)[] = [];
  const current: number[] = [];
  const comms = new Map<number, string>();
  interface Trap {
    kind: SliceKind;
    label: string;
    seq: number;
    open: Open | null;
  }
  const traps = new Map<number, Trap[]>();
  const key = (tid: number, cpu: number): number => (tid === 0 ? -1 - cpu : tid);
  const stackOf = (k: number): Trap[] => {
    let s = traps.get(k);
    if (s === undefined) {
      s = [];
      traps.set(k, s);
    }
    return s;
  };
  const threadState = new Map<number, Open>();

  const laneOfThread = (tid: number): number => {
    let l = threadLane.get(tid);
    if (l === undefined) {
      l = threads.length;
      threads.push({ tid, comm: comms.get(tid) ?? String(tid) });
      threadLane.set(tid, l);
    }
    return l;
  };
  const setThread = (tid: number, k: SliceKind | null, time: number, s: number): void => {
    if (tid === 0) return;
    const prev = threadState.get(tid);
    if (prev !== undefined) {
      if (prev.kind === k) return;
      push(prev, time);
      threadState.delete(tid);
    }
    if (k !== null) {
      const l = laneOfThread(tid);
      threadState.set(tid, { lane: -1 - l, start: time, depth: 0, kind: k, label: k, seq: s });
    }
  };
  const openTraps = (cpu: number, tid: number, time: number): void => {
    const s = stackOf(key(tid, cpu));
    s.forEach((t, i) => {
      t.open = { lane: cpu, start: time, depth: i + 1, kind: t.kind, label: t.label, seq: t.seq };
    });
  };
  const closeTraps = (cpu: number, tid: number, time: number): void => {
    for (const t of stackOf(key(tid, cpu))) {
      if (t.open !== null) push(t.open, time);
      t.open = null;
    }
  };
  const taskLabel = (tid: number, cpu: number): string => (tid === 0 ? `swapper/${cpu}` : `${comms.get(tid) ?? '?'} (${tid})`);

  return {
    event(e) {
      lastTime = e.time;
      switch (e.type) {
        case 'kernel.boot':
          cpus = e.cpus;
          for (let c = 0; c < cpus; c++) {
            current[c] = 0;
            cpuTask[c] = { lane: c, start: e.time, depth: 0, kind: 'idle', label: `swapper/${c}`, seq: e.seq };
          }
          break;
        case 'task.new':
          comms.set(e.tid, e.comm);
          laneOfThread(e.tid);
          setThread(e.tid, 'runnable', e.time, e.seq);
          break;
        case 'task.exec': {
          comms.set(e.tid, e.comm);
          const c = current.indexOf(e.tid);
          const running = c < 0 ? null : cpuTask[c];
          if (running !== null && running !== undefined) {
            push(running, e.time);
            cpuTask[c] = { ...running, start: e.time, label: taskLabel(e.tid, c), seq: e.seq };
          }
          const l = threadLane.get(e.tid);
          if (l !== undefined) threads[l] = { tid: e.tid, comm: e.comm };
          break;
        }
        case 'sched.switch': {
          const c = e.cpu;
          closeTraps(c, e.prevTid, e.time);
          const t = cpuTask[c];
          if (t) push(t, e.time);
          current[c] = e.nextTid;
          cpuTask[c] = {
            lane: c,
            start: e.time,
            depth: 0,
            kind: e.nextTid === 0 ? 'idle' : 'task',
            label: taskLabel(e.nextTid, c),
            seq: e.seq,
          };
          openTraps(c, e.nextTid, e.time);
          const st = e.prevState;
          setThread(
            e.prevTid,
            st === 'R' ? 'runnable' : st === 'S' ? 'sleeping' : st === 'D' ? 'disk' : st === 'Z' ? 'zombie' : null,
            e.time,
            e.seq,
          );
          setThread(e.nextTid, 'running', e.time, e.seq);
          break;
        }
        case 'task.wake':
          if (threadState.get(e.tid)?.kind !== 'running') setThread(e.tid, 'runnable', e.time, e.seq);
          break;
        case 'task.exit': {
          const c = current.indexOf(e.tid);
          if (c >= 0) closeTraps(c, e.tid, e.time);
          traps.delete(e.tid);
          if (e.state === 'X') setThread(e.tid, null, e.time, e.seq);
          break;
        }
        case 'task.reap':
          setThread(e.tid, null, e.time, e.seq);
          break;
        case 'cpu.trap_enter': {
          // System calls are drawn from syscall.enter/exit (which name them).
          if (e.kind === 'syscall') break;
          const c = e.cpu;
          const tid = current[c] ?? 0;
          const s = stackOf(key(tid, c));
          const k: SliceKind = e.kind === 'interrupt' ? 'irq' : 'exception';
          const name =
            e.kind === 'interrupt' ? (VECTOR_NAMES[e.vector] ?? `irq ${e.vector}`) : (EXCEPTIONS[e.vector] ?? `exception ${e.vector}`);
          s.push({
            kind: k,
            label: name,
            seq: e.seq,
            open: { lane: c, start: e.time, depth: s.length + 1, kind: k, label: name, seq: e.seq },
          });
          break;
        }
        case 'cpu.trap_exit': {
          if (e.vector === 0x80) break;
          const c = e.cpu;
          const s = stackOf(key(current[c] ?? 0, c));
          for (let i = s.length - 1; i >= 0; i--) {
            const t = s[i] as Trap;
            if (t.kind === 'syscall') continue;
            s.splice(i, 1);
            if (t.open) push(t.open, e.time);
            break;
          }
          break;
        }
        case 'syscall.enter': {
          const s = stackOf(key(e.tid, e.cpu));
          const name = `${e.name}()`;
          s.push({
            kind: 'syscall',
            label: name,
            seq: e.seq,
            open: { lane: e.cpu, start: e.time, depth: s.length + 1, kind: 'syscall', label: name, seq: e.seq },
          });
          break;
        }
        case 'syscall.exit': {
          const s = stackOf(key(e.tid, e.cpu));
          for (let i = s.length - 1; i >= 0; i--) {
            const t = s[i] as Trap;
            if (t.kind !== 'syscall') continue;
            s.splice(i, 1);
            if (t.open) push(t.open, e.time);
            break;
          }
          break;
        }
      }
    },
    finish(endNs) {
      const stop = Math.max(endNs, lastTime);
      for (let c = 0; c < cpus; c++) {
        closeTraps(c, current[c] ?? 0, stop);
        const t = cpuTask[c];
        if (t) push(t, stop);
      }
      for (const o of threadState.values()) push(o, stop);
      // Thread lanes were stored as -1 - index; they come after the CPUs.
      for (let i = 0; i < n; i++) if ((lane[i] as number) < 0) lane[i] = cpus + (-1 - (lane[i] as number));
      return {
        count: n,
        lane: lane.slice(0, n),
        start: start.slice(0, n),
        end: end.slice(0, n),
        depth: depth.slice(0, n),
        kind: kind.slice(0, n),
        label: label.slice(0, n),
        seq: seq.slice(0, n),
        labels,
        cpus,
        threads,
        endNs: stop,
      };
    },
  };
}
