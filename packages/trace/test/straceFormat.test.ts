import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createStraceFormatter,
  ERRNOS,
  errnoName,
  formatStrace,
  formatStraceReturn,
  parseStrace,
  type StraceItem,
  type StraceReturn,
  sigchldInfo,
  strerror,
  TraceError,
} from '../src/index.ts';
import { calls, fixture } from './helpers.ts';

const start = (tid: number, timeNs: number, name: string, args: string): StraceItem => ({ kind: 'call-start', tid, timeNs, name, args });
const end = (tid: number, timeNs: number, ret: StraceReturn, args?: string): StraceItem => ({
  kind: 'call-end',
  tid,
  timeNs,
  ret,
  ...(args === undefined ? {} : { args }),
});
const value = (v: number): StraceReturn => ({ kind: 'value', value: v });

describe('strace lines', () => {
  it('prints a call on one line when nothing comes between its start and its end, = aligned at column 40', () => {
    expect(formatStrace([start(6171, 0, 'close', '3'), end(6171, 10, value(0))])).toBe(`6171  close(3)${' '.repeat(26)}= 0\n`);
    expect(
      formatStrace([start(6171, 0, 'brk', 'NULL'), end(6171, 10, { kind: 'value', value: 0x55e62c871000, hex: true })], {
        timestamps: 'ttt',
        bootEpochSeconds: 1795299209,
      }),
    ).toBe('6171  1795299209.000000 brk(NULL)       = 0x55e62c871000\n');
    // Past column 39 the result follows one space after the ")".
    const long = formatStrace([start(1, 0, 'openat', 'AT_FDCWD, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC'), end(1, 1, value(3))]);
    expect(long).toBe('1     openat(AT_FDCWD, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = 3\n');
  });

  it('reproduces real lines of gzip.strace from their facts', () => {
    const real = fixture('gzip.strace').split('\n');
    const epoch = 1795299209;
    const out = formatStrace(
      [
        start(6171, 790353000, 'access', '"/etc/ld.so.preload", R_OK'),
        end(6171, 790365000, { kind: 'error', errno: 'ENOENT' }),
        start(6171, 944840000, 'exit_group', '0'),
        end(6171, 944900000, { kind: 'unknown' }),
        { kind: 'exited', tid: 6171, timeNs: 945024000, code: 0 },
      ],
      { prefix: 'tid', timestamps: 'ttt', durations: true, bootEpochSeconds: epoch },
    ).split('\n');
    expect(out.slice(0, 3)).toEqual([real[3], real[98], real[99]]);
  });

  it('prints <unfinished ...> and <... name resumed> when another thread prints in between (as in shell-jobs.strace)', () => {
    const real = fixture('shell-jobs.strace').split('\n');
    const us = (n: number) => (n - 1795299209_000000) * 1000;
    const out = formatStrace(
      [
        start(6161, us(1795299209747504), 'set_robust_list', '0x7f32ec176a20, 24'),
        start(6160, us(1795299209747542), 'clone', 'child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD'),
        { ...end(6161, us(1795299209747562), value(0)), durationNs: 41000 } as StraceItem,
        start(6162, us(1795299209747680), 'set_robust_list', '0x7f32ec176a20, 24'),
        { ...end(6160, us(1795299209747698), value(6162), ', child_tidptr=0x7f32ec176a10'), durationNs: 135000 } as StraceItem,
      ],
      { timestamps: 'ttt', durations: true, bootEpochSeconds: 1795299209 },
    );
    expect(out).toBe(`${real.slice(48, 53).join('\n')}\n`);
  });

  it('with the [pid N] prefix, -tt and -T', () => {
    const lines: string[] = [];
    const f = createStraceFormatter((l) => lines.push(l), {
      prefix: 'pid',
      timestamps: 'tt',
      durations: true,
      bootEpochSeconds: 22 * 3600 + 13 * 60,
    });
    f.push(start(7, 29_789_392_000, 'read', '3, '));
    f.push(start(8, 29_789_400_000, 'futex', '0x804a000, FUTEX_WAIT, 0, NULL'));
    f.push(end(7, 29_789_515_000, { kind: 'error', errno: 'EAGAIN' }, '0x8049000, 4096'));
    f.push({
      kind: 'signal',
      tid: 8,
      timeNs: 29_790_000_000,
      signal: 'SIGSEGV',
      info: '{si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=NULL}',
    });
    f.push({ kind: 'killed', tid: 8, timeNs: 29_790_100_000, signal: 'SIGSEGV', coreDumped: true });
    f.end();
    expect(lines).toEqual([
      '[pid     7] 22:13:29.789392 read(3,  <unfinished ...>',
      '[pid     8] 22:13:29.789400 futex(0x804a000, FUTEX_WAIT, 0, NULL <unfinished ...>',
      '[pid     7] 22:13:29.789515 <... read resumed>0x8049000, 4096) = -1 EAGAIN (Resource temporarily unavailable) <0.000123>',
      '[pid     8] 22:13:29.790000 --- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=NULL} ---',
      '[pid     8] 22:13:29.790100 <... futex resumed>) = ?',
      '[pid     8] 22:13:29.790100 +++ killed by SIGSEGV (core dumped) +++',
    ]);
  });

  it('-t prints whole seconds; no prefix for a single process; end() leaves a started call unfinished', () => {
    const lines: string[] = [];
    const f = createStraceFormatter((l) => lines.push(l), { prefix: 'none', timestamps: 't' });
    f.push(start(1, 3_725_999_999_999, 'pause', ''));
    f.end();
    f.end();
    expect(lines).toEqual(['01:02:05 pause( <unfinished ...>']);
    expect(() => f.push(start(1, 3_726_000_000_000, 'getpid', ''))).toThrow(TraceError);
  });

  it('prints SIGCHLD siginfo as strace does', () => {
    expect(sigchldInfo({ pid: 6166, status: 0 })).toBe(
      '{si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=6166, si_uid=0, si_status=0, si_utime=0, si_stime=0}',
    );
    expect(fixture('shell-jobs.strace')).toContain(`--- SIGCHLD ${sigchldInfo({ pid: 6166, status: 0 })} ---`);
  });

  it('rejects what strace could never print', () => {
    const bad: Array<[StraceItem[], string]> = [
      [[end(1, 0, value(0))], 'bad-sequence'],
      [[start(1, 0, 'read', ''), start(1, 1, 'write', '')], 'bad-sequence'],
      [[start(1, 5, 'read', ''), end(1, 4, value(0))], 'out-of-order'],
      [[start(1, 0, 'read', ''), end(1, 1, { kind: 'error', errno: 'EWHATEVER' })], 'bad-input'],
      [[{ kind: 'killed', tid: 1, timeNs: 0, signal: 'SIGFOO' }], 'bad-input'],
      [[{ kind: 'exited', tid: 1, timeNs: 0, code: 256 }], 'bad-input'],
      [[start(1, -1, 'read', '')], 'bad-input'],
      [[start(1, 0, 'bad name', '')], 'bad-input'],
    ];
    for (const [items, code] of bad) {
      expect(() => formatStrace(items), JSON.stringify(items)).toThrow(expect.objectContaining({ code }));
    }
  });
});

describe('errno names and texts', () => {
  it('gives strace’s names and glibc’s texts for the errnos the simulator uses', () => {
    const expected: Record<string, [number, string]> = {
      EPERM: [1, 'Operation not permitted'],
      ENOENT: [2, 'No such file or directory'],
      ESRCH: [3, 'No such process'],
      EINTR: [4, 'Interrupted system call'],
      EIO: [5, 'Input/output error'],
      EBADF: [9, 'Bad file descriptor'],
      ECHILD: [10, 'No child processes'],
      EAGAIN: [11, 'Resource temporarily unavailable'],
      ENOMEM: [12, 'Cannot allocate memory'],
      EACCES: [13, 'Permission denied'],
      EFAULT: [14, 'Bad address'],
      EEXIST: [17, 'File exists'],
      EINVAL: [22, 'Invalid argument'],
      ENOTTY: [25, 'Inappropriate ioctl for device'],
      EPIPE: [32, 'Broken pipe'],
      EDEADLK: [35, 'Resource deadlock avoided'],
      ENOSYS: [38, 'Function not implemented'],
      EOPNOTSUPP: [95, 'Operation not supported'],
      ETIMEDOUT: [110, 'Connection timed out'],
    };
    for (const [name, [n, text]] of Object.entries(expected)) {
      expect([errnoName(n), errnoName(-n), strerror(name)]).toEqual([name, name, text]);
    }
    expect(strerror('toString')).toBeUndefined();
    expect(errnoName(41)).toBeUndefined();
    expect(formatStraceReturn({ kind: 'unknown', errno: 'ERESTARTSYS' })).toBe('? ERESTARTSYS (To be restarted if SA_RESTART is set)');
  });
});

// --- The round trip: records -> formatter -> parser -> the same records -------------------

const token = fc.oneof(
  fc.nat({ max: 99999 }).map(String),
  fc.nat().map((n) => `0x${n.toString(16)}`),
  fc.constantFrom('NULL', 'AT_FDCWD', 'O_RDONLY|O_CLOEXEC', 'FUTEX_WAIT_PRIVATE', 'SIG_DFL'),
  fc.string({ unit: fc.constantFrom('a', 'b', ' ', '=', ')', '(', ',', '\\n', '\\"', '\\0'), maxLength: 8 }).map((s) => `"${s}"`),
  fc.constantFrom('{st_mode=S_IFREG|0644, st_size=3, ...}', '[{fd=3, events=POLLIN}]', '~[RTMIN RT_1]'),
);
const argList = fc.array(token, { maxLength: 3 }).map((t) => t.join(', '));
const ret: fc.Arbitrary<StraceReturn> = fc.oneof(
  fc.nat({ max: 1 << 30 }).map((value): StraceReturn => ({ kind: 'value', value })),
  fc.nat({ max: 2 ** 47 }).map((value): StraceReturn => ({ kind: 'value', value, hex: true })),
  fc
    .constantFrom(...Object.keys(ERRNOS).filter((e) => !e.startsWith('ERESTART') && e !== 'ENOIOCTLCMD'))
    .map((errno): StraceReturn => ({ kind: 'error', errno })),
  fc.constantFrom('ERESTARTSYS', 'ERESTARTNOHAND').map((errno): StraceReturn => ({ kind: 'unknown', errno })),
);
const step = fc.record({
  tid: fc.integer({ min: 100, max: 103 }),
  dtUs: fc.nat({ max: 2000 }),
  name: fc.constantFrom('read', 'write', 'futex', 'getpid', 'openat', 'clock_nanosleep'),
  entry: argList,
  exit: argList,
  ret,
});

type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

interface Expected {
  tid: number;
  name: string;
  entry: string;
  exit: string;
  ret: StraceReturn;
  startNs: number;
  endNs?: number;
}

/** Turns random steps into formatter items: each step starts a call of its tid, or ends the one it has open. */
function schedule(steps: ReadonlyArray<Step>): {
  items: StraceItem[];
  expected: Expected[];
} {
  const items: StraceItem[] = [];
  const expected: Expected[] = [];
  const open = new Map<number, Expected>();
  let ns = 0;
  for (const s of steps) {
    ns += s.dtUs * 1000;
    const o = open.get(s.tid);
    if (o === undefined) {
      const entry = s.exit === '' || s.entry === '' ? s.entry : `${s.entry}, `;
      const e: Expected = { tid: s.tid, name: s.name, entry, exit: s.exit, ret: s.ret, startNs: ns };
      open.set(s.tid, e);
      expected.push(e);
      items.push(start(s.tid, ns, s.name, entry));
    } else {
      open.delete(s.tid);
      o.endNs = ns;
      items.push(end(s.tid, ns, o.ret, o.exit));
    }
  }
  // Every task exits; a call still open ends with `= ?` and no exit-time arguments.
  for (const tid of [...new Set(steps.map((s) => s.tid))].sort()) {
    ns += 1000;
    const o = open.get(tid);
    if (o !== undefined) {
      o.exit = '';
      o.ret = { kind: 'unknown' };
      o.endNs = ns;
    }
    items.push({ kind: 'exited', tid, timeNs: ns, code: tid % 7 });
  }
  return { items, expected };
}

describe('round trip: format -> parse gives back the same calls', () => {
  it('for any interleaving of threads, prefix and timing', () => {
    fc.assert(
      fc.property(
        fc.array(step, { maxLength: 40 }),
        fc.constantFrom('tid', 'pid') as fc.Arbitrary<'tid' | 'pid'>,
        fc.constantFrom('none', 'tt', 'ttt') as fc.Arbitrary<'none' | 'tt' | 'ttt'>,
        fc.boolean(),
        (steps, prefix, timestamps, durations) => {
          const { items, expected } = schedule(steps);
          const text = formatStrace(items, { prefix, timestamps, durations });
          const log = parseStrace(text, { source: 'roundtrip' });
          const got = calls(log);
          expect(got).toHaveLength(expected.length);
          got.forEach((c, i) => {
            const e = expected[i] as Expected;
            const fullRet: StraceReturn =
              e.ret.kind === 'value' ? e.ret : e.ret.errno === undefined ? e.ret : { ...e.ret, message: strerror(e.ret.errno) as string };
            expect(c.tid).toBe(e.tid);
            expect(c.name).toBe(e.name);
            expect(c.args).toBe(e.entry + e.exit);
            expect(c.ret).toEqual(fullRet);
            if (c.endLine !== undefined) expect(c.entryArgs).toBe(e.entry);
            const never = e.ret.kind === 'unknown' && e.ret.errno === undefined;
            if (timestamps !== 'none') {
              expect(c.timeUs).toBe(e.startNs / 1000);
              if (c.endLine !== undefined) expect(c.endTimeUs).toBe((e.endNs as number) / 1000);
            }
            if (durations && !never) expect(c.durationUs).toBe(((e.endNs as number) - e.startNs) / 1000);
            else expect(c.durationUs).toBeUndefined();
          });
          // Formatting the parsed log again gives the same text.
          const tids = [...new Set(steps.map((s) => s.tid))];
          expect(log.tasks.map((t) => t.tid).sort()).toEqual(tids.sort());
          for (const t of log.tasks) expect(t.end).toEqual({ kind: 'exited', code: t.tid % 7 });
        },
      ),
      { numRuns: 300 },
    );
  });
});
