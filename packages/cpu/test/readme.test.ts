import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { OPCODES } from '../src/internal/opcodes.ts';

const readme = readFileSync(resolve(import.meta.dirname, '../README.md'), 'utf8');

describe('README', () => {
  it('the example runs and prints what it says', async () => {
    const example = /```ts\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const src = pathToFileURL(resolve(import.meta.dirname, '../src/index.ts')).href;
    const file = join(mkdtempSync(join(tmpdir(), 'ossim-cpu-readme-')), 'example.ts');
    writeFileSync(file, example.replace("from '@ossim/cpu'", `from '${src}'`));
    const lines: unknown[][] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      lines.push(args);
    });
    try {
      await import(pathToFileURL(file).href);
    } finally {
      spy.mockRestore();
    }
    expect(lines[0]?.[0]).toBe('halted at 174 ns after main+0x24/0x24');
    expect((lines[1]?.[0] as { r: number[] } | undefined)?.r[3]).toBe(285);
  });

  it('the instruction table lists every mnemonic', () => {
    const table = readme.slice(readme.indexOf('## Instruction set'), readme.indexOf('Directives:'));
    const missing = [...new Set(OPCODES.map((o) => o.mnemonic))].filter((m) => !table.includes(`\`${m}\``));
    expect(missing).toEqual([]);
  });
});
