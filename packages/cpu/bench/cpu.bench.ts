/**
 * `cpu.instructions_per_s`: a loop-and-call program on one CPU through the real
 * `@ossim/mmu` bus: every fetch, load and store is translated by the per-CPU TLB in front
 * of the two-level page tables (the kernel's direct map), as the kernel runs.
 * `cpu.instructions_per_s_interpreted`: the same with `jit: false` (every instruction interpreted).
 * `cpu.instructions_per_s_flatbus`: the same program on the flat test bus, for comparison.
 */

import { assemble, createFlatBus, createMachine, type MemoryBus } from '@ossim/cpu';
import { createMmu } from '@ossim/mmu';
import { opsPerSecond } from '../../../scripts/benchkit.ts';

const ITERATIONS = 100_000;
const source = (base: number): string => `
.section .text ${base}
.func main
    mov r0, 0
    mov r1, ${ITERATIONS}
.Lloop:
    mov r2, r0
    call square_plus
    add r3, r2
    add r0, 1
    cmp r0, r1
    jl .Lloop
    cli
    hlt
.endfunc
.func square_plus          ; r2 = r2 * r2 + counter, through the stack
    push r4
    ld r4, [counter]
    mul r2, r2
    add r2, r4
    add r4, 1
    st [counter], r4
    pop r4
    ret
.endfunc
.section .data ${base + 0x8000}
counter: .word 0
`;

/** Runs the program on `bus` with code, data and stack in the 64 KiB at `base`. */
function setup(bus: MemoryBus, base: number, jit = true) {
  const image = assemble(source(base), { source: 'bench.s' });
  for (const s of image.sections) {
    for (let i = 0; i < s.bytes.length; i++) bus.write8(s.address + i, s.bytes[i] as number, false);
  }
  const machine = createMachine({ bus, quantum: 10_000, jit });
  const cpu = machine.cpus[0];
  if (cpu === undefined) throw new Error('no cpu');
  const main = image.address('main');
  const once = (): number => {
    const before = cpu.instructions;
    cpu.reset({ pc: main, sp: base + 0x10000 });
    machine.runUntil(machine.clock.now + 100_000_000);
    if (!cpu.halted) throw new Error('the benchmark program did not finish');
    return cpu.instructions - before;
  };
  return { once };
}

/** 16 pages from the buddy allocator, reached through the kernel's direct map. */
function throughMmu(jit: boolean) {
  const mmu = createMmu({ memorySize: 64 << 20 });
  const pfn = mmu.allocPages(4, { zero: true });
  if (pfn === null) throw new Error('out of memory');
  return setup(mmu.bus(0), mmu.physToVirt(pfn * 4096), jit);
}

export default {
  async run() {
    const mmu = throughMmu(true);
    const interpreted = throughMmu(false);
    const flat = setup(createFlatBus(4 << 20), 0xc0100000);
    return {
      'cpu.instructions_per_s': await opsPerSecond('cpu loop-and-call (mmu)', mmu.once, mmu.once()),
      'cpu.instructions_per_s_interpreted': await opsPerSecond('cpu loop-and-call (mmu, jit: false)', interpreted.once, interpreted.once()),
      'cpu.instructions_per_s_flatbus': await opsPerSecond('cpu loop-and-call (flat bus)', flat.once, flat.once()),
    };
  },
  targets: { 'cpu.instructions_per_s': { min: 50_000_000 } },
};
