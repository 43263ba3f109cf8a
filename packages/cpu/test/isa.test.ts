import { describe, expect, it } from 'vitest';
import { PS, Vector } from '../src/index.ts';
import { hex, IDT, KSTACK_TOP, peek32, type Rig, rig, runToHalt, TEXT } from './helpers.ts';

/** Runs `body` in kernel mode, then `cli; hlt`. */
function exec(body: string, options: Parameters<typeof rig>[1] = {}): Rig {
  const r = rig(
    `.section .text ${hex(TEXT)}\nstart:\n${body}\n cli\n hlt\nfault: cli\n hlt\n.section .data 0xc0110000\ndata: .space 64\n`,
    {
      vectors: { 0: 'fault', 6: 'fault', 13: 'fault', 14: 'fault' },
      ...options,
    },
  );
  runToHalt(r);
  return r;
}

const reg = (r: Rig, n: number): number => r.cpu.reg(n);

describe('moves', () => {
  it('mov reg, imm (short and 32-bit) and mov reg, reg', () => {
    const r = exec(' mov r1, -5\n mov r2, 0xdeadbeef\n mov r3, r2\n mov r15, 262143');
    expect([reg(r, 1), reg(r, 2), reg(r, 3), reg(r, 15)]).toEqual([0xfffffffb, 0xdeadbeef, 0xdeadbeef, 262143]);
  });
  it('moves SP to and from a register', () => {
    const r = exec(' mov r1, sp\n mov r2, 0xc0070000\n mov sp, r2');
    expect(reg(r, 1)).toBe(KSTACK_TOP);
    expect(r.cpu.sp).toBe(0xc0070000);
  });
  it('nop only advances PC, by 4, in one cycle', () => {
    const r = rig(`.section .text ${hex(TEXT)}\nstart: nop\n nop`);
    const before = r.cpu.registers();
    expect(r.machine.step()).toBe(true);
    expect(r.cpu.pc).toBe(TEXT + 4);
    expect(r.cpu.cycles).toBe(1);
    expect({ ...r.cpu.registers(), pc: 0 }).toEqual({ ...before, pc: 0 });
  });
});

describe('arithmetic and logic', () => {
  const cases: [string, number, number, number][] = [
    ['add', 7, 5, 12],
    ['sub', 7, 5, 2],
    ['and', 0b1100, 0b1010, 0b1000],
    ['or', 0b1100, 0b1010, 0b1110],
    ['xor', 0b1100, 0b1010, 0b0110],
    ['shl', 0x80000001, 4, 0x10],
    ['shr', 0x80000000, 4, 0x08000000],
    ['sar', 0x80000000, 4, 0xf8000000],
    ['mul', 0x10000, 0x10001, 0x10000],
    ['div', 0xfffffffe, 2, 0x7fffffff],
    ['rem', 17, 5, 2],
  ];
  for (const [op, a, b, want] of cases) {
    it(`${op} with a register and with an immediate`, () => {
      const r = exec(` mov r1, ${a}\n mov r2, ${b}\n mov r3, r1\n ${op} r1, r2\n ${op} r3, ${b}`);
      expect(hex(reg(r, 1))).toBe(hex(want));
      expect(hex(reg(r, 3))).toBe(hex(want));
      expect(reg(r, 2)).toBe(b);
    });
  }
  it('add sets carry and overflow; sub sets borrow', () => {
    expect(exec(' mov r1, 0xffffffff\n add r1, 1').cpu.registers().flags).toBe('-ZC-');
    expect(exec(' mov r1, 0x7fffffff\n add r1, 1').cpu.registers().flags).toBe('N--V');
    expect(exec(' mov r1, 1\n sub r1, 2').cpu.registers().flags).toBe('N-C-');
    expect(exec(' mov r1, 5\n sub r1, 5').cpu.registers().flags).toBe('-Z--');
  });
  it('cmp and test set flags without writing the register', () => {
    const r = exec(' mov r1, 3\n cmp r1, 4');
    expect(reg(r, 1)).toBe(3);
    expect(r.cpu.registers().flags).toBe('N-C-');
    const t = exec(' mov r1, 0b0101\n test r1, 0b1010');
    expect(reg(t, 1)).toBe(5);
    expect(t.cpu.registers().flags).toBe('-Z--');
  });
  it('the 32-bit immediate form is used and works for values beyond 19 bits', () => {
    const r = exec(' mov r1, 1\n add r1, 0x40000000\n sub r1, -300000');
    expect(reg(r, 1)).toBe(0x40000001 + 300000);
  });
  it('sp is an ALU operand (frame allocation)', () => {
    const r = exec(' sub sp, 64\n mov r1, sp\n add sp, 64');
    expect(reg(r, 1)).toBe(KSTACK_TOP - 64);
    expect(r.cpu.sp).toBe(KSTACK_TOP);
  });
  it('div and rem by zero raise a divide error at the faulting instruction', () => {
    for (const op of ['div', 'rem']) {
      const r = exec(` mov r1, 7\n mov r2, 0\n ${op} r1, r2`);
      const [e] = r.of('cpu.exception');
      expect(e).toMatchObject({ kind: 'divide-error', vector: Vector.DIVIDE_ERROR, pc: TEXT + 8 });
      expect(reg(r, 1)).toBe(7);
    }
  });
});

describe('conditional branches', () => {
  const conds: Record<string, (a: number, b: number) => boolean> = {
    jz: (a, b) => a === b,
    je: (a, b) => a === b,
    jnz: (a, b) => a !== b,
    jne: (a, b) => a !== b,
    jl: (a, b) => (a | 0) < (b | 0),
    jge: (a, b) => (a | 0) >= (b | 0),
    jg: (a, b) => (a | 0) > (b | 0),
    jle: (a, b) => (a | 0) <= (b | 0),
    jb: (a, b) => a >>> 0 < b >>> 0,
    jc: (a, b) => a >>> 0 < b >>> 0,
    jae: (a, b) => a >>> 0 >= b >>> 0,
    jnc: (a, b) => a >>> 0 >= b >>> 0,
    ja: (a, b) => a >>> 0 > b >>> 0,
    jbe: (a, b) => a >>> 0 <= b >>> 0,
    js: (a, b) => ((a - b) | 0) < 0,
    jns: (a, b) => ((a - b) | 0) >= 0,
    jo: (a, b) => (a | 0) - (b | 0) !== ((a - b) | 0),
    jno: (a, b) => (a | 0) - (b | 0) === ((a - b) | 0),
  };
  const pairs = [
    [1, 2],
    [2, 1],
    [5, 5],
    [0xffffffff, 1],
    [1, 0xffffffff],
    [0x80000000, 1],
    [0x7fffffff, 0xffffffff],
  ] as const;
  for (const [jcc, want] of Object.entries(conds)) {
    it(`${jcc} after cmp`, () => {
      for (const [a, b] of pairs) {
        const r = exec(` mov r1, ${a}\n mov r2, ${b}\n mov r0, 0\n cmp r1, r2\n ${jcc} .Ltaken\n jmp .Lend\n.Ltaken: mov r0, 1\n.Lend:`);
        expect({ a: hex(a), b: hex(b), taken: reg(r, 0) === 1 }).toEqual({ a: hex(a), b: hex(b), taken: want(a, b) });
      }
    });
  }
  it('jmp goes backward and forward (pc-relative)', () => {
    const r = exec(' mov r1, 0\n.Lback: add r1, 1\n cmp r1, 3\n jl .Lback\n jmp .Lfwd\n mov r1, 99\n.Lfwd:');
    expect(reg(r, 1)).toBe(3);
  });
  it('jmp reg jumps to the address in the register', () => {
    const r = exec(' mov r1, .Lthere\n jmp r1\n mov r2, 1\n.Lthere: mov r3, 1');
    expect([reg(r, 2), reg(r, 3)]).toEqual([0, 1]);
  });
});

describe('memory', () => {
  it('st and ld with register+offset addressing (positive and negative)', () => {
    const r = exec(' mov r2, data\n mov r1, 0x11223344\n st [r2+8], r1\n add r2, 12\n ld r3, [r2-4]\n st [sp-4], r1\n ld r4, [sp-4]');
    expect(hex(peek32(r.bus, 0xc0110008))).toBe('0x11223344');
    expect(hex(reg(r, 3))).toBe('0x11223344');
    expect(hex(reg(r, 4))).toBe('0x11223344');
    expect(r.cpu.sp).toBe(KSTACK_TOP);
  });
  it('memory is little-endian: stb and ldb address single bytes', () => {
    const r = exec(' mov r2, data\n mov r1, 0xaabbccdd\n st [r2], r1\n ldb r3, [r2+1]\n mov r4, 0x1ff\n stb [r2+3], r4\n ld r5, [r2]');
    expect(Array.from(r.bus.bytes.subarray(0x110000, 0x110004))).toEqual([0xdd, 0xcc, 0xbb, 0xff]);
    expect(hex(reg(r, 3))).toBe('0xcc');
    expect(hex(reg(r, 5))).toBe('0xffbbccdd');
  });
  it('absolute forms ld/st/ldb/stb [addr]', () => {
    const r = exec(' mov r1, 0x01020304\n st [data+16], r1\n ld r2, [data+16]\n ldb r3, [data+17]\n stb [data+20], r1');
    expect(hex(reg(r, 2))).toBe('0x1020304');
    expect(reg(r, 3)).toBe(3);
    expect(r.bus.bytes[0x110014]).toBe(4);
  });
});

describe('stack', () => {
  it('push and pop a register: SP moves by 4 and the value is in memory', () => {
    const r = exec(' mov r1, 0xcafe\n push r1\n mov r5, sp\n pop r2');
    expect(reg(r, 5)).toBe(KSTACK_TOP - 4);
    expect(peek32(r.bus, KSTACK_TOP - 4)).toBe(0xcafe);
    expect(reg(r, 2)).toBe(0xcafe);
    expect(r.cpu.sp).toBe(KSTACK_TOP);
  });
  it('push imm pushes a 32-bit constant', () => {
    const r = exec(' push 0x12345678\n pop r1');
    expect(hex(reg(r, 1))).toBe('0x12345678');
  });
  it('push {list} stores the lowest register at the lowest address; pop {list} restores them', () => {
    const r = exec(
      ' mov r4, 4\n mov r5, 5\n mov r6, 6\n mov r7, 7\n mov r11, 11\n push {r4-r7, r11}\n mov r9, sp\n mov r4, 0\n mov r11, 0\n pop {r4-r7, r11}',
    );
    expect(reg(r, 9)).toBe(KSTACK_TOP - 20);
    expect([0, 4, 8, 12, 16].map((o) => peek32(r.bus, KSTACK_TOP - 20 + o))).toEqual([4, 5, 6, 7, 11]);
    expect([4, 5, 6, 7, 11].map((n) => reg(r, n))).toEqual([4, 5, 6, 7, 11]);
    expect(r.cpu.sp).toBe(KSTACK_TOP);
  });
  it('push {list} is laid out exactly like pushes from the highest register down', () => {
    const a = exec(' mov r1, 1\n mov r2, 2\n mov r3, 3\n push {r1-r3}');
    const b = exec(' mov r1, 1\n mov r2, 2\n mov r3, 3\n push r3\n push r2\n push r1');
    expect(a.bus.bytes.subarray(0x80000 - 12, 0x80000)).toEqual(b.bus.bytes.subarray(0x80000 - 12, 0x80000));
    expect(a.cpu.sp).toBe(b.cpu.sp);
  });
  it('push sp pushes the old SP; pop sp loads SP from the stack', () => {
    const r = exec(' push sp\n ld r1, [sp]\n push 0xc0070000\n pop sp');
    expect(reg(r, 1)).toBe(KSTACK_TOP);
    expect(r.cpu.sp).toBe(0xc0070000);
  });
  it('call pushes the return address and jumps; ret pops it', () => {
    const r = exec(' call f\n mov r2, 1\n jmp .Lend\nf: ld r1, [sp]\n ret\n.Lend:');
    expect(reg(r, 1)).toBe(TEXT + 4);
    expect(reg(r, 2)).toBe(1);
    expect(r.cpu.sp).toBe(KSTACK_TOP);
  });
  it('call reg calls through a function pointer', () => {
    const r = exec(' mov r3, f\n call r3\n jmp .Lend\nf: mov r1, sp\n ld r2, [sp]\n ret\n.Lend:');
    expect(reg(r, 1)).toBe(KSTACK_TOP - 4);
    expect(reg(r, 2)).toBe(TEXT + 12); // mov r3, f is 8 bytes (a label: 32-bit form), call r3 is at +8
  });
  it('a stack overflow is just a write below the stack: it corrupts what lies there', () => {
    // The "stack" is 8 bytes above a canary; three pushes run over it.
    const r = exec(' mov r1, 0x57ac6e9d\n st [data], r1\n mov sp, data\n add sp, 12\n push 1\n push 2\n push 3\n ld r2, [data]');
    expect(hex(reg(r, 2))).toBe('0x3');
  });
});

describe('work, hlt, cli, sti', () => {
  it('work N consumes N cycles', () => {
    const r = rig(`.section .text ${hex(TEXT)}\nstart: work 1000\n work 1`);
    r.machine.step();
    expect(r.cpu.cycles).toBe(1000);
    r.machine.step();
    expect(r.cpu.cycles).toBe(1001);
  });
  it('work rN consumes rN cycles and leaves rN = 0', () => {
    const r = rig(`.section .text ${hex(TEXT)}\nstart: mov r3, 5000\n work r3\n cli\n hlt`);
    r.machine.step();
    r.machine.step();
    expect(r.cpu.cycles).toBe(5001);
    expect(r.cpu.reg(3)).toBe(0);
  });
  it('cli and sti clear and set IE in PS', () => {
    const r = rig(`.section .text ${hex(TEXT)}\nstart: sti\n mov r1, 1\n cli`);
    r.machine.step();
    expect(r.cpu.ps & PS.IE).toBe(PS.IE);
    r.machine.step();
    r.machine.step();
    expect(r.cpu.ps & PS.IE).toBe(0);
  });
  it('hlt stops the CPU and publishes cpu.halt', () => {
    const r = exec(' mov r1, 1');
    expect(r.cpu.halted).toBe(true);
    expect(r.of('cpu.halt')).toEqual([{ type: 'cpu.halt', cpu: 0, pc: TEXT + 12, interruptsEnabled: false }]);
  });
});

describe('privileged state', () => {
  it('mov cr3, rN loads the page-table base through the bus', () => {
    const r = exec(' mov r1, 0x5000\n mov cr3, r1\n mov r2, cr3');
    expect(r.bus.pageTableBase).toBe(0x5000);
    expect(r.cpu.cr3).toBe(0x5000);
    expect(reg(r, 2)).toBe(0x5000);
  });
  it('invlpg drops one page from the TLB through the bus', () => {
    const r = exec(' mov r1, 0x12345678\n invlpg r1');
    expect(hex(r.bus.lastInvalidatedPage)).toBe('0x12345000');
  });
  it('mov to and from sp0, idtr, irqsp, irqsize, dfsp, cr2; cpuid reads the CPU number', () => {
    const r = exec(
      ' mov r1, 0xc0090000\n mov sp0, r1\n mov r2, sp0\n mov r3, idtr\n mov r4, cpuid\n mov irqsp, r1\n mov r1, 4096\n mov irqsize, r1\n mov dfsp, r1\n mov cr2, r1\n mov r5, cr2\n mov r6, irqsize\n mov r7, irqsp\n mov r8, dfsp',
    );
    expect(r.cpu.sp0).toBe(0xc0090000);
    expect([reg(r, 2), reg(r, 3), reg(r, 4), reg(r, 5), reg(r, 6), reg(r, 7), reg(r, 8)]).toEqual([
      0xc0090000,
      IDT,
      0,
      4096,
      4096,
      0xc0090000,
      4096,
    ]);
  });
  it('ud raises an invalid-opcode exception, as does zeroed memory', () => {
    const r = exec(' mov r1, 1\n ud');
    expect(r.of('cpu.exception')[0]).toMatchObject({ kind: 'invalid-opcode', vector: 6, pc: TEXT + 4 });
  });
  it('an undefined opcode (a shift with a 32-bit immediate does not exist) is an invalid opcode', () => {
    const r = exec(' mov r1, 1\n .word 0x00000135, 4\n mov r2, 2');
    expect(r.of('cpu.exception')[0]).toMatchObject({ kind: 'invalid-opcode', pc: TEXT + 4 });
    expect([reg(r, 1), reg(r, 2)]).toEqual([1, 0]);
  });
  it('a register field above 16 is an invalid opcode', () => {
    const r = exec(' mov r1, 1\n .word 0x00001f10\n mov r2, 2');
    expect(r.of('cpu.exception')[0]).toMatchObject({ kind: 'invalid-opcode', pc: TEXT + 4 });
    expect(reg(r, 2)).toBe(0);
  });
});

describe('ncall', () => {
  it('passes r0-r3, puts the result in r0, and charges the native cycles', () => {
    const seen: number[] = [];
    const r = exec(' mov r0, 1\n mov r1, 2\n mov r2, 3\n mov r3, 4\n ncall add4', {
      natives: {
        add4: (cpu) => {
          seen.push(cpu.reg(0), cpu.reg(1), cpu.reg(2), cpu.reg(3), cpu.pc);
          cpu.charge(100);
          return cpu.reg(0) + cpu.reg(1) + cpu.reg(2) + cpu.reg(3);
        },
      },
    });
    expect(seen).toEqual([1, 2, 3, 4, TEXT + 24]);
    expect(reg(r, 0)).toBe(10);
    // 4 movs, ncall (5) + 100 charged, cli, hlt.
    expect(r.machine.cpus[0]?.instructions).toBe(7);
  });
  it('a native that returns nothing leaves r0 alone and can move PC', () => {
    const r = exec(' mov r0, 7\n ncall skip\n mov r0, 99\n.Lhere:', {
      natives: {
        skip: (cpu) => {
          cpu.pc = cpu.pc + 8;
        },
      },
    });
    expect(reg(r, 0)).toBe(7);
  });
  it('ncall of an unregistered number is an invalid opcode', () => {
    const r = exec(' ncall 77');
    expect(r.of('cpu.exception')[0]).toMatchObject({ kind: 'invalid-opcode', pc: TEXT });
  });
});
