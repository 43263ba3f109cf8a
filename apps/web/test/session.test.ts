import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createTraceHeader, type OssimEvent } from '@ossim/eventlog';
import { createKernel, createKernelView, kernelViewReducer, runScenario, SCENARIOS, viewTaskInfos } from '@ossim/kernel';
import { formatPsELf } from '@ossim/trace';
import { describe, expect, it } from 'vitest';
import type { Source } from '../src/protocol.ts';
import { SCENARIO_SEED, SCENARIO_UNTIL_NS, scenarioRuns } from '../src/scenarios.ts';
import { createSeeker } from '../src/worker/seek.ts';
import { loadSession, snapshotAt } from '../src/worker/session.ts';

const scenario = (name: string, run = 0): Source => ({ kind: 'scenario', scenario: name, run, os: null });
const fixtures = join(import.meta.dirname, '../e2e/fixtures');
const bytes = (text: string | Uint8Array): ArrayBuffer => {
  const b = typeof text === 'string' ? new TextEncoder().encode(text) : text;
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
};

/** A recording of a scenario's first run, as ossim run --record writes it. */
function record(name: string): string {
  const run = scenarioRuns(name as (typeof SCENARIOS)[number])[0];
  if (run === undefined) throw new Error(name);
  const lines = [
    JSON.stringify(createTraceHeader('0.1.0', { os: run.os, workload: run.workload, seed: SCENARIO_SEED, untilNs: SCENARIO_UNTIL_NS })),
  ];
  const k = createKernel({
    os: run.os,
    workload: run.workload,
    seed: SCENARIO_SEED,
    attach: (log) => log.listen((e) => lines.push(JSON.stringify(e))),
  });
  k.run({ until: SCENARIO_UNTIL_NS });
  return `${lines.join('\n')}\n`;
}

describe('the scenarios the page offers', () => {
  it.each(SCENARIOS)('%s: the same runs as runScenario (variant, outcome, events, simulated time)', async (name) => {
    const expected = runScenario(name).runs;
    const runs = scenarioRuns(name);
    expect(runs.map((r) => r.label)).toEqual(expected.map((r) => r.os));
    for (let i = 0; i < runs.length; i++) {
      const s = await loadSession(scenario(name, i), () => {});
      const e = expected[i];
      const run = runs[i];
      if (run === undefined || e === undefined) throw new Error(name);
      // runScenario counts from a subscription made after createKernel: the page counts every event, from seq 1.
      const k = createKernel({ os: run.os, workload: run.workload, seed: SCENARIO_SEED });
      const before = k.log.lastSeq;
      expect({ outcome: s.info.outcome, events: s.info.events - before, ns: s.info.endNs }).toEqual({
        outcome: e.outcome,
        events: e.events,
        ns: e.simulatedNs,
      });
    }
  });
});

describe('a session', () => {
  it('single-stack: at the oops the writer’s stack shows the return addresses other’s kernel entry overwrote', async () => {
    const s = await loadSession(scenario('single-stack'), () => {});
    expect(s.info.outcome).toBe('oops');
    const snap = snapshotAt(s, { seq: s.info.events, insns: 0 }, 3, 21);
    expect(snap.oops).toMatch(/invalid opcode/);
    const over = snap.kernelStack?.words.filter((w) => w.kind === 'overwritten') ?? [];
    expect(over.length).toBeGreaterThan(0);
    expect(over.map((w) => w.what).join('\n')).toMatch(/overwritten: tid 3 left the return address 0x[0-9a-f]{8} \w+\+0x/);
    expect(snap.kernelStack?.notes.join('\n')).toMatch(/were overwritten/);
  });

  it('ps -eLf and /proc stack at a seq are what a fresh re-execution and re-fold give (ossim ps / ossim stack)', async () => {
    const s = await loadSession(scenario('preempt-in-kernel'), () => {});
    const run = scenarioRuns('preempt-in-kernel')[0];
    if (run === undefined) throw new Error('no run');
    const inputs = { os: run.os, workload: run.workload, seed: SCENARIO_SEED, untilNs: SCENARIO_UNTIL_NS };
    const n = s.info.events;
    const seqs = [1, Math.floor(n / 5), Math.floor(n / 3), Math.floor(n / 2), n - 1, n];
    // The session moves one kernel forward; each check uses a kernel re-executed from scratch.
    for (const seq of seqs) {
      const snap = snapshotAt(s, { seq, insns: 0 }, 3, 5);
      const fresh = createSeeker(inputs).at(seq, undefined, { fresh: true });
      const view = createKernelView();
      const all: OssimEvent[] = [];
      const k = createKernel({ ...inputs, attach: (log) => log.listen((e) => all.push(e)) });
      k.run({ until: inputs.untilNs });
      for (const e of all) if (e.seq <= seq) kernelViewReducer(view, e);
      expect(snap.ps).toBe(`${formatPsELf(viewTaskInfos(view), { nowNs: view.time }).trimEnd()}\n`);
      const frames = fresh.view.tasks['3'] === undefined ? [] : fresh.kernel.stackTrace(3);
      expect(snap.tid).toBe(fresh.view.tasks['3'] === undefined ? null : 3);
      expect(snap.procStack).toBe(frames.length === 0 ? '' : `${frames.join('\n')}\n`);
    }
  });

  it('steps instructions after an event on the thread’s CPU', async () => {
    const s = await loadSession(scenario('two-stacks'), () => {});
    const snap = snapshotAt(s, { seq: 60, insns: 3 }, 3, 5);
    expect(snap.executed.filter((l) => !l.startsWith('  ->'))).toHaveLength(3);
    expect(snap.executed[0]).toMatch(/^\S+\+0x[0-9a-f]+\/0x[0-9a-f]+: \S/);
  });
});

describe('files', () => {
  it('opens a recording, plain or gzipped, and its moments match the run', async () => {
    const text = record('zombie');
    for (const b of [bytes(text), bytes(gzipSync(text))]) {
      const s = await loadSession({ kind: 'recording', name: 'zombie.ndjson', bytes: b }, () => {});
      expect(s.info.events).toBe(text.trimEnd().split('\n').length - 1);
      const snap = snapshotAt(s, { seq: 100, insns: 0 }, 4, 5);
      expect(snap.seq).toBe(100);
    }
  });

  it('reports a bad recording with the file and line, as the CLI does', async () => {
    const lines = record('zombie').trimEnd().split('\n');
    const gap = [...lines.slice(0, 3), ...lines.slice(4)].join('\n');
    await expect(loadSession({ kind: 'recording', name: 'broken.ndjson', bytes: bytes(gap) }, () => {})).rejects.toThrow(
      /^broken\.ndjson:4: seq jumps from 2 to 4/,
    );
    await expect(loadSession({ kind: 'recording', name: 'junk.ndjson', bytes: bytes(`${lines[0]}\n{nope\n`) }, () => {})).rejects.toThrow(
      /^junk\.ndjson:2: /,
    );
    await expect(loadSession({ kind: 'recording', name: 'nohead.ndjson', bytes: bytes('{"seq":1}\n') }, () => {})).rejects.toThrow(
      /^nohead\.ndjson:1: the first line is not an ossim-trace header/,
    );
  });

  it('runs both real strace samples and maps their tids', async () => {
    for (const name of ['gzip.strace', 'shell-jobs.strace']) {
      const s = await loadSession({ kind: 'strace', name, bytes: bytes(readFileSync(join(fixtures, name))), os: null }, () => {});
      expect(s.info.outcome).toBe('ok');
      expect(Object.keys(s.info.tidMap ?? {}).length).toBeGreaterThan(0);
    }
  });

  it('reports a strace line it cannot parse with the file and line', async () => {
    const text = 'execve("/bin/true", ["true"], 0x7ffd /* 1 var */) = 0\nthis is not strace\n';
    await expect(loadSession({ kind: 'strace', name: 'bad.strace', bytes: bytes(text), os: null }, () => {})).rejects.toThrow(
      /^bad\.strace:2: /,
    );
  });
});

describe('checkpoints', () => {
  it('seeks from checkpoints taken during the first pass give the moments of a fresh re-execution', async () => {
    const s = await loadSession(scenario('kernel-threads'), () => {}, { checkpointEvery: 40 });
    expect(s.info.checkpoints).toBeGreaterThan(3);
    const run = scenarioRuns('kernel-threads')[0];
    if (run === undefined) throw new Error('no run');
    const inputs = { os: run.os, workload: run.workload, seed: SCENARIO_SEED, untilNs: SCENARIO_UNTIL_NS };
    // More seeks than the pool holds: later ones restore a held kernel onto a checkpoint.
    for (const seq of [s.info.events - 5, 41, 200, 119, 80, 81, 250, 30, 161, 199, 240, 45, 90]) {
      const snap = snapshotAt(s, { seq, insns: 0 }, 3, 5);
      const fresh = createSeeker(inputs).at(seq, undefined, { fresh: true });
      const frames = fresh.view.tasks['3'] === undefined ? [] : fresh.kernel.stackTrace(3);
      expect(snap.procStack).toBe(frames.length === 0 ? '' : `${frames.join('\n')}\n`);
      expect(snap.kernelStack?.words.map((w) => w.value)).toEqual(
        fresh.kernel.task(3) === undefined ? undefined : snap.kernelStack?.words.map((w) => fresh.kernel.readKernel32(w.address) >>> 0),
      );
      expect(snap.ps).toContain('UID');
    }
  });

  it('a recording gets checkpoints by one re-execution (prepare), and seeks agree', async () => {
    const text = record('kernel-threads');
    const s = await loadSession({ kind: 'recording', name: 'k.ndjson', bytes: bytes(text) }, () => {});
    const pass = s.seeker.prepare(30);
    while (pass.step()) {}
    expect(s.seeker.checkpoints.length).toBeGreaterThan(5);
    const seq = Math.floor(s.info.events / 2);
    const snap = snapshotAt(s, { seq, insns: 0 }, 3, 5);
    expect(snap.seq).toBe(seq);
  });
});

describe('workload files', () => {
  it('runs a workload JSON or a program on the chosen variant, as ossim run does, and names bad ones', async () => {
    const example = readFileSync(join(import.meta.dirname, '../../../packages/kernel/examples/disk-and-pipes.json'));
    const s = await loadSession({ kind: 'strace', name: 'disk-and-pipes.json', bytes: bytes(example), os: null }, () => {});
    expect(s.info.label).toBe('disk-and-pipes.json on i386');
    expect(s.info.outcome).toBe('ok');
    const prog = '.section .text 0x08048000\n_start:\n  mov r0, SYS_getpid\n  syscall\n  mov r0, SYS_exit\n  mov r1, 0\n  syscall\n';
    const p = await loadSession({ kind: 'strace', name: 'tiny.s', bytes: bytes(prog), os: null }, () => {});
    expect(p.info.events).toBeGreaterThan(10);
    await expect(loadSession({ kind: 'strace', name: 'w.json', bytes: bytes('{nope'), os: null }, () => {})).rejects.toThrow(
      /^w\.json: not JSON \(/,
    );
    await expect(
      loadSession({ kind: 'strace', name: 'bad.s', bytes: bytes('_start:\n  frobnicate r0\n'), os: null }, () => {}),
    ).rejects.toThrow(/^bad\.s:2/);
  });
});
