/**
 * For the packages' README tests: a README's example is code users copy, so the tests
 * run it as it is, with the package's own imports pointed at its sources.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { vi } from 'vitest';

let examples = 0;

/**
 * Runs the first ```ts block of `<packageDir>/README.md` (the first after the line
 * `after`, when given) and returns its code and the arguments of every `console.log` it made.
 * `@ossim/<package>` and `@ossim/<package>/node` imports go to the package's `src/`.
 */
export async function runReadmeExample(packageDir: string, options: { after?: string } = {}): Promise<{ code: string; logs: unknown[][] }> {
  const name = (JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { name: string }).name;
  const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
  const from = options.after === undefined ? 0 : readme.indexOf(`${options.after}\n`);
  if (from < 0) throw new Error(`${name}'s README has no line ${JSON.stringify(options.after)}`);
  const code = /```ts\n([\s\S]*?)```/.exec(readme.slice(from))?.[1];
  if (code === undefined) throw new Error(`${name}'s README has no ts example`);
  // Beside the tests, so that the package's dependencies resolve as they do for them.
  // A new name for each example: a second import of the same path would return the first module.
  const file = join(packageDir, 'test', `.readme-example-${process.pid}-${++examples}.ts`);
  writeFileSync(file, code.replaceAll(`'${name}/node'`, "'../src/node.ts'").replaceAll(`'${name}'`, "'../src/index.ts'"));
  const logs: unknown[][] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    logs.push(args);
  });
  try {
    await import(file);
  } finally {
    spy.mockRestore();
    rmSync(file, { force: true });
  }
  return { code, logs };
}
