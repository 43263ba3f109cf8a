import { describe, expect, it } from 'vitest';
import { parseStrace, parseStraceArgs, TraceError } from '../src/index.ts';
import { calls } from './helpers.ts';

function parseError(text: string): TraceError {
  try {
    parseStrace(text, { source: 'bad.strace' });
  } catch (e) {
    if (e instanceof TraceError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('parseStrace: line shapes', () => {
  it('reads the [pid N] prefix of strace -f to a terminal, and unprefixed lines while one task is traced', () => {
    const log = parseStrace(
      [
        'execve("/bin/x", ["x"], 0x7ffd /* 1 var */) = 0',
        'clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f0) = 43',
        '[pid    43] getpid( <unfinished ...>',
        '[pid    42] wait4(-1,  <unfinished ...>',
        '[pid    43] <... getpid resumed>) = 43',
        '[pid    43] +++ exited with 3 +++',
        '<... wait4 resumed>[{WIFEXITED(s) && WEXITSTATUS(s) == 3}], 0, NULL) = 43',
        '--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=43, si_uid=0, si_status=3, si_utime=0, si_stime=0} ---',
        'exit_group(0)                           = ?',
        '+++ exited with 0 +++',
      ].join('\n'),
      { source: 'term.strace', tid: 42 },
    );
    expect(log.timestamps).toBe('none');
    expect(log.durations).toBe(false);
    expect(log.tasks.map((t) => [t.tid, t.syscalls])).toEqual([
      [42, ['execve', 'clone', 'wait4', 'exit_group']],
      [43, ['getpid']],
    ]);
    const wait = calls(log, 42).find((c) => c.name === 'wait4');
    expect(wait).toMatchObject({
      args: '-1, [{WIFEXITED(s) && WEXITSTATUS(s) == 3}], 0, NULL',
      line: 4,
      endLine: 7,
      ret: { kind: 'value', value: 43 },
    });
    expect(wait?.parsed[1]).toEqual({
      kind: 'array',
      negated: false,
      items: [{ kind: 'struct', items: [{ kind: 'raw', text: 'WIFEXITED(s) && WEXITSTATUS(s) == 3' }] }],
    });
  });

  it('without options.tid, gives unprefixed lines to the only live task (0 before any is known)', () => {
    const log = parseStrace('getpid() = 7\n', { source: 'one.strace' });
    expect(log.records[0]).toMatchObject({ tid: 0 });
    const two = parseStrace('9     fork() = 10\n[pid    10] getpid() = 10\n', { source: 'mixed.strace' });
    expect(two.tasks.map((t) => t.tid)).toEqual([9, 10]);
  });

  it('reads -t and -tt timestamps as microseconds since midnight', () => {
    const t = parseStrace('100   22:13:29 getpid() = 100\n100   22:13:30 +++ exited with 0 +++\n', { source: 't.strace' });
    expect(t.timestamps).toBe('t');
    expect(t.records.map((r) => ('timeUs' in r ? r.timeUs : undefined))).toEqual([
      (22 * 3600 + 13 * 60 + 29) * 1e6,
      (22 * 3600 + 13 * 60 + 30) * 1e6,
    ]);
    const tt = parseStrace('[pid   100] 00:00:01.000250 getpid() = 100 <0.000003>\n', { source: 'tt.strace' });
    expect(tt.timestamps).toBe('tt');
    expect(tt.records[0]).toMatchObject({ timeUs: 1_000_250, durationUs: 3, endTimeUs: 1_000_253 });
  });

  it('reads clone3 with flags= and stack_size=: CLONE_THREAD makes a thread of the creator’s process', () => {
    const log = parseStrace(
      [
        '500   clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, child_tid=0x7f8e2ffff910, parent_tid=0x7f8e2ffff910, exit_signal=0, stack=0x7f8e2f7ff000, stack_size=0x7fff80, tls=0x7f8e2ffff640} => {parent_tid=[501]}, 88) = 501',
        '501   gettid() = 501',
        '501   clone3({flags=CLONE_VM|CLONE_VFORK|CLONE_CLEAR_SIGHAND, exit_signal=SIGCHLD, stack=0x7f00, stack_size=0x9000}, 88) = 502',
        '502   execve("/bin/true", ["true"], 0x7ffd /* 0 vars */) = 0',
        '500   fork() = 503',
        '503   +++ killed by SIGSEGV (core dumped) +++',
        '501   +++ exited with 0 +++',
      ].join('\n'),
      { source: 'threads.strace' },
    );
    const t = (tid: number) => log.tasks.find((x) => x.tid === tid);
    expect(t(501)).toMatchObject({ creator: 500, via: 'clone3', thread: true, sharedVm: true, tgid: 500, stackSize: 0x7fff80 });
    expect(t(501)?.ppid).toBeUndefined(); // a thread's parent is its process's parent, unknown here
    expect(t(501)?.cloneFlags).toContain('CLONE_THREAD');
    expect(t(502)).toMatchObject({
      creator: 501,
      via: 'clone3',
      thread: false,
      sharedVm: false,
      tgid: 502,
      ppid: 500,
      stackSize: 0x9000,
      comm: 'true',
    });
    expect(t(503)).toMatchObject({
      via: 'fork',
      thread: false,
      tgid: 503,
      ppid: 500,
      end: { kind: 'killed', signal: 'SIGSEGV', coreDumped: true },
    });
    expect(t(500)?.children).toEqual([501, 503]);
    const clone3 = calls(log, 500)[0];
    expect(clone3?.parsed[0]?.kind).toBe('changed');
    expect(clone3?.parsed[1]).toEqual({ kind: 'number', value: 88, text: '88' });
  });

  it('reads results: hex, -1 errno, ? with a restart code, decoded fds, comments', () => {
    const log = parseStrace(
      [
        '1     mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000001000',
        '1     openat(AT_FDCWD, "/x", O_RDONLY) = 3</x>',
        '1     poll([{fd=3, events=POLLIN}], 1, 0) = 0 (Timeout)',
        '1     read(3, 0x1000, 1) = -1 EAGAIN (Resource temporarily unavailable)',
        '1     nanosleep({tv_sec=1, tv_nsec=0}, 0x7ffd) = ? ERESTART_RESTARTBLOCK (Interrupted by signal)',
      ].join('\n'),
      { source: 'rets.strace' },
    );
    expect(calls(log).map((c) => c.ret)).toEqual([
      { kind: 'value', value: 0x7f0000001000, hex: true },
      { kind: 'value', value: 3, annotation: '</x>' },
      { kind: 'value', value: 0, comment: 'Timeout' },
      { kind: 'error', errno: 'EAGAIN', message: 'Resource temporarily unavailable' },
      { kind: 'unknown', errno: 'ERESTART_RESTARTBLOCK', message: 'Interrupted by signal' },
    ]);
  });

  it('keeps a call the log ends inside without a result, and a thread killed inside a call', () => {
    const log = parseStrace(
      [
        '7     futex(0x1, FUTEX_WAIT, 0, NULL <unfinished ...>',
        '8     exit_group(0) = ?',
        '7     <... futex resumed> <unfinished ...>) = ?',
        '9     read(0,  <unfinished ...>',
        '',
      ].join('\n'),
      { source: 'cut.strace' },
    );
    expect(calls(log, 7)[0]).toMatchObject({ args: '0x1, FUTEX_WAIT, 0, NULL', ret: { kind: 'unknown' }, endLine: 3 });
    expect(calls(log, 9)[0]?.ret).toBeUndefined();
    expect(calls(log, 9)[0]?.entryArgs).toBe('0, ');
  });

  it('reads signals that stop, superseded threads and strace’s attach messages', () => {
    const log = parseStrace(
      [
        'strace: Process 77 attached',
        '77    --- stopped by SIGSTOP ---',
        '78    +++ superseded by execve in pid 77 +++',
        'strace: Process 77 detached',
      ].join('\n'),
      { source: 'misc.strace' },
    );
    expect(log.records.map((r) => r.kind)).toEqual(['attached', 'signal', 'superseded', 'detached']);
    expect(log.records[1]).toMatchObject({ signal: 'SIGSTOP', stopped: true });
    expect(log.tasks.find((t) => t.tid === 78)?.end).toEqual({ kind: 'superseded', by: 77 });
  });
});

describe('parseStrace: errors name the source and the line', () => {
  it.each([
    ['6160  1.000000 getpid() = 1\n6160  1.000001 ???garbage\n', 'bad-line', 2],
    ['1     getpid() = 1\n\n1     <... read resumed>) = 0\n', 'orphan-resumed', 3],
    ['1     read(0,  <unfinished ...>\n1     <... write resumed>) = 0\n', 'resumed-mismatch', 2],
    ['1     read(0,  <unfinished ...>\n1     getpid() = 1\n', 'overlapping-call', 2],
    ['1     getpid() 1\n', 'bad-line', 1],
    ['1     getpid() = banana\n', 'bad-line', 1],
    ['1     1.5 getpid() = 1\n1     getpid() = 1\n', 'bad-line', 2],
    ['1     1.5 getpid() = 1\n1     00:00:01 getpid() = 1\n', 'bad-line', 2],
    ['1     +++ exploded +++\n', 'bad-line', 1],
    ['1     --- SIGCHLD ---\n', 'bad-line', 1],
    ['[pid x] getpid() = 1\n', 'bad-line', 1],
    ['strace: something else\n', 'bad-line', 1],
    ['1     fork() = 2\n[pid 2] getpid() = 2\ngetpid() = 1\n', 'bad-line', 3],
  ] as const)('%j -> %s at line %i', (text, code, line) => {
    const e = parseError(text);
    expect(e.code).toBe(code);
    expect(e.line).toBe(line);
    expect(e.source).toBe('bad.strace');
    expect(e.message.startsWith(`bad.strace:${line}: `)).toBe(true);
  });

  it('says what is wrong with an orphan resumed line', () => {
    expect(parseError('1     <... read resumed>) = 0\n').message).toBe(
      'bad.strace:1: `<... read resumed>` with no unfinished read on tid 1',
    );
  });
});

describe('parseStraceArgs', () => {
  it('parses strings, numbers (octal modes too), flags, arrays, sigsets, structs, named, comments and leaves the rest raw', () => {
    expect(
      parseStraceArgs(
        '4, 0644, -1, "a\\tb\\"c\\x41\\0", [], ~[RTMIN RT_1], {st_mode=S_IFREG|0644, st_size=34547, ...}, 8192*1024, makedev(0x1, 0x3)',
      ),
    ).toEqual([
      { kind: 'number', value: 4, text: '4' },
      { kind: 'number', value: 0o644, text: '0644' },
      { kind: 'number', value: -1, text: '-1' },
      { kind: 'string', value: 'a\tb"cA\0', truncated: false },
      { kind: 'array', items: [], negated: false },
      {
        kind: 'array',
        items: [
          { kind: 'flags', names: ['RTMIN'] },
          { kind: 'flags', names: ['RT_1'] },
        ],
        negated: true,
      },
      {
        kind: 'struct',
        items: [
          { kind: 'named', name: 'st_mode', value: { kind: 'flags', names: ['S_IFREG', '0644'] } },
          { kind: 'named', name: 'st_size', value: { kind: 'number', value: 34547, text: '34547' } },
          { kind: 'ellipsis' },
        ],
      },
      { kind: 'raw', text: '8192*1024' },
      { kind: 'raw', text: 'makedev(0x1, 0x3)' },
    ]);
    expect(parseStraceArgs('')).toEqual([]);
    expect(parseStraceArgs('[{tv_sec=1, tv_nsec=2} /* 2026-11-21T22:13:29 */, {tv_sec=3}]')[0]).toMatchObject({
      kind: 'array',
      items: [{ kind: 'struct', comment: '2026-11-21T22:13:29' }, { kind: 'struct' }],
    });
    expect(parseStraceArgs('"x, y", 2')).toHaveLength(2);
  });
});
