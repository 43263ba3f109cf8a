/**
 * The kernel's benchmarks (issue 5), run by `pnpm bench kernel`:
 *
 * - `kernel.instructions_per_s`: 1,000 threads (10 processes of 100) doing system calls
 *   and I/O (getpid, console writes, disk writes by DMA that block in D, sched_yield) on the
 *   i386 preset, with the log on: every event is dispatched to a subscriber that keeps a
 *   count and the last event, as a recorder would. Simulated instructions per wall-clock second.
 * - `kernel.context_switches_per_s`: 64 threads that sched_yield in a loop, and 8 pairs of
 *   processes ping-ponging over pipes: simulated context switches per wall-clock second.
 * - `kernel.threads_100k_heap_mib`: the JavaScript heap (`heapUsed` after a full GC) taken by a
 *   1 GiB i386 machine holding 100,000 live threads (100 processes of 1,000 threads, each
 *   blocked in futex_wait), measured as the difference from before the kernel was created.
 *   `kernel.threads_100k_arraybuffers_mib` is the simulated memory the machine backed (page
 *   frames are ArrayBuffers, outside the heap), reported beside it.
 *
 * The rates are the median of 7 timed runs (booting included, creating the kernel not), after
 * untimed runs that let V8 compile the CPU's translated traces, until the runs stop getting
 * faster ({@link warmUpDone}): a simulator's steady speed.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { AnyEvent, EventMap } from '@ossim/eventlog';
import { buildWorkload, createKernel, defineOs, type Kernel, PRESETS, type Workload } from '@ossim/kernel';

/** 1,000 threads doing system calls and I/O. */
const ioWorkload = (): Workload =>
  buildWorkload({
    name: 'bench-io',
    processes: Array.from({ length: 10 }, (_, i) => ({
      comm: `io${i}`,
      steps: [
        {
          op: 'threads',
          count: 100,
          steps: [
            {
              op: 'loop',
              times: 10,
              steps: [
                { op: 'getpid' },
                { op: 'write', text: 'tick\n' },
                { op: 'call', depth: 6, cycles: 200 },
                { op: 'disk-write', bytes: 512 },
                { op: 'yield' },
              ],
            },
          ],
        },
      ],
    })),
  });

/** Threads that yield to each other, and processes ping-ponging over pipes. */
const switchWorkload = (): Workload =>
  buildWorkload({
    name: 'bench-switch',
    processes: [
      { comm: 'yielder', steps: [{ op: 'threads', count: 64, steps: [{ op: 'loop', times: 200, steps: [{ op: 'yield' }] }] }] },
      ...Array.from({ length: 8 }, (_, i) => ({ comm: `pingpong${i}`, steps: [{ op: 'pipe-pingpong' as const, rounds: 400 }] })),
    ],
  });

/** Attaches what a recorder does per event: it sees every one. */
function subscribe(kernel: Kernel): { count: number } {
  const seen = { count: 0, last: null as AnyEvent<EventMap> | null };
  kernel.log.listen((e) => {
    seen.count++;
    seen.last = e;
  });
  return seen;
}

/** Bounds of the untimed warm-up (see {@link warmUpDone}). */
export interface WarmUp {
  /** At least this many runs... */
  readonly minRuns: number;
  /** ...and at least this many ms of them. */
  readonly minMs: number;
  /** At most this many runs, or this many ms of them, whatever the times do. */
  readonly maxRuns: number;
  readonly maxMs: number;
  /** A run this much faster than the best before it (0.05: 5%) is a gain... */
  readonly gain: number;
  /** ...and the warm-up is over after this many runs without one. */
  readonly quietRuns: number;
}

export const WARM_UP: WarmUp = { minRuns: 3, minMs: 1500, maxRuns: 30, maxMs: 20_000, gain: 0.05, quietRuns: 3 };

/**
 * Is the warm-up over, after untimed runs that took `ms` (in order)? When it has run its
 * minimum, and the best time has not improved by 5% or more in the last 3 runs: while V8 is
 * still compiling hot traces, a run is markedly faster than every run before it. (The I/O
 * workload's runs went 1,049, 1,208, 546, 481, 382, 364, 275 ms...: three runs and 1.5 s of
 * them were not enough.) Over at the maximum in any case.
 */
export function warmUpDone(ms: readonly number[], bounds: WarmUp = WARM_UP): boolean {
  const total = ms.reduce((a, b) => a + b, 0);
  if (ms.length >= bounds.maxRuns || total >= bounds.maxMs) return true;
  if (ms.length < bounds.minRuns || total < bounds.minMs) return false;
  let best = Number.POSITIVE_INFINITY;
  let lastGain = -1;
  for (let i = 0; i < ms.length; i++) {
    const t = ms[i] as number;
    if (t < best * (1 - bounds.gain)) lastGain = i;
    best = Math.min(best, t);
  }
  return ms.length - 1 - lastGain >= bounds.quietRuns;
}

/**
 * Runs `workload` to its end, untimed until {@link warmUpDone}, then `rounds` times more,
 * and returns the median wall time of `Kernel.run` (boot included) over those `rounds`. Creating the kernel (assembling its image and the
 * programs) is setup, outside the timing, as a simulator's speed is that of its runs; the
 * warm-up runs are the JIT's (V8 compiling the translated traces), which a long run pays once.
 */
function timedRuns(workload: () => Workload, rounds = 7): { ms: number; kernel: Kernel } {
  const times: number[] = [];
  const warm: number[] = [];
  let kernel: Kernel | undefined;
  while (times.length < rounds) {
    const w = workload();
    kernel = createKernel({ os: PRESETS.i386, workload: w });
    subscribe(kernel);
    const start = performance.now();
    const r = kernel.run({ until: 60_000_000_000 });
    const ms = performance.now() - start;
    if (!warmUpDone(warm)) warm.push(ms);
    else times.push(ms);
    if (process.env.BENCH_DEBUG) process.stderr.write(`${w.name} run ${warm.length + times.length - 1}: ${ms.toFixed(0)} ms\n`);
    if (r.outcome !== 'ok' || !r.finished) throw new Error(`the ${w.name} workload did not finish: ${r.outcome} ${r.cause}`);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(rounds / 2)] as number, kernel: kernel as Kernel };
}

const THREADS_PER_PROCESS = 1000;
const PROCESSES = 100;

/** A process of main + 999 threads (64 KiB user stacks, as with pthread_attr_setstacksize) all parked in futex_wait. */
const parkedProgram = `
_start:
    mov r0, SYS_setrlimit
    mov r1, RLIMIT_STACK
    mov r2, rlim
    syscall
    mov r6, ${THREADS_PER_PROCESS - 1}
.Lspawn:
    mov r0, SYS_clone
    mov r1, CLONE_THREADS
    mov r2, 0
    mov r3, parked
    mov r4, r6
    syscall
    cmp r0, 0
    jl .Lfailed
    sub r6, 1
    jnz .Lspawn
    call parked
.Lfailed:
    mov r1, r0
    mov r0, SYS_exit_group
    syscall
.func parked
.Lpark:
    mov r0, SYS_futex
    mov r1, never
    mov r2, FUTEX_WAIT
    mov r3, 0
    syscall
    jmp .Lpark
.endfunc
.section .data 0x0804c000
rlim:
    .word 65536, 0xffffffff
never:
    .word 0
`;

function hundredThousandThreads(): { kernel: Kernel; threads: number } {
  const workload: Workload = {
    name: 'bench-100k-threads',
    programs: { parked: parkedProgram },
    processes: Array.from({ length: PROCESSES }, () => ({ program: 'parked' })),
  };
  const kernel = createKernel({ os: defineOs({ preset: 'i386', name: 'i386-1g', memory: 1 << 30 }), workload });
  const r = kernel.run({ until: 5_000_000_000 });
  const threads = kernel.tasks().filter((t) => t.pid > 2 && t.state === 'S').length;
  if (r.outcome !== 'ok' || threads !== PROCESSES * THREADS_PER_PROCESS)
    throw new Error(`100k threads: ${r.outcome} ${r.cause}, ${threads} threads parked`);
  return { kernel, threads };
}

function collectGarbage(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

export default {
  async run() {
    const { kernel: io, ms: ioMs } = timedRuns(ioWorkload);
    const { kernel: sw, ms: swMs } = timedRuns(switchWorkload);

    const gc = collectGarbage();
    gc();
    const before = process.memoryUsage();
    const big = hundredThousandThreads();
    gc();
    const after = process.memoryUsage();
    const mib = (n: number): number => n / (1 << 20);
    const result = {
      'kernel.instructions_per_s': io.instructions / (ioMs / 1000),
      'kernel.context_switches_per_s': sw.contextSwitches / (swMs / 1000),
      'kernel.threads_100k_heap_mib': mib(after.heapUsed - before.heapUsed),
      'kernel.threads_100k_arraybuffers_mib': mib(after.arrayBuffers - before.arrayBuffers),
    };
    process.stderr.write(
      `kernel bench: ${io.instructions} instructions in ${ioMs.toFixed(0)} ms; ${sw.contextSwitches} switches in ${swMs.toFixed(0)} ms; ${big.threads} threads parked, ${big.kernel.mmu.phys.backedFrames} frames backed\n`,
    );
    return result;
  },
  targets: {
    'kernel.instructions_per_s': { min: 20_000_000 },
    'kernel.context_switches_per_s': { min: 500_000 },
  },
};
