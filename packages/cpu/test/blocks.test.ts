import { createClock, createEventLog } from '@ossim/eventlog';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assemble, type Cpu, createFlatBus, createMachine, type FlatBus, loadImage, type MemoryBus, PS } from '../src/index.ts';
import { encode, encodeList, encodeRel, encodeShort, OP_ALU_RI, OP_ALU_RR, OP_ALU_RS, OP_JMP } from '../src/internal/opcodes.ts';
import { hex, IDT, instrumented, KERNEL_BASE, KSTACK_TOP, MEMORY, TEXT } from './helpers.ts';

/*
 * The translator against the interpreter: random code, run with `jit: true` and with
 * `jit: false`, must give the same events, registers, flags, cycles, instruction
 * counts, memory and data accesses (in order), whatever the code does: faults in the
 * middle of a trace, divisions by zero, natives that stop the machine or raise
 * interrupts, interrupts arriving at any cycle, slices ending anywhere, code that
 * rewrites itself, returns to addresses a trace did not expect, user mode.
 */

/** The random code starts 512 bytes before a page boundary, so traces meet the page end. */
const CODE = TEXT + 0x1000 - 512;
const DATA = TEXT + 0x4000;
/** An address that faults on the wrapped bus (its page is unmapped). */
const HOLE = TEXT + 0x6000;
const HANDLERS = TEXT + 0x8000;

/** Handlers: exceptions skip the faulting instruction (4 bytes on), interrupts count in r13. */
const HANDLER_SOURCE = `
.section .text ${hex(HANDLERS)}
skip:
    ld r14, [sp+8]
    add r14, 4
    st [sp+8], r14
    iret
irq:
    add r13, 1
    iret
`;

const reg = fc.integer({ min: 0, max: 16 });
const low = fc.integer({ min: 0, max: 15 });
const word = fc.oneof(
  fc.integer({ min: -5, max: 5 }),
  fc.integer({ min: 0, max: 0xffffffff }),
  fc.constantFrom(DATA, DATA + 64, HOLE, CODE + 16),
);

/** One instruction as words: mostly valid forms, a few odd ones. */
const insn: fc.Arbitrary<readonly number[]> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.integer({ min: 0, max: 12 }), reg, reg).map(([n, a, b]) => [encode(OP_ALU_RR + n, a, b)]) },
  {
    weight: 6,
    arbitrary: fc
      .tuple(fc.integer({ min: 0, max: 12 }), reg, fc.integer({ min: -40, max: 40 }))
      .map(([n, a, imm]) => [encodeShort(OP_ALU_RS + n, a, imm)]),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.constantFrom(0, 1, 2, 3, 4, 8, 9, 10, 11, 12), reg, word)
      .map(([n, a, v]) => [encode(OP_ALU_RI + n, a), v >>> 0]),
  },
  { weight: 4, arbitrary: fc.tuple(reg, reg).map(([a, b]) => [encode(0x10, a, b)]) },
  { weight: 3, arbitrary: fc.tuple(reg, word).map(([a, v]) => [encode(0x11, a), v >>> 0]) },
  { weight: 2, arbitrary: fc.tuple(reg, fc.integer({ min: -100, max: 100 })).map(([a, v]) => [encodeShort(0x15, a, v)]) },
  // ld / ldb / st / stb [rB + off] through r8 (data), r9 (the hole), sp, or anything.
  {
    weight: 8,
    arbitrary: fc
      .tuple(fc.integer({ min: 0x40, max: 0x43 }), reg, fc.constantFrom(8, 8, 9, 16, 3), fc.integer({ min: -8, max: 24 }))
      .map(([op, a, b, off]) => [encode(op, a, b, off * 4 + (op & 1 ? off & 3 : 0))]),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.integer({ min: 0x44, max: 0x47 }), reg, fc.constantFrom(DATA, DATA + 8, HOLE, KERNEL_BASE + MEMORY + 4))
      .map(([op, a, addr]) => [encode(op, a), addr >>> 0]),
  },
  { weight: 4, arbitrary: reg.map((a) => [encode(0x50, a)]) },
  { weight: 4, arbitrary: reg.map((a) => [encode(0x51, a)]) },
  { weight: 1, arbitrary: word.map((v) => [encode(0x52), v >>> 0]) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 0xffff }).map((m) => [encodeList(0x53, m)]) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 0xffff }).map((m) => [encodeList(0x54, m)]) },
  // call, jumps: short displacements, back and forward.
  { weight: 3, arbitrary: fc.integer({ min: -6, max: 12 }).map((d) => [encodeRel(0x58, d)]) },
  {
    weight: 6,
    arbitrary: fc.tuple(fc.integer({ min: 0, max: 14 }), fc.integer({ min: -10, max: 12 })).map(([n, d]) => [encodeRel(OP_JMP + n, d)]),
  },
  { weight: 3, arbitrary: fc.constant([encode(0x05)]) }, // ret
  { weight: 1, arbitrary: reg.map((a) => [encode(0x59, a)]) }, // call rA
  { weight: 1, arbitrary: reg.map((a) => [encode(0x5a, a)]) }, // jmp rA
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 30 }).map((n) => [encode(0x08), n]) }, // work imm
  { weight: 1, arbitrary: low.map((a) => [encode(0x09, a)]) }, // work rA
  { weight: 1, arbitrary: fc.constant([encode(0x01)]) }, // nop
  { weight: 2, arbitrary: fc.constantFrom([encode(0x03)], [encode(0x04)]) }, // cli, sti
  // ncall: the natives 1-3, or an unregistered one.
  { weight: 4, arbitrary: fc.constantFrom(1, 2, 3, 99).map((n) => [encode(0x0a), n]) },
  { weight: 1, arbitrary: fc.tuple(reg, fc.integer({ min: 0, max: 9 })).map(([a, b]) => [encode(0x12, a, b)]) }, // mov rA, ctl
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(1, 2, 4, 9), low).map(([a, b]) => [encode(0x13, a, b)]) }, // mov ctl, rB
  { weight: 1, arbitrary: low.map((a) => [encode(0x0b, a)]) }, // invlpg
  { weight: 1, arbitrary: fc.constantFrom([encode(0x07)], [encode(0x02)], [encode(0x00)], [encode(0x06)], [0xff]) }, // syscall hlt ud iret bad
  // A store into the code itself (r10 points into it).
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 40 }).map((off) => [encode(0x42, 0, 10, off * 4)]) },
);

interface Plan {
  readonly code: (readonly number[])[];
  readonly regs: number[];
  readonly user: boolean;
  readonly wrapped: boolean;
  readonly quantum: number;
  /** Runs: [ns to run to, instructions to step or 0, raise the timer before it]. */
  readonly runs: [number, number, boolean][];
}

const plan: fc.Arbitrary<Plan> = fc.record({
  code: fc.array(insn, { minLength: 20, maxLength: 160 }),
  regs: fc.array(word, { minLength: 16, maxLength: 16 }),
  user: fc.boolean(),
  wrapped: fc.boolean(),
  quantum: fc.constantFrom(7, 50, 1000),
  runs: fc.array(fc.tuple(fc.integer({ min: 1, max: 3000 }), fc.constantFrom(0, 0, 0, 1, 5, 37), fc.boolean()), {
    minLength: 1,
    maxLength: 6,
  }),
});

interface Outcome {
  readonly events: string[];
  readonly cpu: unknown;
  readonly memory: number[];
  readonly accesses: string[];
}

function execute(p: Plan, jit: boolean | 'eager'): Outcome {
  const flat: FlatBus = createFlatBus(MEMORY);
  const log = createEventLog({ clock: createClock() });
  const events: string[] = [];
  log.listen((e) => events.push(JSON.stringify(e)));
  let bus: MemoryBus = flat;
  let accesses: string[] = [];
  if (p.wrapped) {
    const w = instrumented(flat);
    w.unmapped.add(HOLE);
    accesses = w.accesses;
    bus = {
      ...w,
      codePage: (v, user) => {
        w.fetch32(v, user);
        return flat.codePage(v, user);
      },
    };
  }
  const machine = createMachine({ bus, log, quantum: p.quantum, jit });
  // 1: a counter that charges cycles; 2: stops the run when r1 is odd; 3: raises the timer on this CPU.
  machine.registerNative(1, (cpu: Cpu) => {
    cpu.charge(3);
    return (cpu.reg(1) + 1) >>> 0;
  });
  machine.registerNative(2, (cpu: Cpu) => {
    if ((cpu.reg(1) & 1) === 1) machine.stop();
  });
  machine.registerNative(3, () => machine.raiseInterrupt(0, 32));
  const handlers = assemble(HANDLER_SOURCE);
  loadImage(flat, handlers);
  for (let v = 0; v < 256; v++) flat.write32(IDT + 4 * v, handlers.address(v === 32 ? 'irq' : 'skip'), false);
  let at = CODE;
  for (const i of p.code)
    for (const w of i) {
      flat.write32(at, w >>> 0, false);
      at += 4;
    }
  const cpu = machine.cpus[0] as Cpu;
  cpu.idtr = IDT;
  cpu.sp0 = KSTACK_TOP;
  const base = p.user ? CODE - KERNEL_BASE : CODE;
  cpu.reset({ pc: base, sp: p.user ? 0x00300000 : KSTACK_TOP - 256, ps: p.user ? PS.USER | PS.IE : PS.IE });
  for (const [i, v] of p.regs.entries()) cpu.setReg(i, v >>> 0);
  cpu.setReg(8, p.user ? DATA - KERNEL_BASE : DATA);
  cpu.setReg(9, HOLE);
  cpu.setReg(10, base);
  let now = 0;
  for (const [ns, steps, timer] of p.runs) {
    if (timer) machine.raiseInterrupt(0, 32);
    now += ns;
    if (steps > 0) machine.runUntil(now, { instructions: steps });
    else machine.runUntil(now);
    now = Math.max(now, machine.clock.now);
  }
  const memory: number[] = [];
  for (let a = CODE - 512; a < TEXT + 0x5000; a += 4) memory.push(flat.read32(a, false));
  for (let a = KSTACK_TOP - 1024; a < KSTACK_TOP; a += 4) memory.push(flat.read32(a, false));
  for (let a = 0x00300000 - 256; a < 0x00300000; a += 4) memory.push(flat.read32(a, false));
  const state = machine.save();
  return { events, cpu: state, memory, accesses };
}

describe('the translator', () => {
  it('runs random code exactly as the interpreter does', () => {
    fc.assert(
      fc.property(plan, (p) => {
        const slow = execute(p, false);
        const fast = execute(p, 'eager');
        expect(fast.cpu).toEqual(slow.cpu);
        expect(fast.events).toEqual(slow.events);
        expect(fast.memory).toEqual(slow.memory);
        expect(fast.accesses).toEqual(slow.accesses);
      }),
      { numRuns: 300 },
    );
  }, 120_000);

  it('translates what it meets: a loop of calls runs in traces and gives the interpreter’s result', () => {
    const source = `
.section .text ${hex(TEXT)}
start:
    mov r0, 0
    mov r1, 1000
.Lloop:
    call add3
    sub r1, 1
    jnz .Lloop
    cli
    hlt
add3:
    push r2
    mov r2, 3
    add r0, r2
    pop r2
    ret
`;
    const results = (['eager', false] as const).map((jit) => {
      const bus = createFlatBus(MEMORY);
      const machine = createMachine({ bus, jit });
      loadImage(bus, assemble(source));
      const cpu = machine.cpus[0] as Cpu;
      cpu.reset({ pc: TEXT, sp: KSTACK_TOP });
      machine.runUntil(1_000_000);
      return { r0: cpu.reg(0), cycles: cpu.cycles, instructions: cpu.instructions, halted: cpu.halted };
    });
    expect(results[0]).toEqual(results[1]);
    expect(results[0]?.r0).toBe(3000);
    expect(results[0]?.halted).toBe(true);
  });

  it('sees code that changed since it was translated', () => {
    // The loop body is rewritten between runs: `add r0, 1` becomes `add r0, 100`.
    const source = `
.section .text ${hex(TEXT)}
start:
body:
    add r0, 1
    jmp start
`;
    const bus = createFlatBus(MEMORY);
    const machine = createMachine({ bus, quantum: 10, jit: 'eager' });
    const image = assemble(source);
    loadImage(bus, image);
    const cpu = machine.cpus[0] as Cpu;
    cpu.reset({ pc: TEXT, sp: KSTACK_TOP });
    machine.runUntil(100);
    const before = cpu.reg(0);
    expect(before).toBe(50);
    bus.write32(image.address('body'), encodeShort(OP_ALU_RS, 0, 100), false);
    machine.runUntil(200);
    expect(cpu.reg(0)).toBe(before + 50 * 100);
  });

  it('refuses a jit option it does not know, naming it', () => {
    expect(() => createMachine({ bus: createFlatBus(MEMORY), jit: 'fast' as never })).toThrow(
      `jit must be true, false or 'eager', got "fast"`,
    );
  });
});
