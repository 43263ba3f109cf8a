/**
 * Helpers for `pnpm bench`. A benchmark file is `packages/<name>/bench/<what>.bench.ts`
 * (or `apps/<name>/bench/...`); it default-exports a {@link BenchModule}.
 */
import { Bench } from 'tinybench';

/** A metric's target, checked and printed by `pnpm bench` (never asserted in tests). */
export interface Target {
  readonly min?: number;
  readonly max?: number;
}

export interface BenchModule {
  /** Runs the measurements and returns metric name -> number. */
  run(): Promise<Record<string, number>>;
  /** Targets of the metrics, from the issues. */
  readonly targets?: Record<string, Target>;
}

/**
 * Measures `fn` with tinybench and returns operations per second, where one call of
 * `fn` performs `opsPerCall` operations. Uses the median call time.
 */
export async function opsPerSecond(name: string, fn: () => void, opsPerCall: number, options: { timeMs?: number } = {}): Promise<number> {
  return (opsPerCall * 1000) / (await medianMs(name, fn, options));
}

/** Measures `fn` and returns nanoseconds per operation (median call time / `opsPerCall`). */
export async function nsPerOp(name: string, fn: () => void, opsPerCall: number, options: { timeMs?: number } = {}): Promise<number> {
  return ((await medianMs(name, fn, options)) * 1e6) / opsPerCall;
}

/** The median wall time of one call of `fn`, in milliseconds. */
export async function medianMs(name: string, fn: () => void | Promise<void>, options: { timeMs?: number } = {}): Promise<number> {
  const bench = new Bench({ time: options.timeMs ?? 1000, warmupTime: 200, warmupIterations: 3, iterations: 5 });
  bench.add(name, fn);
  await bench.run();
  const result = bench.getTask(name)?.result;
  if (result === undefined || !('latency' in result)) throw new Error(`benchmark ${name} did not complete`);
  return result.latency.p50;
}
