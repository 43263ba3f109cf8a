import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it, vi } from 'vitest';
import { rig } from './helpers.ts';

// The README's example is code users copy: run it exactly, with the package imports
// pointed at the sources, and check it prints what its comments say.
const example = join(import.meta.dirname, '.readme-example.ts');
afterAll(() => rmSync(example, { force: true }));

it('the README example runs and prints what it says', async () => {
  const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
  const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  if (code === undefined) throw new Error('no ts example in the README');
  writeFileSync(example, code.replaceAll("from '@ossim/kstack'", "from '../src/index.ts'"));
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    lines.push(args.join(' '));
  });
  try {
    await import(example);
  } finally {
    spy.mockRestore();
  }
  expect(lines).toEqual([
    '0xc0002000 0xc0002014 0xc0004000',
    '1 KernelStack:           8 kB',
    '12648430',
    'Kernel panic: corrupted stack end detected inside scheduler',
    'deep (1) used greatest stack depth: 4 bytes left',
    'page fault at 0xd0003ffc guard-page',
  ]);
  // The comments in the example say the same.
  for (const line of [
    '// 0xc0002000 0xc0002014 0xc0004000',
    '// 1 KernelStack:           8 kB',
    '// deep (1) used greatest stack depth: 4 bytes left',
  ]) {
    expect(code).toContain(line);
  }
});

it('the README’s vmap picture is what the allocator does', () => {
  const { kstack } = rig({ strategy: 'vmap', threadSize: 16384, cpus: 1, exceptionStacks: false });
  const s = kstack.alloc({ tid: 1, cpu: 0 });
  expect(s).toMatchObject({
    base: 0xc0904000,
    top: 0xc0908000,
    endOfStack: 0xc0904000,
    threadInfo: null,
    guardBelow: { start: 0xc0903000, end: 0xc0904000 },
    guardAbove: { start: 0xc0908000, end: 0xc0909000 },
  });
  const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
  for (const a of ['0xc0909000', '0xc0908000', '0xc0904004', '0xc0904000', '0xc0903000']) expect(readme).toContain(`${a}  `);
});
