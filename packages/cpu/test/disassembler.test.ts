import { describe, expect, it } from 'vitest';
import { assemble, disassemble } from '../src/index.ts';
import { OPCODES } from '../src/internal/opcodes.ts';

/** One line per instruction form (every entry of the opcode table). */
const LISTING = [
  'ud',
  'nop',
  'hlt',
  'cli',
  'sti',
  'ret',
  'iret',
  'syscall',
  'work 5000',
  'work r3',
  'ncall 42',
  'invlpg r1',
  'mov r1, r2',
  'mov sp, r15',
  'mov r1, -7',
  'mov r1, 0x12345678',
  'mov r1, cr2',
  'mov r2, cr3',
  'mov r3, sp0',
  'mov r4, idtr',
  'mov r5, cpuid',
  'mov r6, irqsp',
  'mov r7, irqsize',
  'mov r8, dfsp',
  'mov cr2, r1',
  'mov cr3, r1',
  'mov sp0, r1',
  'mov idtr, r1',
  'mov irqsp, r1',
  'mov irqsize, r1',
  'mov dfsp, r1',
  ...['add', 'sub', 'and', 'or', 'xor', 'shl', 'shr', 'sar', 'cmp', 'test', 'mul', 'div', 'rem'].flatMap((m) => [
    `${m} r1, r2`,
    `${m} sp, 3`,
    ...(['shl', 'shr', 'sar'].includes(m) ? [] : [`${m} r3, 0x40000000`]),
  ]),
  'ld r1, [r2+8]',
  'ld r1, [sp-4]',
  'ldb r1, [r2]',
  'st [sp-4], r0',
  'stb [r3+8191], r4',
  'ld r1, [0xc0100000]',
  'ldb r1, [0x10]',
  'st [0xc0100000], r1',
  'stb [0x20], r2',
  'push r1',
  'push sp',
  'pop r2',
  'push 0x12345678',
  'push {r4-r7, r11}',
  'pop {r0, r2, r4-r15}',
  'call 0x1000',
  'call r5',
  'jmp r6',
  ...['jmp', 'jz', 'jnz', 'jl', 'jge', 'jg', 'jle', 'jb', 'jae', 'ja', 'jbe', 'js', 'jns', 'jo', 'jno'].map((j) => `${j} 0x1000`),
];

const words = (bytes: Uint8Array): number[] =>
  Array.from({ length: bytes.length / 4 }, (_, i) => new DataView(bytes.buffer, bytes.byteOffset).getUint32(4 * i, true));

describe('disassembler', () => {
  it('the listing covers every opcode', () => {
    const image = assemble(`.section .text 0x1000\n${LISTING.join('\n')}`);
    const w = words(image.sections[0]?.bytes as Uint8Array);
    const seen = new Set<number>();
    for (let i = 0; i < w.length; ) {
      const op = (w[i] as number) & 0xff;
      seen.add(op);
      i += OPCODES.find((o) => o.op === op)?.size === 8 ? 2 : 1;
    }
    expect(OPCODES.filter((o) => !seen.has(o.op)).map((o) => `${o.mnemonic} (${o.shape})`)).toEqual([]);
  });

  it('disassembles every form back to its source text, and that text assembles to the same bytes', () => {
    const image = assemble(`.section .text 0x1000\n${LISTING.join('\n')}`);
    const w = words(image.sections[0]?.bytes as Uint8Array);
    const texts: string[] = [];
    for (let i = 0; i < w.length; ) {
      const d = disassemble(w[i] as number, { ext: w[i + 1] ?? 0, pc: 0x1000 + 4 * i });
      texts.push(d.text);
      i += d.size / 4;
    }
    expect(texts).toEqual(LISTING);
    const again = assemble(`.section .text 0x1000\n${texts.join('\n')}`);
    expect(again.sections[0]?.bytes).toEqual(image.sections[0]?.bytes);
  });

  it('names branch targets with symbols', () => {
    const image = assemble('.section .text 0x1000\nf: nop\n nop\n jnz f+4');
    const w = words(image.sections[0]?.bytes as Uint8Array);
    expect(disassemble(w[2] as number, { pc: 0x1008, symbols: image.symbols }).text).toBe('jnz 0x1004 <f+0x4>');
  });

  it('prints (bad) for undefined opcodes and bad register fields', () => {
    expect(disassemble(0x000000ff)).toEqual({ text: '(bad)', size: 4 });
    expect(disassemble(0x00001f10).text).toBe('(bad)');
    expect(disassemble(0x00000053).text).toBe('(bad)'); // push {} with an empty list
    expect(disassemble(0x00000135).text).toBe('(bad)'); // shl has no 32-bit immediate form
  });
});
