import { describe, expect, it } from 'vitest';
import {
  buildWorkload,
  createKernel,
  defineOs,
  type OsVariant,
  PRESETS,
  SCENARIO_SEED,
  SCENARIO_UNTIL_NS,
  SCENARIOS,
  scenarioRuns,
  type Workload,
} from '../src/index.ts';
import { MIX } from './mix.ts';

/*
 * The CPU's translator changes how fast the kernel runs, never what it does: every
 * scenario run, and a mixed workload on every preset (and on 2 CPUs), gives the same
 * events, byte for byte, with `jit: false` (every instruction interpreted).
 */

function events(os: OsVariant, workload: Workload, until: number, jit: boolean | 'eager'): string[] {
  const out: string[] = [];
  const k = createKernel({ os, workload, seed: SCENARIO_SEED, jit, attach: (log) => log.listen((e) => out.push(JSON.stringify(e))) });
  k.run({ until });
  return out;
}

/** The first difference, as a readable message (a plain toEqual on 10,000 lines is unreadable). */
function firstDifference(a: readonly string[], b: readonly string[]): string | null {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `event ${i + 1}: interpreted ${a[i] ?? '(none)'}\n translated ${b[i] ?? '(none)'}`;
  }
  return null;
}

/** The checkpoint tests' mix (threads, fork and wait, pipes, disk I/O, sleeps, a kernel thread, NIC interrupts) and yielding threads. */
const mix = buildWorkload({
  ...MIX,
  name: 'jit-mix',
  processes: [
    ...MIX.processes,
    { comm: 'yielder', steps: [{ op: 'threads', count: 4, steps: [{ op: 'loop', times: 30, steps: [{ op: 'yield' }] }] }] },
  ],
});

describe('the translator in the kernel', () => {
  for (const name of SCENARIOS) {
    it(`${name}: every run gives the interpreter's events`, () => {
      for (const run of scenarioRuns(name)) {
        const slow = events(run.os, run.workload, SCENARIO_UNTIL_NS, false);
        const fast = events(run.os, run.workload, SCENARIO_UNTIL_NS, 'eager');
        expect(firstDifference(slow, fast), run.label).toBeNull();
        expect(slow.length).toBeGreaterThan(10);
      }
    });
  }

  const variants: OsVariant[] = [...Object.values(PRESETS), defineOs({ preset: 'x86_64', name: 'x86_64-2cpu', cpus: 2 })];
  for (const os of variants) {
    it(`a mixed workload on ${os.name} gives the interpreter's events`, () => {
      const slow = events(os, mix, 40_000_000, false);
      const fast = events(os, mix, 40_000_000, 'eager');
      expect(firstDifference(slow, fast)).toBeNull();
      expect(slow.length).toBeGreaterThan(200);
    });
  }
});
