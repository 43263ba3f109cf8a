import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTraceHeader } from '@ossim/eventlog';
import { recordTraceFile } from '@ossim/eventlog/node';
import { buildWorkload, createKernel, PRESETS } from '@ossim/kernel';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'ossim-views-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const trace = join(dir, 'run.ndjson.gz');

const workload = buildWorkload({
  name: 'views-test',
  processes: [
    {
      comm: 'app',
      steps: [{ op: 'threads', count: 2, steps: [{ op: 'getpid' }, { op: 'disk-write', bytes: 4096 }, { op: 'sleep', ns: 1_000_000 }] }],
    },
    { comm: 'shell', steps: [{ op: 'fork', child: [{ op: 'write', text: 'hi\n' }] }, { op: 'wait' }, { op: 'write', text: 'done\n' }] },
  ],
});

beforeAll(() => {
  const rec = recordTraceFile(trace, createTraceHeader('0.1.0', { os: PRESETS.i386, workload, seed: 7 }));
  const kernel = createKernel({ os: PRESETS.i386, workload, seed: 7, attach: (log) => rec.attach(log) });
  const result = kernel.run();
  rec.close();
  expect(result.outcome).toBe('ok');
});

describe('views of a recording', () => {
  it('ps -LA lists every live thread at the end, in the real layout', async () => {
    const r = await cli('ps', trace);
    expect(r.status).toBe(0);
    expect(r.out.endsWith('\n')).toBe(true);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toBe('  PID   LWP TTY          TIME CMD');
    expect(lines.some((l) => /^\s+1\s+1 \?\s+\d\d:\d\d:\d\d init$/.test(l))).toBe(true);
    expect(lines.some((l) => /^\s+2\s+2 \?\s+\d\d:\d\d:\d\d kthreadd$/.test(l))).toBe(true);
  });

  it('ps -f at an earlier seq shows the threads alive then, kernel threads in brackets', async () => {
    const info = await cli('info', trace, '--json');
    const total = JSON.parse(info.out).events as number;
    let found = false;
    for (const at of [Math.floor(total / 4), Math.floor(total / 2)]) {
      const r = await cli('ps', trace, '-f', '--at', String(at));
      expect(r.status).toBe(0);
      expect(r.out.split('\n')[0]).toBe('UID        PID  PPID   LWP  C NLWP STIME TTY          TIME CMD');
      expect(r.out).toContain('[kthreadd]');
      if (/\bapp\b/.test(r.out)) found = true;
    }
    expect(found).toBe(true);
  });

  it('strace -f shows each thread’s calls with Linux return conventions', async () => {
    const r = await cli('strace', trace);
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/^\d+\s+fork\(\)\s+= \d+$/m);
    expect(r.out).toMatch(/write\(1, "hi\\n", 3\)\s+= 3/);
    expect(r.out).toMatch(/wait4\(/);
    expect(r.out).toMatch(/\+\+\+ exited with 0 \+\+\+/);
    const tt = await cli('strace', trace, '--timestamps', 'ttt', '-T');
    expect(tt.out).toMatch(/^\d+\s+\d+\.\d{6} \w+\(.*<\d+\.\d{6}>$/m);
    const bad = await cli('strace', trace, '--timestamps', 'xx');
    expect(bad.status).toBe(2);
    expect(bad.err).toMatch(/--timestamps: "xx" is not one of t, tt, ttt/);
  });

  it('status and meminfo of a moment', async () => {
    const s = await cli('status', trace, '1');
    expect(s.status).toBe(0);
    expect(s.out).toMatch(/^Name:\tinit$/m);
    expect(s.out.endsWith('\n')).toBe(true);
    expect(s.out).toMatch(/^Pid:\t1$/m);
    expect(s.out).toMatch(/^voluntary_ctxt_switches:\t\d+$/m);
    const m = await cli('meminfo', trace, '--at', '1ms');
    expect(m.out).toMatch(/^KernelStack:\s+\d+ kB\n$/);
    const none = await cli('status', trace, '999');
    expect(none.status).toBe(1);
    expect(none.err).toMatch(/no thread 999 at seq \d+/);
    const late = await cli('ps', trace, '--at', '99999999');
    expect(late.status).toBe(1);
    expect(late.err).toMatch(/ends at seq \d+, before seq 99999999/);
    const badAt = await cli('ps', trace, '--at', '12 parsecs');
    expect(badAt.status).toBe(2);
  });
});

describe('replay', () => {
  it('--verify re-executes the inputs and finds no divergence', async () => {
    const r = await cli('replay', trace, '--verify');
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/\d+ events re-executed, no divergence/);
  });

  it('--verify reports the first divergence of a tampered recording at its seq', async () => {
    const { gunzipSync } = await import('node:zlib');
    const lines = gunzipSync(readFileSync(trace)).toString('utf8').split('\n');
    const i = lines.findIndex((l, n) => n > 50 && l.includes('"type":"syscall.exit"'));
    const seq = JSON.parse(lines[i] as string).seq as number;
    lines[i] = (lines[i] as string).replace(/"ret":(-?\d+)/, (_m, v: string) => `"ret":${Number(v) + 100}`);
    const tampered = join(dir, 'tampered.ndjson');
    writeFileSync(tampered, lines.join('\n'));
    const r = await cli('replay', tampered, '--verify');
    expect(r.status).toBe(1);
    expect(r.out).toContain(`divergence at seq ${seq}: field "ret" differs`);
    expect(r.out).toContain('the 10 events before it:');
    expect(r.err).toBe(`ossim: ${tampered}: diverged at seq ${seq}\n`);
  });

  it('--os runs the same inputs on another variant, side by side', async () => {
    const r = await cli('replay', trace, '--os', 'x86_64');
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/^\s+i386\s+x86_64$/m);
    expect(r.out).toMatch(/^context switches\s+\d+\s+\d+$/m);
    expect(r.out).toMatch(/^KernelStack peak\s+\d+ kB\s+\d+ kB$/m);
    const bad = await cli('replay', trace, '--os', 'nosuch');
    expect(bad.status).toBe(2);
    expect((await cli('replay', trace)).status).toBe(2);
  });
});

describe('export', () => {
  it('--format chrome writes valid Trace Event JSON with properly nested slices per thread', async () => {
    const out = join(dir, 'run.json');
    const r = await cli('export', trace, '--format', 'chrome', '-o', out);
    expect(r.status).toBe(0);
    const json = JSON.parse(readFileSync(out, 'utf8')) as {
      traceEvents: { ph: string; name: string; pid: number; tid: number; ts: number; dur?: number }[];
      displayTimeUnit: string;
    };
    expect(json.displayTimeUnit).toBe('ns');
    const phases = new Set(json.traceEvents.map((e) => e.ph));
    for (const ph of ['M', 'B', 'E', 'X', 'i']) expect(phases).toContain(ph);
    // B/E pair up per track, innermost first, and time never goes back on a track.
    const open = new Map<string, string[]>();
    const lastTs = new Map<string, number>();
    for (const e of json.traceEvents) {
      if (e.ph === 'M') continue;
      const k = `${e.pid}/${e.tid}`;
      expect(e.ts).toBeGreaterThanOrEqual(lastTs.get(k) ?? 0);
      lastTs.set(k, e.ts);
      const stack = open.get(k) ?? [];
      open.set(k, stack);
      if (e.ph === 'B') stack.push(e.name);
      if (e.ph === 'E') expect(stack.pop()).toBeDefined();
    }
    for (const stack of open.values()) expect(stack).toEqual([]);
    expect(json.traceEvents.some((e) => e.ph === 'B' && e.name === 'write')).toBe(true);
    expect(json.traceEvents.some((e) => e.ph === 'B' && /^irq \d+$/.test(e.name))).toBe(true);
    const again = await cli('export', trace, '--format', 'chrome', '-o', out);
    expect(again.status).toBe(1);
    expect(again.err).toMatch(/exists \(use --force/);
  });

  it('--format ftrace starts with the tracer header and its lines parse as the kernel prints them', async () => {
    const out = join(dir, 'run.ftrace');
    expect((await cli('export', trace, '--format', 'ftrace', '-o', out)).status).toBe(0);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('# tracer: nop');
    expect(lines[2]).toMatch(/^# entries-in-buffer\/entries-written: (\d+)\/\1 {3}#P:1$/);
    const body = lines.filter((l) => !l.startsWith('#'));
    expect(body.length).toBe(Number(/(\d+)\//.exec(lines[2] as string)?.[1]));
    const line = /^ +\S+-\d+ +\[\d{3}\] [d.][Nn.][hsH.][0-9.][0-9.] +\d+\.\d{6}: (sched_switch|sched_wakeup|sched_wakeup_new): (.*)$/;
    for (const l of body) expect(l).toMatch(line);
    expect(
      body.some((l) =>
        / sched_switch: prev_comm=\S+ prev_pid=\d+ prev_prio=120 prev_state=[RSDZX+|]+ ==> next_comm=\S+ next_pid=\d+ next_prio=120$/.test(
          l,
        ),
      ),
    ).toBe(true);
    expect(body.some((l) => / sched_wakeup: comm=\S+ pid=\d+ prio=120 target_cpu=000$/.test(l))).toBe(true);
    expect((await cli('export', trace, '--format', 'svg', '-o', join(dir, 'x'))).status).toBe(2);
  });
});

describe('stack and stacks: memory at a moment, by re-execution', () => {
  /** The seq at which init (tid 1) has just been switched out, asleep in wait4. */
  const initAsleep = async (): Promise<number> => {
    const { gunzipSync } = await import('node:zlib');
    const events = gunzipSync(readFileSync(trace))
      .toString('utf8')
      .trimEnd()
      .split('\n')
      .slice(1)
      .map((l) => JSON.parse(l) as { seq: number; type: string; tid?: number; name?: string; prevTid?: number; prevState?: string });
    const wait = events.find((e) => e.type === 'syscall.enter' && e.tid === 1 && e.name === 'wait4');
    const off = events.find((e) => e.seq > (wait?.seq ?? 0) && e.type === 'sched.switch' && e.prevTid === 1 && e.prevState === 'S');
    if (off === undefined) throw new Error('init never slept in wait4');
    return off.seq;
  };

  it('stack unwinds a sleeping thread’s kernel stack from simulated memory, innermost first', async () => {
    const seq = await initAsleep();
    const r = await cli('stack', trace, '1', '--at', String(seq));
    expect(r.err).toBe('');
    const lines = r.out.trimEnd().split('\n');
    for (const l of lines) expect(l).toMatch(/^\[<0>\] [\w.]+\+0x[0-9a-f]+\/0x[0-9a-f]+$/);
    expect(lines[0]).toMatch(/context_switch|__switch_to/);
    expect(r.out).toMatch(/do_wait/);
    expect(lines.at(-1)).toMatch(/^\[<0>\] entry_SYSCALL\+/);
  });

  it('stacks draws the same stack as memory: trap frame, frames, thread_info and the magic', async () => {
    const seq = await initAsleep();
    const r = await cli('stacks', trace, '1', '--at', String(seq));
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/^tid 1 init: contiguous stack 0x[0-9a-f]{8}-0x[0-9a-f]{8} \(8 KiB\), at seq \d+/);
    expect(r.out).toMatch(/trap frame: pc \(user\)/);
    expect(r.out).toMatch(/-> do_wait\+0x/);
    expect(r.out).toMatch(/<- thread\.sp \(saved SP\)/);
    expect(r.out).toMatch(/0x57ac6e9d \| {2}STACK_END_MAGIC/);
    expect(r.out).toMatch(/0x00000001 \| {2}thread_info\.task/);
  });

  it('refuses a moment past the end, and a recording its inputs do not reproduce', async () => {
    const late = await cli('stack', trace, '1', '--at', '99999999');
    expect(late.status).toBe(1);
    expect(late.err).toMatch(/ends at seq \d+, before seq 99999999/);
    const { gunzipSync } = await import('node:zlib');
    const lines = gunzipSync(readFileSync(trace)).toString('utf8').split('\n');
    const seq = await initAsleep();
    lines[seq] = (lines[seq] as string).replace(/"time":(\d+)/, (_m, t: string) => `"time":${Number(t) + 1}`);
    const forged = join(dir, 'forged.ndjson');
    writeFileSync(forged, lines.join('\n'));
    const r = await cli('stack', forged, '1', '--at', String(seq));
    expect(r.status).toBe(1);
    expect(r.err).toMatch(new RegExp(`does not reach seq ${seq} as recorded`));
  });

  it('names a thread that does not exist at that moment', async () => {
    const r = await cli('stack', trace, '42', '--at', '10');
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/no thread 42 at seq 10/);
  });
});
