import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildWorkload } from '@ossim/kernel';
import { afterAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../src/io.ts';
import { runCli } from '../src/program.ts';
import { cli } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'ossim-record-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const workload = join(dir, 'workload.json');
writeFileSync(
  workload,
  JSON.stringify(
    buildWorkload({
      name: 'record-test',
      processes: [
        {
          comm: 'writer',
          steps: [
            { op: 'disk-write', bytes: 8192 },
            { op: 'write', text: 'written\n' },
          ],
        },
        { comm: 'pinger', steps: [{ op: 'pipe-pingpong', rounds: 3 }] },
      ],
    }),
  ),
);

describe('ossim run --record, then replay', () => {
  it.each(['run.ndjson', 'run.ndjson.gz'])('records a workload run that replays without divergence (%s)', async (name) => {
    const path = join(dir, name);
    const r = await cli('run', workload, '--os', 'x86_64', '--record', path, '--seed', '5');
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    expect(r.out).toContain('written\n');
    expect(r.out).toContain(`recorded to ${path}`);
    const events = Number(/, (\d+) events\n/.exec(r.out)?.[1]);
    const info = JSON.parse((await cli('info', path, '--json')).out) as {
      events: number;
      header: { inputs: { seed: number; os: { name: string } } };
    };
    expect(info.events).toBe(events);
    expect(info.header.inputs.seed).toBe(5);
    expect(info.header.inputs.os.name).toBe('x86_64');
    const v = await cli('replay', path, '--verify');
    expect(v.status).toBe(0);
    expect(v.out).toContain(`${events} events re-executed, no divergence`);
  });

  it('records --until as an input, so the replay stops at the same point', async () => {
    const path = join(dir, 'short.ndjson');
    expect((await cli('run', workload, '--record', path, '--until', '20us')).status).toBe(0);
    expect((await cli('replay', path, '--verify')).status).toBe(0);
    expect(JSON.parse(readFileSync(path, 'utf8').split('\n')[0] as string).inputs.untilNs).toBe(20000);
  });

  it('never replaces a file without --force, and refuses to record a scenario', async () => {
    const path = join(dir, 'keep.ndjson');
    writeFileSync(path, 'mine');
    const r = await cli('run', workload, '--record', path);
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/keep\.ndjson exists \(use --force to replace it\)/);
    expect(readFileSync(path, 'utf8')).toBe('mine');
    expect((await cli('run', workload, '--record', path, '--force')).status).toBe(0);
    expect(readFileSync(path, 'utf8')).not.toBe('mine');
    const s = await cli('run', 'zombie', '--record', join(dir, 'z.ndjson'));
    expect(s.status).toBe(2);
    expect(s.err).toMatch(/a scenario runs several variants/);
  });
});

describe('ossim run --until', () => {
  it('takes a time with its unit and rejects anything else with exit 2', async () => {
    const ok = await cli('run', workload, '--until', '0.5ms');
    expect(ok.status).toBe(0);
    expect(ok.out).toMatch(/after 500000 ns/);
    for (const bad of ['20000', '12 parsecs', '0ns']) {
      const r = await cli('run', workload, '--until', bad);
      expect(r.status).toBe(2);
      expect(r.err).toMatch(/^ossim: --until: /);
    }
  });
});

describe('progress', () => {
  const run = async (isTty: boolean, ...argv: string[]): Promise<string> => {
    let err = '';
    const io: CliIo = {
      out: () => {},
      err: (t) => {
        err += t;
      },
      isTty,
    };
    expect(await runCli(argv, io)).toBe(0);
    return err;
  };

  it('draws a bar over simulated time on a terminal, and nothing otherwise', async () => {
    const tty = await run(true, 'run', workload, '--until', '3ms');
    expect(tty).toMatch(/\d+% \| [\d.]+ \w+ of 3\.000 ms simulated \| \d+ events/);
    expect(await run(false, 'run', workload, '--until', '3ms')).toBe('');
    expect(await run(true, 'run', workload, '--until', '3ms', '--json')).toBe('');
  });
});

describe('the example workload of the README', () => {
  it('runs to completion on every preset', async () => {
    const example = join(import.meta.dirname, '../../../packages/kernel/examples/disk-and-pipes.json');
    for (const os of ['i386', 'x86_64', 'xv6']) {
      const r = await cli('run', example, '--os', os, '--json');
      expect(r.status).toBe(0);
      expect(JSON.parse(r.out).runs[0]).toMatchObject({ os, outcome: 'ok' });
    }
  });
});

describe('ossim run <program.s>', () => {
  it('runs a user program in the project assembly', async () => {
    const path = join(dir, 'hello.s');
    writeFileSync(
      path,
      [
        '.section .text 0x08048000',
        '.func _start',
        '    mov r0, SYS_write',
        '    mov r1, 1',
        '    mov r2, msg',
        '    mov r3, 6',
        '    syscall',
        '    mov r0, SYS_exit_group',
        '    mov r1, 0',
        '    syscall',
        '.endfunc',
        '.section .data 0x08060000',
        'msg: .ascii "hello\\n"',
        '',
      ].join('\n'),
    );
    const r = await cli('run', path, '--os', 'xv6');
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/^hello\n\nxv6: ok after \d+ ns, \d+ events\n$/);
  });

  it('names the file, line and column of a bad program, also without a .section line', async () => {
    const withSection = join(dir, 'bad.s');
    writeFileSync(withSection, '.section .text 0x08048000\n.func _start\n  mvo r0, 1\n.endfunc\n');
    expect((await cli('run', withSection)).err).toBe(`ossim: ${withSection}:3:3: unknown mnemonic "mvo"\n`);
    const bare = join(dir, 'bare.s');
    writeFileSync(bare, '  mov r0, 1\n  mvo r1, 2\n');
    const r = await cli('run', bare);
    expect(r.status).toBe(1);
    expect(r.err).toBe(`ossim: ${bare}:2:3: unknown mnemonic "mvo"\n`);
  });
});
