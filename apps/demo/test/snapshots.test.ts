import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildWorkload } from '@ossim/kernel';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nearestSnapshot, snapshotsPath } from '../src/snapshots.ts';
import { cli } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'ossim-snapshots-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const workload = join(dir, 'workload.json');
const withSnaps = join(dir, 'with.ndjson');
const without = join(dir, 'without.ndjson');
let events = 0;

beforeAll(async () => {
  writeFileSync(
    workload,
    JSON.stringify(
      buildWorkload({
        name: 'snapshots-test',
        processes: [
          {
            comm: 'app',
            steps: [
              { op: 'threads', count: 3, steps: [{ op: 'loop', times: 4, steps: [{ op: 'disk-write', bytes: 1024 }, { op: 'yield' }] }] },
            ],
          },
          { comm: 'pinger', steps: [{ op: 'pipe-pingpong', rounds: 20 }] },
        ],
      }),
    ),
  );
  const a = await cli('run', workload, '--os', 'x86_64', '--record', withSnaps, '--snapshot-every', '150');
  expect(a.err).toBe('');
  events = Number(/, (\d+) events\n/.exec(a.out)?.[1]);
  const b = await cli('run', workload, '--os', 'x86_64', '--record', without, '--snapshot-every', '0');
  expect(b.status).toBe(0);
});

describe('snapshots beside a recording', () => {
  it('--record writes a checkpoint every --snapshot-every events into <trace>.snapshots (none with 0)', () => {
    expect(events).toBeGreaterThan(600);
    expect(existsSync(snapshotsPath(withSnaps))).toBe(true);
    expect(existsSync(snapshotsPath(without))).toBe(false);
    const early = nearestSnapshot(withSnaps, { seq: 149 });
    expect(early).toBeUndefined();
    const mid = nearestSnapshot(withSnaps, { seq: 460 });
    expect(mid?.seq).toBeGreaterThanOrEqual(300);
    expect(mid?.seq).toBeLessThanOrEqual(460);
  });

  it('stack and stacks --at restore the nearest snapshot and show exactly what a re-execution from boot shows', async () => {
    for (const at of [Math.floor(events / 3), Math.floor(events / 2), events - 5]) {
      for (const tid of ['1', '5']) {
        const fast = await cli('stacks', withSnaps, tid, '--at', String(at));
        const slow = await cli('stacks', without, tid, '--at', String(at));
        expect(fast.err.replaceAll(withSnaps, without)).toBe(slow.err);
        expect(fast.out).toBe(slow.out);
        const a = await cli('stack', withSnaps, tid, '--at', String(at));
        const b = await cli('stack', without, tid, '--at', String(at));
        expect(a.out).toBe(b.out);
        expect(a.status).toBe(b.status);
        if (tid === '1') expect(a.status).toBe(0);
      }
    }
  });

  it('a real strace log replayed with snapshots shows the same stacks as without', async () => {
    const log = join(import.meta.dirname, '../../../packages/trace/test/fixtures/shell-jobs.strace');
    const a = join(dir, 'jobs.ndjson');
    const b = join(dir, 'jobs-plain.ndjson');
    const ra = await cli('import-strace', log, '--record', a, '--snapshot-every', '100', '--json');
    const rb = await cli('import-strace', log, '--record', b, '--snapshot-every', '0', '--json');
    expect(ra.err).toBe('');
    expect(ra.out).toBe(rb.out);
    const total = (JSON.parse(ra.out) as { events: number }).events;
    const tids = Object.values((JSON.parse(ra.out) as { tidMap: Record<string, number> }).tidMap);
    let shown = 0;
    for (const at of [Math.floor(total / 3), Math.floor((2 * total) / 3)]) {
      for (const tid of tids.slice(0, 3)) {
        const fast = await cli('stack', a, String(tid), '--at', String(at));
        const slow = await cli('stack', b, String(tid), '--at', String(at));
        expect(fast.out).toBe(slow.out);
        expect(fast.err.replaceAll(a, b)).toBe(slow.err);
        if (fast.status === 0 && fast.out !== '') shown++;
      }
    }
    expect(shown).toBeGreaterThan(2);
  });

  it('refuses to replace snapshots without --force, and --force replaces both files', async () => {
    const again = await cli('run', workload, '--os', 'x86_64', '--record', join(dir, 'fresh.ndjson'), '--snapshot-every', '150');
    expect(again.status).toBe(0);
    rmSync(join(dir, 'fresh.ndjson'));
    const refused = await cli('run', workload, '--os', 'x86_64', '--record', join(dir, 'fresh.ndjson'));
    expect(refused.status).toBe(1);
    expect(refused.err).toContain(`--record: ${snapshotsPath(join(dir, 'fresh.ndjson'))} exists (use --force to replace it)`);
    const forced = await cli('run', workload, '--os', 'x86_64', '--record', join(dir, 'fresh.ndjson'), '--force', '--snapshot-every', '0');
    expect(forced.status).toBe(0);
    expect(existsSync(snapshotsPath(join(dir, 'fresh.ndjson')))).toBe(false);
  });

  it('gives a clear error for a nonsense --snapshot-every, and for a damaged or foreign snapshot file', async () => {
    const bad = await cli('run', workload, '--record', join(dir, 'x.ndjson'), '--snapshot-every', 'often');
    expect(bad.status).toBe(2);
    expect(bad.err).toContain('--snapshot-every: "often" is not a number of events (0: no snapshots)');
    const alone = await cli('run', workload, '--snapshot-every', '10');
    expect(alone.status).toBe(2);
    expect(alone.err).toContain('--snapshot-every: only with --record');

    const damaged = join(dir, 'damaged.ndjson');
    writeFileSync(damaged, readFileSync(withSnaps));
    const snaps = readFileSync(snapshotsPath(withSnaps));
    writeFileSync(snapshotsPath(damaged), snaps.subarray(0, snaps.length - 10));
    const r = await cli('stack', damaged, '1', '--at', String(events - 5));
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/damaged\.ndjson\.snapshots: (truncated|the snapshot at seq \d+ is damaged)/);

    const foreign = join(dir, 'foreign.ndjson');
    const other = await cli('run', workload, '--os', 'i386', '--record', foreign, '--snapshot-every', '0');
    expect(other.status).toBe(0);
    writeFileSync(snapshotsPath(foreign), snaps);
    const f = await cli('stack', foreign, '1', '--at', String(events - 5));
    expect(f.status).toBe(1);
    expect(f.err).toContain('foreign.ndjson.snapshots: the checkpoint was taken on a run of other inputs');
  });
});
