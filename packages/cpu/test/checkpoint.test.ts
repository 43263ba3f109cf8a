import type { OssimEvent } from '@ossim/eventlog';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CpuError, type MachineState } from '../src/index.ts';
import { hex, KSTACK_TOP, type Rig, rig, TEXT } from './helpers.ts';

// Two CPUs sharing memory: a loop of arithmetic, calls, stores to a shared counter, a
// native, interruptible work and an occasional hlt; an interrupt handler that counts.
const SOURCE = `
.section .text ${hex(TEXT)}
start:
    sti
    mov r5, 0
loop:
    add r5, 1
    push r5
    call f
    pop r6
    ld r4, [counter]
    add r4, r5
    st [counter], r4
    ncall tick
    mov r9, 53
    work r9
    test r5, 15
    jne loop
    hlt
    jmp loop
f:
    ld r6, [sp+4]
    mul r6, r6
    add r3, r6
    ret
irq:
    push r1
    ld r1, [irqs]
    add r1, 1
    st [irqs], r1
    pop r1
    add r2, 1
    iret
.section .data ${hex(TEXT + 0x8000)}
counter: .word 0
irqs: .word 0
`;

type Op = { kind: 'run'; ns: number } | { kind: 'irq'; cpu: number; vector: number } | { kind: 'trace'; on: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('run' as const), ns: fc.integer({ min: 1, max: 3000 }) }) },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('irq' as const), cpu: fc.integer({ min: 0, max: 1 }), vector: fc.constantFrom(32, 33, 40) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('trace' as const), on: fc.boolean() }) },
);

function machineRig(quantum: number): Rig {
  const r = rig(SOURCE, {
    cpus: 2,
    quantum,
    vectors: { 32: 'irq', 33: 'irq', 40: 'irq' },
    natives: {
      tick: (cpu) => {
        cpu.charge(3);
        return (cpu.instructions + cpu.id) >>> 0;
      },
    },
  });
  (r.machine.cpus[1] as Rig['cpu']).reset({ pc: r.image.address('start'), sp: KSTACK_TOP - 0x4000 });
  return r;
}

function apply(r: Rig, op: Op): void {
  if (op.kind === 'run') r.machine.runUntil(r.machine.clock.now + op.ns);
  else if (op.kind === 'irq') r.machine.raiseInterrupt(op.cpu, op.vector);
  else r.machine.trace = op.on;
}

const strip = (events: readonly OssimEvent[]): unknown[] => events.map(({ seq: _seq, ...rest }) => rest);
const registers = (r: Rig): unknown =>
  r.machine.cpus.map((c) => ({
    regs: c.registers(),
    cycles: c.cycles,
    instructions: c.instructions,
    idle: c.idleCycles,
    halted: c.halted,
  }));

describe('Machine checkpoints', () => {
  it('load(save()) then the same inputs gives the same events and state as never saving (fast-check)', () => {
    let traps = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 50, max: 2000 }),
        fc.array(opArb, { maxLength: 12, size: 'max' }),
        fc.array(opArb, { minLength: 1, maxLength: 12, size: 'max' }),
        (quantum, before, after) => {
          const a = machineRig(quantum);
          for (const op of before) apply(a, op);
          const state: MachineState = structuredClone(a.machine.save());
          const memory = a.bus.bytes.slice();
          const now = a.machine.clock.now;
          const mark = a.events.length;
          for (const op of after) apply(a, op);

          // A machine that never saved.
          const c = machineRig(quantum);
          for (const op of before) apply(c, op);
          const markC = c.events.length;
          for (const op of after) apply(c, op);
          expect(strip(a.events.slice(mark))).toEqual(strip(c.events.slice(markC)));

          // A fresh machine loaded from the checkpoint.
          const b = machineRig(quantum);
          b.bus.bytes.set(memory);
          b.machine.clock.advanceTo(now);
          b.machine.load(state);
          const markB = b.events.length;
          for (const op of after) apply(b, op);
          expect(strip(b.events.slice(markB))).toEqual(strip(a.events.slice(mark)));
          expect(registers(b)).toEqual(registers(a));
          expect(b.machine.save()).toEqual(a.machine.save());
          traps += a.events.filter((e) => e.type === 'cpu.trap_enter').length;
        },
      ),
      { numRuns: 60 },
    );
    expect(traps).toBeGreaterThan(0);
  });

  it('a checkpoint shares nothing with the machine and restores pending interrupts, halted and control registers', () => {
    const r = machineRig(100);
    r.machine.runUntil(500);
    r.machine.raiseInterrupt(1, 40);
    const cpu = r.machine.cpus[1] as Rig['cpu'];
    cpu.sp0 = 0xc0070000;
    cpu.dfsp = 0xc0060000;
    const state = r.machine.save();
    expect(state.cpus[1]?.pending).toEqual([40, 500]);
    const saved = structuredClone(state);
    r.machine.runUntil(5000);
    cpu.sp0 = 0;
    expect(state).toEqual(saved);
    r.machine.load(state);
    expect(cpu.sp0).toBe(0xc0070000);
    expect(cpu.dfsp).toBe(0xc0060000);
    expect(r.machine.save()).toEqual(saved);
  });

  it('refuses a checkpoint of another shape, and save() from inside a run', () => {
    const r = machineRig(100);
    const one = rig(`.section .text ${hex(TEXT)}\nstart: cli\n hlt`).machine.save();
    expect(() => r.machine.load(one)).toThrow(CpuError);
    const s = rig(`.section .text ${hex(TEXT)}\nstart: ncall snap\n cli\n hlt`, {
      natives: { snap: (cpu) => void cpu.machine.save() },
    });
    expect(() => s.machine.runUntil(100)).toThrow(/between runs/);
  });
});
