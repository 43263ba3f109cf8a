import { timed } from './perf.ts';
import type { Reply, Request } from './protocol.ts';

type Body<R> = R extends unknown ? Omit<R, 'id'> : never;
type ReplyOf<T extends Request['type']> = T extends 'load'
  ? Extract<Reply, { type: 'loaded' }>
  : T extends 'at'
    ? Extract<Reply, { type: 'snapshot' }>
    : T extends 'events'
      ? Extract<Reply, { type: 'events' }>
      : T extends 'walk'
        ? Extract<Reply, { type: 'walk' }>
        : Extract<Reply, { type: 'compare' }>;

/** An error the worker reported (a bad file, an invalid variant): its message is the library's. */
export class WorkerError extends Error {
  override readonly name = 'WorkerError';
}

/** Talks to the simulator's worker: one promise per request. */
export function createClient(
  worker: Worker,
  onProgress: (events: number, phase: string) => void,
): { request<T extends Request['type']>(body: Body<Extract<Request, { type: T }>>, transfer?: Transferable[]): Promise<ReplyOf<T>> } {
  let next = 1;
  const waiting = new Map<number, { resolve(r: Reply): void; reject(e: Error): void }>();
  worker.onmessage = (e: MessageEvent<Reply>) => timed(() => receive(e.data));
  const receive = (r: Reply): void => {
    if (r.type === 'progress') {
      onProgress(r.events, r.phase);
      return;
    }
    const w = waiting.get(r.id);
    if (w === undefined) return;
    waiting.delete(r.id);
    if (r.type === 'error') w.reject(new WorkerError(r.message));
    else w.resolve(r);
  };
  worker.onerror = (e) => {
    for (const w of waiting.values()) w.reject(new WorkerError(e.message));
    waiting.clear();
  };
  return {
    request(body, transfer = []) {
      const id = next++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve: resolve as (r: Reply) => void, reject });
        worker.postMessage({ ...body, id }, transfer);
      });
    },
  };
}
