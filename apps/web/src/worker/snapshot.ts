import { disassemble } from '@ossim/cpu';
import { type Kernel, type KernelView, TASK, viewTaskInfos } from '@ossim/kernel';
import { STACK_END_MAGIC, THREAD_INFO_OFFSETS } from '@ossim/kstack';
import { formatPsELf } from '@ossim/trace';
import type { CpuView, MemWord, SpaceRegion, SpaceView, StackPicture, TaskRow, WalkView } from '../protocol.ts';

const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
/** PS bit: the CPU was in user mode (a trap frame from user space). */
const PS_USER = 0x8000;
const TRAP_WORDS = ['error code', 'vector', 'pc (user)', 'ps', 'sp (user stack)'];

/** `ps -eLf` at the view's moment, exactly as `ossim ps -f --at` prints it. */
export function psText(view: KernelView): string {
  const text = formatPsELf(viewTaskInfos(view), { nowNs: view.time });
  return text.endsWith('\n') ? text : `${text}\n`;
}

/** `/proc/PID/task/TID/stack`, exactly as `ossim stack --at` prints it. */
export function procStackText(kernel: Kernel, view: KernelView, tid: number): string {
  if (view.tasks[String(tid)] === undefined) return `no thread ${tid} at seq ${view.seq}\n`;
  const frames = kernel.stackTrace(tid);
  return frames.length === 0 ? '' : `${frames.join('\n')}\n`;
}

/** The threads at the moment, with the CPU each runs on. */
export function taskRows(view: KernelView): TaskRow[] {
  return Object.values(view.tasks)
    .map((t) => {
      const cpu = view.current.indexOf(t.tid);
      return {
        pid: t.pid,
        tid: t.tid,
        comm: t.comm,
        state: t.state,
        kernelThread: t.kernelThread,
        onCpu: t.tid === 0 ? (view.current[t.cpu] === 0 ? t.cpu : null) : cpu < 0 ? null : cpu,
      };
    })
    .sort((a, b) => a.pid - b.pid || a.tid - b.tid);
}

const readOr = (kernel: Kernel, a: number): number | null => {
  try {
    return kernel.readKernel32(a) >>> 0;
  } catch {
    return null;
  }
};

/** Where a thread's kernel SP is at the moment: the CPU's SP when it runs, else its saved thread.sp. */
function kernelSp(kernel: Kernel, view: KernelView, tid: number): { sp: number; onCpu: number | null; label: string } | null {
  const task = kernel.task(tid);
  if (task === undefined || task.kernelStack === null) return null;
  const cpu = view.current.indexOf(tid);
  if (cpu >= 0) {
    const c = kernel.machine.cpus[cpu];
    if (c !== undefined) {
      const inUser = (c.ps & PS_USER) !== 0;
      return { sp: inUser ? task.kernelStack.top : c.sp >>> 0, onCpu: cpu, label: inUser ? 'SP (in user mode: kernel stack empty)' : 'SP' };
    }
  }
  return { sp: task.threadSp >>> 0, onCpu: null, label: 'thread.sp (saved SP)' };
}

/**
 * A thread's kernel stack as memory: every word from the base to the top, each named —
 * thread_info and its fields, STACK_END_MAGIC, the trap frame and pt_regs pushed at entry, the
 * registers __switch_to_asm saved, return addresses (symbolized) and the frames they close,
 * the free space below SP (where older frames' words linger) — with SP, thread.sp and sp0.
 */
export interface LeftFrames {
  /** The seq of the switch that took the thread off its CPU. */
  readonly seq: number;
  /** The return addresses above its SP then, by address. */
  readonly words: ReadonlyMap<number, { readonly value: number; readonly symbol: string }>;
}

export function kernelStackPicture(
  kernel: Kernel,
  view: KernelView,
  tid: number,
  left: LeftFrames | null = null,
): { own: StackPicture; other: StackPicture | null } | null {
  const task = kernel.task(tid);
  if (task === undefined || task.kernelStack === null) return null;
  const where = kernelSp(kernel, view, tid);
  if (where === null) return null;
  const stack = kernel.kstack.has(tid) ? kernel.kstack.stackOf(tid) : null;
  const base = stack?.base ?? task.kernelStack.base;
  const top = stack?.top ?? task.kernelStack.top;
  const sp = where.sp;
  const notes: string[] = [];
  const ps = readOr(kernel, top - 8);
  // A kernel thread never entered from user mode: no trap frame at its top (its fork frame is not one).
  const fromUser = !task.kernelThread && ps !== null && (ps & PS_USER) !== 0 && sp <= top - 20;
  const ptRegs = fromUser && sp <= top - 84 ? top - 84 : null;
  const switchedOut = where.onCpu === null && sp < top;
  // Whose frame each word above SP is: the innermost function first, then each return address's.
  const cpu = where.onCpu === null ? undefined : kernel.machine.cpus[where.onCpu];
  let frameOf =
    cpu !== undefined && (cpu.ps & PS_USER) === 0
      ? (kernel.symbols.lookup(cpu.pc)?.symbol.name ?? hex(cpu.pc))
      : switchedOut
        ? '__switch_to_asm'
        : '';
  const words = kernel.stackWords(base, (top - base) / 4);
  const out: MemWord[] = words.map((w) => {
    const a = w.address >>> 0;
    const value = w.value === null ? null : w.value >>> 0;
    const markers: string[] = [];
    if (a === (sp & ~3) >>> 0 && sp < top) markers.push(`${where.label} ${hex(sp)}`);
    if (a === top - 4) markers.push(`sp0 ${hex(top)} (the top, just above)`);
    const mk = (kind: MemWord['kind'], what: string, symbol: string | null = null): MemWord => ({
      address: a,
      value,
      what,
      kind,
      symbol,
      markers,
    });
    if (stack?.threadInfo !== null && stack?.threadInfo !== undefined && a >= stack.threadInfo && a < stack.threadInfo + 20) {
      const field = Object.entries(THREAD_INFO_OFFSETS).find(([, off]) => (stack.threadInfo as number) + off === a)?.[0] ?? '?';
      return mk('thread-info', `thread_info.${field}`);
    }
    if (stack !== null && a === stack.endOfStack) {
      return mk('magic', value === STACK_END_MAGIC ? 'STACK_END_MAGIC' : `STACK_END_MAGIC clobbered (should be ${hex(STACK_END_MAGIC)})`);
    }
    const was = left?.words.get(a);
    if (was !== undefined && was.value !== value) {
      return mk(
        'overwritten',
        `overwritten: tid ${tid} left the return address ${hex(was.value)} ${was.symbol} here at seq ${left?.seq}; now ${value === null ? 'unmapped' : hex(value)}${w.returnAddress === null ? '' : ` ${w.returnAddress}`}`,
        was.symbol,
      );
    }
    if (fromUser && a >= top - 20) return mk('trap', `trap frame: ${TRAP_WORDS[(a - (top - 20)) / 4]} (pushed by the CPU)`);
    if (ptRegs !== null && a >= ptRegs && a < top - 20) return mk('regs', `pt_regs.r${(a - ptRegs) / 4} (saved at entry)`);
    if (a < sp) {
      if (w.returnAddress !== null) return mk('free', `stale return address (below SP) -> ${w.returnAddress}`, w.returnAddress);
      return mk('free', 'free (below SP)');
    }
    if (switchedOut && a < sp + 32) return mk('switch', `inactive_task_frame r${4 + (a - sp) / 4} (saved by __switch_to_asm)`);
    if (w.returnAddress !== null) {
      const word = mk('ret', `return address (end of ${frameOf || 'frame'}'s frame)`, w.returnAddress);
      frameOf = w.returnAddress.replace(/\+.*$/, '');
      return word;
    }
    return mk('data', frameOf === '' ? 'saved register or local' : `${frameOf}: saved register or local`);
  });
  if (stack !== null) {
    const magic = readOr(kernel, stack.endOfStack);
    if (magic !== null && magic !== STACK_END_MAGIC)
      notes.push(`STACK_END_MAGIC at ${hex(stack.endOfStack)} is ${hex(magic)}: the stack overflowed into it`);
    if (stack.threadInfo !== null) {
      const owner = readOr(kernel, stack.threadInfo);
      notes.push(
        `thread_info at ${hex(stack.threadInfo)}: task = ${owner === null ? '?' : owner} (${owner === tid ? 'this thread: current is right' : 'not this thread: current is garbage'})`,
      );
    }
  }
  const elsewhere = sp < (stack?.guardBelow?.start ?? base) || sp > top;
  if (elsewhere) notes.push(`${where.label} ${hex(sp)} is not on this stack (see where SP is now)`);
  else if (sp < base) {
    const g = stack?.guardBelow;
    notes.push(
      g && sp >= g.start && sp <= g.end
        ? `SP ${hex(sp)} is in the guard page ${hex(g.start)}-${hex(g.end)} below the stack: the overflow hit the guard`
        : `SP ${hex(sp)} is below the stack's base ${hex(base)}: a kernel stack overflow`,
    );
  }
  if (stack?.strategy === 'single') notes.push('one kernel stack shared by every task: every entry starts from the same top');
  if (left !== null) {
    const changed = [...left.words].filter(([a, w]) => readOr(kernel, a) !== w.value).length;
    notes.push(
      `since tid ${tid} was switched out at seq ${left.seq}, ${changed} of the ${left.words.size} return addresses it left above its SP were overwritten`,
    );
  }
  if (!elsewhere) notes.unshift(`${where.label} = ${hex(sp)}: ${top - sp} bytes in use of ${top - base}`);
  const own: StackPicture = {
    title: `kernel stack of tid ${tid} (${task.comm}): ${stack?.strategy ?? 'kernel'} ${hex(base)}-${hex(top - 1)} (${(top - base) / 1024} KiB)`,
    base,
    top,
    words: out,
    guardBelow: stack?.guardBelow ? { low: stack.guardBelow.start, high: stack.guardBelow.end } : null,
    guardAbove: stack?.guardAbove ? { low: stack.guardAbove.start, high: stack.guardAbove.end } : null,
    notes,
  };
  // On a CPU whose SP is on another stack (an IRQ or exception stack): that one too.
  let other: StackPicture | null = null;
  if (cpu !== undefined && (cpu.ps & PS_USER) === 0 && (cpu.sp >>> 0 < base - 4096 || cpu.sp >>> 0 > top)) {
    const loc = kernel.kstack.whereIs(cpu.sp >>> 0);
    const range = loc === null ? null : (loc as unknown as { base?: number; top?: number });
    if (range?.base !== undefined && range.top !== undefined) {
      const csp = cpu.sp >>> 0;
      const ws = kernel.stackWords(range.base, (range.top - range.base) / 4).map(
        (w): MemWord => ({
          address: w.address >>> 0,
          value: w.value === null ? null : w.value >>> 0,
          what: w.address < csp ? 'free (below SP)' : w.returnAddress !== null ? 'return address' : 'saved register or local',
          kind: w.address < csp ? 'free' : w.returnAddress !== null ? 'ret' : 'data',
          symbol: w.returnAddress,
          markers: w.address >>> 0 === (csp & ~3) >>> 0 ? [`SP ${hex(csp)}`] : [],
        }),
      );
      other = {
        title: `CPU ${where.onCpu}'s SP is on its ${loc?.kind === 'irq-stack' ? 'IRQ stack' : loc?.kind === 'exception-stack' ? 'exception stack' : (loc?.kind ?? 'other stack')}: ${hex(range.base)}-${hex(range.top - 1)}`,
        base: range.base,
        top: range.top,
        words: ws,
        guardBelow: null,
        guardAbove: null,
        notes: [`SP = ${hex(csp)}: ${range.top - csp} bytes in use of ${range.top - range.base}`],
      };
    }
  }
  return { own, other };
}

/** The return addresses a thread leaves on its stack as it is switched out (read at that sched.switch, on its CPU). */
export function framesLeft(kernel: Kernel, tid: number, cpu: number, seq: number): LeftFrames | null {
  const task = kernel.task(tid);
  const c = kernel.machine.cpus[cpu];
  if (task === undefined || task.kernelStack === null || c === undefined) return null;
  const sp = c.sp >>> 0;
  const top = task.kernelStack.top;
  if (sp < task.kernelStack.base || sp >= top) return null;
  const words = new Map<number, { value: number; symbol: string }>();
  for (const w of kernel.stackWords(sp, (top - sp) / 4))
    if (w.value !== null && w.returnAddress !== null) words.set(w.address >>> 0, { value: w.value >>> 0, symbol: w.returnAddress });
  return { seq, words };
}

/** The page directory of a task's address space (0 for a kernel thread). */
const pgdOf = (kernel: Kernel, tid: number): number => {
  const t = kernel.task(tid);
  return t === undefined ? 0 : (readOr(kernel, t.taskStruct + TASK.PGD) ?? 0);
};

const readUser = (kernel: Kernel, pgd: number, a: number): number | null => {
  const w = kernel.mmu.walk(pgd, a, { user: true }, { update: false });
  return w.paddr === null ? null : kernel.mmu.phys.read32(w.paddr) >>> 0;
};

/** A thread's user stack from its user SP up (at most 96 words), read through its page tables. */
export function userStackPicture(kernel: Kernel, view: KernelView, tid: number): StackPicture | null {
  const task = kernel.task(tid);
  if (task === undefined || task.userStack === null || task.kernelStack === null) return null;
  const pgd = pgdOf(kernel, tid);
  if (pgd === 0) return null;
  const cpu = view.current.indexOf(tid);
  const c = cpu < 0 ? undefined : kernel.machine.cpus[cpu];
  let usp: number | null = null;
  if (c !== undefined && (c.ps & PS_USER) !== 0) usp = c.sp >>> 0;
  else {
    const top = task.kernelStack.top;
    const ps = readOr(kernel, top - 8);
    if (ps !== null && (ps & PS_USER) !== 0) usp = readOr(kernel, top - 4);
  }
  const { base, top } = task.userStack;
  const notes: string[] = [];
  const realSp = usp;
  if (usp === null || usp < base || usp > top) {
    notes.push(
      usp === null
        ? 'no user SP saved on the kernel stack (not in a system call or interrupt from user mode): the top of the stack is shown'
        : `the trap frame at the kernel stack's top holds user SP ${hex(usp)}, outside this stack (on a shared kernel stack it is another task's): the top of the stack is shown`,
    );
    usp = Math.max(base, top - 64);
  } else
    notes.push(
      usp === top
        ? `user SP = ${hex(usp)}: the top, nothing pushed on the user stack yet`
        : `user SP = ${hex(usp)} (${top - usp} bytes in use)`,
    );
  if (usp === top) usp = Math.max(base, top - 64);
  const from = (usp & ~3) >>> 0;
  const to = Math.min(top, from + 96 * 4);
  const words: MemWord[] = [];
  for (let a = from; a < to; a += 4) {
    const value = readUser(kernel, pgd, a);
    const sym = value === null || value < 0x08048000 || value >= 0xc0000000 ? undefined : kernel.symbols.lookup(value - 1);
    const symbol = sym === undefined ? null : kernel.symbols.symbolize(value as number);
    words.push({
      address: a,
      value,
      what: value === null ? 'not mapped (not touched yet)' : symbol !== null ? 'return address (user)' : 'user data',
      kind: value === null ? 'guard' : symbol !== null ? 'ret' : 'data',
      symbol,
      markers: realSp !== null && a === (realSp & ~3) >>> 0 ? [`user SP ${hex(realSp)}`] : [],
    });
  }
  return {
    title: `user stack of tid ${tid} (${task.comm}): ${hex(base)}-${hex(top - 1)}, page directory ${hex(pgd)}`,
    base,
    top,
    words,
    guardBelow: null,
    guardAbove: null,
    notes,
  };
}

/** The CPUs: current task, mode, PC (symbolized) and the instruction there. */
export function cpuViews(kernel: Kernel, view: KernelView): CpuView[] {
  return kernel.machine.cpus.map((c) => {
    let next = '';
    try {
      const pc = c.pc >>> 0;
      const word = pc >= 0xc0000000 ? kernel.readKernel32(pc) : null;
      if (word !== null) next = disassemble(word, { pc, ext: kernel.readKernel32(pc + 4) }).text;
    } catch {
      next = '';
    }
    const r = c.registers();
    return {
      cpu: c.id,
      current: view.current[c.id] ?? 0,
      pc: kernel.symbols.symbolize(c.pc >>> 0),
      sp: c.sp >>> 0,
      mode: c.mode,
      next,
      regs: r.r.map((v, i) => `r${i}=${hex(v)}`).join(' '),
    };
  });
}

/** One address space per process (kernel threads shown without one), as the seeds draw it. */
export function addressSpaces(kernel: Kernel, view: KernelView): SpaceView[] {
  const tasks = Object.values(view.tasks).filter((t) => t.tid !== 0);
  const layout = kernel.mmu.layout;
  const swapper = kernel.mmu.swapperPgDir;
  const kernelRegions: SpaceRegion[] = [
    {
      low: layout.pageOffset,
      high: layout.highMemory,
      label: `direct map of physical memory (${(layout.lowmemSize / 1048576) | 0} MiB)`,
      kind: 'direct-map',
      tid: null,
    },
    { low: 0xc0010000, high: 0xc0070000, label: 'kernel text', kind: 'kernel-text', tid: null },
    { low: layout.vmallocStart, high: layout.vmallocEnd, label: 'vmalloc area', kind: 'vmalloc', tid: null },
  ];
  for (const t of tasks) {
    const s = kernel.kstack.has(t.tid) ? kernel.kstack.stackOf(t.tid) : null;
    if (s !== null) {
      kernelRegions.push({ low: s.base, high: s.top, label: `kernel stack of ${t.comm} (${t.tid})`, kind: 'kernel-stack', tid: t.tid });
      if (s.guardBelow)
        kernelRegions.push({
          low: s.guardBelow.start,
          high: s.guardBelow.end + 1,
          label: `guard page below ${t.tid}'s stack`,
          kind: 'guard',
          tid: t.tid,
        });
    } else if (t.kernelStack !== null) {
      kernelRegions.push({
        low: t.kernelStack.base,
        high: t.kernelStack.top,
        label: `kernel stack of ${t.comm} (${t.tid}), released`,
        kind: 'kernel-stack',
        tid: t.tid,
      });
    }
  }
  const byPid = new Map<number, typeof tasks>();
  for (const t of tasks) byPid.set(t.pid, [...(byPid.get(t.pid) ?? []), t]);
  const spaces: SpaceView[] = [];
  for (const [pid, threads] of [...byPid].sort((a, b) => a[0] - b[0])) {
    const leader = threads.find((t) => t.tid === pid) ?? (threads[0] as (typeof threads)[number]);
    const pgd = leader.kernelThread ? 0 : pgdOf(kernel, leader.tid);
    const user: SpaceRegion[] = [];
    if (pgd !== 0) {
      user.push({ low: 0x08048000, high: 0x08049000, label: 'program text (0x08048000)', kind: 'user-text', tid: null });
      for (const t of threads)
        if (t.userStack !== null)
          user.push({
            low: t.userStack.base,
            high: t.userStack.top,
            label: `user stack of ${t.comm} (${t.tid})`,
            kind: 'user-stack',
            tid: t.tid,
          });
    }
    let kernelPdes: SpaceView['kernelPdes'] = null;
    if (pgd !== 0) {
      let present = 0;
      let same = 0;
      for (let i = 768; i < 1024; i++) {
        const mine = kernel.mmu.phys.read32(pgd + i * 4);
        if (mine & 1) present++;
        if (mine === kernel.mmu.phys.read32(swapper + i * 4)) same++;
      }
      kernelPdes = { present, sameAsSwapper: same };
    }
    spaces.push({
      pid,
      comm: leader.comm,
      pgd: pgd === 0 ? null : pgd,
      user,
      kernel: kernelRegions,
      kernelPdes,
      threads: threads.map((t) => t.tid),
    });
  }
  return spaces;
}

const bits = (e: number): string =>
  [
    e & 1 ? 'P' : '-',
    e & 2 ? 'W' : 'r',
    e & 4 ? 'U' : 'S',
    e & 0x20 ? 'A' : '-',
    e & 0x40 ? 'D' : '-',
    e & 0x80 ? 'PS' : '',
    e & 0x100 ? 'G' : '',
  ].join('');

/** Every step of the page-table walk of `vaddr` in process `pid`'s page tables (kernel threads: swapper_pg_dir). */
export function pageWalk(kernel: Kernel, view: KernelView, pid: number, vaddr: number): WalkView {
  const leader =
    Object.values(view.tasks).find((t) => t.pid === pid && t.tid === pid) ?? Object.values(view.tasks).find((t) => t.pid === pid);
  const pgd = leader === undefined || leader.kernelThread ? kernel.mmu.swapperPgDir : pgdOf(kernel, leader.tid) || kernel.mmu.swapperPgDir;
  const user = vaddr < 0xc0000000;
  const w = kernel.mmu.walk(pgd, vaddr >>> 0, { user }, { update: false });
  const lines = [
    `translate ${hex(vaddr)} (${user ? 'user' : 'kernel'} read) with CR3 = ${hex(w.cr3)}${pgd === kernel.mmu.swapperPgDir ? ' (swapper_pg_dir)' : ''}`,
    `PDE index = vaddr >> 22 = ${w.pdeIndex}${w.pdeIndex >= 768 ? ' (kernel half: shared by every address space)' : ''}`,
    `PDE at ${hex(w.pdeAddress)} = ${hex(w.pde)} [${bits(w.pde)}]`,
  ];
  if (w.pteIndex !== null && w.pteAddress !== null && w.pte !== null) {
    lines.push(`PTE index = (vaddr >> 12) & 0x3ff = ${w.pteIndex}`, `PTE at ${hex(w.pteAddress)} = ${hex(w.pte)} [${bits(w.pte)}]`);
  } else if (w.pageSize === 4194304) lines.push('the PDE maps a 4 MiB page (PS): no page table');
  if (w.paddr !== null) {
    lines.push(`physical address = ${hex(w.paddr)} (page ${w.pageSize === 4194304 ? '4 MiB' : '4 KiB'}${w.global ? ', global' : ''})`);
    lines.push(`the word there: ${hex(kernel.mmu.phys.read32(w.paddr))}`);
  } else if (w.fault !== null)
    lines.push(`page fault: ${w.fault.reason} at the ${w.fault.level.toUpperCase()} (error code ${hex(w.fault.errorCode)})`);
  return { vaddr, lines, paddr: w.paddr };
}
