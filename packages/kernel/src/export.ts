import type { OssimEvent } from '@ossim/eventlog';
import { type ChromeTrack, CPU_TRACK_PID, createChromeTrace, type FtraceEntry, formatFtrace } from '@ossim/trace';

/** The priority ftrace prints for the simulator's tasks: nice 0, normal class (100 + 20 + nice). */
const PRIO = 120;

/**
 * The scheduler's tracepoints of a run as ftrace prints them (`cat /sys/kernel/tracing/trace`
 * with sched_switch, sched_wakeup and sched_wakeup_new enabled): the `# tracer: nop`
 * header, then one line per event. Holds the lines until the end, since the header
 * counts them.
 */
export function createFtraceExport(): { event(e: OssimEvent): void; finish(): string } {
  const entries: FtraceEntry[] = [];
  const comms = new Map<number, string>([[0, 'swapper']]);
  const current: number[] = [];
  let cpus = 1;
  const currentOn = (cpu: number): { comm: string; pid: number } => {
    const pid = current[cpu] ?? 0;
    return { comm: pid === 0 ? '<idle>' : (comms.get(pid) ?? '<...>'), pid };
  };
  return {
    event(e) {
      switch (e.type) {
        case 'kernel.boot':
          cpus = e.cpus;
          break;
        case 'task.new':
          comms.set(e.tid, e.comm);
          entries.push({
            ...currentOn(e.cpu),
            cpu: e.cpu,
            timeNs: e.time,
            flags: { irqsOff: true, preemptDepth: 1 },
            fields: { event: 'sched_wakeup_new', comm: e.comm, pid: e.tid, prio: PRIO, targetCpu: e.cpu },
          });
          break;
        case 'task.exec':
          comms.set(e.tid, e.comm);
          break;
        case 'task.wake':
          entries.push({
            ...currentOn(e.cpu),
            cpu: e.cpu,
            timeNs: e.time,
            flags: { irqsOff: true, preemptDepth: 1 },
            fields: { event: 'sched_wakeup', comm: comms.get(e.tid) ?? '<...>', pid: e.tid, prio: PRIO, targetCpu: e.cpu },
          });
          break;
        case 'sched.switch': {
          // `R+`: a running task switched out by preemption (sched_yield leaves a plain R).
          const preempted = e.prevState === 'R' && e.preempt;
          entries.push({
            comm: e.prevTid === 0 ? '<idle>' : e.prevComm,
            pid: e.prevTid,
            cpu: e.cpu,
            timeNs: e.time,
            // __schedule runs with interrupts off and the runqueue lock held (preempt depth 2 in real traces).
            flags: { irqsOff: true, preemptDepth: 2 },
            fields: {
              event: 'sched_switch',
              prevComm: e.prevTid === 0 ? `swapper/${e.cpu}` : e.prevComm,
              prevPid: e.prevTid,
              prevPrio: PRIO,
              prevState: e.prevState,
              ...(preempted ? { preempted: true } : {}),
              nextComm: e.nextTid === 0 ? `swapper/${e.cpu}` : e.nextComm,
              nextPid: e.nextTid,
              nextPrio: PRIO,
            },
          });
          current[e.cpu] = e.nextTid;
          break;
        }
      }
    },
    finish: () => formatFtrace(entries, { cpus }),
  };
}

/**
 * A run as Chrome Trace Event JSON (Perfetto, chrome://tracing): a process per thread
 * group with a track per thread showing its system calls, and per CPU a track of who
 * ran when and a track of interrupts and exceptions, nested as they nested. Streams to
 * `sink`.
 */
export function createChromeExport(sink: (chunk: string) => void): { event(e: OssimEvent): void; finish(): void } {
  const trace = createChromeTrace(sink);
  const running: ({ name: string; tid: number; since: number } | undefined)[] = [];
  const traps: string[][] = [];
  const known = new Set<number>();
  let last = 0;
  const irqTrack = (cpu: number): ChromeTrack => ({ pid: CPU_TRACK_PID, tid: 1000 + cpu });
  const threadTrack = (pid: number, tid: number): ChromeTrack => ({ pid, tid });
  const tgid = new Map<number, number>();
  return {
    event(e) {
      last = e.time;
      switch (e.type) {
        case 'kernel.boot':
          for (let cpu = 0; cpu < e.cpus; cpu++) {
            trace.cpu(cpu);
            trace.thread(irqTrack(cpu), `CPU ${cpu} interrupts`, 1000 + cpu);
            traps[cpu] = [];
          }
          break;
        case 'task.new': {
          tgid.set(e.tid, e.pid);
          if (!known.has(e.pid)) {
            known.add(e.pid);
            trace.process(e.pid, e.kernelThread ? `[${e.comm}]` : e.comm, e.pid);
          }
          trace.thread(threadTrack(e.pid, e.tid), `${e.comm} ${e.tid}`, e.tid);
          break;
        }
        case 'task.exec':
          trace.thread(threadTrack(tgid.get(e.tid) ?? e.tid, e.tid), `${e.comm} ${e.tid}`, e.tid);
          break;
        case 'sched.switch': {
          const was = running[e.cpu];
          if (was !== undefined && was.tid !== 0) {
            trace.complete(trace.cpu(e.cpu), was.name, was.since, e.time - was.since, {
              cat: 'sched',
              args: { tid: was.tid, prevState: e.prevState, preempted: e.preempt },
            });
          }
          running[e.cpu] = { name: `${e.nextComm} ${e.nextTid}`, tid: e.nextTid, since: e.time };
          break;
        }
        case 'syscall.enter':
          trace.begin(threadTrack(tgid.get(e.tid) ?? e.tid, e.tid), e.name, e.time, { cat: 'syscall', args: { nr: e.nr, args: e.args } });
          break;
        case 'syscall.exit': {
          const track = threadTrack(tgid.get(e.tid) ?? e.tid, e.tid);
          if (trace.openSlices(track).length > 0) trace.end(track, e.time);
          break;
        }
        case 'task.exit': {
          const track = threadTrack(tgid.get(e.tid) ?? e.tid, e.tid);
          // exit and exit_group never return: their slice ends with the thread.
          for (let open = trace.openSlices(track).length; open > 0; open--) trace.end(track, e.time);
          trace.instant(track, `exit ${e.code}`, e.time, { cat: 'task' });
          break;
        }
        case 'task.wake':
          trace.instant(threadTrack(tgid.get(e.tid) ?? e.tid, e.tid), 'wakeup', e.time, { cat: 'sched', args: { cpu: e.cpu } });
          break;
        case 'cpu.trap_enter': {
          const open = traps[e.cpu] ?? [];
          traps[e.cpu] = open;
          const name = e.kind === 'interrupt' ? `irq ${e.vector}` : e.kind === 'exception' ? `exception ${e.vector}` : '';
          open.push(name);
          if (name !== '') trace.begin(irqTrack(e.cpu), name, e.time, { cat: e.kind, args: { pc: e.pc, stack: e.stack } });
          break;
        }
        case 'cpu.trap_exit': {
          const name = traps[e.cpu]?.pop();
          if (name !== undefined && name !== '') trace.end(irqTrack(e.cpu), e.time);
          break;
        }
      }
    },
    finish() {
      for (const [cpu, was] of running.entries()) {
        if (was !== undefined && was.tid !== 0)
          trace.complete(trace.cpu(cpu), was.name, was.since, last - was.since, { cat: 'sched', args: { tid: was.tid } });
      }
      trace.finish({ closeOpenAt: last });
    },
  };
}
