import { join } from 'node:path';
import { expect, it } from 'vitest';
import { runReadmeExample } from '../../../scripts/readmeExample.ts';

it('the README example runs and prints what its comments say', async () => {
  const { code, logs } = await runReadmeExample(join(import.meta.dirname, '..'));
  const printed = logs.flatMap((args) => args.join(' ').split('\n'));
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
