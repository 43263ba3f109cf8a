import { describe, expect, it } from 'vitest';
import { drawKernelStack, type StackWord, TraceError } from '../src/index.ts';

const TOP = 0xc0a04000;
const BASE = 0xc0a02000;

/** An 8 KiB i386-like stack after a read() system call: the trap frame at the top, one frame, the magic at the bottom. */
function stack(): StackWord[] {
  const words: StackWord[] = [];
  const notes = new Map<number, Omit<StackWord, 'address'>>([
    [TOP - 4, { value: 0x7b, note: 'ss' }],
    [TOP - 8, { value: 0xbffffe80, note: 'sp (user)' }],
    [TOP - 12, { value: 0x246, note: 'flags' }],
    [TOP - 16, { value: 0x73, note: 'cs' }],
    [TOP - 20, { value: 0x08048f20, note: 'ip (user)' }],
    [TOP - 24, { value: 3, note: 'orig_ax (read)' }],
    [TOP - 48, { value: 0xc0100a40, note: 'return address -> ret_from_syscall', section: 'frame: sys_read' }],
    [TOP - 52, { value: 0xc0a03fd8, note: 'saved bp' }],
    [BASE, { value: 0x57ac6e9d, note: 'STACK_END_MAGIC' }],
  ]);
  for (let a = TOP - 4; a >= BASE; a -= 4) words.push({ address: a, value: 0, ...notes.get(a) });
  return words;
}

describe('drawKernelStack', () => {
  it('draws the stack as memory, highest address first, zero runs collapsed, markers and a guard page', () => {
    const text = drawKernelStack({
      title: 'kernel stack of tid 7 (8 KiB)',
      regions: [
        { kind: 'guard', low: BASE - 4096, high: BASE },
        { kind: 'words', label: 'pt_regs (trap frame)', words: stack() },
      ],
      markers: [
        { address: TOP, label: 'sp0' },
        { address: TOP - 52, label: 'SP' },
        { address: BASE - 4, label: 'fault' },
      ],
    });
    expect(text).toBe(`kernel stack of tid 7 (8 KiB)
              +------------+  pt_regs (trap frame)  <- sp0 (0xc0a04000)
  0xc0a03ffc  | 0x0000007b |  ss
  0xc0a03ff8  | 0xbffffe80 |  sp (user)
  0xc0a03ff4  | 0x00000246 |  flags
  0xc0a03ff0  | 0x00000073 |  cs
  0xc0a03fec  | 0x08048f20 |  ip (user)
  0xc0a03fe8  | 0x00000003 |  orig_ax (read)
              :    ....    :  5 zero words (0xc0a03fd4-0xc0a03fe7)
              +------------+  frame: sys_read
  0xc0a03fd0  | 0xc0100a40 |  return address -> ret_from_syscall
  0xc0a03fcc  | 0xc0a03fd8 |  saved bp  <- SP
              :    ....    :  2034 zero words (0xc0a02004-0xc0a03fcb)
  0xc0a02000  | 0x57ac6e9d |  STACK_END_MAGIC
              +------------+
              |////////////|  guard page (0xc0a01000-0xc0a01fff)  <- fault (0xc0a01ffc)
              +------------+
`);
  });

  it('keeps short zero runs and words with markers; shows gaps; 8-byte words; a section on the top word joins the border', () => {
    const text = drawKernelStack({
      wordSize: 8,
      collapseZeros: 3,
      regions: [
        {
          kind: 'words',
          label: 'irq stack',
          words: [
            { address: 0x0000c90000004ff8, value: 0, section: 'frame: do_IRQ' },
            { address: 0x0000c90000004ff0, value: 0 },
          ],
        },
        { kind: 'words', words: [0, 1, 2, 3].map((i) => ({ address: 0x0000c90000001000 + 8 * i, value: 0 })) },
      ],
      markers: [{ address: 0x0000c90000004ff0, label: 'SP' }],
    });
    expect(text.split('\n')).toEqual([
      '                      +--------------------+  irq stack / frame: do_IRQ',
      '  0x0000c90000004ff8  | 0x0000000000000000 |',
      '  0x0000c90000004ff0  | 0x0000000000000000 |  <- SP',
      '                      +--------------------+',
      '                       ~ 0x0000c90000001020-0x0000c90000004fef not shown ~',
      '                      +--------------------+',
      '                      :        ....        :  4 zero words (0x0000c90000001000-0x0000c9000000101f)',
      '                      +--------------------+',
      '',
    ]);
  });

  it('rejects pictures that cannot be drawn', () => {
    const w = (address: number, value = 0): StackWord => ({ address, value });
    const bad = [
      { regions: [{ kind: 'words' as const, words: [w(0x1000), w(0x1008)] }] },
      { regions: [{ kind: 'words' as const, words: [w(0x1001)] }] },
      { regions: [{ kind: 'words' as const, words: [w(0x1000, 2 ** 32)] }] },
      { regions: [{ kind: 'words' as const, words: [] }] },
      {
        regions: [
          { kind: 'words' as const, words: [w(0x1000)] },
          { kind: 'guard' as const, low: 0x1000, high: 0x2000 },
        ],
      },
      { regions: [{ kind: 'guard' as const, low: 0x2000, high: 0x1000 }] },
      { regions: [{ kind: 'words' as const, words: [w(0x1000)] }], markers: [{ address: 0x3000, label: 'SP' }] },
      { regions: [{ kind: 'words' as const, words: [w(0x1000)] }], collapseZeros: 1 },
    ];
    for (const p of bad) expect(() => drawKernelStack(p), JSON.stringify(p)).toThrow(TraceError);
  });
});
