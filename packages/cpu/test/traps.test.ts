import { describe, expect, it } from 'vitest';
import { PageFaultError, PS, TrapFrame, Vector } from '../src/index.ts';
import { hex, instrumented, KSTACK_TOP, peek32, rig, runToHalt, TEXT, USER_STACK_TOP, USER_TEXT } from './helpers.ts';

const SP0 = 0xc0090000;

/**
 * A kernel that enters user mode with iret, a syscall handler that saves r0-r3,
 * returns r0 + 100, and restores; the user program makes one syscall then halts
 * through a second syscall (number 0) whose handler does cli; hlt.
 */
const KERNEL = `
.section .text ${hex(TEXT)}
start:
    mov r1, ${hex(SP0)}
    mov sp0, r1
    ; build an iret frame: SP, PS (user, IE), PC, vector, error code
    push ${hex(USER_STACK_TOP)}
    push ${hex(PS.USER | PS.IE)}
    push user_main
    push 0
    push 0
    iret
.func syscall_entry
    push {r1-r3}
    cmp r0, 0
    jz .Ldie
    add r0, 100
    pop {r1-r3}
    iret
.Ldie:
    cli
    hlt
.endfunc
fault:
    cli
    hlt
.section .utext ${hex(USER_TEXT)}
user_main:
    mov r0, 5
    mov r1, 11
    syscall
    mov r4, r0
    mov r0, 0
    syscall
`;

describe('system call from user mode', () => {
  it('switches to sp0, pushes the exact frame, and iret returns to user mode', () => {
    const r = rig(KERNEL, { vectors: { [Vector.SYSCALL]: 'syscall_entry', 13: 'fault', 14: 'fault' } });
    // Run until the first syscall has entered the kernel.
    while (r.of('cpu.trap_enter').length < 1) r.machine.step();
    const enter = r.of('cpu.trap_enter')[0];
    const frame = SP0 - TrapFrame.SIZE;
    expect(enter).toEqual({
      type: 'cpu.trap_enter',
      cpu: 0,
      vector: 0x80,
      kind: 'syscall',
      modeBefore: 'user',
      pc: USER_TEXT + 12,
      handler: r.image.address('syscall_entry'),
      spBefore: USER_STACK_TOP,
      spAfter: frame,
      stack: 'sp0',
      errorCode: 0,
    });
    expect(r.cpu.mode).toBe('kernel');
    expect(r.cpu.interruptsEnabled).toBe(false);
    expect(r.cpu.sp).toBe(frame);
    // The frame, byte for byte, lowest address first: error code, vector, PC, PS, SP.
    const phys = frame - 0xc0000000;
    const le = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
    expect(Array.from(r.bus.bytes.subarray(phys, phys + 20))).toEqual([
      ...le(0),
      ...le(0x80),
      ...le(USER_TEXT + 12),
      ...le(PS.USER | PS.IE),
      ...le(USER_STACK_TOP),
    ]);
    runToHalt(r);
    expect(r.cpu.reg(4)).toBe(105);
    // The handler's pushes and pops left the user registers intact.
    expect(r.cpu.reg(1)).toBe(11);
    const exits = r.of('cpu.trap_exit');
    expect(exits[1]).toEqual({
      type: 'cpu.trap_exit',
      cpu: 0,
      vector: 0x80,
      modeAfter: 'user',
      pc: USER_TEXT + 12,
      spBefore: frame,
      spAfter: USER_STACK_TOP,
    });
  });

  it('quietVectors: the system call runs the same, without its trap_enter and trap_exit', () => {
    const loud = rig(KERNEL, { vectors: { [Vector.SYSCALL]: 'syscall_entry' } });
    runToHalt(loud);
    const quiet = rig(KERNEL, { vectors: { [Vector.SYSCALL]: 'syscall_entry' }, quietVectors: [Vector.SYSCALL] });
    runToHalt(quiet);
    expect(loud.of('cpu.trap_enter').length).toBeGreaterThan(0);
    expect(quiet.of('cpu.trap_enter')).toEqual([]);
    // Only the boot iret (a hand-built frame naming vector 0) is published.
    expect(quiet.of('cpu.trap_exit').map((e) => e.vector)).toEqual([0]);
    expect(loud.of('cpu.trap_exit').map((e) => e.vector)).toEqual([0, 0x80]);
    expect(quiet.cpu.reg(4)).toBe(105);
    expect(quiet.cpu.cycles).toBe(loud.cpu.cycles);
    expect(() => rig(KERNEL, { quietVectors: [256] })).toThrow('quietVectors: 256 is not a vector (0-255)');
  });

  it('the user stack is untouched by the trap (the frame goes on the kernel stack)', () => {
    const r = rig(KERNEL, { vectors: { [Vector.SYSCALL]: 'syscall_entry' } });
    runToHalt(r);
    expect(peek32(r.bus, USER_STACK_TOP - 4)).toBe(0);
    expect(peek32(r.bus, SP0 - 4)).toBe(USER_STACK_TOP);
  });
});

describe('protection', () => {
  const userProgram = (body: string): string => `
.section .text ${hex(TEXT)}
start:
    mov r1, ${hex(SP0)}
    mov sp0, r1
    push ${hex(USER_STACK_TOP)}
    push ${hex(PS.USER)}
    push user_main
    push 0
    push 0
    iret
handler:
    cli
    hlt
.section .utext ${hex(USER_TEXT)}
user_main:
${body}
`;
  for (const insn of ['hlt', 'cli', 'sti', 'iret', 'ncall 1', 'mov r1, cr2', 'mov cr3, r1', 'mov sp0, r1', 'invlpg r1', 'mov r1, cpuid']) {
    it(`${insn} in user mode raises general protection`, () => {
      const r = rig(userProgram(`    mov r1, 0\n    ${insn}`), { vectors: { 13: 'handler' }, natives: { one: () => 1 } });
      runToHalt(r);
      expect(r.of('cpu.exception')).toEqual([
        {
          type: 'cpu.exception',
          cpu: 0,
          kind: 'general-protection',
          vector: 13,
          pc: USER_TEXT + 4,
          address: null,
          errorCode: 0,
          mode: 'user',
        },
      ]);
      expect(peek32(r.bus, SP0 - 20 + TrapFrame.PC)).toBe(USER_TEXT + 4);
      expect(r.bus.pageTableBase).toBe(0);
    });
  }
  it('a user access to a kernel address is a page fault with P and U set, and cr2', () => {
    const r = rig(userProgram('    mov r1, 0xc0000100\n    st [r1+4], r1'), { vectors: { 14: 'handler' } });
    runToHalt(r);
    const err = PageFaultError.P | PageFaultError.W | PageFaultError.U;
    expect(r.of('cpu.exception')).toEqual([
      {
        type: 'cpu.exception',
        cpu: 0,
        kind: 'page-fault',
        vector: 14,
        pc: USER_TEXT + 8,
        address: 0xc0000104,
        errorCode: err,
        mode: 'user',
      },
    ]);
    expect(r.cpu.cr2).toBe(0xc0000104);
    expect(peek32(r.bus, SP0 - 20 + TrapFrame.ERROR_CODE)).toBe(err);
    expect(peek32(r.bus, SP0 - 20 + TrapFrame.VECTOR)).toBe(14);
  });
  it('an instruction fetch fault has the I bit', () => {
    const r = rig(userProgram('    mov r1, 0xc0100000\n    jmp r1'), { vectors: { 14: 'handler' } });
    runToHalt(r);
    expect(r.of('cpu.exception')[0]).toMatchObject({
      kind: 'page-fault',
      address: 0xc0100000,
      errorCode: PageFaultError.P | PageFaultError.U | PageFaultError.I,
      pc: 0xc0100000,
    });
  });
  it('an empty vector-table entry raises #GP with error code vector<<3|2', () => {
    const r = rig(userProgram('    syscall'), { vectors: { 13: 'handler' } });
    runToHalt(r);
    expect(r.of('cpu.exception')[0]).toMatchObject({ kind: 'general-protection', errorCode: (0x80 << 3) | 2, pc: USER_TEXT + 4 });
  });
});

describe('interrupts in kernel mode', () => {
  const NESTING = `
.section .text ${hex(TEXT)}
start:
    sti
    mov r9, 1000000
    work r9           ; interruptible: r9 counts the cycles left
    cli
    hlt
irq:
    push r0
    ld r0, [depth]
    add r0, 1
    st [depth], r0
    mov r2, sp
    cmp r0, 1
    jnz .Linner
    mov r5, sp        ; outer handler's SP
    sti
    mov r8, 1000000
    work r8           ; the second interrupt arrives here
    jmp .Lout
.Linner:
    mov r6, sp        ; inner handler's SP
.Lout:
    ld r0, [depth]
    sub r0, 1
    st [depth], r0
    pop r0
    iret
.section .data 0xc0110000
depth: .word 0
`;
  it('an interrupt from kernel mode pushes on the current stack, and nests', () => {
    const r = rig(NESTING, { vectors: { 40: 'irq', 41: 'irq' } });
    r.machine.runUntil(100);
    r.machine.raiseInterrupt(0, 40);
    r.machine.runUntil(200);
    r.machine.raiseInterrupt(0, 41);
    r.machine.runUntil(5_000_000);
    const enters = r.of('cpu.trap_enter');
    expect(enters.map((e) => [e.vector, e.modeBefore, e.stack])).toEqual([
      [40, 'kernel', 'current'],
      [41, 'kernel', 'current'],
    ]);
    const outer = enters[0] as (typeof enters)[0];
    const inner = enters[1] as (typeof enters)[0];
    expect(outer.spBefore).toBe(KSTACK_TOP);
    expect(outer.spAfter).toBe(KSTACK_TOP - 20);
    expect(inner.spBefore).toBe(KSTACK_TOP - 24); // the outer handler pushed r0
    expect(inner.spAfter).toBe(KSTACK_TOP - 44);
    // The inner frame saved the kernel-mode PS with IE (the outer handler did sti).
    // The inner frame saved the outer handler's PS: kernel mode, IE (it did sti), Z (from its cmp).
    expect(peek32(r.bus, KSTACK_TOP - 44 + TrapFrame.PS)).toBe(PS.IE | PS.Z);
    expect(r.cpu.reg(6)).toBe(KSTACK_TOP - 48);
    expect(r.of('cpu.trap_exit').map((e) => e.spAfter)).toEqual([KSTACK_TOP - 24, KSTACK_TOP]);
    expect(r.cpu.sp).toBe(KSTACK_TOP);
  });

  it('with an interrupt stack, the first interrupt switches to it and a nested one stays on it', () => {
    const IRQ_TOP = 0xc00a0000;
    const r = rig(NESTING, { vectors: { 40: 'irq', 41: 'irq' }, cpus: [{ irqStack: { top: IRQ_TOP, size: 0x4000 } }] });
    r.machine.runUntil(100);
    r.machine.raiseInterrupt(0, 40);
    r.machine.runUntil(200);
    r.machine.raiseInterrupt(0, 41);
    r.machine.runUntil(5_000_000);
    const enters = r.of('cpu.trap_enter');
    expect(enters.map((e) => [e.stack, hex(e.spBefore), hex(e.spAfter)])).toEqual([
      ['irq', hex(KSTACK_TOP), hex(IRQ_TOP - 20)],
      ['current', hex(IRQ_TOP - 24), hex(IRQ_TOP - 44)],
    ]);
    // The interrupted task's SP is saved in the frame on the interrupt stack, and iret restores it.
    expect(peek32(r.bus, IRQ_TOP - 20 + TrapFrame.SP)).toBe(KSTACK_TOP);
    expect(r.of('cpu.trap_exit').map((e) => hex(e.spAfter))).toEqual([hex(IRQ_TOP - 24), hex(KSTACK_TOP)]);
    // The task's stack did not receive any frame.
    expect(peek32(r.bus, KSTACK_TOP - 4)).toBe(0);
  });

  it('a trap from user mode uses sp0 even when an interrupt stack exists', () => {
    const r = rig(
      `.section .text ${hex(TEXT)}
start: mov r1, ${hex(SP0)}
    mov sp0, r1
    push ${hex(USER_STACK_TOP)}
    push ${hex(PS.USER | PS.IE)}
    push user_main
    push 0
    push 0
    iret
irq: cli
    hlt
.section .utext ${hex(USER_TEXT)}
user_main: mov r9, 1000000
    work r9`,
      { vectors: { 40: 'irq' }, cpus: [{ irqStack: { top: 0xc00a0000, size: 0x4000 } }] },
    );
    r.machine.runUntil(1000);
    r.machine.raiseInterrupt(0, 40);
    r.machine.runUntil(2000);
    expect(r.of('cpu.trap_enter').at(-1)).toMatchObject({
      vector: 40,
      kind: 'interrupt',
      stack: 'sp0',
      modeBefore: 'user',
      spAfter: SP0 - 20,
    });
  });
});

describe('double fault', () => {
  // The kernel's SP points past the end of memory: the page-fault frame cannot be pushed.
  const BAD_STACK = `
.section .text ${hex(TEXT)}
start:
    mov r1, 0xc0800000
    mov sp, r1
    ld r2, [r1+0]        ; faults (not present); delivering the #PF faults again
    hlt
df:
    mov r7, sp
    cli
    hlt
`;
  it('a fault while delivering a fault is a double fault, delivered on the exception stack', () => {
    const DF_TOP = 0xc00b0000;
    const r = rig(BAD_STACK, { vectors: { 8: 'df', 14: 'df' }, cpus: [{ exceptionStack: DF_TOP }] });
    runToHalt(r);
    expect(r.of('cpu.exception').map((e) => [e.kind, e.address === null ? null : hex(e.address)])).toEqual([
      ['page-fault', '0xc0800000'],
      ['page-fault', '0xc07ffffc'],
      ['double-fault', null],
    ]);
    expect(r.of('cpu.trap_enter')).toEqual([
      {
        type: 'cpu.trap_enter',
        cpu: 0,
        vector: 8,
        kind: 'exception',
        modeBefore: 'kernel',
        pc: TEXT + 12,
        handler: r.image.address('df'),
        spBefore: 0xc0800000,
        spAfter: DF_TOP - 20,
        stack: 'exception',
        errorCode: 0,
      },
    ]);
    expect(r.cpu.reg(7)).toBe(DF_TOP - 20);
    expect(r.cpu.cr2).toBe(0xc07ffffc);
  });
  it('without an exception stack the double fault cannot be delivered either: shutdown (triple fault)', () => {
    const r = rig(BAD_STACK, { vectors: { 8: 'df', 14: 'df' } });
    runToHalt(r);
    expect(r.of('cpu.shutdown')).toEqual([{ type: 'cpu.shutdown', cpu: 0, pc: TEXT + 12, kind: 'page-fault' }]);
    expect(r.cpu.shutdown).toBe(true);
    expect(r.of('cpu.trap_enter')).toEqual([]);
    // A shut-down CPU stays down.
    r.machine.raiseInterrupt(0, 40);
    expect(r.machine.step()).toBe(false);
  });
  it('an interrupt whose frame cannot be pushed becomes a page fault (not a double fault)', () => {
    const r = rig(
      `.section .text ${hex(TEXT)}
start: mov r1, 0xc0800000
    mov sp, r1
    sti
    mov r9, 100000
    work r9
pf: mov r7, sp
    cli
    hlt`,
      { vectors: { 40: 'pf', 14: 'pf', 8: 'pf' }, cpus: [{ irqStack: { top: 0xc00a0000, size: 0 } }] },
    );
    r.machine.runUntil(100);
    r.machine.raiseInterrupt(0, 40);
    r.machine.runUntil(1000);
    // Pushing the interrupt's frame faults: a plain #PF. Pushing the #PF's frame faults: a
    // double fault, whose frame cannot be pushed either (no exception stack): shutdown.
    expect(r.of('cpu.exception').map((e) => e.kind)).toEqual(['page-fault', 'page-fault', 'double-fault', 'page-fault']);
    expect(r.of('cpu.exception').map((e) => e.address)).toEqual([0xc07ffffc, 0xc07ffffc, null, 0xc07ffffc]);
    expect(r.of('cpu.shutdown')).toHaveLength(1);
  });
});

describe('restartable instructions', () => {
  /**
   * `body` runs in user mode; the pages in `unmap` are not present until the #PF
   * handler asks a native to map the page in cr2. iret then re-executes the faulting
   * instruction. `check` sees the user registers and SP as the fault left them (the
   * handler saved r0-r15 on the kernel stack, the CPU saved SP in the frame).
   */
  const restart = (body: string, unmap: number[], check: (regsAtFault: readonly number[], sp: number) => void, tail = '') => {
    let bus: ReturnType<typeof instrumented> | undefined;
    const atFault: number[][] = [];
    const r = rig(
      `.section .text ${hex(TEXT)}
start:
    mov r1, ${hex(SP0)}
    mov sp0, r1
    push ${hex(USER_STACK_TOP)}
    push ${hex(PS.USER)}
    push user_main
    push 0
    push 0
    iret
pf_handler:
    push {r0-r15}
    ncall map_cr2
    pop {r0-r15}
    iret
done:
    cli
    hlt
.section .utext ${hex(USER_TEXT)}
user_main:
${body}
    syscall
.section .udata 0x00110000
data: .space 0x3000
${tail}
`,
      {
        vectors: { 14: 'pf_handler', 128: 'done' },
        wrap: (flat) => {
          bus = instrumented(flat);
          for (const p of unmap) bus.unmapped.add(p);
          return bus;
        },
        natives: {
          map_cr2: (cpu) => {
            const regs = Array.from({ length: 16 }, (_, i) => cpu.bus.read32(cpu.sp + 4 * i, false));
            atFault.push([...regs, cpu.bus.read32(cpu.sp + 64 + TrapFrame.SP, false)]);
            bus?.unmapped.delete((cpu.cr2 & ~0xfff) >>> 0);
          },
        },
      },
    );
    runToHalt(r);
    expect(r.of('cpu.exception').map((e) => e.kind)).toEqual(unmap.map(() => 'page-fault'));
    check(atFault[0] as number[], (atFault[0] as number[])[16] as number);
    return r;
  };

  it('st to an unmapped page: after the fault is fixed, iret re-executes it', () => {
    const r = restart('    mov r1, data+0x1000\n    mov r2, 0x77\n    st [r1+4], r2\n    mov r3, 1', [0x00111000], (regs) => {
      expect(regs[3]).toBe(0);
    });
    expect(peek32(r.bus, 0x00111004)).toBe(0x77);
    expect(r.cpu.reg(3)).toBe(1);
    expect(r.of('cpu.exception')[0]).toMatchObject({
      pc: USER_TEXT + 12,
      address: 0x00111004,
      errorCode: PageFaultError.W | PageFaultError.U,
    });
  });

  it('push {list} across a page boundary changes neither SP nor memory it has not reached', () => {
    const top = 0x00111008;
    const r = restart(
      `    mov r1, ${hex(top)}\n    mov sp, r1\n    mov r4, 4\n    mov r5, 5\n    mov r6, 6\n    mov r7, 7\n    push {r4-r7}\n    mov r8, sp`,
      [0x00110000],
      (regs, sp) => {
        expect([hex(sp), regs[8]]).toEqual([hex(top), 0]);
      },
    );
    expect(hex(r.cpu.reg(8))).toBe(hex(top - 16));
    expect([0, 4, 8, 12].map((o) => peek32(r.bus, top - 16 + o))).toEqual([4, 5, 6, 7]);
  });

  it('pop {list} from an unmapped page leaves every register as it was', () => {
    const r = restart(
      '    mov r1, data+0x2000\n    mov r3, data+0x1ffc\n    mov sp, r3\n    mov r4, 44\n    mov r5, 55\n    pop {r4-r5}',
      [0x00112000],
      (regs, sp) => {
        expect([regs[4], regs[5], hex(sp)]).toEqual([44, 55, '0x111ffc']);
      },
    );
    expect(r.cpu.reg(5)).toBe(0);
    expect(hex(r.of('cpu.trap_enter').at(-1)?.spBefore ?? 0)).toBe('0x112004');
  });

  it('call whose return address cannot be pushed leaves SP and PC unchanged', () => {
    const r = restart(
      '    mov r1, data+0x1000\n    mov sp, r1\n    call f\n    jmp .Lend\nf: mov r9, 1\n    ret\n.Lend:',
      [0x00110000],
      (_regs, sp) => {
        expect(hex(sp)).toBe('0x111000');
      },
    );
    expect(r.of('cpu.exception')[0]).toMatchObject({ pc: USER_TEXT + 12 });
    expect(r.of('cpu.trap_enter')[0]).toMatchObject({ pc: USER_TEXT + 12, spBefore: 0x111000 });
    expect(r.cpu.reg(9)).toBe(1);
  });

  it('ret from an unmapped stack page leaves SP and PC unchanged', () => {
    const r = restart(
      '    mov r1, retaddr\n    mov sp, r1\n    ret\nback: mov r9, 2',
      [0x00131000],
      (_regs, sp) => {
        expect(hex(sp)).toBe('0x131ffc');
      },
      '.section .ustack 0x00131ffc\nretaddr: .word back',
    );
    expect(r.of('cpu.exception')[0]).toMatchObject({ pc: USER_TEXT + 12, address: 0x131ffc });
    expect(r.cpu.reg(9)).toBe(2);
  });
});
