import { createClock, createEventLog, type OssimEvent } from '@ossim/eventlog';
import { describe, expect, it } from 'vitest';
import { assemble, type Cpu, CpuError, createFlatBus, createMachine, loadImage, PS } from '../src/index.ts';
import { hex, KSTACK_TOP, rig, TEXT } from './helpers.ts';

const IDLE = `
.section .text ${hex(TEXT)}
start:
    sti
idle:
    hlt
    jmp idle
irq:
    add r1, 1
    iret
`;

describe('time', () => {
  it('cycles drive the clock at the configured frequency', () => {
    for (const [hz, want] of [
      [1e9, 1002],
      [2e9, 501],
      [250e6, 4008],
    ] as const) {
      const r = rig(`.section .text ${hex(TEXT)}\nstart: work 1000\n cli\n hlt`, { frequencyHz: hz });
      r.machine.runUntil(1_000_000);
      expect(r.events.find((e) => e.type === 'cpu.halt')?.time).toBe(want);
      expect(r.cpu.timeNs).toBe(1_000_000);
      expect(r.machine.clock.now).toBe(1_000_000);
    }
  });

  it('a halted CPU idles until an interrupt, then wakes at the interrupt time', () => {
    const r = rig(IDLE, { vectors: { 32: 'irq' } });
    r.machine.runUntil(1000);
    expect(r.cpu.halted).toBe(true);
    expect(r.cpu.cycles).toBe(1000);
    r.machine.raiseInterrupt(0, 32);
    r.machine.runUntil(2000);
    const enter = r.events.find((e) => e.type === 'cpu.trap_enter');
    expect(enter?.time).toBe(1020); // wakes at 1000, 20 cycles of trap entry
    expect(r.cpu.reg(1)).toBe(1);
    // sti + hlt (2 cycles), then idle up to 1000 and from the second hlt to 2000.
    expect(r.cpu.idleCycles).toBe(2000 - 2 - 20 - 1 - 10 - 1 - 1);
  });

  it('a pending interrupt waits while interrupts are disabled, then the highest vector goes first', () => {
    const r = rig(`.section .text ${hex(TEXT)}\nstart: work 100\n work 100\n sti\n nop\n cli\n hlt\nirq: iret`, {
      vectors: { 40: 'irq', 50: 'irq' },
    });
    r.machine.raiseInterrupt(0, 40);
    r.machine.raiseInterrupt(0, 50);
    r.machine.runUntil(10_000);
    const enters = r.events.filter((e) => e.type === 'cpu.trap_enter');
    expect(enters.map((e) => (e as { vector: number }).vector)).toEqual([50, 40]);
    expect((enters[0] as { pc: number }).pc).toBe(TEXT + 20); // after sti
    expect(enters[0]?.time).toBe(221);
  });

  it('work rN is interrupted exactly at the interrupt time and resumes after iret', () => {
    const r = rig(`.section .text ${hex(TEXT)}\nstart: sti\n mov r9, 100000\nbusy: work r9\n cli\n hlt\nirq: mov r8, r9\n iret`, {
      vectors: { 32: 'irq' },
    });
    r.machine.runUntil(5000);
    r.machine.raiseInterrupt(0, 32);
    r.machine.runUntil(1_000_000);
    const enter = r.events.find((e) => e.type === 'cpu.trap_enter') as OssimEvent & { pc: number };
    expect(enter.pc).toBe(r.image.address('busy'));
    expect(r.cpu.reg(8)).toBe(100000 - (5000 - 2));
    expect(r.cpu.reg(9)).toBe(0);
    const halt = r.events.find((e) => e.type === 'cpu.halt');
    expect(halt?.time).toBe(2 + 100000 + 20 + 1 + 10 + 2);
  });

  it('stop() from a native ends runUntil early', () => {
    const r = rig(`.section .text ${hex(TEXT)}\nstart: work 10\n ncall panic\n mov r1, 1\n cli\n hlt`, {
      natives: { panic: (cpu) => cpu.machine.stop() },
    });
    expect(r.machine.runUntil(1_000_000)).toBe('stopped');
    expect(r.cpu.pc).toBe(TEXT + 16);
    expect(r.cpu.reg(1)).toBe(0);
    expect(r.machine.clock.now).toBeLessThan(1_000_000);
    expect(r.machine.runUntil(1_000_000)).toBe('time');
    expect(r.cpu.reg(1)).toBe(1);
  });
});

describe('several CPUs', () => {
  /** Each CPU loops: ncall mark (5 cycles), work N, jmp (1 cycle). */
  const program = `
.section .text ${hex(TEXT)}
cpu0: ncall mark
    work 7
    jmp cpu0
cpu1: ncall mark
    work 3
    jmp cpu1
`;
  const build = (quantum: number) => {
    const marks: [number, number][] = [];
    const r = rig(program, { cpus: 2, quantum, natives: { mark: (cpu) => marks.push([cpu.id, cpu.cycles]) } });
    (r.machine.cpus[1] as Cpu).reset({ pc: r.image.address('cpu1'), sp: KSTACK_TOP - 0x1000 });
    r.cpu.reset({ pc: r.image.address('cpu0'), sp: KSTACK_TOP });
    return { r, marks };
  };
  /** The documented rule, as a reference model: lowest (cycles, id) runs a slice of `quantum` cycles. */
  const reference = (quantum: number, limit: number): [number, number][] => {
    const costs = [
      [5, 7, 1],
      [5, 3, 1],
    ];
    const state: [{ cycles: number; i: number }, { cycles: number; i: number }] = [
      { cycles: 0, i: 0 },
      { cycles: 0, i: 0 },
    ];
    const out: [number, number][] = [];
    for (;;) {
      const id = state[0].cycles <= state[1].cycles ? 0 : 1;
      const s = state[id] as { cycles: number; i: number };
      if (s.cycles >= limit) break;
      const end = Math.min(s.cycles + quantum, limit);
      while (s.cycles < end) {
        s.cycles += (costs[id] as number[])[s.i] as number;
        if (s.i === 0) out.push([id, s.cycles]);
        s.i = (s.i + 1) % 3;
      }
    }
    return out;
  };

  for (const quantum of [1, 10, 25, 1000]) {
    it(`interleave by lowest (cycles, cpu id) in slices of at most ${quantum} cycles`, () => {
      const { r, marks } = build(quantum);
      r.machine.runUntil(500);
      expect(marks).toEqual(reference(quantum, 500));
      expect(r.machine.cpus.map((c) => c.cycles >= 500)).toEqual([true, true]);
    });
  }

  it('a stop mid-slice, then running on, interleaves exactly as running on without the stop', () => {
    let cut = 0;
    for (const quantum of [10, 25]) {
      const whole = build(quantum);
      whole.r.machine.runUntil(500);
      for (const stopAt of [3, 8, 17]) {
        // A native stops the machine at its stopAt-th call, as a kernel's pause does, then the run goes on.
        let calls = 0;
        const marks: [number, number][] = [];
        const r = rig(program, {
          cpus: 2,
          quantum,
          natives: {
            mark: (cpu) => {
              marks.push([cpu.id, cpu.cycles]);
              if (++calls === stopAt) cpu.machine.stop();
            },
          },
        });
        (r.machine.cpus[1] as Cpu).reset({ pc: r.image.address('cpu1'), sp: KSTACK_TOP - 0x1000 });
        r.cpu.reset({ pc: r.image.address('cpu0'), sp: KSTACK_TOP });
        expect(r.machine.runUntil(500)).toBe('stopped');
        // The stop cut a slice short (kept in a checkpoint) in most of these cases.
        if (r.machine.save().slice != null) cut++;
        expect(r.machine.runUntil(500)).toBe('time');
        expect(marks).toEqual(whole.marks);
      }
    }
    expect(cut).toBeGreaterThan(2);
  });

  it('runUntil stops after a number of instructions, and running on continues as if it never had', () => {
    const { r, marks } = build(10);
    r.machine.runUntil(500);
    const stepped = build(10);
    let steps = 0;
    while (stepped.r.machine.runUntil(500, { instructions: 7 }) === 'stopped') steps++;
    expect(steps).toBeGreaterThan(10);
    expect(stepped.marks).toEqual(marks);
    expect(stepped.r.machine.cpus.map((c) => c.instructions)).toEqual(r.machine.cpus.map((c) => c.instructions));
    const one = build(10);
    const before = one.r.machine.cpus.reduce((n, c) => n + c.instructions, 0);
    expect(one.r.machine.runUntil(500, { instructions: 1 })).toBe('stopped');
    expect(one.r.machine.cpus.reduce((n, c) => n + c.instructions, 0) - before).toBe(1);
    expect(() => one.r.machine.runUntil(500, { instructions: 0 })).toThrow('runUntil: instructions must be a positive integer, got 0');
  });

  it('each CPU has its own registers, cpuid and bus', () => {
    const image = assemble(`.section .text 0x1000\nstart: mov r1, cpuid\n ld r2, [0x2000]\n cli\n hlt`);
    const buses = [createFlatBus(1 << 16), createFlatBus(1 << 16)];
    buses.forEach((b, i) => {
      loadImage(b, image);
      b.write32(0x2000, 100 + i, false);
    });
    const machine = createMachine({ cpus: buses.map((bus) => ({ bus })) });
    for (const c of machine.cpus) c.reset({ pc: 0x1000, sp: 0x8000 });
    machine.runUntil(1000);
    expect(machine.cpus.map((c) => [c.reg(1), c.reg(2)])).toEqual([
      [0, 100],
      [1, 101],
    ]);
  });

  it('an interrupt raised by one CPU wakes a halted CPU at the sender time', () => {
    const r = rig(
      `.section .text ${hex(TEXT)}
cpu0: work 3000
    ncall ipi
    cli
    hlt
cpu1: sti
    hlt
    cli
    hlt
irq: mov r1, 1
    iret`,
      { cpus: 2, vectors: { 33: 'irq' }, natives: { ipi: (cpu) => cpu.machine.raiseInterrupt(1, 33) } },
    );
    r.cpu.reset({ pc: r.image.address('cpu0'), sp: KSTACK_TOP });
    (r.machine.cpus[1] as Cpu).reset({ pc: r.image.address('cpu1'), sp: KSTACK_TOP - 0x1000 });
    r.machine.runUntil(100_000);
    const enter = r.events.find((e) => e.type === 'cpu.trap_enter');
    expect(enter).toMatchObject({ cpu: 1, vector: 33, time: 3005 + 20 });
    expect(r.machine.cpus[1]?.reg(1)).toBe(1);
  });

  /** Two CPUs, syscalls from user mode, timer interrupts: the whole event stream. */
  const busyMachine = (quantum: number): OssimEvent[] => {
    const r = rig(
      `.section .text ${hex(TEXT)}
boot: mov r1, cpuid
    shl r1, 16
    mov r2, 0xc0090000
    sub r2, r1
    mov sp0, r2
    mov r3, 0x00300000
    sub r3, r1
    push r3
    push ${PS.USER | PS.IE}
    push user
    push 0
    push 0
    iret
sys: push {r1-r2}
    ld r1, [counter]
    add r1, r0
    st [counter], r1
    pop {r1-r2}
    iret
tick: push r1
    ld r1, [ticks]
    add r1, 1
    st [ticks], r1
    pop r1
    iret
.section .data 0xc0110000
counter: .word 0
ticks: .word 0
.section .utext 0x00200000
user: mov r0, 1
    mov r5, 700
    work r5
    syscall
    jmp user
`,
      { cpus: 2, quantum, vectors: { 128: 'sys', 32: 'tick' } },
    );
    for (const c of r.machine.cpus) c.reset({ pc: r.image.address('boot'), sp: KSTACK_TOP - c.id * 0x1000 });
    for (let t = 1000; t <= 20_000; t += 1000) {
      r.machine.runUntil(t);
      r.machine.raiseInterrupt(t % 2000 === 0 ? 0 : 1, 32);
    }
    return r.events;
  };

  it('the same program twice gives the identical event stream, with time never going backward', () => {
    const a = busyMachine(100);
    const b = busyMachine(100);
    expect(a.length).toBeGreaterThan(50);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    for (let i = 1; i < a.length; i++) expect((a[i] as OssimEvent).time).toBeGreaterThanOrEqual((a[i - 1] as OssimEvent).time);
    expect(new Set(a.map((e) => (e as { cpu?: number }).cpu))).toEqual(new Set([0, 1]));
  });

  it('a different quantum gives a different (but still deterministic) interleaving', () => {
    expect(JSON.stringify(busyMachine(7))).not.toBe(JSON.stringify(busyMachine(100)));
  });
});

describe('instruction trace', () => {
  it('is off by default and, when on, publishes cpu.insn with the disassembly and changed registers', () => {
    const quiet = rig(`.section .text ${hex(TEXT)}\nstart: mov r1, 5\n add r1, 2\n cli\n hlt`);
    quiet.machine.runUntil(100);
    expect(quiet.of('cpu.insn')).toEqual([]);
    const r = rig(`.section .text ${hex(TEXT)}\nstart: mov r1, 5\n add r1, 2\n push r1\n cli\n hlt`, { trace: true });
    r.machine.runUntil(100);
    expect(r.of('cpu.insn')).toEqual([
      { type: 'cpu.insn', cpu: 0, pc: TEXT, text: 'mov r1, 5', changed: { r1: 5 } },
      { type: 'cpu.insn', cpu: 0, pc: TEXT + 4, text: 'add r1, 2', changed: { r1: 7 } },
      { type: 'cpu.insn', cpu: 0, pc: TEXT + 8, text: 'push r1', changed: { sp: KSTACK_TOP - 4 } },
      { type: 'cpu.insn', cpu: 0, pc: TEXT + 12, text: 'cli', changed: {} },
      { type: 'cpu.insn', cpu: 0, pc: TEXT + 16, text: 'hlt', changed: {} },
    ]);
  });
});

describe('configuration errors', () => {
  const bus = createFlatBus(4096);
  const code = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      if (e instanceof CpuError) return e.code;
      throw e;
    }
    return 'no error';
  };
  it('are CpuErrors with a code', () => {
    const m = createMachine({ bus });
    expect(code(() => createMachine({}))).toBe('bad-config');
    expect(code(() => createMachine({ bus, frequencyHz: 0 }))).toBe('bad-config');
    expect(code(() => createMachine({ bus, quantum: 0 }))).toBe('bad-config');
    expect(code(() => m.raiseInterrupt(0, 14))).toBe('bad-vector');
    expect(code(() => m.raiseInterrupt(3, 40))).toBe('bad-config');
    expect(code(() => m.runUntil(-1))).toBe('bad-config');
    expect(code(() => m.cpus[0]?.setReg(17, 0))).toBe('bad-register');
    expect(code(() => m.cpus[0]?.setReg(1, 2 ** 32))).toBe('bad-register');
    expect(m.registerNative('a', () => 0)).toBe(1);
    expect(m.registerNative(2, () => 0)).toBe(2);
    expect(m.registerNative('b', () => 0)).toBe(3);
    expect(code(() => m.registerNative('a', () => 0))).toBe('native-exists');
    expect(code(() => m.registerNative(3, () => 0))).toBe('native-exists');
    expect(m.nativeNumbers()).toEqual({ a: 1, b: 3 });
  });
  it('uses the given log and its clock', () => {
    const log = createEventLog({ clock: createClock(500) });
    const m = createMachine({ bus, log });
    expect(m.log).toBe(log);
    m.runUntil(600);
    expect(log.clock.now).toBe(600);
  });
  it('step() refuses a CPU halted with interrupts disabled', () => {
    const r = rig(`.section .text ${hex(TEXT)}\nstart: cli\n hlt`);
    expect(r.machine.step()).toBe(true);
    expect(r.machine.step()).toBe(true);
    expect(r.machine.step()).toBe(false);
    expect(r.cpu.halted).toBe(true);
  });
});
