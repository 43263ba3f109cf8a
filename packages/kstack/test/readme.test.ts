import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { runReadmeExample } from '../../../scripts/readmeExample.ts';
import { rig } from './helpers.ts';

it('the README example runs and prints what it says', async () => {
  const { code, logs } = await runReadmeExample(join(import.meta.dirname, '..'));
  const lines = logs.map((args) => args.join(' '));
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
