import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus, xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';

/** The saved state of every stream of a {@link RandomRoot}, by stream path. */
export type RandomState = Record<string, readonly number[]>;

/** A stream of seeded random numbers (xoroshiro128+, from pure-rand). */
export interface Random {
  /** The stream's path: `""` for the root, `"cpu"`, `"cpu/0"`, ... */
  readonly path: string;
  /** A uniform integer in [from, to], both included. */
  int(from: number, to: number): number;
  /** A uniform float in [0, 1). */
  float(): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /**
   * The child stream `name`. Its seed derives from the root seed and its path only,
   * so adding a consumer never shifts the numbers any other stream draws. Forking the
   * same name twice gives the same stream.
   */
  fork(name: string): Random;
}

/** The root stream, which also saves and restores the state of every stream forked from it. */
export interface RandomRoot extends Random {
  readonly seed: number;
  save(): RandomState;
  load(state: RandomState): void;
}

type Generator = ReturnType<typeof xoroshiro128plus>;

/**
 * Creates the seeded random root of a run.
 *
 * @example
 * ```ts
 * const rng = createRandom(42);
 * const disk = rng.fork('disk');
 * disk.int(100, 200); // the same number for seed 42, whoever else draws
 * ```
 */
export function createRandom(seed: number): RandomRoot {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`random seed must be an integer, got ${seed}`);
  const generators = new Map<string, Generator>();
  const streams = new Map<string, Random>();

  const generatorOf = (path: string): Generator => {
    let g = generators.get(path);
    if (g === undefined) {
      g = xoroshiro128plus(deriveSeed(seed, path));
      generators.set(path, g);
    }
    return g;
  };

  const stream = (path: string): Random => {
    const existing = streams.get(path);
    if (existing !== undefined) return existing;
    const s: Random = {
      path,
      int: (from, to) => uniformInt(generatorOf(path), from, to),
      float: () => uniformInt(generatorOf(path), 0, 0x1fffffffffffff) / 0x20000000000000,
      chance: (p) => uniformInt(generatorOf(path), 0, 0xffffffff) < p * 0x100000000,
      fork: (name) => {
        if (name === '' || name.includes('/'))
          throw new RangeError(`random stream name must be non-empty without '/': ${JSON.stringify(name)}`);
        return stream(path === '' ? name : `${path}/${name}`);
      },
    };
    streams.set(path, s);
    return s;
  };

  const root = stream('');
  return {
    ...root,
    seed,
    save() {
      const out: RandomState = {};
      for (const path of [...generators.keys()].sort()) out[path] = [...(generators.get(path) as Generator).getState()];
      return out;
    },
    load(state) {
      generators.clear();
      for (const path of Object.keys(state).sort()) generators.set(path, xoroshiro128plusFromState(state[path] as number[]));
    },
  };
}

/** FNV-1a over the seed and the stream path: a stable per-stream seed. */
function deriveSeed(seed: number, path: string): number {
  const text = `${seed}:${path}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}
