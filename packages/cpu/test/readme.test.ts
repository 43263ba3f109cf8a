import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runReadmeExample } from '../../../scripts/readmeExample.ts';
import { OPCODES } from '../src/internal/opcodes.ts';

const readme = readFileSync(resolve(import.meta.dirname, '../README.md'), 'utf8');

describe('README', () => {
  it('the example runs and prints what it says', async () => {
    const { logs: lines } = await runReadmeExample(resolve(import.meta.dirname, '..'));
    expect(lines[0]?.[0]).toBe('halted at 174 ns after main+0x24/0x24');
    expect((lines[1]?.[0] as { r: number[] } | undefined)?.r[3]).toBe(285);
  });

  it('the instruction table lists every mnemonic', () => {
    const table = readme.slice(readme.indexOf('## Instruction set'), readme.indexOf('Directives:'));
    const missing = [...new Set(OPCODES.map((o) => o.mnemonic))].filter((m) => !table.includes(`\`${m}\``));
    expect(missing).toEqual([]);
  });
});
