/**
 * The KernelStack line of `/proc/meminfo`, as `fs/proc/meminfo.c` prints it
 * (`"KernelStack:    %8lu kB"`).
 *
 * @example
 * ```ts
 * formatKernelStackLine(1472); // 'KernelStack:        1472 kB'
 * ```
 */
export function formatKernelStackLine(kernelStackKb: number): string {
  return `KernelStack:    ${String(kernelStackKb).padStart(8)} kB`;
}

/**
 * CONFIG_DEBUG_STACK_USAGE's message at exit (kernel/exit.c, `check_stack_usage()`):
 * `"%s (%d) used greatest stack depth: %lu bytes left"`, with the task's comm, its
 * pid as `task_pid_nr()` gives it (the thread's own id, the tid) and the bytes never used.
 *
 * @example
 * ```ts
 * formatGreatestDepth('bash', 812, 5360); // 'bash (812) used greatest stack depth: 5360 bytes left'
 * ```
 */
export function formatGreatestDepth(comm: string, pid: number, bytesLeft: number): string {
  return `${comm} (${pid}) used greatest stack depth: ${bytesLeft} bytes left`;
}
