import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it, vi } from 'vitest';

// The README's example is code users copy: run it exactly, with the package import
// pointed at the sources, and check it prints what its comments say.
const example = join(import.meta.dirname, '.readme-example.ts');
afterAll(() => rmSync(example, { force: true }));

it('the README example runs and prints what its comments say', async () => {
  const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
  const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  if (code === undefined) throw new Error('no ts example in the README');
  writeFileSync(example, code.replaceAll("from '@ossim/trace'", "from '../src/index.ts'"));
  const printed: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    printed.push(...args.join(' ').split('\n'));
  });
  try {
    await import(example);
  } finally {
    spy.mockRestore();
  }
  // The comment lines right after each console.log are what it prints.
  const promised: string[] = [];
  let afterLog = false;
  for (const line of code.split('\n')) {
    if (line.startsWith('console.log(')) afterLog = true;
    else if (afterLog && line.startsWith('// ')) promised.push(line.slice(3));
    else afterLog = false;
  }
  expect(promised).toHaveLength(9);
  expect(printed).toEqual(promised);
});
