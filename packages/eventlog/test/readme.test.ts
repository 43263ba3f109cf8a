import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it, vi } from 'vitest';

// The README's example is code users copy: run it exactly, with the package
// imports pointed at the sources.
const example = join(import.meta.dirname, '.readme-example.ts');
afterAll(() => rmSync(example, { force: true }));

it('the README example runs and prints what it says', async () => {
  const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
  const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(code).toBeDefined();
  writeFileSync(
    example,
    (code as string)
      .replaceAll("'@ossim/eventlog/node'", "'../src/node.ts'")
      .replaceAll("from '@ossim/eventlog'", "from '../src/index.ts'")
      .replace("declare module '@ossim/eventlog'", "declare module '../src/index.ts'"),
  );
  const lines: unknown[][] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    lines.push(args);
  });
  try {
    await import(example);
  } finally {
    spy.mockRestore();
  }
  expect(lines[0]?.[0]).toEqual({ n: 3 });
  expect(lines[0]?.[1]).toMatch(/^[0-9a-f]{64}$/);
  expect(lines[1]).toEqual(['same events']);
});
