import {
  ERRNO,
  FUTEX,
  KERNEL_LAYOUT,
  NR_SYSCALLS,
  PERCPU_CURRENT,
  PERCPU_SIZE,
  RECORDED_SYSCALL_BIT,
  SLEEP,
  SYSCALLS,
  TASK,
  VECTORS,
} from './abi.ts';
import type { OsVariant } from './os.ts';

/** A kernel function: its name and the bytes of locals it reserves with `sub sp, N`. */
type Frame = readonly [name: string, locals: number];

let labelId = 0;
const L = (what: string): string => `.L${what}_${++labelId}`;

/** A function with a realistic prologue and epilogue around `body` (r0 is the argument and the result). */
function fn(name: string, locals: number, body: string): string {
  // The locals are used: spill the argument and initialise the top and middle of the frame.
  const touch = locals >= 16 ? `\n    st [sp+${(locals / 2) & ~3}], r0\n    st [sp+${locals - 4}], r0` : '';
  return `
.func ${name}
    push {r4-r5}
    sub sp, ${locals}
    st [sp+0], r0${touch}
${body}
    add sp, ${locals}
    pop {r4-r5}
    ret
.endfunc`;
}

/** A call chain: each function calls the next; the last runs `leaf`. */
function chain(frames: readonly Frame[], leaf: string): string {
  return frames
    .map(([name, locals], i) => {
      const next = frames[i + 1];
      return fn(name, locals, next === undefined ? leaf : `    call ${next[0]}`);
    })
    .join('\n');
}

/** A wait loop (`prepare_to_wait; schedule(); retry`): the native sleeps current and returns SLEEP, or returns the result. */
function waitLoop(native: string, schedule = 'schedule'): string {
  const retry = L('retry');
  const done = L('done');
  return `    mov r4, r0
${retry}:
    mov r0, r4
    ncall ${native}
    cmp r0, ${SLEEP}
    jne ${done}
    call ${schedule}
    jmp ${retry}
${done}:`;
}

/** A system call whose work is one native. */
const simple = (name: string, locals: number, native: string): string => fn(name, locals, `    ncall ${native}`);

/** The write path to the disk: ext4 over md RAID-1 down to the ATA driver (deep, as the seeds' "filesystem / software RAID" example). */
export const DISK_WRITE_PATH: readonly Frame[] = [
  ['ext4_file_write_iter', 96],
  ['ext4_buffered_write_iter', 80],
  ['generic_perform_write', 176],
  ['ext4_da_write_end', 96],
  ['submit_bio', 64],
  ['submit_bio_noacct', 96],
  ['md_submit_bio', 112],
  ['md_handle_request', 128],
  ['raid1_make_request', 240],
  ['raid1_write_request', 320],
  ['submit_bio_wait', 96],
  ['blk_mq_submit_bio', 160],
  ['ata_qc_issue', 128],
];

/** The read path from the disk. */
export const DISK_READ_PATH: readonly Frame[] = [
  ['ext4_file_read_iter', 80],
  ['filemap_read', 192],
  ['filemap_get_pages', 96],
  ['ext4_mpage_readpages', 112],
  ['blk_mq_dispatch_rq_list', 144],
  ['ata_qc_issue_read', 128],
];

/** The NIC's receive path, run from its interrupt (deep: network code with iptables, the seeds' example). */
export const NIC_RX_PATH: readonly Frame[] = [
  ['e1000_intr', 96],
  ['e1000_clean', 112],
  ['e1000_clean_rx_irq', 160],
  ['napi_gro_receive', 96],
  ['netif_receive_skb', 80],
  ['__netif_receive_skb_core', 224],
  ['ip_rcv', 96],
  ['nf_hook_slow', 128],
  ['ipt_do_table', 384],
  ['ip_rcv_finish', 96],
  ['ip_local_deliver', 80],
  ['tcp_v4_rcv', 256],
  ['tcp_rcv_established', 160],
  ['tcp_data_queue', 128],
];

/**
 * Generates the kernel's assembly for a variant: entry paths, interrupt and exception
 * handlers, the scheduler's context switch and the call chains of the system calls.
 * Natives (TypeScript behind `ncall`) do the bookkeeping; every frame, return address
 * and saved register is written by this code into simulated memory.
 */
export function kernelSource(os: OsVariant): string {
  labelId = 0;
  const mask = ~(os.threadSize - 1) >>> 0;
  const single = os.stackAllocator === 'single';
  const t: string[] = [];
  t.push(`; ossim kernel for the "${os.name}" variant: THREAD_SIZE ${os.threadSize}, thread_info on the ${os.threadInfo}`);
  t.push(`.equ THREAD_MASK, 0x${mask.toString(16)}`);
  t.push(`.section .text 0x${KERNEL_LAYOUT.text.toString(16)}`);

  // ---- entry from user space: the system call ----
  t.push(`
.func entry_SYSCALL
    push {r0-r15}            ; pt_regs, above them the CPU's trap frame
    sti
    mov r0, sp
    call do_syscall
.endfunc
.func syscall_exit_to_user_mode
    cli
    mov r0, sp
    ncall exit_to_user_mode  ; 0: back to user, 1: reschedule, 2: the task was killed
    cmp r0, 0
    je .Lrestore_all
    cmp r0, 2
    je .Lkilled
    sti
    call schedule
    jmp syscall_exit_to_user_mode
.Lkilled:
    sti
    mov r0, 9
    call do_exit
.Lrestore_all:
    pop {r0-r15}
    iret
.endfunc
.func do_syscall
    push {r4-r5}
    sub sp, 16
    mov r4, r0
    ncall syscall_enter      ; the tracepoint (current found from SP)
    ld r1, [r4+0]            ; regs->orig_ax: the system-call number
    test r1, 0x${RECORDED_SYSCALL_BIT.toString(16)}
    jnz .Lrecorded           ; the recorded-call ABI (like x32's bit): the generic path
    cmp r1, ${NR_SYSCALLS}
    jae .Lenosys
    shl r1, 2
    mov r2, 0x${KERNEL_LAYOUT.sysCallTable.toString(16)}
    add r2, r1
    ld r1, [r2+0]            ; sys_call_table[nr]
    cmp r1, 0
    je .Lenosys
    mov r0, r4
    call r1
    jmp .Lstore
.Lrecorded:
    mov r0, r4
    call __ia32_sys_recorded
    jmp .Lstore
.Lenosys:
    mov r0, ${-ERRNO.ENOSYS}
.Lstore:
    st [r4+0], r0            ; regs->ax = the return value
    mov r0, r4
    ncall syscall_exit
    add sp, 16
    pop {r4-r5}
    ret
.endfunc`);

  // ---- interrupts ----
  t.push(`
.func common_interrupt
    push {r0-r15}
    mov r0, sp
    call do_IRQ
.endfunc
.func ret_from_intr
    cli
    mov r0, sp
    ncall irqentry_exit      ; 0: restore, 1: reschedule on the way to user, 2: preempt the kernel
    cmp r0, 0
    je .Lirq_restore
    cmp r0, 1
    je .Lirq_user
    cmp r0, 3
    je .Lirq_killed
    mov r1, irqsize          ; preempting from the interrupt stack: move the frame back to the task's stack first
    cmp r1, 0
    je .Lirq_preempt
    mov r2, irqsp
    sub r2, r1
    mov r3, sp
    cmp r3, r2
    jb .Lirq_preempt
    mov r0, sp
    ld r1, [r0+80]           ; the interrupted SP (trap frame word 4, above pt_regs)
    sub r1, 84
    mov r2, 21
.Lirq_copy:
    ld r3, [r0+0]
    st [r1+0], r3
    add r0, 4
    add r1, 4
    sub r2, 1
    jnz .Lirq_copy
    sub r1, 84
    mov sp, r1
.Lirq_preempt:
    call preempt_schedule_irq
    jmp ret_from_intr
.Lirq_user:
    sti
    call schedule
    jmp ret_from_intr
.Lirq_killed:
    sti
    mov r0, 9
    call do_exit
.Lirq_restore:
    pop {r0-r15}
    iret
.endfunc
.func do_IRQ
    push {r4-r5}
    sub sp, 16
    mov r4, r0
    ncall irq_enter
    mov r0, r4
    call handle_irq
    mov r0, r4
    ncall irq_exit
    add sp, 16
    pop {r4-r5}
    ret
.endfunc
.func handle_irq
    push {r4-r5}
    sub sp, 8
    ld r1, [r0+68]           ; the vector (trap frame word 1)
    cmp r1, ${VECTORS.TIMER}
    je .Lh_timer
    cmp r1, ${VECTORS.DISK}
    je .Lh_disk
    cmp r1, ${VECTORS.NIC}
    je .Lh_nic
    cmp r1, ${VECTORS.RESCHEDULE}
    je .Lh_resched
    ncall spurious_interrupt
    jmp .Lh_out
.Lh_timer:
    call tick_handle_periodic
    jmp .Lh_out
.Lh_disk:
    call handle_edge_irq
    jmp .Lh_out
.Lh_nic:
    call handle_fasteoi_irq
    jmp .Lh_out
.Lh_resched:
    ncall scheduler_ipi
.Lh_out:
    add sp, 8
    pop {r4-r5}
    ret
.endfunc`);
  t.push(
    chain(
      [
        ['tick_handle_periodic', 16],
        ['tick_periodic', 16],
        ['update_process_times', 24],
      ],
      '    ncall scheduler_tick',
    ),
  );
  t.push(
    chain(
      [
        ['handle_edge_irq', 24],
        ['handle_irq_event', 32],
      ],
      '    call ata_bmdma_interrupt',
    ),
  );
  t.push(simple('ata_bmdma_interrupt', 48, 'ata_complete'));
  t.push(chain([['handle_fasteoi_irq', 32], ['handle_irq_event_nic', 32], ...NIC_RX_PATH], '    ncall nic_receive'));

  // ---- exceptions ----
  t.push(`
.func asm_exc_page_fault
    push {r0-r15}
    mov r0, sp
    call exc_page_fault
    jmp ret_from_intr
.endfunc
.func exc_page_fault
    push {r4-r5}
    sub sp, 24
    mov r4, r0
    ncall do_page_fault      ; resolves (r0 = 0), or kills the process (r0 = SIGSEGV), or oopses
    cmp r0, 0
    je .Lpf_out
    sti
    call do_exit
.Lpf_out:
    add sp, 24
    pop {r4-r5}
    ret
.endfunc
.func asm_exc_double_fault
    push {r0-r15}
    mov r0, sp
    ncall exc_double_fault   ; a kernel stack overflow: panics
    cli
    hlt
.endfunc
.func asm_exc_general
    push {r0-r15}
    mov r0, sp
    ncall do_trap            ; #UD, #GP, #DE: kills a user process (r0 = the signal), oopses in the kernel
    cmp r0, 0
    je .Lgen_out
    sti
    call do_exit
.Lgen_out:
    jmp ret_from_intr
.endfunc`);

  // ---- the scheduler and the context switch ----
  t.push(`
.func schedule
    push {r4-r5}
    sub sp, 8
    mov r0, 0
    call __schedule
    add sp, 8
    pop {r4-r5}
    ret
.endfunc
.func preempt_schedule_irq
    push {r4-r5}
    sub sp, 8
    sti
    mov r0, 1                ; preempt
    call __schedule
    cli
    add sp, 8
    pop {r4-r5}
    ret
.endfunc
.func io_schedule
    push {r4-r5}
    sub sp, 8
    call schedule
    add sp, 8
    pop {r4-r5}
    ret
.endfunc
.func __schedule
    push {r4-r7}
    sub sp, 24
    cli
    st [sp+0], r0
    ncall schedule_debug     ; the stack-end check (CONFIG_SCHED_STACK_END_CHECK)
    ld r0, [sp+0]
    ncall pick_next_task     ; r0 = prev, r1 = next (0: keep running)
    cmp r1, 0
    je .Lsched_out
    call context_switch
.Lsched_out:
    sti
    add sp, 24
    pop {r4-r7}
    ret
.endfunc
.func context_switch
    push {r4-r5}
    sub sp, 8
    mov r4, r0
    mov r5, r1
    ld r2, [r5+${TASK.PGD}]  ; next->mm->pgd, 0 for a kernel thread
    cmp r2, 0
    je .Lcs_lazy             ; a kernel thread borrows prev's active_mm: no page-table switch
    mov r3, cr3
    cmp r2, r3
    je .Lcs_lazy
    mov cr3, r2              ; switch_mm
.Lcs_lazy:
    mov r0, r4
    mov r1, r5
    call __switch_to_asm     ; returns in next's context, r0 = the task we switched from
    ncall finish_task_switch
    add sp, 8
    pop {r4-r5}
    ret
.endfunc
.func __switch_to_asm
    push {r4-r11}            ; inactive_task_frame on prev's kernel stack
    st [r0+${TASK.SP}], sp   ; prev->thread.sp = sp
    ld r2, [r1+${TASK.SP}]   ; next->thread.sp
${
  single
    ? `    cmp r2, 0
    jne .Lsw_have_sp
    mov r2, ${TASK.FRAME}    ; a new task on the shared stack: copy its fork frame from the task to the stack
    add r2, r1
    ld r3, [r1+${TASK.SP0}]
    sub r3, 120
    mov sp, r3
    mov r6, 30
.Lsw_copy:
    ld r7, [r2+0]
    st [r3+0], r7
    add r2, 4
    add r3, 4
    sub r6, 1
    jnz .Lsw_copy
    mov r2, sp
.Lsw_have_sp:`
    : ''
}
    mov sp, r2
    pop {r4-r11}
    jmp __switch_to
.endfunc
.func __switch_to
    ld r2, [r1+${TASK.SP0}]
    mov sp0, r2              ; the TSS: where the next trap from user mode lands
    mov r3, cpuid
    mul r3, ${PERCPU_SIZE}
    mov r2, 0x${KERNEL_LAYOUT.percpu.toString(16)}
    add r2, r3
    st [r2+${PERCPU_CURRENT}], r1   ; this_cpu(current_task) = next
    ret
.endfunc
.func ret_from_fork
    ncall schedule_tail      ; finish_task_switch(prev)
    cmp r4, 0
    je .Lrff_user
    sti
    mov r0, r5
    call r4                  ; a kernel thread's function; it never returns
    mov r0, 0
    call do_exit
.Lrff_user:
    jmp syscall_exit_to_user_mode
.endfunc
.func do_exit
    push {r4-r5}
    sub sp, 32
    ncall do_exit_native     ; zombie, reparenting, wake the parent
    call schedule            ; never returns
    ncall bug_exit_returned
    cli
    hlt
.endfunc
.func cond_resched
    push {r4-r5}
    sub sp, 8
    ncall should_resched_voluntary
    cmp r0, 0
    je .Lcr_out
    call schedule
.Lcr_out:
    add sp, 8
    pop {r4-r5}
    ret
.endfunc`);

  // ---- idle, init, kthreadd, workers ----
  t.push(`
.func start_kernel
    call cpu_startup_entry
.endfunc
.func cpu_startup_entry
    push {r4-r5}
    sub sp, 16
.Lidle_loop:
    cli
    ncall idle_need_resched
    cmp r0, 0
    jne .Lidle_sched
    sti
    hlt
    jmp .Lidle_loop
.Lidle_sched:
    sti
    call schedule
    jmp .Lidle_loop
.endfunc
.func kthreadd
    push {r4-r5}
    sub sp, 32
.Lkthreadd_loop:
    mov r0, sp
${waitLoop('kthreadd_work')}
    jmp .Lkthreadd_loop
.endfunc
.func worker_thread
    push {r4-r5}
    sub sp, 48
.Lworker_loop:
    mov r0, sp
${waitLoop('worker_next')}
    mov r5, r0               ; the work item's cycles
    work r5                  ; run it (interruptible)
    call process_one_work
    jmp .Lworker_loop
.endfunc
.func process_one_work
    push {r4-r5}
    sub sp, 64
    ncall worker_did_work
    mov r0, r4
    add sp, 64
    pop {r4-r5}
    ret
.endfunc`);

  // ---- system calls ----
  t.push(fn('__ia32_sys_write', 16, '    call ksys_write'));
  t.push(fn('ksys_write', 32, '    call vfs_write'));
  t.push(
    fn(
      'vfs_write',
      48,
      `    mov r4, r0
    ncall fd_kind            ; 1 console, 2 pipe, 3 disk, else -EBADF
    cmp r0, 1
    je .Lvw_tty
    cmp r0, 2
    je .Lvw_pipe
    cmp r0, 3
    je .Lvw_disk
    jmp .Lvw_out
.Lvw_tty:
    mov r0, r4
    call tty_write
    jmp .Lvw_out
.Lvw_pipe:
    mov r0, r4
    call pipe_write
    jmp .Lvw_out
.Lvw_disk:
    mov r0, r4
    call ${DISK_WRITE_PATH[0]?.[0]}
.Lvw_out:`,
    ),
  );
  t.push(
    chain(
      [
        ['tty_write', 64],
        ['file_tty_write', 48],
      ],
      '    call iterate_tty_write',
    ),
  );
  t.push(`
.func iterate_tty_write
    push {r4-r5}
    sub sp, 512              ; the tty's bounce buffer, on the stack
    mov r4, r0
    mov r1, sp
    ncall tty_copy_from_user ; copies the user's bytes into the buffer
    mov r5, r0
    mov r0, r4
    mov r1, sp
    call n_tty_write
    add sp, 512
    pop {r4-r5}
    ret
.endfunc
.func n_tty_write
    push {r4-r5}
    sub sp, 64
    ncall tty_output         ; r0 = regs, r1 = the buffer: prints it
    add sp, 64
    pop {r4-r5}
    ret
.endfunc`);
  t.push(fn('pipe_write', 96, `${waitLoop('pipe_write_native')}\n    call cond_resched_keep`));
  t.push(`
.func cond_resched_keep
    push {r4-r5}
    sub sp, 8
    mov r4, r0
    call cond_resched
    mov r0, r4
    add sp, 8
    pop {r4-r5}
    ret
.endfunc`);
  t.push(
    chain(DISK_WRITE_PATH.slice(0, -1), `    call ${DISK_WRITE_PATH.at(-1)?.[0]}`).replace(
      'sub sp, 160\n    st [sp+0], r0\n    st [sp+80], r0\n    st [sp+156], r0',
      'sub sp, 160\n    st [sp+0], r0\n    st [sp+80], r0\n    st [sp+156], r0\n    mov r4, r0\n    ncall raid_checksum_cycles\n    work r0                  ; compute the mirror checksums (interruptible)\n    mov r0, r4',
    ),
  );
  t.push(fn('ata_qc_issue', 128, `${waitLoop('blk_rw', 'io_schedule')}\n    call cond_resched_keep`));

  t.push(fn('__ia32_sys_read', 16, '    call ksys_read'));
  t.push(fn('ksys_read', 32, '    call vfs_read'));
  t.push(
    fn(
      'vfs_read',
      48,
      `    mov r4, r0
    ncall fd_kind
    cmp r0, 1
    je .Lvr_tty
    cmp r0, 2
    je .Lvr_pipe
    cmp r0, 3
    je .Lvr_disk
    jmp .Lvr_out
.Lvr_tty:
    mov r0, 0                ; the console has no input: end of file
    jmp .Lvr_out
.Lvr_pipe:
    mov r0, r4
    call pipe_read
    jmp .Lvr_out
.Lvr_disk:
    mov r0, r4
    call ${DISK_READ_PATH[0]?.[0]}
.Lvr_out:`,
    ),
  );
  t.push(fn('pipe_read', 96, waitLoop('pipe_read_native')));
  t.push(chain(DISK_READ_PATH.slice(0, -1), `    call ${DISK_READ_PATH.at(-1)?.[0]}`));
  t.push(fn('ata_qc_issue_read', 128, waitLoop('blk_rw', 'io_schedule')));

  t.push(fn('__ia32_sys_exit', 16, '    ld r0, [r0+4]\n    and r0, 0xff\n    shl r0, 8\n    call do_exit'));
  t.push(
    fn(
      '__ia32_sys_exit_group',
      16,
      '    mov r4, r0\n    ncall exit_group_native\n    ld r0, [r4+4]\n    and r0, 0xff\n    shl r0, 8\n    call do_exit',
    ),
  );
  t.push(fn('__ia32_sys_fork', 16, '    call kernel_clone'));
  t.push(fn('__ia32_sys_vfork', 16, '    call kernel_clone'));
  t.push(fn('__ia32_sys_clone', 16, '    call kernel_clone'));
  t.push(fn('__ia32_sys_clone3', 16, '    call kernel_clone'));
  t.push(
    chain(
      [
        ['kernel_clone', 48],
        ['copy_process', 96],
      ],
      '    ncall copy_process_native',
    ),
  );
  t.push(
    chain(
      [
        ['__ia32_sys_execve', 16],
        ['do_execveat_common', 96],
        ['bprm_execve', 64],
      ],
      '    ncall exec_binprm',
    ),
  );
  t.push(
    chain(
      [
        ['__ia32_sys_wait4', 16],
        ['kernel_wait4', 48],
      ],
      '    call do_wait',
    ),
  );
  t.push(fn('do_wait', 96, waitLoop('do_wait_native')));
  t.push(
    chain(
      [
        ['__ia32_sys_nanosleep', 16],
        ['hrtimer_nanosleep', 64],
      ],
      '    call do_nanosleep',
    ),
  );
  t.push(fn('do_nanosleep', 48, waitLoop('nanosleep_native')));
  t.push(
    chain(
      [
        ['__ia32_sys_futex', 16],
        ['do_futex', 48],
      ],
      '    call futex_dispatch',
    ),
  );
  t.push(
    fn(
      'futex_dispatch',
      16,
      `    ld r1, [r0+8]            ; op
    and r1, 0x${(~(FUTEX.PRIVATE_FLAG | FUTEX.CLOCK_REALTIME) >>> 0).toString(16)}     ; op & FUTEX_CMD_MASK
    cmp r1, ${FUTEX.WAIT}
    je .Lfx_wait
    cmp r1, ${FUTEX.WAKE}
    je .Lfx_wake
    mov r0, ${-ERRNO.ENOSYS}
    jmp .Lfx_out
.Lfx_wait:
    call futex_wait
    jmp .Lfx_out
.Lfx_wake:
    ncall futex_wake_native
.Lfx_out:`,
    ),
  );
  t.push(fn('futex_wait', 64, waitLoop('futex_wait_native')));
  t.push(fn('__ia32_sys_sched_yield', 16, '    ncall do_sched_yield\n    call schedule\n    mov r0, 0'));
  t.push(simple('__ia32_sys_getpid', 16, 'sys_getpid'));
  t.push(simple('__ia32_sys_gettid', 16, 'sys_gettid'));
  t.push(simple('__ia32_sys_getppid', 16, 'sys_getppid'));
  t.push(simple('__ia32_sys_pipe', 32, 'sys_pipe'));
  t.push(simple('__ia32_sys_getrlimit', 16, 'sys_getrlimit'));
  t.push(simple('__ia32_sys_setrlimit', 16, 'sys_setrlimit'));
  t.push(
    chain(
      [
        ['__ia32_sys_mmap_pgoff', 16],
        ['vm_mmap_pgoff', 48],
      ],
      '    ncall do_mmap',
    ),
  );
  t.push(
    chain(
      [
        ['__ia32_sys_munmap', 16],
        ['__vm_munmap', 48],
      ],
      '    ncall do_munmap',
    ),
  );

  // ---- the recorded-call path (sys_ni_syscall's place for calls replayed from a recording) ----
  t.push(fn('__ia32_sys_recorded', 16, '    call do_recorded_syscall'));
  t.push(
    fn(
      'do_recorded_syscall',
      48,
      `    mov r4, r0
    ncall recorded_syscall_cycles ; the recorded duration when it is spent running in the kernel, else 0
    work r0                  ; (interruptible)
    mov r0, r4
${waitLoop('recorded_syscall_native')}`,
    ),
  );

  // ---- data: the IDT and the system-call table ----
  t.push(`\n.section .data 0x${KERNEL_LAYOUT.idt.toString(16)}`);
  const idt: string[] = [];
  for (let v = 0; v < 256; v++) {
    let h = '0';
    if (v === 14) h = 'asm_exc_page_fault';
    else if (v === 8) h = 'asm_exc_double_fault';
    else if (v === 0 || v === 6 || v === 13) h = 'asm_exc_general';
    else if (v === 0x80) h = 'entry_SYSCALL';
    else if (v >= 32) h = 'common_interrupt';
    idt.push(h);
  }
  for (let i = 0; i < 256; i += 8) t.push(`    .word ${idt.slice(i, i + 8).join(', ')}`);
  t.push(`\n.section .systab 0x${KERNEL_LAYOUT.sysCallTable.toString(16)}`);
  const handler: Record<string, string> = {
    mmap2: '__ia32_sys_mmap_pgoff',
  };
  const table: string[] = [];
  const byNr = new Map<number, string>(Object.entries(SYSCALLS).map(([name, nr]) => [nr, name]));
  for (let nr = 0; nr < NR_SYSCALLS; nr++) {
    const name = byNr.get(nr);
    table.push(name === undefined ? '0' : (handler[name] ?? `__ia32_sys_${name}`));
  }
  for (let i = 0; i < NR_SYSCALLS; i += 8) t.push(`    .word ${table.slice(i, i + 8).join(', ')}`);
  return `${t.join('\n')}\n`;
}
