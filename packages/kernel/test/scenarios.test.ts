import { describe, expect, it } from 'vitest';
import { runScenario, SCENARIOS } from '../src/index.ts';

describe.each(SCENARIOS.map((s) => [s]))('scenario %s', (name) => {
  it('passes every check it makes from the simulation', () => {
    const r = runScenario(name);
    for (const run of r.runs) {
      console.log(run.narration.join('\n'));
      expect(run.checks.length).toBeGreaterThan(0);
      for (const c of run.checks) expect({ os: run.os, check: c.what, ok: c.ok }).toEqual({ os: run.os, check: c.what, ok: true });
    }
  });
});
