import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it, vi } from 'vitest';

// The README's example is code users copy: run it exactly, with the package import pointed at the sources.
const example = join(import.meta.dirname, '.readme-example.ts');
afterAll(() => rmSync(example, { force: true }));

it('the README example runs and prints what it says', async () => {
  const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
  const code = /## Example\n\n```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(code).toBeDefined();
  writeFileSync(example, (code as string).replaceAll("from '@ossim/kernel'", "from '../src/index.ts'"));
  const lines: unknown[][] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    lines.push(args);
  });
  try {
    await import(example);
  } finally {
    spy.mockRestore();
  }
  expect(lines).toEqual([
    [{ outcome: 'ok', cause: null, simulatedNs: 1003914, finished: true }],
    ['hello from a thread\nhello from a thread\n'],
    ['tid 4 enters nanosleep() with SP 0xc01fdf90'],
    ['11 context switches, 1811 instructions'],
    [0, 0, 'swapper/0', 'R', '0xc0080000-0xc0082000'],
    [1, 1, 'init', 'R', '0xc01f8000-0xc01fa000'],
    [2, 2, 'kthreadd', 'S', '0xc01fa000-0xc01fc000'],
    [3, 3, 'hello', 'Z', '0xc01fe000-0xc0200000'],
  ]);
  // The comments in the README say the same.
  for (const [text] of [
    ['simulatedNs: 1003914'],
    ['tid 4 enters nanosleep() with SP 0xc01fdf90'],
    ['11 context switches, 1811 instructions'],
    ['3 3 hello Z 0xc01fe000-0xc0200000'],
  ])
    expect(code).toContain(text);
});
