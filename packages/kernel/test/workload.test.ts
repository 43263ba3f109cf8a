import { describe, expect, it } from 'vitest';
import { buildWorkload, checkWorkload, createKernel, KernelError, PRESETS } from '../src/index.ts';

const ok = { name: 'w', programs: { a: '_start:\n    hlt\n' }, processes: [{ program: 'a' }] };

describe('checkWorkload', () => {
  it('returns a workload as it is, and every built workload passes', () => {
    expect(checkWorkload(ok)).toBe(ok);
    const built = buildWorkload({
      name: 'b',
      processes: [{ comm: 'app', steps: [{ op: 'yield' }] }],
      nic: [1000],
      kthreads: [{ name: 'kw', cycles: 10, period: 1000 }],
    });
    expect(checkWorkload(JSON.parse(JSON.stringify(built)))).toEqual(built);
  });

  it.each([
    [null, 'a workload is an object with name, programs and processes, not null'],
    [{ ...ok, name: 3 }, 'name: a string, not 3'],
    [{ name: 'w', processes: [] }, 'programs: missing (an object of program names to assembly sources)'],
    [{ ...ok, programs: { a: 1 } }, 'programs.a: an assembly source (a string), not 1'],
    [{ ...ok, processes: {} }, 'processes: an array of { "program": name }, not an object'],
    [{ ...ok, processes: ['a'] }, 'processes[0]: an object { "program": name }, not "a"'],
    [{ ...ok, processes: [{ program: 7 }] }, 'processes[0].program: a program name (a string), not 7'],
    [{ ...ok, nic: [1.5] }, 'nic[0]: a time in ns (an integer >= 0), not 1.5'],
    [{ ...ok, kthreads: [{ name: 'k', cycles: 0, period: 5 }] }, 'kthreads[0].cycles: an integer > 0, not 0'],
    [{ ...ok, kthreads: [{ name: 'k', cycles: 5 }] }, 'kthreads[0].period: missing (an integer > 0 (ns))'],
    [{ ...ok, syscalls: { mine: 'x' } }, 'syscalls.mine: a system-call number, not "x"'],
    [
      { name: 'w', processes: [{ comm: 'app', steps: [] }] },
      'programs: missing (an object of program names to assembly sources; processes with "steps" are the input of buildWorkload, which makes a workload of them)',
    ],
  ])('%j: %s', (value, message) => {
    let caught: unknown;
    try {
      checkWorkload(value);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(KernelError);
    expect((caught as KernelError).code).toBe('bad-workload');
    expect((caught as KernelError).message).toBe(message);
  });

  it('is what createKernel checks its workload with', () => {
    expect(() => createKernel({ os: PRESETS.i386, workload: { name: 'w', processes: [] } as never })).toThrow(/programs: missing/);
  });
});
