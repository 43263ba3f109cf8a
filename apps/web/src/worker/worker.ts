/// <reference lib="webworker" />
import type { Reply, Request } from '../protocol.ts';
import { CHECKPOINT_EVERY, countersOf, indexOf, loadSession, type Session, snapshotAt, walkAt } from './session.ts';

/**
 * The simulator's worker: the page never runs the kernel. It loads a session (runs a
 * scenario or a strace log's workload, or reads a recording), then answers "what is at
 * this moment" with snapshots of paused kernels.
 */
const scope = self as unknown as DedicatedWorkerGlobalScope;
let session: Session | null = null;
let warming: { step(): boolean } | null = null;
const queue: Request[] = [];
let busy = false;

const post = (reply: Reply, transfer: Transferable[] = []): void => scope.postMessage(reply, transfer);

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

async function handle(req: Request): Promise<void> {
  try {
    switch (req.type) {
      case 'load': {
        session = null;
        warming = null;
        let last = 0;
        const s = await loadSession(req.source, (events, phase) => {
          if (events - last >= 50_000 || events < last) {
            last = events;
            post({ id: req.id, type: 'progress', events, phase });
          }
        });
        session = s;
        const index = indexOf(s);
        const t = s.timeline;
        post({ id: req.id, type: 'loaded', session: s.info, index, timeline: t }, [
          index.times.buffer,
          index.types.buffer,
          index.tids.buffer,
        ]);
        // A long run without checkpoints (a recording is read, not run) gets them by one re-execution between requests.
        if (s.info.checkpoints === 0 && s.info.events > 2 * CHECKPOINT_EVERY) {
          const pass = s.seeker.prepare(CHECKPOINT_EVERY);
          warming = { step: () => pass.step() };
        } else post({ id: 0, type: 'progress', events: s.info.events, phase: 'ready' });
        break;
      }
      case 'at': {
        if (session === null) throw new Error('nothing is loaded');
        post({ id: req.id, type: 'snapshot', snapshot: snapshotAt(session, req.moment, req.tid, req.window) });
        break;
      }
      case 'events': {
        if (session === null) throw new Error('nothing is loaded');
        const r = session.store.query(req.from, req.count, req.query);
        post({ id: req.id, type: 'events', rows: r.rows, total: r.total, first: r.first });
        break;
      }
      case 'walk': {
        if (session === null) throw new Error('nothing is loaded');
        post({ id: req.id, type: 'walk', walk: walkAt(session, req.seq, req.pid, req.vaddr) });
        break;
      }
      case 'compare': {
        if (session === null) throw new Error('nothing is loaded');
        const inputs = session.inputs;
        post({ id: req.id, type: 'compare', runs: [countersOf(inputs, req.a), countersOf(inputs, req.b)] });
        break;
      }
    }
  } catch (e) {
    post({ id: req.id, type: 'error', message: message(e) });
  }
}

async function pump(): Promise<void> {
  if (busy) return;
  busy = true;
  try {
    for (let req = queue.shift(); req !== undefined; req = queue.shift()) {
      // A newer snapshot request makes older ones moot (scrubbing, playing).
      if (req.type === 'at' && queue.some((q) => q.type === 'at')) {
        post({ id: req.id, type: 'error', message: 'superseded' });
        continue;
      }
      await handle(req);
    }
  } finally {
    busy = false;
  }
  if (warming !== null) setTimeout(warmSlice, 0);
}

function warmSlice(): void {
  if (warming === null || busy || queue.length > 0) return;
  const more = warming.step();
  if (!more) {
    warming = null;
    if (session !== null) {
      // One seek from a checkpoint before saying ready: the first the user asks for should not
      // pay for compiling the restore and re-execution paths (about 100 ms in Chromium's worker).
      const n = session.info.events;
      snapshotAt(session, { seq: Math.max(1, Math.floor(n / 2) + 7), insns: 0 }, null, 50);
    }
    post({ id: 0, type: 'progress', events: session?.info.events ?? 0, phase: 'ready' });
    return;
  }
  setTimeout(warmSlice, 0);
}

scope.onmessage = (e: MessageEvent<Request>) => {
  queue.push(e.data);
  void pump();
};
