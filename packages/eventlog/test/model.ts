import { type AnyEvent, createSimulation, type Reducer, type Simulation } from '../src/index.ts';

/** The events of a small machine used to exercise the log: its own map, not the global one. */
export interface TestMap {
  'test.tick': { cpu: number };
  'test.request': { req: number; latency: number };
  'test.complete': { req: number };
  'test.wakeup': { req: number; cpu: number };
  'input.irq': { line: number };
}

export type TestEvent = AnyEvent<TestMap>;

export interface ModelState {
  ticks: number;
  inflight: Record<string, number>;
  completed: number;
  irqs: number;
}

export const modelReducer: Reducer<ModelState, TestEvent> = (draft, event) => {
  switch (event.type) {
    case 'test.tick':
      draft.ticks++;
      break;
    case 'test.request':
      draft.inflight[String(event.req)] = event.latency;
      break;
    case 'test.complete':
      delete draft.inflight[String(event.req)];
      draft.completed++;
      break;
    case 'input.irq':
      draft.irqs++;
      break;
  }
};

export interface ModelParams {
  readonly seed: number;
  readonly cpus: number;
  readonly tickNs: number;
  readonly durationNs: number;
  /** Times of externally injected interrupts (inputs). */
  readonly irqs?: readonly number[];
}

/**
 * A machine whose every decision comes from its folded state, its timers and its
 * seeded random streams, so snapshots can capture it whole.
 */
export function createModel(params: ModelParams): { sim: Simulation<TestMap>; state: () => ModelState; start: () => void } {
  const sim = createSimulation<TestMap>({ seed: params.seed });
  const fold = sim.fold('model', modelReducer, { ticks: 0, inflight: {}, completed: 0, irqs: 0 });
  const rngs = Array.from({ length: params.cpus }, (_, cpu) => sim.random.fork(`cpu${cpu}`));
  sim.log.on('test.tick', (e) => {
    const next = e.time + params.tickNs;
    if (next <= params.durationNs) sim.timers.schedule(next, 'test.tick', { cpu: e.cpu });
    const rng = rngs[e.cpu];
    if (rng?.chance(0.6)) {
      const req = fold.state.ticks * 16 + e.cpu;
      const latency = rng.int(1, params.tickNs * 2);
      sim.log.emit('test.request', { req, latency });
      sim.timers.schedule(e.time + latency, 'test.complete', { req });
    }
  });
  sim.log.on('test.complete', (e) => {
    // Nested emission: queued behind the completion, delivered after it.
    sim.log.emit('test.wakeup', { req: e.req, cpu: e.req % 16 });
  });
  return {
    sim,
    state: () => fold.state,
    start: () => {
      for (let cpu = 0; cpu < params.cpus; cpu++) sim.timers.schedule(params.tickNs + cpu, 'test.tick', { cpu });
      for (const [i, t] of (params.irqs ?? []).entries()) sim.timers.schedule(t, 'input.irq', { line: i % 4 });
    },
  };
}

/** Runs a model to the end and returns every event it appended. */
export function runModel(params: ModelParams): TestEvent[] {
  const model = createModel(params);
  const events: TestEvent[] = [];
  model.sim.log.listen((e) => events.push(e));
  model.start();
  model.sim.run();
  return events;
}
