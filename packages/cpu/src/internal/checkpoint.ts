import { CpuError } from '../errors.ts';
import type { CpuState } from '../machine.ts';
import type { CpuCore } from './core.ts';

/** A plain copy of one CPU's architectural state and interleaving bookkeeping. */
export function saveCore(c: CpuCore): CpuState {
  const pending: number[] = [];
  if (c.pendingCount > 0) {
    for (let v = 0; v < 256; v++) {
      const due = c.pending[v] as number;
      if (due >= 0) pending.push(v, due);
    }
  }
  return {
    id: c.id,
    r: Array.from(c.r.subarray(0, 16), (v) => v >>> 0),
    sp: (c.r[16] as number) >>> 0,
    pc: c.pcValue,
    ps: c.ps,
    cr2: c.cr2Value,
    cr3: c.cr3Value,
    sp0: c.sp0Value,
    idtr: c.idtrValue,
    irqsp: c.irqspValue,
    irqsize: c.irqsizeValue,
    dfsp: c.dfspValue,
    cycles: c.cycles,
    instructions: c.instructions,
    idleCycles: c.idleCycles,
    halted: c.halted,
    shutdown: c.shutdown,
    pending,
  };
}

/**
 * Puts `state` back into `c`. CR3 is set as a value only: the bus (the MMU's per-CPU
 * view, with its TLB) restores its own page-table base from its own checkpoint.
 */
export function loadCore(c: CpuCore, state: CpuState): void {
  if (state.id !== c.id || state.r.length !== 16 || state.pending.length % 2 !== 0) {
    throw new CpuError('bad-checkpoint', `CPU ${c.id}: the checkpoint's CPU state is for CPU ${state.id} or malformed`);
  }
  for (let i = 0; i < 16; i++) c.r[i] = state.r[i] as number;
  c.r[16] = state.sp;
  c.pcValue = state.pc >>> 0;
  c.ps = state.ps;
  c.cr2Value = state.cr2 >>> 0;
  c.cr3Value = state.cr3 >>> 0;
  c.sp0Value = state.sp0 >>> 0;
  c.idtrValue = state.idtr >>> 0;
  c.irqspValue = state.irqsp >>> 0;
  c.irqsizeValue = state.irqsize >>> 0;
  c.dfspValue = state.dfsp >>> 0;
  c.cycles = state.cycles;
  c.instructions = state.instructions;
  c.idleCycles = state.idleCycles;
  c.halted = state.halted;
  c.shutdown = state.shutdown;
  c.pending.fill(-1);
  c.pendingCount = 0;
  for (let k = 0; k < state.pending.length; k += 2) {
    c.pending[state.pending[k] as number] = state.pending[k + 1] as number;
    c.pendingCount++;
  }
}
