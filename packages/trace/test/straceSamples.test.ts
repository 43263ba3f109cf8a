import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { formatStrace, formatStraceTree, parseStrace, syscallsByTid } from '../src/index.ts';
import { calls, fixture, itemsOf } from './helpers.ts';

const gzipText = fixture('gzip.strace');
const shellText = fixture('shell-jobs.strace');

describe('the real gzip.strace', () => {
  const log = parseStrace(gzipText, { source: 'gzip.strace' });

  it('parses every line: one task, -ttt and -T', () => {
    expect(log.lines).toBe(100);
    expect(log.records).toHaveLength(100);
    expect(log.timestamps).toBe('ttt');
    expect(log.durations).toBe(true);
    expect(log.tasks.map((t) => t.tid)).toEqual([6171]);
  });

  it('reads the first calls, their arguments, results and times', () => {
    const [execve, brk, mmap, access] = calls(log);
    expect(execve).toMatchObject({
      tid: 6171,
      name: 'execve',
      args: '"/usr/bin/gzip", ["gzip", "-k", "-f", "nums.txt"], 0x7ffcace975e0 /* 3 vars */',
      ret: { kind: 'value', value: 0 },
      timeUs: 1795299209789392,
      durationUs: 653,
      endTimeUs: 1795299209789392 + 653,
      line: 1,
    });
    expect(execve?.parsed).toEqual([
      { kind: 'string', value: '/usr/bin/gzip', truncated: false },
      {
        kind: 'array',
        negated: false,
        items: ['gzip', '-k', '-f', 'nums.txt'].map((value) => ({ kind: 'string', value, truncated: false })),
      },
      { kind: 'number', value: 0x7ffcace975e0, text: '0x7ffcace975e0', comment: '3 vars' },
    ]);
    expect(brk?.ret).toEqual({ kind: 'value', value: 0x55e62c871000, hex: true });
    expect(mmap?.parsed[2]).toEqual({ kind: 'flags', names: ['PROT_READ', 'PROT_WRITE'] });
    expect(access?.ret).toEqual({ kind: 'error', errno: 'ENOENT', message: 'No such file or directory' });
  });

  it('keeps the per-tid call sequence in order, ending in exit_group = ? and the exit line', () => {
    const seq = log.tasks[0]?.syscalls ?? [];
    expect(seq.slice(0, 10)).toEqual(['execve', 'brk', 'mmap', 'access', 'openat', 'newfstatat', 'mmap', 'close', 'openat', 'read']);
    expect(seq).toHaveLength(99);
    expect(seq.filter((n) => n === 'read')).toHaveLength(41);
    expect(seq.at(-1)).toBe('exit_group');
    expect(calls(log).at(-1)?.ret).toEqual({ kind: 'unknown' });
    expect(calls(log).at(-1)?.durationUs).toBeUndefined();
    expect(log.records.at(-1)).toEqual({ kind: 'exited', tid: 6171, code: 0, timeUs: 1795299209945024, line: 100 });
    expect(log.tasks[0]).toMatchObject({ comm: 'gzip', execs: ['/usr/bin/gzip'], end: { kind: 'exited', code: 0 } });
  });

  it('decodes strings with octal escapes and keeps strace truncation', () => {
    const read = calls(log).find((c) => c.name === 'read');
    expect(read?.parsed[1]).toEqual({
      kind: 'string',
      value: '\x7fELF\x02\x01\x01\x03\0\0\0\0\0\0\0\0\x03\0>\0\x01\0\0\0\x10t\x02\0\0\0\0\0',
      truncated: true,
    });
    const write = calls(log).find((c) => c.name === 'write');
    // "\0004" is NUL then '4': octal escapes take at most three digits.
    const s = write?.parsed[1];
    expect(s?.kind === 'string' && s.value.includes('nums.txt\x004\x9d[')).toBe(true);
  });

  it('is formatted back, byte for byte, by the streaming formatter', () => {
    expect(
      formatStrace(itemsOf(log, 1795299209), { prefix: 'tid', timestamps: 'ttt', durations: true, bootEpochSeconds: 1795299209 }),
    ).toBe(gzipText);
  });
});

describe('the real shell-jobs.strace', () => {
  const log = parseStrace(shellText, { source: 'shell-jobs.strace' });

  it('parses every line and joins every unfinished call with its resumed end', () => {
    expect(log.lines).toBe(463);
    const split = calls(log).filter((c) => c.endLine !== undefined);
    const unfinishedLines = shellText.split('\n').filter((l) => l.endsWith('<unfinished ...>')).length;
    const resumedLines = shellText.split('\n').filter((l) => l.includes('<... ')).length;
    expect(unfinishedLines).toBe(resumedLines);
    expect(split).toHaveLength(unfinishedLines);
    expect(calls(log).every((c) => c.ret !== undefined)).toBe(true);
    expect(log.records).toHaveLength(463 - resumedLines);
  });

  it('joins the pieces of a split call: clone(... <unfinished ...>, <... clone resumed>, child_tidptr=...) = 6162', () => {
    const clone = calls(log, 6160).filter((c) => c.name === 'clone')[1];
    expect(clone).toMatchObject({
      args: 'child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f32ec176a10',
      entryArgs: 'child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD',
      ret: { kind: 'value', value: 6162 },
      timeUs: 1795299209747542,
      endTimeUs: 1795299209747698,
      durationUs: 135,
      line: 50,
      endLine: 53,
    });
    expect(clone?.parsed[1]).toEqual({
      kind: 'named',
      name: 'flags',
      value: { kind: 'flags', names: ['CLONE_CHILD_CLEARTID', 'CLONE_CHILD_SETTID', 'SIGCHLD'] },
    });
    // The entry part ended in ", " and strace printed one more space before <unfinished ...>.
    const sigaction = calls(log, 6161).find((c) => c.name === 'rt_sigaction');
    expect(sigaction?.entryArgs).toBe(
      'SIGINT, {sa_handler=SIG_IGN, sa_mask=[INT], sa_flags=SA_RESTORER|SA_RESTART, sa_restorer=0x7f32ec1b5050}, ',
    );
    expect(sigaction?.parsed).toHaveLength(4);
  });

  it('has the right per-tid call sequences (counted by hand from the file)', () => {
    const seqs = syscallsByTid(log);
    expect([...seqs.keys()]).toEqual([6160, 6161, 6162, 6163, 6164, 6165, 6166, 6167]);
    expect(seqs.get(6161)).toEqual([
      'set_robust_list',
      'rt_sigaction',
      'rt_sigaction',
      'close',
      'openat',
      'newfstatat',
      'rt_sigprocmask',
      'vfork',
      'rt_sigprocmask',
      'wait4',
      'rt_sigreturn',
      'wait4',
      'write',
      'exit_group',
    ]);
    expect(seqs.get(6164)?.slice(0, 6)).toEqual(['rt_sigprocmask', 'execve', 'brk', 'mmap', 'access', 'openat']);
    expect(seqs.get(6160)?.slice(44, 53)).toEqual([
      'rt_sigaction',
      'rt_sigaction',
      'rt_sigaction',
      'clone',
      'clone',
      'clone',
      'wait4',
      'rt_sigprocmask',
      'rt_sigsuspend',
    ]);
    expect(seqs.get(6167)?.at(-1)).toBe('exit_group');
  });

  it('derives the process tree: the shell cloned three subshells, each vforked a sleep, then the shell vforked ls', () => {
    const t = (tid: number) => log.tasks.find((x) => x.tid === tid);
    expect(t(6160)).toMatchObject({ tgid: 6160, children: [6161, 6162, 6163, 6167], comm: 'sh', execs: ['/bin/sh'] });
    expect(t(6160)?.creator).toBeUndefined();
    for (const [sub, sleep] of [
      [6161, 6166],
      [6162, 6165],
      [6163, 6164],
    ] as const) {
      expect(t(sub)).toMatchObject({
        creator: 6160,
        via: 'clone',
        thread: false,
        sharedVm: false,
        tgid: sub,
        ppid: 6160,
        children: [sleep],
        comm: 'sh',
      });
      expect(t(sub)?.cloneFlags).toEqual(['CLONE_CHILD_CLEARTID', 'CLONE_CHILD_SETTID', 'SIGCHLD']);
      expect(t(sleep)).toMatchObject({
        creator: sub,
        via: 'vfork',
        thread: false,
        tgid: sleep,
        ppid: sub,
        comm: 'sleep',
        execs: ['/usr/bin/sleep'],
      });
    }
    expect(t(6167)).toMatchObject({ creator: 6160, via: 'vfork', comm: 'ls', end: { kind: 'exited', code: 0 } });
    expect(formatStraceTree(log)).toBe(
      [
        '6160 sh (/bin/sh), exited 0',
        '├─ 6161 sh, process via clone, exited 0',
        '│  └─ 6166 sleep, process via vfork (/usr/bin/sleep), exited 0',
        '├─ 6162 sh, process via clone, exited 0',
        '│  └─ 6165 sleep, process via vfork (/usr/bin/sleep), exited 0',
        '├─ 6163 sh, process via clone, exited 0',
        '│  └─ 6164 sleep, process via vfork (/usr/bin/sleep), exited 0',
        '└─ 6167 ls, process via vfork (/usr/bin/ls), exited 0',
        '',
      ].join('\n'),
    );
  });

  it('reads signals, ERESTARTNOHAND and EINTR results', () => {
    const sig = log.records.find((r) => r.kind === 'signal' && r.tid === 6160);
    expect(sig).toEqual({
      kind: 'signal',
      tid: 6160,
      signal: 'SIGCHLD',
      info: '{si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=6161, si_uid=0, si_status=0, si_utime=0, si_stime=0}',
      timeUs: 1795299209762195,
      line: 322,
    });
    const suspend = calls(log, 6160).find((c) => c.name === 'rt_sigsuspend');
    expect(suspend?.ret).toEqual({ kind: 'unknown', errno: 'ERESTARTNOHAND', message: 'To be restarted if no handler' });
    const sigreturn = calls(log, 6160).find((c) => c.name === 'rt_sigreturn');
    expect(sigreturn?.ret).toEqual({ kind: 'error', errno: 'EINTR', message: 'Interrupted system call' });
  });

  it('is formatted back, byte for byte, with every <unfinished ...> where strace put it', () => {
    expect(
      formatStrace(itemsOf(log, 1795299209), { prefix: 'tid', timestamps: 'ttt', durations: true, bootEpochSeconds: 1795299209 }),
    ).toBe(shellText);
  });

  it('parses the same from an async line source (readline over a stream)', async () => {
    const lines = createInterface({
      input: Readable.from([shellText.slice(0, 5000), shellText.slice(5000)]),
      crlfDelay: Number.POSITIVE_INFINITY,
    });
    const streamed = await parseStrace(lines, { source: 'shell-jobs.strace' });
    expect(streamed).toEqual(log);
  });

  it('can skip argument parsing', () => {
    const raw = parseStrace(shellText, { source: 'shell-jobs.strace', parseArgs: false });
    expect(calls(raw).every((c) => c.parsed.length === 0)).toBe(true);
    expect(calls(raw).map((c) => c.args)).toEqual(calls(log).map((c) => c.args));
  });
});
