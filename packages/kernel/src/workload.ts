import { KernelError } from './errors.ts';

/** A kernel worker thread (kworker-like) that kthreadd creates at boot: runs `cycles`, sleeps `period` ns, again. */
export interface KthreadSpec {
  readonly name: string;
  readonly cycles: number;
  readonly period: number;
}

/**
 * A workload: plain, serialisable data (an input of a run). Programs are assembly
 * sources (entry `_start`, text at 0x08048000 unless a `.section` says otherwise);
 * init forks and execs each process in order at boot.
 */
export interface Workload {
  readonly name: string;
  readonly programs: Readonly<Record<string, string>>;
  readonly processes: readonly { readonly program: string }[];
  /** Times (ns) at which the NIC receives a packet and interrupts: `input.nic_rx` events. */
  readonly nic?: readonly number[];
  readonly kthreads?: readonly KthreadSpec[];
}

/** One step of a built program. */
export type Step =
  | { readonly op: 'compute'; readonly cycles: number }
  | { readonly op: 'call'; readonly depth: number; readonly frame?: number; readonly cycles?: number }
  | { readonly op: 'write'; readonly text: string }
  | { readonly op: 'disk-write'; readonly bytes: number }
  | { readonly op: 'disk-read'; readonly bytes: number }
  | { readonly op: 'pipe-pingpong'; readonly rounds: number }
  | { readonly op: 'getpid' }
  | { readonly op: 'sleep'; readonly ns: number }
  | { readonly op: 'yield' }
  | { readonly op: 'fork'; readonly child: readonly Step[] }
  | { readonly op: 'wait' }
  | { readonly op: 'threads'; readonly count: number; readonly steps: readonly Step[] }
  | { readonly op: 'loop'; readonly times: number; readonly steps: readonly Step[] }
  | { readonly op: 'exit'; readonly code: number };

/** A process of a built workload. */
export interface ProcessShape {
  /** Its program's name (and comm). */
  readonly comm: string;
  readonly steps: readonly Step[];
}

/** Options of {@link buildWorkload}. */
export interface WorkloadShape {
  readonly name: string;
  readonly processes: readonly ProcessShape[];
  readonly nic?: readonly number[];
  readonly kthreads?: readonly KthreadSpec[];
}

const DATA = 0x08060000;

/**
 * Builds a workload from common shapes: processes whose threads compute, call nested
 * functions, write to the console or the disk, sleep, yield, fork children and wait.
 *
 * @example
 * ```ts
 * const w = buildWorkload({
 *   name: 'demo',
 *   processes: [{ comm: 'app', steps: [{ op: 'threads', count: 3, steps: [{ op: 'getpid' }, { op: 'sleep', ns: 1_000_000 }] }] }],
 * });
 * ```
 */
export function buildWorkload(shape: WorkloadShape): Workload {
  const programs: Record<string, string> = {};
  for (const p of shape.processes) {
    if (!/^[A-Za-z0-9_.-]{1,15}$/.test(p.comm))
      throw new KernelError('bad-workload', `processes: comm ${JSON.stringify(p.comm)} must be 1-15 letters, digits, _ . -`);
    programs[p.comm] = programFor(p.steps);
  }
  return {
    name: shape.name,
    programs,
    processes: shape.processes.map((p) => ({ program: p.comm })),
    ...(shape.nic === undefined ? {} : { nic: shape.nic }),
    ...(shape.kthreads === undefined ? {} : { kthreads: shape.kthreads }),
  };
}

/** The assembly of a program running `steps`, then exit_group(0). */
export function programFor(steps: readonly Step[]): string {
  let n = 0;
  const id = (): number => ++n;
  const text: string[] = [];
  const funcs: string[] = [];
  const data: string[] = ['scratch:', '    .space 4096', 'status:', '    .word 0', 'pipefds:', '    .word 0, 0'];

  const emit = (list: readonly Step[], out: string[]): void => {
    for (const s of list) {
      switch (s.op) {
        case 'compute':
          out.push(`    work ${s.cycles}`);
          break;
        case 'call': {
          const k = id();
          const frame = s.frame ?? 64;
          for (let d = s.depth; d >= 1; d--) {
            const body = d === 1 ? `    work ${s.cycles ?? 100}` : `    call f${k}_${d - 1}`;
            funcs.push(
              `.func f${k}_${d}\n    push {r4-r5}\n    sub sp, ${frame}\n    st [sp+0], r0\n${body}\n    add sp, ${frame}\n    pop {r4-r5}\n    ret\n.endfunc`,
            );
          }
          out.push(`    call f${k}_${s.depth}`);
          break;
        }
        case 'write': {
          const k = id();
          data.push(`msg${k}:`, `    .ascii ${JSON.stringify(s.text)}`, '    .align 4');
          out.push('    mov r0, SYS_write', '    mov r1, 1', `    mov r2, msg${k}`, `    mov r3, ${s.text.length}`, '    syscall');
          break;
        }
        case 'disk-write':
        case 'disk-read':
          out.push(
            `    mov r0, SYS_${s.op === 'disk-write' ? 'write' : 'read'}`,
            '    mov r1, 3',
            '    mov r2, scratch',
            `    mov r3, ${Math.min(s.bytes, 4096)}`,
            '    syscall',
          );
          break;
        case 'pipe-pingpong': {
          const k = id();
          out.push(
            '    mov r0, SYS_pipe',
            '    mov r1, pipefds',
            '    syscall',
            '    mov r0, SYS_fork',
            '    syscall',
            '    cmp r0, 0',
            `    jne .Lpp_parent${k}`,
            `    mov r6, ${s.rounds}`,
            `.Lpp_child${k}:`,
            '    mov r0, SYS_read',
            '    ld r1, [pipefds]',
            '    mov r2, scratch',
            '    mov r3, 4',
            '    syscall',
            '    sub r6, 1',
            `    jnz .Lpp_child${k}`,
            '    mov r0, SYS_exit',
            '    mov r1, 0',
            '    syscall',
            `.Lpp_parent${k}:`,
            `    mov r6, ${s.rounds}`,
            `.Lpp_loop${k}:`,
            '    mov r0, SYS_write',
            '    mov r1, pipefds',
            '    ld r1, [r1+4]',
            '    mov r2, scratch',
            '    mov r3, 4',
            '    syscall',
            '    mov r0, SYS_sched_yield',
            '    syscall',
            '    sub r6, 1',
            `    jnz .Lpp_loop${k}`,
            '    mov r0, SYS_wait4',
            '    mov r1, -1',
            '    mov r2, status',
            '    mov r3, 0',
            '    syscall',
          );
          break;
        }
        case 'getpid':
          out.push('    mov r0, SYS_getpid', '    syscall');
          break;
        case 'sleep': {
          const k = id();
          data.push(`ts${k}:`, `    .word ${Math.floor(s.ns / 1e9)}, ${s.ns % 1e9}`);
          out.push('    mov r0, SYS_nanosleep', `    mov r1, ts${k}`, '    mov r2, 0', '    syscall');
          break;
        }
        case 'yield':
          out.push('    mov r0, SYS_sched_yield', '    syscall');
          break;
        case 'fork': {
          const k = id();
          out.push('    mov r0, SYS_fork', '    syscall', '    cmp r0, 0', `    jne .Lparent${k}`);
          emit(s.child, out);
          out.push('    mov r0, SYS_exit', '    mov r1, 0', '    syscall', `.Lparent${k}:`);
          break;
        }
        case 'wait':
          out.push('    mov r0, SYS_wait4', '    mov r1, -1', '    mov r2, status', '    mov r3, 0', '    syscall');
          break;
        case 'threads': {
          const k = id();
          data.push(`done${k}:`, `    .space ${s.count * 4}`);
          const body: string[] = [];
          emit(s.steps, body);
          funcs.push(
            [
              `.func thread${k}`,
              '    mov r7, r1               ; the thread index',
              ...body,
              `    mov r1, done${k}`,
              '    mov r2, r7',
              '    shl r2, 2',
              '    add r1, r2',
              '    mov r2, 1',
              '    st [r1+0], r2',
              '    mov r0, SYS_futex',
              '    mov r2, FUTEX_WAKE',
              '    mov r3, 1',
              '    syscall',
              '    mov r0, SYS_exit',
              '    mov r1, 0',
              '    syscall',
              '.endfunc',
            ].join('\n'),
          );
          for (let i = 0; i < s.count; i++) {
            out.push(
              '    mov r0, SYS_clone',
              '    mov r1, CLONE_THREADS',
              '    mov r2, 0',
              `    mov r3, thread${k}`,
              `    mov r4, ${i}`,
              '    syscall',
            );
          }
          for (let i = 0; i < s.count; i++) {
            const j = id();
            out.push(
              `.Ljoin${j}:`,
              `    mov r1, done${k}+${i * 4}`,
              '    ld r2, [r1+0]',
              '    cmp r2, 0',
              `    jne .Ljoined${j}`,
              '    mov r0, SYS_futex',
              '    mov r2, FUTEX_WAIT',
              '    mov r3, 0',
              '    syscall',
              `    jmp .Ljoin${j}`,
              `.Ljoined${j}:`,
            );
          }
          break;
        }
        case 'loop': {
          const k = id();
          out.push(`    mov r0, ${s.times}`, '    push r0', `.Lloop${k}:`);
          emit(s.steps, out);
          out.push('    pop r0', '    sub r0, 1', '    push r0', `    jnz .Lloop${k}`, '    pop r0');
          break;
        }
        case 'exit':
          out.push('    mov r0, SYS_exit_group', `    mov r1, ${s.code}`, '    syscall');
          break;
      }
    }
  };
  emit(steps, text);
  return [
    '.section .text 0x08048000',
    '.func _start',
    ...text,
    '    mov r0, SYS_exit_group',
    '    mov r1, 0',
    '    syscall',
    '.endfunc',
    ...funcs,
    `.section .data 0x${DATA.toString(16)}`,
    ...data,
    '',
  ].join('\n');
}
