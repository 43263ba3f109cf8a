import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseStrace } from '@ossim/trace';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'ossim-import-strace-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fixtures = join(import.meta.dirname, '../../../packages/trace/test/fixtures');

interface Summary {
  tids: number;
  processes: number;
  threads: number;
  calls: number;
  outcome: string;
  finished: boolean;
  simulatedNs: number;
  tidMap: Record<string, number>;
}

/**
 * Imports a log with --record and --json, then checks that `ossim strace` of the recording
 * shows, for every tid of the log, the same system call names in the same order. The run
 * numbers its tasks itself: the summary's tidMap maps the log's tids onto the run's by
 * creation order (a root is init's n-th child, every other task the k-th its creator made).
 */
async function importAndCompare(log: string, name: string, ...more: string[]): Promise<Summary> {
  const rec = join(dir, `${name}.ndjson`);
  const r = await cli('import-strace', log, '--record', rec, '--json', ...more);
  expect(r.err).toBe('');
  expect(r.status).toBe(0);
  const summary = JSON.parse(r.out) as Summary;
  expect(summary.outcome).toBe('ok');
  expect(summary.finished).toBe(true);
  const original = parseStrace(readFileSync(log, 'utf8'), { source: log, parseArgs: false });
  const s = await cli('strace', rec);
  expect(s.status).toBe(0);
  const rerun = new Map(parseStrace(s.out, { source: 'rerun', parseArgs: false }).tasks.map((t) => [t.tid, t.syscalls]));
  expect(Object.keys(summary.tidMap)).toHaveLength(original.tasks.length);
  for (const t of original.tasks) {
    const sim = summary.tidMap[String(t.tid)];
    expect(sim, `tid ${t.tid} has a counterpart`).toBeDefined();
    expect({ tid: t.tid, calls: rerun.get(sim as number) }).toEqual({ tid: t.tid, calls: t.syscalls });
  }
  const v = await cli('replay', rec, '--verify');
  expect(v.status).toBe(0);
  expect(v.out).toContain('no divergence');
  return summary;
}

describe('ossim import-strace', () => {
  it('imports the gzip sample: one process, its 99 calls in order, the recorded time', async () => {
    const s = await importAndCompare(join(fixtures, 'gzip.strace'), 'gzip');
    expect(s).toMatchObject({ tids: 1, processes: 1, threads: 0, calls: 99 });
    // The log spans 155.6 ms (-ttt with -T): the run takes that long, give or take the simulated kernel's own work.
    expect(s.simulatedNs).toBeGreaterThan(150_000_000);
    expect(s.simulatedNs).toBeLessThan(170_000_000);
    // Calls replayed on the recorded path show the arguments the log printed.
    const out = (await cli('strace', join(dir, 'gzip.ndjson'))).out;
    expect(out).toMatch(/^\d+\s+openat\(AT_FDCWD, "\/etc\/ld\.so\.cache", O_RDONLY\|O_CLOEXEC\) = 3$/m);
    expect(out).toMatch(/^\d+\s+access\("\/etc\/ld\.so\.preload", R_OK\) = -1 ENOENT \(No such file or directory\)$/m);
    expect(out).toContain('read(3, "\\177ELF\\2\\1\\1\\3\\0');
  });

  it('imports the shell-jobs sample: a shell, its subshells (clone) and their vforked sleeps (execve, wait4)', async () => {
    const s = await importAndCompare(join(fixtures, 'shell-jobs.strace'), 'shell-jobs', '--os', 'i386');
    expect(s).toMatchObject({ tids: 8, processes: 8, threads: 0 });
    expect(s.tidMap['6160']).toBe(3);
    // The sleeps block for their recorded 10-30 ms.
    expect(s.simulatedNs).toBeGreaterThan(30_000_000);
  });

  it('imports an untimed log with [pid N] prefixes, threads, unfinished/resumed pairs, signals and a kill', async () => {
    const log = join(dir, 'threads.strace');
    writeFileSync(
      log,
      [
        '[pid   100] execve("/usr/bin/app", ["app"], 0x7ffd /* 3 vars */) = 0',
        '[pid   100] brk(NULL)                               = 0x55d7ccbc1000',
        '[pid   100] clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM, stack=0x7f00, stack_size=0x7fff00}, 88) = 101',
        '[pid   101] set_robust_list(0x7f00, 24 <unfinished ...>',
        '[pid   100] futex(0x7f10, FUTEX_WAIT_BITSET|FUTEX_CLOCK_REALTIME, 101, NULL, FUTEX_BITSET_MATCH_ANY <unfinished ...>',
        '[pid   101] <... set_robust_list resumed>) = 0',
        '[pid   101] write(1, "hi\\n", 3)          = 3',
        '[pid   101] exit(0)                     = ?',
        '[pid   101] +++ exited with 0 +++',
        '[pid   100] <... futex resumed>)        = 0',
        '[pid   100] fork()                      = 102',
        '[pid   102] getpid()                    = 102',
        '[pid   102] +++ killed by SIGKILL +++',
        '[pid   100] --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_KILLED, si_pid=102, si_uid=0, si_status=SIGKILL, si_utime=0, si_stime=0} ---',
        '[pid   100] wait4(-1, [{WIFSIGNALED(s) && WTERMSIG(s) == SIGKILL}], 0, NULL) = 102',
        '[pid   100] exit_group(0)               = ?',
        '[pid   100] +++ exited with 0 +++',
        '',
      ].join('\n'),
    );
    const s = await importAndCompare(log, 'threads');
    expect(s).toMatchObject({ tids: 3, processes: 2, threads: 1 });
  });

  it('prints a summary, and never overwrites a recording without --force', async () => {
    const rec = join(dir, 'twice.ndjson');
    const r = await cli('import-strace', join(fixtures, 'gzip.strace'), '--record', rec);
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/gzip\.strace: 100 lines, 1 tids \(1 processes, 0 threads\), 99 system calls\n/);
    expect(r.out).toMatch(/x86_64: ok after \d+ ns, \d+ events\n/);
    expect(r.out).toContain('tids (log -> run): 6171->3\n');
    const again = await cli('import-strace', join(fixtures, 'gzip.strace'), '--record', rec);
    expect(again.status).toBe(1);
    expect(again.err).toBe(`ossim: --record: ${rec} exists (use --force to replace it)\n`);
    expect((await cli('import-strace', join(fixtures, 'gzip.strace'), '--record', rec, '--force')).status).toBe(0);
  });

  it('reports a line it cannot parse with its file and line number', async () => {
    const log = join(dir, 'bad.strace');
    writeFileSync(log, '1 getpid() = 1\n1 getppid() = 0\n1 this is not strace\n1 exit_group(0) = ?\n');
    const r = await cli('import-strace', log);
    expect(r.status).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(new RegExp(`^ossim: ${log.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:3: .+\\n$`));
  });

  it('reports a resumed call without its start, and a missing file', async () => {
    const log = join(dir, 'orphan.strace');
    writeFileSync(log, '7 getpid() = 7\n7 <... read resumed>) = 0\n');
    const r = await cli('import-strace', log);
    expect(r.status).toBe(1);
    expect(r.err).toContain(`${log}:2: `);
    const missing = await cli('import-strace', join(dir, 'nope.strace'));
    expect(missing.status).toBe(1);
    expect(missing.err).toBe(`ossim: ${join(dir, 'nope.strace')}: no such file\n`);
  });
});
