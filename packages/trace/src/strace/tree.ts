import { decodeCString } from './args.ts';
import type { StraceLog, StraceRecord, StraceTask, StraceTaskEnd } from './types.ts';

interface Draft {
  tid: number;
  tgid: number;
  ppid?: number;
  creator?: number;
  via?: 'clone' | 'clone3' | 'fork' | 'vfork';
  thread: boolean;
  sharedVm: boolean;
  cloneFlags: string[];
  stackSize?: number;
  execs: string[];
  comm?: string;
  syscalls: string[];
  children: number[];
  end?: StraceTaskEnd;
  firstLine: number;
  lastLine: number;
}

const FLAGS = /(?:^|[{ ])flags=([A-Za-z0-9_|]+)/;
const STACK_SIZE = /stack_size=(0x[0-9a-fA-F]+|\d+)/;
const EXEC_PATH = /^"((?:[^"\\]|\\.)*)"/;
/** TASK_COMM_LEN - 1 */
const COMM_LEN = 15;

/** Derives the tasks of a log from its records (see {@link StraceTask}). */
export function buildTasks(records: readonly StraceRecord[]): StraceTask[] {
  const tasks = new Map<number, Draft>();
  const order: Draft[] = [];
  /** Creations in the order the calls returned: [creator, child, via, flags, stackSize]. */
  const creations: Array<{
    creator: number;
    child: number;
    via: NonNullable<Draft['via']>;
    flags: string[];
    stackSize?: number;
    line: number;
  }> = [];
  const get = (tid: number, line: number): Draft => {
    let t = tasks.get(tid);
    if (t === undefined) {
      t = {
        tid,
        tgid: tid,
        thread: false,
        sharedVm: false,
        cloneFlags: [],
        execs: [],
        syscalls: [],
        children: [],
        firstLine: line,
        lastLine: line,
      };
      tasks.set(tid, t);
      order.push(t);
    }
    return t;
  };
  for (const r of records) {
    const t = get(r.tid, r.line);
    t.lastLine = Math.max(t.lastLine, r.kind === 'call' ? (r.endLine ?? r.line) : r.line);
    switch (r.kind) {
      case 'call': {
        t.syscalls.push(r.name);
        const ret = r.ret;
        if (ret?.kind !== 'value') break;
        if ((r.name === 'clone' || r.name === 'clone3' || r.name === 'fork' || r.name === 'vfork') && ret.value > 0) {
          let flags: string[] = [];
          let stackSize: number | undefined;
          if (r.name === 'vfork') flags = ['CLONE_VM', 'CLONE_VFORK', 'SIGCHLD'];
          else if (r.name === 'fork') flags = ['SIGCHLD'];
          else {
            const f = FLAGS.exec(r.args);
            if (f !== null) flags = (f[1] as string).split('|');
            const s = STACK_SIZE.exec(r.args);
            if (s !== null) stackSize = Number(s[1]);
          }
          creations.push({
            creator: r.tid,
            child: ret.value,
            via: r.name,
            flags,
            ...(stackSize === undefined ? {} : { stackSize }),
            line: r.endLine ?? r.line,
          });
        } else if (r.name === 'execve' && ret.value === 0) {
          const m = EXEC_PATH.exec(r.args);
          if (m !== null) {
            const path = decodeCString(m[1] as string);
            t.execs.push(path);
            t.comm = (path.slice(path.lastIndexOf('/') + 1) || path).slice(0, COMM_LEN);
            // After execve the task has its own mm, whatever it was created with.
            t.sharedVm = false;
          }
        }
        break;
      }
      case 'exited':
        t.end = { kind: 'exited', code: r.code };
        break;
      case 'killed':
        t.end = { kind: 'killed', signal: r.signal, coreDumped: r.coreDumped };
        break;
      case 'superseded':
        t.end = { kind: 'superseded', by: r.by };
        break;
      default:
        break;
    }
  }
  // Creation order makes each creator's tgid and ppid known before its children's.
  const created = new Set<number>();
  for (const c of creations) {
    if (created.has(c.child)) continue; // a recycled tid: keep its first life
    created.add(c.child);
    const parent = get(c.creator, c.line);
    const child = get(c.child, c.line);
    const thread = c.flags.includes('CLONE_THREAD');
    child.creator = c.creator;
    child.via = c.via;
    child.thread = thread;
    if (child.execs.length === 0) child.sharedVm = c.flags.includes('CLONE_VM');
    child.cloneFlags = c.flags;
    if (c.stackSize !== undefined) child.stackSize = c.stackSize;
    child.tgid = thread ? parent.tgid : child.tid;
    const ppid = thread || c.flags.includes('CLONE_PARENT') ? parent.ppid : parent.tgid;
    if (ppid !== undefined) child.ppid = ppid;
    parent.children.push(child.tid);
  }
  // comm is inherited until the task executes something of its own.
  for (const c of creations) {
    const child = tasks.get(c.child) as Draft;
    if (child.execs.length === 0 && child.comm === undefined) {
      const parentComm = tasks.get(c.creator)?.comm;
      if (parentComm !== undefined) child.comm = parentComm;
    }
  }
  return order;
}

/** The system call names of each tid, in order (from {@link StraceLog.tasks}). */
export function syscallsByTid(log: StraceLog): Map<number, readonly string[]> {
  return new Map(log.tasks.map((t) => [t.tid, t.syscalls]));
}

/**
 * Draws the task tree of a log: each task under the one that created it, threads marked,
 * with how it was created, what it ran and how it ended.
 *
 * @example
 * ```text
 * 6160 sh (/bin/sh), exited 0
 * ├─ 6161 sh, process via clone, exited 0
 * │  └─ 6166 sleep, process via vfork (/usr/bin/sleep), exited 0
 * ```
 */
export function formatStraceTree(log: StraceLog): string {
  const byTid = new Map(log.tasks.map((t) => [t.tid, t]));
  const roots = log.tasks.filter((t) => t.creator === undefined || !byTid.has(t.creator));
  const lines: string[] = [];
  const label = (t: StraceTask): string => {
    let s = `${t.tid} ${t.comm ?? '?'}`;
    if (t.via !== undefined) s += `, ${t.thread ? `thread of ${t.tgid}` : 'process'} via ${t.via}`;
    if (t.execs.length > 0) s += ` (${t.execs.join(', ')})`;
    if (t.end?.kind === 'exited') s += `, exited ${t.end.code}`;
    else if (t.end?.kind === 'killed') s += `, killed by ${t.end.signal}${t.end.coreDumped ? ' (core dumped)' : ''}`;
    else if (t.end?.kind === 'superseded') s += `, superseded by execve in ${t.end.by}`;
    return s;
  };
  const seen = new Set<number>();
  const walk = (t: StraceTask, lead: string, childLead: string): void => {
    seen.add(t.tid);
    lines.push(`${lead}${label(t)}`);
    const kids = t.children.map((c) => byTid.get(c)).filter((c): c is StraceTask => c !== undefined && !seen.has(c.tid));
    kids.forEach((k, i) => {
      const last = i === kids.length - 1;
      walk(k, `${childLead}${last ? '└─ ' : '├─ '}`, `${childLead}${last ? '   ' : '│  '}`);
    });
  };
  for (const r of roots) walk(r, '', '');
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
