import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// The determinism of every run rests on this rule: simulation code in packages/*/src
// gets time and randomness only from the event log. Prove the Biome config enforces it.
const root = resolve(import.meta.dirname, '../../..');
const probe = join(root, 'packages', `zz-lint-probe-${process.pid}`);
afterAll(() => rmSync(probe, { recursive: true, force: true }));

const lint = (relative: string, code: string): string => {
  const file = join(probe, relative);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, code);
  try {
    execFileSync(join(root, 'node_modules/.bin/biome'), ['lint', '--max-diagnostics=50', file], { cwd: root, stdio: 'pipe' });
    return '';
  } catch (error) {
    return String((error as { stdout?: Buffer }).stdout ?? '') + String((error as { stderr?: Buffer }).stderr ?? '');
  }
};

describe('the determinism lint rule', () => {
  it('bans wall-clock time, real timers and Math.random in packages/*/src', () => {
    const out = lint(
      'src/clocky.ts',
      'export const a = Date.now();\nexport const b = performance.now();\nexport const c = Math.random();\nsetTimeout(() => {}, 1);\nsetInterval(() => {}, 1);\n',
    );
    for (const line of [1, 2, 3, 4, 5]) expect(out).toContain(`clocky.ts:${line}:`);
    expect(out).toMatch(/must be deterministic/);
  });

  it('leaves tests and code outside src alone', () => {
    expect(lint('src/clocky.test.ts', 'export const a = Date.now();\n')).toBe('');
    expect(lint('bench/clocky.ts', 'export const a = performance.now();\n')).toBe('');
  });
});
