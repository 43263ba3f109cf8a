import { disassemble } from '@ossim/cpu';
import type { AnyEvent, EventMap } from '@ossim/eventlog';
import { KernelError } from './errors.ts';
import type { Outcome } from './events.ts';
import { createKernel, type Kernel, type StackWord, type TaskInfo } from './kernel.ts';
import { defineOs, type OsVariant, PRESETS } from './os.ts';
import { buildWorkload, type ProcessShape, type Workload } from './workload.ts';

/** One variant's run of a scenario, in the shape `ossim run --json` prints. */
export interface ScenarioRun {
  readonly os: string;
  readonly outcome: Outcome;
  readonly cause: string | null;
  readonly tasks: {
    pid: number;
    tid: number;
    comm: string;
    kernelStack: { base: number; top: number } | null;
    userStack: { base: number; top: number } | null;
  }[];
  readonly events: number;
  readonly simulatedNs: number;
  /** Narration lines (what `ossim run <name>` prints). */
  readonly narration: readonly string[];
  /** What the scenario checks, each with its verdict. */
  readonly checks: readonly { readonly what: string; readonly ok: boolean }[];
}

/** A scenario's result: one run per variant compared. */
export interface ScenarioResult {
  readonly scenario: ScenarioName;
  readonly title: string;
  readonly runs: readonly ScenarioRun[];
}

/** The scenario names. */
export const SCENARIOS = [
  'two-stacks',
  'preempt-in-kernel',
  'single-stack',
  'irq-nesting',
  'zombie',
  'kernel-threads',
  'thread-info-mask',
] as const;
/** A scenario name. */
export type ScenarioName = (typeof SCENARIOS)[number];

/** One run of a scenario: the variant and the workload it runs (its inputs). */
export interface ScenarioRunInputs {
  /** The run's name, as `ossim run <scenario> --json` names it (`os`). */
  readonly label: string;
  readonly os: OsVariant;
  readonly workload: Workload;
}

/** How long a scenario's run may go, in simulated ns. */
export const SCENARIO_UNTIL_NS = 2_000_000_000;
/** The seed the scenarios run with (`createKernel`'s default). */
export const SCENARIO_SEED = 1;

const MS = 1_000_000;

/** preempt-in-kernel and single-stack: a write() that blocks on disk DMA, and another process making system calls meanwhile. */
const ioWorkload = (): Workload =>
  buildWorkload({
    name: 'preempt-in-kernel',
    processes: [
      {
        comm: 'writer',
        steps: [
          { op: 'disk-write', bytes: 4096 },
          { op: 'write', text: 'writer: write() returned\n' },
        ],
      },
      {
        comm: 'other',
        steps: [
          { op: 'loop', times: 3, steps: [{ op: 'getpid' }, { op: 'write', text: 'Hello from other, making system calls meanwhile\n' }] },
          { op: 'loop', times: 10, steps: [{ op: 'compute', cycles: 500_000 }] },
        ],
      },
    ],
  });

const sleeper = (comm: string): ProcessShape => ({
  comm,
  steps: [
    {
      op: 'loop',
      times: 6,
      steps: [
        { op: 'compute', cycles: 1_000_000 },
        { op: 'sleep', ns: 1 * MS },
      ],
    },
  ],
});

/**
 * The inputs of each run a scenario compares, in the order {@link runScenario} runs them:
 * what a viewer (or a test) needs to run the same scenario on its own.
 */
export function scenarioRuns(name: ScenarioName): ScenarioRunInputs[] {
  switch (name) {
    case 'two-stacks':
      return [
        {
          label: 'i386',
          os: PRESETS.i386,
          workload: buildWorkload({
            name: 'two-stacks',
            // main and the two threads it creates: a process with 3 threads.
            processes: [{ comm: 'app', steps: [{ op: 'threads', count: 2, steps: [{ op: 'getpid' }, { op: 'sleep', ns: 2 * MS }] }] }],
          }),
        },
      ];
    case 'preempt-in-kernel':
      return [PRESETS.i386, PRESETS.x86_64].map((os) => ({ label: os.name, os, workload: ioWorkload() }));
    case 'single-stack':
      return [
        { label: 'single-stack', os: PRESETS['single-stack'], workload: ioWorkload() },
        {
          label: 'single-stack (no blocking)',
          os: PRESETS['single-stack'],
          workload: buildWorkload({
            name: 'no-blocking',
            processes: [
              {
                comm: 'calm',
                steps: [{ op: 'getpid' }, { op: 'write', text: 'no preemption, no blocking: fine\n' }, { op: 'compute', cycles: 100_000 }],
              },
            ],
          }),
        },
      ];
    case 'irq-nesting': {
      const workload = buildWorkload({
        name: 'irq-nesting',
        processes: [
          {
            comm: 'raidwriter',
            steps: [
              { op: 'disk-write', bytes: 4096 },
              { op: 'write', text: 'write done\n' },
            ],
          },
        ],
        nic: Array.from({ length: 40 }, (_, i) => 2_000 + i * 1_500),
      });
      return [
        defineOs({ preset: 'i386', name: 'i386-4k', threadSize: 4096 }),
        defineOs({ preset: 'i386', name: 'i386-4k-irqstacks', threadSize: 4096, irqStacks: true }),
        defineOs({ preset: 'x86_64', name: 'vmap-4k', threadSize: 4096, irqStacks: false }),
      ].map((os) => ({ label: os.name, os, workload }));
    }
    case 'zombie':
      return [PRESETS.i386, PRESETS.x86_64].map((os) => ({
        label: os.name,
        os,
        workload: buildWorkload({
          name: 'zombie',
          processes: [
            {
              comm: 'parent',
              steps: [{ op: 'fork', child: [{ op: 'write', text: 'child exits\n' }] }, { op: 'sleep', ns: 2 * MS }, { op: 'wait' }],
            },
          ],
        }),
      }));
    case 'kernel-threads':
      return [
        {
          label: 'i386',
          os: PRESETS.i386,
          workload: buildWorkload({
            name: 'kernel-threads',
            processes: [sleeper('a'), sleeper('b')],
            kthreads: [
              { name: 'kworker/0:1', cycles: 50_000, period: 1_500_000 },
              { name: 'kworker/0:2', cycles: 30_000, period: 2_500_000 },
            ],
          }),
        },
      ];
    case 'thread-info-mask':
      return [
        {
          label: 'i386',
          os: PRESETS.i386,
          workload: buildWorkload({
            name: 'thread-info-mask',
            processes: [
              { comm: 'masked', steps: [{ op: 'threads', count: 3, steps: [{ op: 'getpid' }, { op: 'yield' }, { op: 'getpid' }] }] },
            ],
          }),
        },
      ];
  }
}

/** The run `i` of scenario `name` (its inputs). */
const runOf = (name: ScenarioName, i = 0): ScenarioRunInputs => scenarioRuns(name)[i] as ScenarioRunInputs;

const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

interface Probe {
  readonly kernel: Kernel;
  readonly events: AnyEvent<EventMap>[];
  count: number;
}

function start(os: OsVariant, workload: Workload): Probe {
  const kernel = createKernel({ os, workload });
  const probe: Probe = { kernel, events: [], count: 0 };
  kernel.log.listen((e) => {
    probe.count++;
    if (!e.type.startsWith('cpu.') && !e.type.startsWith('mmu.')) probe.events.push(e);
  });
  return probe;
}

function finish(p: Probe, narration: string[], checks: { what: string; ok: boolean }[], tasks?: TaskInfo[]): ScenarioRun {
  const r = p.kernel.run({ until: SCENARIO_UNTIL_NS });
  const shown = (tasks ?? p.kernel.tasks()).filter((t) => t.tid !== 0);
  for (const e of p.events) {
    if (e.type === 'kernel.oops') {
      narration.push(
        `  ${e.message}`,
        `  CPU: ${e.cpu} PID: ${e.tid ?? '?'} Comm: ${e.comm}`,
        `  PC: ${e.pcSymbol}  SP: ${hex(e.sp)}`,
        '  Call Trace:',
        ...e.stack.slice(0, 24).map((l) => `    ${l}`),
      );
    }
  }
  narration.push(`  outcome: ${r.outcome}${r.cause === null ? '' : ` (${r.cause})`} after ${r.simulatedNs} ns`);
  for (const c of checks) narration.push(`  [${c.ok ? 'ok' : 'FAILED'}] ${c.what}`);
  return {
    os: p.kernel.os.name,
    outcome: r.outcome,
    cause: r.cause,
    tasks: shown.map((t) => ({ pid: t.pid, tid: t.tid, comm: t.comm, kernelStack: t.kernelStack, userStack: t.userStack })),
    events: p.count,
    simulatedNs: r.simulatedNs,
    narration,
    checks,
  };
}

/** The address map of the seeds' diagram: user half above, kernel half below, each thread's two stacks. */
function addressMap(tasks: readonly TaskInfo[]): string[] {
  const lines = ['  address map (user half 0x00000000-0xbfffffff, kernel half 0xc0000000-0xffffffff):'];
  for (const t of tasks) {
    if (t.tid === 0) continue;
    const k = t.kernelStack === null ? '-' : `${hex(t.kernelStack.base)}-${hex(t.kernelStack.top)}`;
    const u = t.userStack === null ? '(kernel thread: no user stack)' : `${hex(t.userStack.base)}-${hex(t.userStack.top)}`;
    lines.push(`    ${String(t.tid).padStart(4)} ${t.comm.padEnd(10)} kernel stack ${k}   user stack ${u}`);
  }
  return lines;
}

function twoStacks(): ScenarioRun[] {
  const { os, workload } = runOf('two-stacks');
  const p = start(os, workload);
  p.kernel.run({ until: 1 * MS });
  const threads = p.kernel.tasks().filter((t) => t.pid === 3);
  const narration = [
    `A process with ${threads.length} threads (main and the 2 it created with clone) on i386 (8 KiB kernel stacks):`,
    ...addressMap(threads),
  ];
  const enters = p.events.filter((e) => e.type === 'syscall.enter' && threads.some((t) => t.tid === e.tid));
  for (const e of enters.slice(0, 6))
    if (e.type === 'syscall.enter')
      narration.push(`  tid ${e.tid} ${e.name}(): SP moved from the user stack to ${hex(e.sp)} on its kernel stack`);
  const ks = threads.map((t) => t.kernelStack).filter((k) => k !== null);
  const checks = [
    {
      what: 'three threads, each with a user stack in the user half',
      ok: threads.length === 3 && threads.every((t) => t.userStack !== null && t.userStack.top <= 0xc0000000),
    },
    {
      what: 'each with a kernel stack in the kernel half, THREAD_SIZE-aligned',
      ok: ks.length === 3 && ks.every((k) => k.base >= 0xc0000000 && k.base % os.threadSize === 0 && k.top - k.base === os.threadSize),
    },
    { what: 'kernel stacks do not overlap', ok: ks.every((a, i) => ks.every((b, j) => i === j || a.top <= b.base || b.top <= a.base)) },
    {
      what: 'at a system call SP is on the thread’s own kernel stack',
      ok:
        enters.length >= 3 &&
        enters.every(
          (e) =>
            e.type === 'syscall.enter' &&
            threads.some((t) => t.tid === e.tid && t.kernelStack !== null && e.sp > t.kernelStack.base && e.sp < t.kernelStack.top),
        ),
    },
  ];
  return [finish(p, narration, checks, threads)];
}

/** init forks the workload's processes in order: the writer is pid 3, the other pid 4. */
const WRITER = 3;
const OTHER = 4;

/**
 * The return addresses of a switched-out task's frames, found exactly rather than guessed: from
 * its saved SP, past the inactive_task_frame (r4-r11), each return address R leads into a function
 * whose prologue (`push {rA-rB}; sub sp, N`) says how big its frame is, so its own return address
 * is N + 4 * the pushed registers above R. The chain ends at an entry stub (`push {r0-r15}`).
 */
function frameChain(kernel: Kernel, sp: number, top: number): StackWord[] {
  const out: StackWord[] = [];
  let a = sp + 8 * 4;
  while (a < top && out.length < 64) {
    const [w] = kernel.stackWords(a, 1);
    if (w === undefined || w.value === null || w.returnAddress === null) break;
    out.push(w);
    const fn = kernel.symbols.lookup(w.value - 1)?.symbol.address;
    if (fn === undefined) break;
    const first = disassemble(kernel.readKernel32(fn), { pc: fn, ext: kernel.readKernel32(fn + 4) });
    const regs = /^push \{r(\d+)-r(\d+)\}$/.exec(first.text);
    if (regs === null || regs[1] === '0') break;
    const second = disassemble(kernel.readKernel32(fn + first.size), {
      pc: fn + first.size,
      ext: kernel.readKernel32(fn + first.size + 4),
    });
    const locals = Number(/^sub sp, (\d+)$/.exec(second.text)?.[1] ?? 0);
    a += 4 + locals + 4 * (Number(regs[2]) - Number(regs[1]) + 1);
  }
  return out;
}

function preemptRun({ os, workload }: ScenarioRunInputs): ScenarioRun {
  const p = start(os, workload);
  const narration = [`${os.name}: "writer" calls write() on the disk and blocks on DMA; "other" runs and makes its own system calls.`];
  let bothLive = false;
  let writerSp = 0;
  p.kernel.log.on('syscall.enter', (e) => {
    const w = p.kernel.task(3);
    if (e.tid === 4 && w !== undefined && w.state === 'D' && w.kernelStack !== null) {
      writerSp = w.threadSp;
      const depth = w.kernelStack.top - w.threadSp;
      if (!bothLive)
        narration.push(
          `  other (tid 4) enters ${e.name}() at SP ${hex(e.sp)} while writer (tid 3) sleeps in D with ${depth} bytes of live frames, thread.sp ${hex(w.threadSp)}:`,
          ...p.kernel
            .stackTrace(3)
            .slice(0, 8)
            .map((l: string) => `      ${l}`),
        );
      bothLive = true;
    }
  });
  const run = finish(p, narration, []);
  const text = p.kernel.console;
  const checks = [
    { what: 'other made system calls while writer was blocked in the kernel', ok: bothLive },
    {
      what: 'writer resumed when the disk interrupt woke it, and its write() returned',
      ok: text.includes('writer: write() returned') && run.outcome === 'ok',
    },
  ];
  narration.splice(-1, 0, ...checks.map((c) => `  [${c.ok ? 'ok' : 'FAILED'}] ${c.what}`));
  void writerSp;
  return { ...run, checks };
}

function singleStack(): ScenarioRun[] {
  const [brokenRun, calmRun] = scenarioRuns('single-stack') as [ScenarioRunInputs, ScenarioRunInputs];
  const os = brokenRun.os;
  const broken = start(os, brokenRun.workload);
  const k = broken.kernel;
  const n1 = [
    `${os.name}: the same workload with one kernel stack shared by every task (every task's sp0 is its top); preemption ${os.preemption}, ${os.scheduler.policy}.`,
  ];
  interface Snapshot {
    readonly sp: number;
    /** Every word from the saved SP to the stack's top. */
    readonly words: StackWord[];
  }
  let blockedSp: number | null = null;
  let saved: (Snapshot & { readonly chain: StackWord[] }) | null = null;
  let resumed: Snapshot | null = null;
  const ranBetween = new Set<number>();
  k.log.on('sched.switch', (e) => {
    if (e.prevTid === WRITER && e.prevState === 'D' && blockedSp === null) {
      blockedSp = k.task(WRITER)?.threadSp ?? 0;
      ranBetween.add(e.nextTid);
    } else if (saved !== null && resumed === null) {
      if (e.nextTid === WRITER) resumed = { sp: e.nextSp, words: k.stackWords(e.nextSp, saved.words.length) };
      else ranBetween.add(e.nextTid);
    }
  });
  // The writer's frames as it left them: read at the first event after __switch_to_asm stored its
  // thread.sp, before the next task entered the kernel (only its fork frame is at the top yet).
  k.log.listen(() => {
    if (blockedSp === null || saved !== null) return;
    const w = k.task(WRITER);
    if (w === undefined || w.kernelStack === null || w.threadSp === blockedSp) return;
    const top = w.kernelStack.top;
    saved = { sp: w.threadSp, words: k.stackWords(w.threadSp, (top - w.threadSp) / 4), chain: frameChain(k, w.threadSp, top) };
  });
  const r1 = finish(broken, n1, []);
  const oops = broken.events.find((e) => e.type === 'kernel.oops');
  const left = saved as (Snapshot & { chain: StackWord[] }) | null;
  const back = resumed as Snapshot | null;
  const nowAt = (address: number): StackWord | undefined =>
    back === null || left === null ? undefined : back.words[(address - left.sp) / 4];
  const show = (w: StackWord | undefined): string =>
    w === undefined || w.value === null ? '(unmapped)' : `${hex(w.value)}${w.returnAddress === null ? '' : ` ${w.returnAddress}`}`;
  // The writer returns up its chain in order: the first return address that changed is the first wrong pop.
  const chain = left?.chain ?? [];
  const clobbered = chain.find((w) => nowAt(w.address)?.value !== w.value);
  const story: string[] = [];
  if (left !== null) {
    const top = left.sp + left.words.length * 4;
    story.push(
      `  writer (tid ${WRITER}) blocks in write() on the disk's DMA: __switch_to_asm leaves thread.sp = ${hex(left.sp)}, ${top - left.sp} bytes below the top,`,
      `  and its frames above it return to (each found from the frame sizes in the functions' prologues):`,
      ...chain.map((w) => `      ${hex(w.address)}: ${w.returnAddress}`),
      `  then ${[...ranBetween].map((tid) => (tid === OTHER ? `other (tid ${tid})` : `tid ${tid}`)).join(', ')} ran, entering the kernel (its fork frame, system calls, interrupts) on the same stack from the same top.`,
    );
  }
  if (left !== null && back !== null) {
    const changed = left.words.filter((w, i) => back.words[i]?.value !== w.value).length;
    story.push(
      `  the disk interrupt woke writer; switched back in at ${hex(back.sp)}, ${changed} of the ${left.words.length} words from there to the top are no longer what it left:`,
      `      address     writer's frame returns to                  now`,
    );
    for (const w of chain) {
      const now = nowAt(w.address);
      const mark = now?.value === w.value ? '' : w === clobbered ? '   <- the first its ret pops' : '   <- overwritten';
      story.push(`      ${hex(w.address)}  ${show(w).padEnd(42)} ${show(now)}${mark}`);
    }
  }
  if (clobbered !== undefined && left !== null) {
    const popped = nowAt(clobbered.address)?.value ?? 0;
    const what = popped >= left.sp && popped < left.sp + left.words.length * 4 ? ' (an address on this very stack: data, not code)' : '';
    story.push(
      `  returning up its frames, the ret at ${hex(clobbered.address)} pops ${show(nowAt(clobbered.address))}${what}, written there by other's kernel entry, instead of ${clobbered.returnAddress}; the kernel oopses:`,
    );
  }
  n1.splice(1, 0, ...story);
  const c1 = [
    {
      what: 'only other ran between the writer blocking and resuming, and the writer is the first to resume on the shared stack',
      ok: left !== null && back !== null && ranBetween.size === 1 && ranBetween.has(OTHER),
    },
    {
      what: 'a return address the writer left on the stack was overwritten by other’s kernel entry before the writer popped it',
      ok: clobbered !== undefined,
    },
    {
      what: 'the task that oopses is the writer, at the address its ret popped from the overwritten word',
      ok:
        r1.outcome === 'oops' &&
        oops?.type === 'kernel.oops' &&
        oops.tid === WRITER &&
        clobbered !== undefined &&
        oops.pc === nowAt(clobbered.address)?.value,
    },
  ];
  const works = start(calmRun.os, calmRun.workload);
  const n2 = ['single-stack, no preemption and no blocking: nobody is switched out with frames it needs again.'];
  const r2 = finish(works, n2, []);
  const c2 = [{ what: 'runs to completion', ok: r2.outcome === 'ok' && works.kernel.console.includes('fine') }];
  return [
    { ...r1, checks: c1, narration: [...n1, ...c1.map((c) => `  [${c.ok ? 'ok' : 'FAILED'}] ${c.what}`)] },
    {
      ...r2,
      os: calmRun.label,
      checks: c2,
      narration: [...n2, ...c2.map((c) => `  [${c.ok ? 'ok' : 'FAILED'}] ${c.what}`)],
    },
  ];
}

function irqNesting(): ScenarioRun[] {
  // i386-4k overflows into thread_info; with interrupt stacks it does not; vmapped, it hits the guard page.
  const expected: Outcome[] = ['overflow', 'ok', 'overflow'];
  return scenarioRuns('irq-nesting').map(({ os, workload }, i) => {
    const p = start(os, workload);
    const narration = [
      `${os.name}: a deep md-raid write path interrupted by the NIC, whose handler runs ip/iptables/tcp (stacks of ${os.threadSize} bytes, ${os.irqStacks ? 'with' : 'no'} interrupt stacks, ${os.stackAllocator}).`,
    ];
    const run = finish(p, narration, []);
    const overflow = p.events.find((e) => e.type === 'kstack.overflow');
    if (overflow?.type === 'kstack.overflow')
      narration.splice(
        1,
        0,
        `  kstack.overflow: ${overflow.how} (evidence ${overflow.evidence.join(', ')}), detected in ${overflow.detectedIn}`,
      );
    const checks = [{ what: `outcome is ${expected[i]}`, ok: run.outcome === expected[i] }];
    return { ...run, checks, narration: [...narration, ...checks.map((c) => `  [${c.ok ? 'ok' : 'FAILED'}] ${c.what}`)] };
  });
}

function zombie(): ScenarioRun[] {
  return scenarioRuns('zombie').map(({ os, workload }) => {
    const p = start(os, workload);
    p.kernel.run({ until: 1 * MS });
    const z = p.kernel.task(4);
    const held = p.kernel.kstack.has(4);
    const before = p.kernel.kstack.meminfo();
    const narration = [
      `${os.name} (stack released ${os.stackRelease}): the child exits before its parent waits.`,
      `  child: state ${z?.state ?? '?'}; kernel stack ${held ? 'still held' : 'already released'}; ${before.trim()}`,
    ];
    const run = finish(p, narration, []);
    const reaped = p.events.some((e) => e.type === 'task.reap' && e.tid === 4);
    const freed = p.events.some((e) => e.type === 'kstack.free' && e.tid === 4);
    narration.splice(-1, 0, `  after wait4: reaped ${reaped}; ${p.kernel.kstack.meminfo().trim()}`);
    const checks = [
      { what: 'the child is a zombie before the parent waits', ok: z?.state === 'Z' },
      {
        what: os.stackRelease === 'at-reap' ? 'the zombie keeps its kernel stack' : 'the zombie no longer has its kernel stack',
        ok: held === (os.stackRelease === 'at-reap'),
      },
      { what: 'wait4 reaps it and its stack is freed', ok: reaped && freed && run.outcome === 'ok' },
    ];
    return { ...run, checks, narration: [...narration, ...checks.map((c) => `  [${c.ok ? 'ok' : 'FAILED'}] ${c.what}`)] };
  });
}

function kernelThreads(): ScenarioRun[] {
  const { os, workload } = runOf('kernel-threads');
  const p = start(os, workload);
  const narration = ['i386: kthreadd creates two kworkers (no mm); they run between user tasks on a borrowed active_mm.'];
  const toKthread: { next: string; mmSwitch: boolean; prev: string }[] = [];
  p.kernel.log.on('sched.switch', (e) => {
    if (e.nextComm.startsWith('kworker')) toKthread.push({ next: e.nextComm, mmSwitch: e.mmSwitch, prev: e.prevComm });
  });
  let cr3Loads = 0;
  let kthreadCr3 = 0;
  p.kernel.log.on('mmu.tlb_flush', (e) => {
    if (e.reason !== 'cr3-load') return;
    cr3Loads++;
  });
  p.kernel.log.on('sched.switch', (e) => {
    if (e.nextComm.startsWith('kworker') && e.mmSwitch) kthreadCr3++;
  });
  const run = finish(p, narration, []);
  for (const s of toKthread.slice(0, 6))
    narration.splice(
      -1,
      0,
      `  ${s.prev} -> ${s.next}: ${s.mmSwitch ? 'page tables switched' : 'no page-table switch (borrows the previous mm)'}`,
    );
  const workers = run.tasks.filter((t) => t.comm.startsWith('kworker'));
  const checks = [
    {
      what: 'the kworkers are kernel threads with no user stack, children of kthreadd',
      ok: workers.length === 2 && workers.every((w) => w.userStack === null),
    },
    { what: 'they ran between user tasks', ok: toKthread.filter((s) => s.prev === 'a' || s.prev === 'b').length > 0 },
    { what: 'switching to them never loaded CR3', ok: toKthread.length > 0 && kthreadCr3 === 0 && cr3Loads > 0 },
  ];
  return [{ ...run, checks, narration: [...narration, ...checks.map((c) => `  [${c.ok ? 'ok' : 'FAILED'}] ${c.what}`)] }];
}

function threadInfoMask(): ScenarioRun[] {
  const { os, workload } = runOf('thread-info-mask');
  const p = start(os, workload);
  const narration = [
    `i386: current_thread_info() = sp & ~(THREAD_SIZE-1) = sp & ${hex(~(os.threadSize - 1))}; thread_info->task names the thread.`,
  ];
  const seen = new Map<number, boolean>();
  p.kernel.log.on('syscall.enter', (e) => {
    if (e.threadInfo === null) return;
    const word = p.kernel.readKernel32(e.threadInfo);
    const ok = word === e.tid;
    if (!seen.has(e.tid))
      narration.push(
        `  tid ${String(e.tid).padStart(3)}: sp ${hex(e.sp)} & mask = ${hex(e.threadInfo)} -> thread_info->task = ${word} ${ok ? '(current)' : '(WRONG)'}`,
      );
    seen.set(e.tid, (seen.get(e.tid) ?? true) && ok);
  });
  const run = finish(p, narration, []);
  const checks = [
    { what: 'for every running thread, masking SP found its own thread_info', ok: seen.size >= 5 && [...seen.values()].every(Boolean) },
  ];
  return [
    {
      ...run,
      checks,
      narration: [...narration.slice(0, -1), ...checks.map((c) => `  [${c.ok ? 'ok' : 'FAILED'}] ${c.what}`), narration.at(-1) as string],
    },
  ];
}

/** What each scenario shows, in a line. */
export const SCENARIO_TITLES: Readonly<Record<ScenarioName, string>> = {
  'two-stacks': 'every thread has two stacks: a user stack and a kernel stack',
  'preempt-in-kernel': 'a write() blocks in the kernel while another process runs',
  'single-stack': 'one kernel stack for everybody: the writer resumes on overwritten frames and oopses',
  'irq-nesting': 'a deep interrupt on a deep kernel path: overflow into thread_info, or the guard page',
  zombie: 'a zombie and its kernel stack',
  'kernel-threads': 'kernel threads run without an mm',
  'thread-info-mask': 'current found by masking SP',
};

/**
 * Runs a scenario: every variant it compares, with narration and checks computed from
 * the simulation's own events and memory.
 */
export function runScenario(name: string): ScenarioResult {
  if (!(SCENARIOS as readonly string[]).includes(name))
    throw new KernelError('unknown-scenario', `unknown scenario ${JSON.stringify(name)} (one of ${SCENARIOS.join(', ')})`);
  const s = name as ScenarioName;
  const runs =
    s === 'two-stacks'
      ? twoStacks()
      : s === 'preempt-in-kernel'
        ? scenarioRuns('preempt-in-kernel').map(preemptRun)
        : s === 'single-stack'
          ? singleStack()
          : s === 'irq-nesting'
            ? irqNesting()
            : s === 'zombie'
              ? zombie()
              : s === 'kernel-threads'
                ? kernelThreads()
                : threadInfoMask();
  return { scenario: s, title: SCENARIO_TITLES[s], runs };
}
