import { join } from 'node:path';
import { expect, it } from 'vitest';
import { runReadmeExample } from '../../../scripts/readmeExample.ts';

it('the README example runs and prints what it says', async () => {
  const { code, logs: lines } = await runReadmeExample(join(import.meta.dirname, '..'), { after: '## Example' });
  expect(lines).toEqual([
    [{ outcome: 'ok', cause: null, simulatedNs: 1003922, finished: true }],
    ['hello from a thread\nhello from a thread\n'],
    ['tid 4 enters nanosleep() with SP 0xc01fdf90'],
    ['11 context switches, 1819 instructions'],
    [0, 0, 'swapper/0', 'R', '0xc0080000-0xc0082000'],
    [1, 1, 'init', 'R', '0xc01f8000-0xc01fa000'],
    [2, 2, 'kthreadd', 'S', '0xc01fa000-0xc01fc000'],
    [3, 3, 'hello', 'Z', '0xc01fe000-0xc0200000'],
  ]);
  // The comments in the README say the same.
  for (const [text] of [
    ['simulatedNs: 1003922'],
    ['tid 4 enters nanosleep() with SP 0xc01fdf90'],
    ['11 context switches, 1819 instructions'],
    ['3 3 hello Z 0xc01fe000-0xc0200000'],
  ])
    expect(code).toContain(text);
});

it('the README checkpoint example runs and prints what it says', async () => {
  const { code, logs } = await runReadmeExample(join(import.meta.dirname, '..'), { after: '## Checkpoints' });
  expect(logs).toEqual([[80, true, true, 'done\n']]);
  expect(code).toContain('// 80 true true "done\\n"');
});
