import { describe, expect, it } from 'vitest';
import {
  type FtraceEntry,
  formatFtrace,
  formatFtraceHeader,
  formatFtraceLine,
  formatLatencyFlags,
  ftracePrio,
  TraceError,
} from '../src/index.ts';

/** A line of the trace file, as trace_output.c prints it (`%16s-%-7d [%03d] <5 flags> %5lu.%06lu: event: fields`). */
const LINE = /^(.{16})-(\d+) {1,7}\[(\d{3})\] ([dDbX.])([BNLbnpl.])([ZzHhs.])([0-9a-f.])([0-9a-f.]) ( *\d+)\.(\d{6}): (sched_\w+): (.*)$/;
const SWITCH =
  /^prev_comm=(.+) prev_pid=(\d+) prev_prio=(\d+) prev_state=([RSDTtXZPI](?:\|[SDTtXZPI])*\+?) ==> next_comm=(.+) next_pid=(\d+) next_prio=(\d+)$/;
const WAKEUP = /^comm=(.+) pid=(\d+) prio=(\d+) target_cpu=(\d{3})$/;

const sw = (
  over: Partial<FtraceEntry> = {},
  fields: Partial<Extract<FtraceEntry['fields'], { event: 'sched_switch' }>> = {},
): FtraceEntry => ({
  comm: 'bash',
  pid: 812,
  cpu: 1,
  timeNs: 2076_129_000_123,
  ...over,
  fields: {
    event: 'sched_switch',
    prevComm: 'bash',
    prevPid: 812,
    prevPrio: 120,
    prevState: 'S',
    nextComm: 'swapper/1',
    nextPid: 0,
    nextPrio: 120,
    ...fields,
  },
});

describe('ftrace text', () => {
  it('prints the header exactly as LINUX-FACTS §7 (trace.c) gives it', () => {
    const lines = formatFtraceHeader({ entries: 6, cpus: 2 }).split('\n');
    expect(lines.slice(0, 4)).toEqual(['# tracer: nop', '#', '# entries-in-buffer/entries-written: 6/6   #P:2', '#']);
    expect(lines.slice(-3)).toEqual([
      '#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION',
      '#              | |         |   |||||     |         |',
      '',
    ]);
    expect(lines.slice(4, 10)).toEqual([
      '#                                _-----=> irqs-off/BH-disabled',
      '#                               / _----=> need-resched',
      '#                              | / _---=> hardirq/softirq',
      '#                              || / _--=> preempt-depth',
      '#                              ||| / _-=> migrate-disable',
      '#                              |||| /     delay',
    ]);
    // The legend's columns line up with the flag columns of the lines below.
    const line = formatFtraceLine(sw());
    expect(lines[9]?.indexOf('|')).toBe(line.indexOf('] ') + 2);
    expect(formatFtraceHeader({ entries: 3, written: 10, cpus: 1 })).toContain('# entries-in-buffer/entries-written: 3/10   #P:1\n');
    expect(() => formatFtraceHeader({ entries: 3, written: 2, cpus: 1 })).toThrow(TraceError);
  });

  it('prints LINUX-FACTS’ example line: <idle>-0, [000], d..2., the time, sched_switch', () => {
    const line = formatFtraceLine({
      comm: 'swapper/0',
      pid: 0,
      cpu: 0,
      timeNs: 2076_129_000_999,
      flags: { irqsOff: true, preemptDepth: 2 },
      fields: {
        event: 'sched_switch',
        prevComm: 'swapper/0',
        prevPid: 0,
        prevPrio: 120,
        prevState: 'R',
        nextComm: 'bash',
        nextPid: 812,
        nextPrio: 120,
      },
    });
    expect(line).toBe(
      '          <idle>-0       [000] d..2.  2076.129000: sched_switch: prev_comm=swapper/0 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=bash next_pid=812 next_prio=120',
    );
  });

  it('sched_switch prev_state: letters, | for several, R+ for a preempted task; the line matches the kernel’s format', () => {
    const cases: Array<[Partial<Extract<FtraceEntry['fields'], { event: 'sched_switch' }>>, string]> = [
      [{ prevState: 'S' }, 'S'],
      [{ prevState: 'D' }, 'D'],
      [{ prevState: ['Z', 'T'] }, 'T|Z'],
      [{ prevState: 'R', preempted: true }, 'R+'],
      [{ prevState: 'I' }, 'I'],
    ];
    for (const [fields, state] of cases) {
      const m = LINE.exec(formatFtraceLine(sw({}, fields)));
      expect(m?.[1]).toBe('            bash');
      expect(m?.[11]).toBe('sched_switch');
      const f = SWITCH.exec(m?.[12] ?? '');
      expect(f?.[4]).toBe(state);
    }
    expect(() => formatFtraceLine(sw({}, { prevState: 'S', preempted: true }))).toThrow(/preempted/);
    expect(() => formatFtraceLine(sw({}, { prevState: ['R', 'S'] }))).toThrow(TraceError);
    expect(() => formatFtraceLine(sw({}, { prevState: [] }))).toThrow(TraceError);
  });

  it('sched_wakeup, sched_wakeup_new and sched_waking: comm pid prio target_cpu=%03d', () => {
    for (const event of ['sched_wakeup', 'sched_wakeup_new', 'sched_waking'] as const) {
      const line = formatFtraceLine({
        comm: 'kworker/u8:2-events_unbound',
        pid: 1234567,
        cpu: 12,
        timeNs: 5_000_001_000,
        flags: { hardirq: true, needResched: true, preemptResched: true, preemptDepth: 1, migrateDisable: 1 },
        fields: { event, comm: 'sleeper', pid: 42, prio: ftracePrio({ nice: -5 }), targetCpu: 3 },
      });
      const m = LINE.exec(line);
      expect(m?.slice(1, 12)).toEqual([' kworker/u8:2-ev', '1234567', '012', '.', 'N', 'h', '1', '1', '    5', '000001', event]);
      expect(WAKEUP.exec(m?.[12] ?? '')?.slice(1)).toEqual(['sleeper', '42', '115', '003']);
    }
  });

  it('latency flags follow trace_print_lat_fmt', () => {
    expect(formatLatencyFlags()).toBe('.....');
    expect(formatLatencyFlags({ irqsOff: true, bhOff: true })).toBe('D....');
    expect(formatLatencyFlags({ bhOff: true })).toBe('b....');
    expect(formatLatencyFlags({ needResched: true })).toBe('.n...');
    expect(formatLatencyFlags({ preemptResched: true })).toBe('.p...');
    expect(formatLatencyFlags({ needReschedLazy: true })).toBe('.l...');
    expect(formatLatencyFlags({ needReschedLazy: true, preemptResched: true })).toBe('.L...');
    expect(formatLatencyFlags({ needResched: true, needReschedLazy: true, preemptResched: true })).toBe('.B...');
    expect(formatLatencyFlags({ hardirq: true, softirq: true })).toBe('..H..');
    expect(formatLatencyFlags({ softirq: true })).toBe('..s..');
    expect(formatLatencyFlags({ nmi: true })).toBe('..z..');
    expect(formatLatencyFlags({ nmi: true, hardirq: true })).toBe('..Z..');
    expect(formatLatencyFlags({ preemptDepth: 11, migrateDisable: 2 })).toBe('...b2');
    expect(() => formatLatencyFlags({ preemptDepth: 16 })).toThrow(TraceError);
  });

  it('prio: 120 + nice, 99 - rt_priority', () => {
    expect([
      ftracePrio({ nice: 0 }),
      ftracePrio({ nice: 19 }),
      ftracePrio({ nice: -20 }),
      ftracePrio({ rtPriority: 99 }),
      ftracePrio({ rtPriority: 1 }),
    ]).toEqual([120, 139, 100, 0, 98]);
    expect(() => ftracePrio({ nice: 20 })).toThrow(TraceError);
  });

  it('a whole file: header then lines in time order', () => {
    const text = formatFtrace([sw({ timeNs: 1000 }), sw({ timeNs: 1000, cpu: 0 }), sw({ timeNs: 3000 })], { cpus: 2 });
    const lines = text.split('\n');
    expect(lines[2]).toBe('# entries-in-buffer/entries-written: 3/3   #P:2');
    expect(lines.slice(12, 15).every((l) => LINE.test(l))).toBe(true);
    expect(lines[15]).toBe('');
    expect(() => formatFtrace([sw({ timeNs: 2000 }), sw({ timeNs: 1000 })], { cpus: 2 })).toThrow(
      expect.objectContaining({ code: 'out-of-order' }),
    );
    expect(() => formatFtrace([sw({ cpu: 2 })], { cpus: 2 })).toThrow(/cpu 2/);
  });
});
