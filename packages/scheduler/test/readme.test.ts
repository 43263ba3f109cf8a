import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';

const root = new URL('../', import.meta.url);
const readme = readFileSync(new URL('README.md', root), 'utf8');

/** The fenced block right after `<!-- kind: path -->` in the README. */
function blockAfter(kind: string, path: string): string {
  const marker = `<!-- ${kind}: ${path} -->\n`;
  const at = readme.indexOf(marker);
  if (at < 0) throw new Error(`README has no ${marker.trim()}`);
  const m = /^```\w*\n([\s\S]*?)```\n/.exec(readme.slice(at + marker.length));
  if (m === null) throw new Error(`no code block after ${marker.trim()}`);
  return m[1] as string;
}

// In the README the examples import the package; in the repository, its sources.
const asInRepo = (code: string): string => code.replace("from '@ossim/scheduler'", "from '../../src/index.ts'");

describe('README', () => {
  afterEach(() => vi.restoreAllMocks());

  it.each(['test/examples/quickstart.ts', 'test/examples/lottery.ts'])('shows %s as it is', (path) => {
    expect(asInRepo(blockAfter('example', path))).toBe(readFileSync(new URL(path, root), 'utf8'));
  });

  it('shows what the first example prints', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
    await import('./examples/quickstart.ts');
    expect(`${lines.join('\n')}\n`).toBe(blockAfter('output', 'test/examples/quickstart.ts'));
  });
});

describe('the lottery example', () => {
  it('gives a nice -5 job about 3x the CPU of a nice 0 one, the same way for the same seed', async () => {
    const { simulate } = await import('../src/index.ts');
    const { lottery } = await import('./examples/lottery.ts');
    const { cpuTimeIn } = await import('./helpers.ts');
    const jobs = [
      { id: 'A', arrival: 0, length: 100_000, nice: -5 },
      { id: 'B', arrival: 0, length: 100_000, nice: 0 },
    ];
    const run = () => simulate({ jobs, policy: lottery(42, 10) });
    const [a = 0, b = 0] = cpuTimeIn(run(), 0, 100_000);
    expect(a / b).toBeGreaterThan(2.5);
    expect(a / b).toBeLessThan(3.6);
    expect(run()).toEqual(run());
  });
});
