import { createSimulation, type Reducer, type Simulation } from '@ossim/eventlog';

declare module '@ossim/eventlog' {
  interface EventMap {
    /** The toy machine's timer interrupt. */
    'toy.tick': { cpu: number };
    /** A request handed to the toy disk. */
    'toy.request': { req: number; latency: number };
    /** The toy disk finished a request (a DMA completion). */
    'toy.complete': { req: number };
    /** The waiter of a request runs again. */
    'toy.wakeup': { req: number };
  }
}

/** The toy machine's state: a reducer folds it from the log. */
export interface ToyState {
  ticks: number;
  inflight: number[];
  completed: number;
  maxInflight: number;
}

export const toyReducer: Reducer<ToyState> = (draft, event) => {
  switch (event.type) {
    case 'toy.tick':
      draft.ticks++;
      break;
    case 'toy.request':
      draft.inflight.push(event.req);
      draft.maxInflight = Math.max(draft.maxInflight, draft.inflight.length);
      break;
    case 'toy.complete':
      draft.inflight = draft.inflight.filter((r) => r !== event.req);
      draft.completed++;
      break;
  }
};

export const initialToyState = (): ToyState => ({ ticks: 0, inflight: [], completed: 0, maxInflight: 0 });

/** The toy's inputs: how long to run, the tick period, and the seed. */
export interface ToyInputs {
  readonly seed: number;
  readonly durationNs: number;
  readonly tickNs: number;
}

/**
 * A tiny deterministic machine used by the tour: a periodic timer, a disk whose
 * requests complete after a seeded random latency, and wake-ups emitted while the
 * completion is being handled (queued FIFO, never depth-first).
 */
export function createToy(inputs: ToyInputs): { sim: Simulation; state: () => ToyState; start: () => void } {
  const sim = createSimulation({ seed: inputs.seed });
  const fold = sim.fold('toy', toyReducer, initialToyState());
  const disk = sim.random.fork('disk');
  sim.log.on('toy.tick', (e) => {
    const next = e.time + inputs.tickNs;
    if (next <= inputs.durationNs) sim.timers.schedule(next, 'toy.tick', { cpu: 0 });
    if (disk.chance(0.5)) {
      const latency = disk.int(1_000_000, 3_000_000);
      const req = fold.state.ticks;
      sim.log.emit('toy.request', { req, latency });
      sim.timers.schedule(e.time + latency, 'toy.complete', { req });
    }
  });
  sim.log.on('toy.complete', (e) => {
    sim.log.emit('toy.wakeup', { req: e.req });
  });
  return {
    sim,
    state: () => fold.state,
    start: () => {
      sim.timers.schedule(inputs.tickNs, 'toy.tick', { cpu: 0 });
    },
  };
}
