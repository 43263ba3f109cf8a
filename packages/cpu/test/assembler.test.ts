import { describe, expect, it } from 'vitest';
import { assemble, CpuError, createSymbolTable } from '../src/index.ts';

const err = (source: string): CpuError => {
  try {
    assemble(source, { source: 'bad.s' });
  } catch (e) {
    if (e instanceof CpuError) return e;
    throw e;
  }
  throw new Error('assembled without error');
};

describe('sections, labels, data', () => {
  it('places sections at their addresses and resolves labels and constants', () => {
    const image = assemble(`
      .equ SIZE, 4 * 2
      .section .text 0xc0100000
      start: jmp end
      end:   hlt
      .section .data 0xc0200000
      table: .word start, end, SIZE, -1
      bytes: .byte 1, 0xff, 'A'
      .align 4
      msg:   .asciz "hi\\n"
      .space 3, 0x55
      .section .text          ; continues .text
      more:  nop
    `);
    expect(image.sections.map((s) => [s.name, s.address.toString(16), s.bytes.length])).toEqual([
      ['.text', 'c0100000', 12],
      ['.data', 'c0200000', 27],
    ]);
    expect(image.address('more')).toBe(0xc0100008);
    expect(image.constants.get('SIZE')).toBe(8);
    const data = image.sections[1]?.bytes as Uint8Array;
    const view = new DataView(data.buffer, data.byteOffset);
    expect([view.getUint32(0, true), view.getUint32(4, true), view.getUint32(8, true), view.getUint32(12, true)]).toEqual([
      0xc0100000, 0xc0100004, 8, 0xffffffff,
    ]);
    expect(Array.from(data.subarray(16, 27))).toEqual([1, 0xff, 65, 0, 104, 105, 10, 0, 0x55, 0x55, 0x55]);
  });

  it('chooses the one-word form for small constants and the two-word form otherwise', () => {
    const image = assemble(
      '.section .text 0x1000\n.equ BIG, 0x40000\n mov r1, 5\n mov r1, BIG\n mov r1, here\nhere: add r2, -262144\n add r2, -262145',
    );
    expect(image.address('here')).toBe(0x1000 + 4 + 8 + 8);
    expect(image.sections[0]?.bytes.length).toBe(4 + 8 + 8 + 4 + 8);
  });

  it('defines and natives are visible to the program', () => {
    const image = assemble('.section .text 0x1000\n mov r1, OUTSIDE\n ncall schedule', {
      defines: { OUTSIDE: 0x12345678 },
      natives: { schedule: 7 },
    });
    const b = image.sections[0]?.bytes as Uint8Array;
    expect(new DataView(b.buffer).getUint32(4, true)).toBe(0x12345678);
    expect(new DataView(b.buffer).getUint32(12, true)).toBe(7);
  });
});

describe('symbol table', () => {
  const image = assemble(`
    .section .text 0xc0100000
    .func do_wait
      nop
    do_wait_inner:
      nop
    .Llocal:
      work 10
      ret
    .endfunc
    .align 16
    helper:
      nop
      ret
    last:
      hlt
  `);
  it('sizes come from .func/.endfunc, or the distance to the next symbol', () => {
    expect(image.symbols.symbols.map((s) => [s.name, s.address.toString(16), s.size])).toEqual([
      ['do_wait', 'c0100000', 20],
      ['do_wait_inner', 'c0100004', 16],
      ['helper', 'c0100020', 8],
      ['last', 'c0100028', 4],
    ]);
    expect(image.symbols.get('.Llocal')).toBeUndefined();
  });
  it('symbolize prints symbol+0xoff/0xsize like %pB, looking up address-1', () => {
    const t = image.symbols;
    expect(t.symbolize(0xc0100008)).toBe('do_wait_inner+0x4/0x10');
    // A return address just past the end of do_wait (a call as its last instruction):
    // %pB attributes it to the innermost symbol covering the call.
    expect(t.symbolize(0xc0100014)).toBe('do_wait_inner+0x10/0x10');
    expect(t.symbolize(0xc0100014, 'exact')).toBe('0xc0100014');
    expect(t.symbolize(0xc0100020, 'exact')).toBe('helper+0x0/0x8');
    expect(t.symbolize(0xc0100024)).toBe('helper+0x4/0x8');
    expect(t.symbolize(0x1234)).toBe('0x00001234');
  });
  it('matches the Linux sample format', () => {
    const t = createSymbolTable([
      { name: 'do_wait', address: 0xc1000000, size: 0x120 },
      { name: 'kernel_wait4', address: 0xc1000120, size: 0x90 },
    ]);
    expect(t.symbolize(0xc1000053)).toBe('do_wait+0x53/0x120');
    expect(t.symbolize(0xc1000120 + 0x6b)).toBe('kernel_wait4+0x6b/0x90');
    expect(t.lookup(0xc1000120)?.symbol.name).toBe('kernel_wait4');
  });
});

describe('errors name the line and column', () => {
  const cases: [string, string, number, number, string][] = [
    ['unknown-mnemonic', '.section .text 0x1000\n  nop\n  psuh r0', 3, 3, 'unknown mnemonic "psuh"'],
    ['bad-operand', '.section .text 0x1000\n  push [r1]', 2, 8, 'bad operands for "push"'],
    ['bad-operand', '.section .text 0x1000\n  mov r1, r2, r3', 2, 7, 'bad operands for "mov"'],
    ['undefined-symbol', '.section .text 0x1000\n  jmp nowhere', 2, 7, 'undefined symbol "nowhere"'],
    ['undefined-symbol', '.section .text 0x1000\n  ld r1, [r2+OFF]', 2, 14, 'undefined symbol "OFF"'],
    ['duplicate-symbol', '.section .text 0x1000\na: nop\n  a: nop', 3, 3, '"a" is already defined'],
    ['duplicate-symbol', '.equ X, 1\n.equ X, 2', 2, 6, '"X" is already defined'],
    ['immediate-out-of-range', '.section .text 0x1000\n  ld r1, [r2+8192]', 2, 14, 'offset 8192 out of range -8192..8191'],
    ['immediate-out-of-range', '.section .text 0x1000\n  shl r1, 32', 2, 11, 'shift count 32 out of range 0..31'],
    ['immediate-out-of-range', '.section .text 0x1000\n  mov r1, 0x100000000', 2, 11, 'immediate 4294967296 out of range'],
    ['immediate-out-of-range', '.section .data 0x1000\n  .byte 256', 2, 9, '.byte value 256 out of range'],
    ['immediate-out-of-range', '.section .text 0x1000\n  work 0', 2, 8, 'work cycles 0 out of range'],
    ['immediate-out-of-range', '.section .text 0x1000\n  jmp far\n.section .far 0x9000000\nfar: nop', 2, 7, 'more than 32 MiB away'],
    ['reserved-name', '.section .text 0x1000\nsp: nop', 2, 1, '"sp" is a register name'],
    ['bad-section', '  nop', 1, 3, 'no section yet'],
    ['bad-section', '.section .text', 1, 10, 'needs an address the first time'],
    ['section-overlap', '.section .a 0x1000\n .space 16\n.section .b 0x1008\n nop', 3, 1, 'section .b overlaps section .a'],
    ['unaligned-instruction', '.section .text 0x1000\n .byte 1\n nop', 3, 2, 'unaligned address 0x1001'],
    ['bad-directive', '.section .text 0x1000\n  .func f\n  nop', 2, 3, '.func f has no .endfunc'],
    ['bad-directive', '.section .text 0x1000\n  .wrod 1', 2, 3, 'unknown directive ".wrod"'],
    ['bad-expression', '.section .text 0x1000\n  mov r1, (1 + 2', 2, 17, '")" expected'],
    ['bad-operand', '.section .text 0x1000\n  push {r4-sp}', 2, 12, 'a register list holds r0-r15'],
    ['bad-operand', '.section .text 0x1000\n  mov cpuid, r1', 2, 7, 'cpuid is read-only'],
  ];
  for (const [code, source, line, column, message] of cases) {
    it(`${code}: ${message}`, () => {
      const e = err(source);
      expect({ code: e.code, line: e.line, column: e.column, source: e.source }).toEqual({ code, line, column, source: 'bad.s' });
      expect(e.message).toContain(`bad.s:${line}:${column}: `);
      expect(e.message).toContain(message);
    });
  }
});
