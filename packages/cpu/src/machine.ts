import { type Clock, createClock, createEventLog, type EventLog } from '@ossim/eventlog';
import type { MemoryBus } from './bus.ts';
import { disassemble } from './disassembler.ts';
import { CpuError } from './errors.ts';
import type { CpuInsnPayload } from './events.ts';
import { BlockCache, executeBlocks, jitAvailable } from './internal/blocks.ts';
import { loadCore, saveCore } from './internal/checkpoint.ts';
import { CpuCore, execute, type Host, NATIVE_TABLE_SIZE } from './internal/core.ts';
import { BY_OPCODE, REG_SP, regName } from './internal/opcodes.ts';
import { type CpuMode, Vector } from './isa.ts';

/**
 * A service written in TypeScript that kernel code calls with `ncall N`.
 *
 * Calling convention: arguments in r0-r3 (more on the stack, as the caller likes);
 * when the native returns a number, it goes to r0 (otherwise r0 is left as is). The
 * native may read and change every register (`cpu.setReg`, `cpu.sp`, `cpu.pc`...),
 * use memory through `cpu.bus`, raise interrupts through `cpu.machine`, and spend
 * simulated time with `cpu.charge(cycles)`. `cpu.pc` already points past the `ncall`.
 *
 * If the native lets a page fault thrown by the bus escape, the CPU delivers it with
 * the `ncall` as the faulting instruction, and the `ncall` runs again after the
 * kernel's `iret`: a native that touches memory should read everything before it
 * changes anything.
 */
export type NativeFn = (cpu: Cpu) => unknown;

/** A plain copy of a CPU's registers, for printing and comparing. */
export interface CpuRegisters {
  /** r0-r15, unsigned. */
  readonly r: readonly number[];
  readonly sp: number;
  readonly pc: number;
  readonly ps: number;
  readonly mode: CpuMode;
  readonly interruptsEnabled: boolean;
  /** Condition flags as `NZCV`, a `-` for each clear flag. */
  readonly flags: string;
}

/**
 * One CPU. Register values are unsigned 32-bit numbers; writing a register accepts
 * -2^31..2^32-1. State can be read at any time and changed between runs (or by natives).
 */
export interface Cpu {
  /** The CPU number (what `mov rd, cpuid` reads). */
  readonly id: number;
  /** This CPU's memory bus (with its own TLB when the bus is an MMU). */
  readonly bus: MemoryBus;
  readonly machine: Machine;
  pc: number;
  sp: number;
  /** The processor status word: {@link PS} bits. */
  ps: number;
  readonly mode: CpuMode;
  readonly interruptsEnabled: boolean;
  /** r0-r15 (n = 0-15) or sp (n = 16). */
  reg(n: number): number;
  setReg(n: number, value: number): void;
  registers(): CpuRegisters;
  /** The last page-fault address (x86 CR2). */
  cr2: number;
  /** The page-table base (x86 CR3); change it with {@link Cpu.setCr3}. */
  readonly cr3: number;
  /** Loads the page-table base, as `mov cr3, rs` does (calls the bus's `loadPageTableBase`). */
  setCr3(paddr: number): void;
  /** Kernel stack top loaded on a trap from user mode (x86 TSS.sp0). */
  sp0: number;
  /** The vector table's address: 256 words, vector -> handler (0 = none). */
  idtr: number;
  /** Top of this CPU's interrupt stack. */
  irqsp: number;
  /** Size of this CPU's interrupt stack; 0 = no interrupt stack. */
  irqsize: number;
  /** Top of this CPU's double-fault stack (x86 IST); 0 = none. */
  dfsp: number;
  /** Local cycle count (the CPU's own clock). */
  readonly cycles: number;
  /** Local time in ns: `cycles` at the machine's frequency. */
  readonly timeNs: number;
  /** Instructions completed. */
  readonly instructions: number;
  /** Cycles spent halted. */
  readonly idleCycles: number;
  /** True after `hlt` until an interrupt is delivered (for good after a shutdown). */
  readonly halted: boolean;
  /** True after a triple fault: the CPU runs no more until {@link Cpu.reset}. */
  readonly shutdown: boolean;
  /** Adds `cycles` to the local clock (for natives modelling their cost). */
  charge(cycles: number): void;
  /**
   * Puts the CPU back to a clean state: registers zero, then `pc`, `sp`, `ps` as given
   * (default kernel mode, interrupts disabled), not halted, no pending interrupts.
   * Control registers and the clock are kept.
   */
  reset(state?: { pc?: number; sp?: number; ps?: number }): void;
}

/** Per-CPU configuration. */
export interface CpuConfig {
  /** This CPU's bus (e.g. the MMU's per-CPU view). Default: the machine's `bus`. */
  readonly bus?: MemoryBus;
  readonly sp0?: number;
  readonly idtr?: number;
  /** The per-CPU interrupt stack (x86_64 hardirq stack). */
  readonly irqStack?: { readonly top: number; readonly size: number };
  /** Top of the per-CPU double-fault stack (x86_64 IST). */
  readonly exceptionStack?: number;
}

/** Options of {@link createMachine}. */
export interface MachineOptions {
  /** How many CPUs (default 1), or one {@link CpuConfig} per CPU. */
  readonly cpus?: number | readonly CpuConfig[];
  /** The memory bus every CPU uses unless its config names its own. */
  readonly bus?: MemoryBus;
  /** The log that receives `cpu.*` events and whose clock the CPUs drive. Default: a new log. */
  readonly log?: EventLog;
  /** Clock frequency in Hz (default 1e9: one cycle per ns). */
  readonly frequencyHz?: number;
  /** The longest slice one CPU runs before the interleaving picks again, in cycles (default 1000). */
  readonly quantum?: number;
  /** Emit a `cpu.insn` event per instruction (default false). */
  readonly trace?: boolean;
  /**
   * Vectors whose `cpu.trap_enter` and `cpu.trap_exit` are not published, for an OS that
   * publishes its own entry and exit events for them (a kernel's `syscall.enter` and
   * `syscall.exit` for the system-call vector). Exceptions and nested faults are always published.
   */
  readonly quietVectors?: readonly number[];
  /**
   * Run translated code (default true): runs of instructions compiled into JavaScript
   * functions. Results are identical either way (registers, memory, events, cycles).
   * `true` starts translating once the process has interpreted 10 M instructions, and
   * then only code that has run 1,000 times: a short run is never slower for it.
   * `'eager'` translates code the first time it runs; `false` interprets every
   * instruction. Takes effect on CPUs whose bus has `codePage`, and only where the
   * JavaScript engine allows generated code (`new Function`).
   */
  readonly jit?: boolean | 'eager';
}

/**
 * One CPU's state in a {@link MachineState}: everything that decides what it does
 * next. Plain, structured-cloneable data.
 */
export interface CpuState {
  /** The CPU number (a checkpoint loads into the CPU of the same number). */
  readonly id: number;
  /** r0-r15, unsigned. */
  readonly r: readonly number[];
  readonly sp: number;
  readonly pc: number;
  /** The processor status word (mode, interrupt enable, flags). */
  readonly ps: number;
  readonly cr2: number;
  /** The page-table base as the CPU holds it (the bus restores its own CR3 and TLB). */
  readonly cr3: number;
  readonly sp0: number;
  readonly idtr: number;
  readonly irqsp: number;
  readonly irqsize: number;
  readonly dfsp: number;
  readonly cycles: number;
  readonly instructions: number;
  readonly idleCycles: number;
  readonly halted: boolean;
  readonly shutdown: boolean;
  /** Pending interrupts as `[vector, dueCycle, vector, dueCycle, ...]`, by vector. */
  readonly pending: readonly number[];
}

/**
 * A checkpoint of a {@link Machine} ({@link Machine.save}): every CPU's state and the
 * machine's own mutable settings. Natives are code, not state: the machine loading it
 * must have registered the same natives under the same numbers.
 */
export interface MachineState {
  readonly cpus: readonly CpuState[];
  /** Whether `cpu.insn` events were on. */
  readonly trace: boolean;
  /** The slice a stop interrupted (its CPU and the cycle it ends at), which the next run continues; null when none. */
  readonly slice?: { readonly cpu: number; readonly end: number } | null;
}

/** Why {@link Machine.runUntil} returned. */
export type RunStop = 'time' | 'stopped';

/**
 * Several CPUs sharing one clock and one event log.
 *
 * **Interleaving rule.** `runUntil(t)` repeatedly picks the CPU with the lowest
 * (local cycle count, CPU id) that can run, and runs it for one slice: until its
 * count has grown by `quantum` cycles or reaches `t` (an instruction is never split,
 * except the interruptible `work rN`). A CPU can run when it is not halted, or when it
 * is halted with interrupts enabled and an interrupt pending: it then wakes at the
 * interrupt's time. CPUs halted with nothing to wake them skip ahead to `t`. A slice
 * that {@link Machine.stop} cut short is finished first by the next `runUntil` (and kept
 * in {@link Machine.save}): stopping never changes how the CPUs interleave.
 *
 * **Time.** A CPU's local time is its cycle count at `frequencyHz`. Each event a CPU
 * publishes is stamped with its local time, or with the log's clock when that is
 * already later: timestamps never go backward, and CPUs drift apart by at most one
 * quantum. Interrupts raised with {@link Machine.raiseInterrupt} are stamped with the
 * clock and delivered at the target's first instruction boundary at or after that
 * time with interrupts enabled, highest vector first.
 */
export interface Machine {
  readonly cpus: readonly Cpu[];
  readonly log: EventLog;
  readonly clock: Clock;
  readonly frequencyHz: number;
  readonly quantum: number;
  /** Emit `cpu.insn` per instruction. */
  trace: boolean;
  /**
   * Registers a native service for `ncall`. With a number, that is its number; with
   * a name, it gets the lowest free number from 1 up. Returns the number.
   */
  registerNative(id: number | string, fn: NativeFn): number;
  /** Names of the natives registered by name -> their numbers (pass as `assemble`'s `natives`). */
  nativeNumbers(): Record<string, number>;
  /** Raises external interrupt `vector` (32-255) on CPU `cpu` at the clock's current time. */
  raiseInterrupt(cpu: number, vector: number): void;
  /**
   * Runs the CPUs until every one has reached `timeNs` (or halted for good), then
   * sets the clock to `timeNs`. Returns `'stopped'` when {@link Machine.stop} ended it early,
   * or when `instructions` instructions (all CPUs together, in the order they interleave)
   * have been executed: a debugger's "step N instructions" that running on continues exactly.
   */
  runUntil(timeNs: number, options?: { readonly instructions?: number }): RunStop;
  /**
   * Executes one instruction on CPU `cpu` (or delivers one pending interrupt, or
   * wakes a halted CPU into its interrupt). Returns false when the CPU cannot run.
   */
  step(cpu?: number): boolean;
  /** Ends the current `runUntil` after the current instruction (e.g. from a native on panic). */
  stop(): void;
  /**
   * A checkpoint of every CPU (registers, control registers, clocks, pending
   * interrupts, halted and shutdown flags) and of the machine's settings, as plain
   * data that shares nothing with the machine. Take it between runs, never from a
   * native during {@link Machine.runUntil}. Memory, the clock and the log are not in it:
   * they belong to the bus (e.g. `mmu.save()`) and to the simulation.
   */
  save(): MachineState;
  /**
   * Puts the machine back in the state `save()` captured, on a machine created with
   * the same options (same number of CPUs, frequency, quantum) and natives. Running
   * on from there gives the same events as the machine that saved it. The buses are
   * not touched: restore the memory (and its per-CPU CR3 and TLB) separately.
   */
  load(state: MachineState): void;
  /** Local time of a cycle count, in ns. */
  nsOf(cycles: number): number;
  /** The first cycle count at or after `timeNs`. */
  cyclesAt(timeNs: number): number;
}

/**
 * Creates a machine.
 *
 * @example
 * ```ts
 * const bus = createFlatBus(1 << 20);
 * const image = assemble('.section .text 0x1000\n mov r0, 42\n cli\n hlt');
 * loadImage(bus, image);
 * const machine = createMachine({ bus });
 * machine.cpus[0]?.reset({ pc: 0x1000, sp: 0x8000 });
 * machine.runUntil(1_000);
 * machine.cpus[0]?.reg(0); // 42
 * ```
 */
export function createMachine(options: MachineOptions = {}): Machine {
  const configs: readonly CpuConfig[] =
    typeof options.cpus === 'object' ? options.cpus : Array.from({ length: options.cpus ?? 1 }, () => ({}) as CpuConfig);
  if (configs.length < 1 || configs.length > 256 || !Number.isInteger(configs.length)) {
    throw new CpuError('bad-config', `a machine has 1 to 256 CPUs, got ${String(options.cpus)}`);
  }
  const frequencyHz = options.frequencyHz ?? 1e9;
  if (!Number.isFinite(frequencyHz) || frequencyHz <= 0)
    throw new CpuError('bad-config', `frequencyHz must be positive, got ${frequencyHz}`);
  const quantum = options.quantum ?? 1000;
  if (!Number.isSafeInteger(quantum) || quantum < 1)
    throw new CpuError('bad-config', `quantum must be a positive number of cycles, got ${quantum}`);
  const log = options.log ?? createEventLog({ clock: createClock() });
  const clock = log.clock;
  const nsPerCycle = 1e9 / frequencyHz;
  const cyclesPerNs = frequencyHz / 1e9;
  const natives = new Map<number, NativeFn>();
  const nativeTable: (NativeFn | undefined)[] = [];
  const nativeNames = new Map<string, number>();
  let limitNs = Number.POSITIVE_INFINITY;
  /** The slice a stop cut short: the next runUntil finishes it first. */
  let interrupted: { core: CpuCore; end: number } | null = null;
  let trace = options.trace ?? false;

  const nsOf = (cycles: number): number => Math.floor(cycles * nsPerCycle);
  const cyclesAt = (timeNs: number): number => Math.ceil(timeNs * cyclesPerNs);

  const stamp = (c: CpuCore): void => {
    const t = Math.min(nsOf(c.cycles), limitNs);
    if (t > clock.now) clock.advanceTo(t);
  };

  const quiet = new Uint8Array(256);
  for (const v of options.quietVectors ?? []) {
    if (!Number.isInteger(v) || v < 0 || v > 255) throw new CpuError('bad-config', `quietVectors: ${String(v)} is not a vector (0-255)`);
    quiet[v] = 1;
  }
  const host: Host = {
    get machine() {
      return machine;
    },
    natives,
    nativeTable,
    quiet,
    emit(c, type, payload) {
      stamp(c);
      log.emit(type as 'cpu.halt', payload as never);
    },
    stamp,
    stopping: false,
  };

  const cores = configs.map((cfg, id) => {
    const bus = cfg.bus ?? options.bus;
    if (bus === undefined) throw new CpuError('bad-config', `CPU ${id} has no memory bus: give "bus" (or a bus in its CpuConfig)`);
    const c = new CpuCore(id, bus, host);
    if (cfg.sp0 !== undefined) c.sp0 = cfg.sp0;
    if (cfg.idtr !== undefined) c.idtr = cfg.idtr;
    if (cfg.irqStack !== undefined) {
      c.irqsp = cfg.irqStack.top;
      c.irqsize = cfg.irqStack.size;
    }
    if (cfg.exceptionStack !== undefined) c.dfsp = cfg.exceptionStack;
    return c;
  });

  /** One instruction with a `cpu.insn` event describing it. */
  const traced = (c: CpuCore, end: number): void => {
    const before = c.r.slice();
    const psBefore = c.ps;
    const pc = c.pcValue;
    const user = c.user;
    const done = c.instructions;
    execute(c, end, true);
    if (c.instructions === done) return;
    let text = '(bad)';
    try {
      const w = c.bus.fetch32(pc, user);
      const ext = BY_OPCODE[w & 0xff]?.size === 8 ? c.bus.fetch32((pc + 4) >>> 0, user) : 0;
      text = disassemble(w, { ext, pc }).text;
    } catch {
      // The code is no longer mapped (an ncall changed cr3): leave "(bad)".
    }
    const changed: Record<string, number> = {};
    for (let i = 0; i <= REG_SP; i++) if (before[i] !== c.r[i]) changed[regName(i)] = (c.r[i] as number) >>> 0;
    if (c.ps !== psBefore) changed.ps = c.ps;
    const payload: CpuInsnPayload = { cpu: c.id, pc, text, changed };
    host.emit(c, 'cpu.insn', payload);
  };

  if (options.jit !== undefined && typeof options.jit !== 'boolean' && options.jit !== 'eager')
    throw new CpuError('bad-config', `jit must be true, false or 'eager', got ${JSON.stringify(options.jit)}`);
  const useJit = options.jit !== false && jitAvailable();
  const blockCaches = cores.map((c) => (useJit && typeof c.bus.codePage === 'function' ? new BlockCache(options.jit === 'eager') : null));

  /** Instructions left before runUntil stops (Infinity: no limit). */
  let budget = Number.POSITIVE_INFINITY;
  const run = (c: CpuCore, end: number): void => {
    if (budget === Number.POSITIVE_INFINITY) {
      const blocks = blockCaches[c.id];
      if (trace) traced(c, end);
      else if (blocks !== null && blocks !== undefined) executeBlocks(c, end, blocks);
      else execute(c, end, false);
      return;
    }
    // Counting instructions: one at a time, and stop when the budget is spent.
    const before = c.instructions;
    if (trace) traced(c, end);
    else execute(c, end, true);
    budget -= c.instructions - before;
    if (budget <= 0) host.stopping = true;
  };

  /** Runs one slice of `c`, up to cycle `end`. */
  const slice = (c: CpuCore, end: number): void => {
    while (!c.halted && c.cycles < end && !host.stopping) {
      let e = end;
      if (c.ie && c.pendingCount > 0) {
        const v = c.takeDue(c.cycles);
        if (v >= 0) {
          c.deliver(v, 'interrupt', 0, c.pcValue);
          continue;
        }
        e = Math.min(e, c.nextDue());
      }
      run(c, e);
    }
  };

  /** The cycle at which a halted CPU would wake, or Infinity. */
  const wakeAt = (c: CpuCore): number => (c.ie && c.pendingCount > 0 ? Math.max(c.cycles, c.nextDue()) : Number.POSITIVE_INFINITY);

  const wake = (c: CpuCore, at: number): void => {
    c.idleCycles += at - c.cycles;
    c.cycles = at;
    c.halted = false;
  };

  const cpuIndex = (cpu: number): CpuCore => {
    const c = cores[cpu];
    if (c === undefined || !Number.isInteger(cpu)) throw new CpuError('bad-config', `no CPU ${cpu} (the machine has ${cores.length})`);
    return c;
  };

  const machine: Machine = {
    cpus: cores,
    log,
    clock,
    frequencyHz,
    quantum,
    get trace() {
      return trace;
    },
    set trace(on: boolean) {
      trace = on;
    },
    registerNative(id, fn) {
      let n: number;
      if (typeof id === 'number') {
        if (!Number.isInteger(id) || id < 0 || id > 0xffffffff)
          throw new CpuError('bad-config', `native number ${id} is not a 32-bit number`);
        n = id;
      } else {
        if (nativeNames.has(id)) throw new CpuError('native-exists', `a native named "${id}" is already registered`);
        n = 1;
        while (natives.has(n)) n++;
        nativeNames.set(id, n);
      }
      if (natives.has(n)) throw new CpuError('native-exists', `native number ${n} is already registered`);
      natives.set(n, fn);
      if (n < NATIVE_TABLE_SIZE) {
        while (nativeTable.length <= n) nativeTable.push(undefined);
        nativeTable[n] = fn;
      }
      return n;
    },
    nativeNumbers() {
      return Object.fromEntries(nativeNames);
    },
    raiseInterrupt(cpu, vector) {
      const c = cpuIndex(cpu);
      if (!Number.isInteger(vector) || vector < Vector.FIRST_EXTERNAL || vector > 255) {
        throw new CpuError('bad-vector', `external interrupts use vectors 32-255, got ${vector}`);
      }
      c.raise(vector, cyclesAt(clock.now));
    },
    runUntil(timeNs, options = {}) {
      if (!Number.isSafeInteger(timeNs) || timeNs < 0) throw new CpuError('bad-config', `runUntil: ${timeNs} is not a time in ns`);
      const n = options.instructions;
      if (n !== undefined && (!Number.isSafeInteger(n) || n < 1))
        throw new CpuError('bad-config', `runUntil: instructions must be a positive integer, got ${n}`);
      budget = n ?? Number.POSITIVE_INFINITY;
      const limit = cyclesAt(timeNs);
      limitNs = timeNs;
      host.stopping = false;
      try {
        for (;;) {
          if (host.stopping) return 'stopped';
          let best: CpuCore | undefined;
          let sliceEnd = 0;
          const cont = interrupted;
          if (cont !== null && !cont.core.halted && !cont.core.shutdown && cont.core.cycles < cont.end && cont.core.cycles < limit) {
            // A stop (Machine.stop: a pause, a timer set sooner) cut this slice: it goes on to its own end, so
            // that stopping and running again interleaves the CPUs exactly as running on would have.
            best = cont.core;
            sliceEnd = cont.end;
          } else {
            let key = Number.POSITIVE_INFINITY;
            for (const c of cores) {
              if (c.shutdown) continue;
              const k = c.halted ? wakeAt(c) : c.cycles;
              if (k < limit && k < key) {
                best = c;
                key = k;
              }
            }
            if (best === undefined) break;
            if (best.halted) wake(best, key);
            sliceEnd = best.cycles + quantum;
          }
          interrupted = null;
          slice(best, Math.min(sliceEnd, limit));
          if (host.stopping && best.cycles < sliceEnd) interrupted = { core: best, end: sliceEnd };
        }
        for (const c of cores) {
          if (c.cycles < limit) {
            if (!c.shutdown) c.idleCycles += limit - c.cycles;
            c.cycles = limit;
          }
        }
        if (timeNs > clock.now) clock.advanceTo(timeNs);
        return 'time';
      } finally {
        limitNs = Number.POSITIVE_INFINITY;
        budget = Number.POSITIVE_INFINITY;
      }
    },
    step(cpu = 0) {
      const c = cpuIndex(cpu);
      if (c.shutdown) return false;
      if (c.halted) {
        const at = wakeAt(c);
        if (at === Number.POSITIVE_INFINITY) return false;
        wake(c, at);
      }
      host.stopping = false;
      if (c.ie && c.pendingCount > 0) {
        const v = c.takeDue(c.cycles);
        if (v >= 0) {
          c.deliver(v, 'interrupt', 0, c.pcValue);
          return true;
        }
      }
      if (trace) traced(c, Number.POSITIVE_INFINITY);
      else execute(c, Number.POSITIVE_INFINITY, true);
      return true;
    },
    stop() {
      host.stopping = true;
    },
    save() {
      if (limitNs !== Number.POSITIVE_INFINITY)
        throw new CpuError('bad-checkpoint', 'save() during runUntil: take checkpoints between runs');
      return { cpus: cores.map(saveCore), trace, slice: interrupted === null ? null : { cpu: interrupted.core.id, end: interrupted.end } };
    },
    load(state) {
      if (limitNs !== Number.POSITIVE_INFINITY)
        throw new CpuError('bad-checkpoint', 'load() during runUntil: restore checkpoints between runs');
      if (state.cpus.length !== cores.length) {
        throw new CpuError('bad-checkpoint', `the checkpoint has ${state.cpus.length} CPU(s), this machine ${cores.length}`);
      }
      state.cpus.forEach((cpu, i) => {
        if (cpu.id !== i) throw new CpuError('bad-checkpoint', `the checkpoint's CPU ${i} is CPU ${cpu.id}`);
      });
      for (const c of cores) loadCore(c, state.cpus[c.id] as CpuState);
      trace = state.trace;
      const cut = state.slice ?? null;
      if (cut !== null && (cores[cut.cpu] === undefined || !Number.isFinite(cut.end))) {
        throw new CpuError('bad-checkpoint', `the checkpoint's interrupted slice names CPU ${cut.cpu}, which this machine does not have`);
      }
      interrupted = cut === null ? null : { core: cores[cut.cpu] as CpuCore, end: cut.end };
      host.stopping = false;
    },
    nsOf,
    cyclesAt,
  };
  return machine;
}
