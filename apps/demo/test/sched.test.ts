import { describe, expect, it } from 'vitest';
import { cli } from './helpers.ts';

const run = (...argv: string[]) => cli('sched', ...argv);

describe('ossim sched', () => {
  it('prints a timeline and the per-job table of round robin', async () => {
    const { status, out, err } = await run('--policy', 'RR', '--jobs', '100,200,300', '--quantum', '10');
    expect(err).toBe('');
    expect(status).toBe(0);
    expect(out).toBe(
      [
        'RR (quantum 10 ms): 3 job(s) on 1 CPU; times in ms',
        '',
        'cpu0 |012012012012012012012012012012121212121212121212122222222222|',
        '      1 column = 10 ms, 0 to 600 ms; each job shown by its id, . = idle',
        '',
        'job  length  arrival  response  turnaround    wait',
        '0       100        0         0         280     180',
        '1       200        0        10         490     290',
        '2       300        0        20         600     300',
        'avg                      10.00      456.67  256.67',
        '',
      ].join('\n'),
    );
  });

  it('--json prints exactly policy, quantum, jobs and averages', async () => {
    const { status, out } = await run('--policy', 'FIFO', '--jobs', '100,200,300', '--json');
    expect(status).toBe(0);
    const report = JSON.parse(out);
    expect(Object.keys(report)).toEqual(['policy', 'quantum', 'jobs', 'averages']);
    expect(report.policy).toBe('FIFO');
    expect(report.quantum).toBeNull();
    expect(report.jobs).toEqual([
      { id: 0, length: 100, response: 0, turnaround: 100, wait: 0 },
      { id: 1, length: 200, response: 100, turnaround: 300, wait: 100 },
      { id: 2, length: 300, response: 300, turnaround: 600, wait: 300 },
    ]);
    expect(Object.keys(report.averages)).toEqual(['response', 'turnaround', 'wait']);
    expect(report.averages.turnaround).toBeCloseTo(333.33, 2);
    expect(report.averages.response).toBeCloseTo(133.33, 2);
    expect(out.endsWith('}\n')).toBe(true);
  });

  it('--json reports the quantum of policies that use one', async () => {
    const rr = JSON.parse((await run('--policy', 'rr', '--jobs', '200,200,200', '--quantum', '10', '--json')).out);
    expect(rr).toMatchObject({ policy: 'RR', quantum: 10, averages: { response: 10, turnaround: 590, wait: 390 } });
  });

  it('--arrivals sets arrival times (OSTEP: STCF beats SJF when short jobs arrive late)', async () => {
    const sjf = JSON.parse((await run('--policy', 'SJF', '--jobs', '100,10,10', '--arrivals', '0,10,10', '--json')).out);
    const stcf = JSON.parse((await run('--policy', 'STCF', '--jobs', '100,10,10', '--arrivals', '0,10,10', '--json')).out);
    expect(sjf.averages.turnaround).toBeCloseTo(103.33, 2);
    expect(stcf.averages.turnaround).toBe(50);
  });

  it('--compare runs several policies on the same jobs side by side', async () => {
    const { status, out } = await run('--compare', 'FIFO,SJF,RR', '--jobs', '300,200,100');
    expect(status).toBe(0);
    expect(out).toBe(
      [
        'FIFO vs SJF vs RR: 3 job(s) on 1 CPU; times in ms',
        '',
        'policy  quantum  avg response  avg turnaround  avg wait  makespan  switches',
        'FIFO          -        266.67          466.67    266.67       600         3',
        'SJF           -        133.33          333.33    133.33       600         3',
        // RR: job 2 ends at 300 (10 rounds of 30), job 1 at 300 + 9*20 + 20 = 500, job 0 at 600
        'RR           10         10.00          466.67    266.67       600        51',
        '',
      ].join('\n'),
    );
  });

  it('--compare --json prints an array of reports', async () => {
    const reports = JSON.parse((await run('--compare', 'FIFO,SJF,RR', '--jobs', '300,200,100', '--json')).out);
    expect(reports.map((r: { policy: string }) => r.policy)).toEqual(['FIFO', 'SJF', 'RR']);
    for (const r of reports) expect(Object.keys(r)).toEqual(['policy', 'quantum', 'jobs', 'averages']);
  });

  it('--segments lists who ran when', async () => {
    const { out } = await run('--policy', 'STCF', '--jobs', '100,10,10', '--arrivals', '0,10,10', '--segments');
    expect(out).toContain(
      ['cpu0    0 -  10  job 0', 'cpu0   10 -  20  job 1', 'cpu0   20 -  30  job 2', 'cpu0   30 - 120  job 0'].join('\n'),
    );
  });

  it('random jobs come from the seed: the same seed gives the same jobs', async () => {
    const a = (await run('--policy', 'FIFO', '--random-jobs', '5', '--seed', '42', '--max-len', '50', '--json')).out;
    const b = (await run('--policy', 'FIFO', '--random-jobs', '5', '--seed', '42', '--max-len', '50', '--json')).out;
    const c = (await run('--policy', 'FIFO', '--random-jobs', '5', '--seed', '43', '--max-len', '50', '--json')).out;
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    const lengths = JSON.parse(a).jobs.map((j: { length: number }) => j.length);
    expect(lengths).toHaveLength(5);
    for (const l of lengths) expect(Number.isInteger(l) && l >= 1 && l <= 50).toBe(true);
  });

  it('runs CFS with nice values and several CPUs', async () => {
    const one = JSON.parse((await run('--policy', 'CFS', '--jobs', '100,100', '--nice', '-5,0', '--json')).out);
    expect(one.jobs[0].turnaround).toBeLessThan(one.jobs[1].turnaround);
    const two = JSON.parse((await run('--policy', 'CFS', '--jobs', '100,100', '--cpus', '2', '--json')).out);
    expect(two.averages.turnaround).toBe(100);
  });

  it.each([
    [['--policy', 'XYZ', '--jobs', '1'], 'ossim: --policy: unknown policy "XYZ" (expected one of FIFO, SJF, STCF, RR, PRIO, MLFQ, CFS)'],
    [['--policy', 'RR', '--jobs', '100,abc'], 'ossim: --jobs (item 2): "abc" is not a number'],
    [['--policy', 'RR', '--jobs', '100,,200'], 'ossim: --jobs (item 2): "" is not a number'],
    [['--policy', 'RR', '--jobs', '100,0'], 'ossim: --jobs (item 2): must be more than zero milliseconds, got 0'],
    [['--policy', 'RR', '--jobs', '100', '--quantum', '0'], 'ossim: --quantum: must be more than zero milliseconds, got 0'],
    [['--policy', 'RR', '--jobs', '100', '--quantum', 'ten'], 'ossim: --quantum: "ten" is not a number'],
    [['--policy', 'RR', '--jobs', '100,200', '--arrivals', '0'], 'ossim: --arrivals: 1 value(s) for 2 job(s)'],
    [['--policy', 'RR', '--jobs', '100', '--arrivals', '-5'], 'ossim: --arrivals (item 1): must be zero or more milliseconds, got -5'],
    [['--policy', 'CFS', '--jobs', '100', '--nice', '25'], 'ossim: --nice (item 1): 25 must be an integer in [-20, 19]'],
    [['--policy', 'RR'], 'ossim: give the jobs: --jobs 100,200,300 (lengths in ms) or --random-jobs N'],
    [['--jobs', '100'], 'ossim: give --policy (FIFO, SJF, STCF, RR, PRIO, MLFQ, CFS) or --compare'],
    [['--policy', 'RR', '--compare', 'FIFO', '--jobs', '1'], 'ossim: give either --policy or --compare, not both'],
    [
      ['--compare', 'FIFO,LOTTERY', '--jobs', '1'],
      'ossim: --compare (item 2): unknown policy "LOTTERY" (expected one of FIFO, SJF, STCF, RR, PRIO, MLFQ, CFS)',
    ],
    [['--policy', 'RR', '--jobs', '1', '--random-jobs', '3'], 'ossim: give either --jobs or --random-jobs, not both'],
    [['--policy', 'RR', '--random-jobs', '0'], 'ossim: --random-jobs: 0 must be an integer in [1, 100000]'],
    [['--policy', 'RR', '--random-jobs', '3', '--seed', '1.5'], 'ossim: --seed: 1.5 must be an integer of at least -9007199254740991'],
    [['--policy', 'RR', '--jobs', '1', '--seed', '4'], 'ossim: --seed and --max-len go with --random-jobs'],
    [['--policy', 'RR', '--jobs', '1', '--cpus', '0'], 'ossim: --cpus: 0 must be an integer in [1, 1024]'],
  ])('%j fails with one line and exit status 2', async (argv, message) => {
    const { status, out, err } = await run(...argv);
    expect(err).toBe(`${message}\n`);
    expect(out).toBe('');
    expect(status).toBe(2);
  });

  it('an unknown flag is a commander usage error', async () => {
    const { status, err } = await run('--policy', 'RR', '--jobs', '1', '--frobnicate');
    expect(status).toBe(1);
    expect(err).toContain("unknown option '--frobnicate'");
  });
});
