import { join } from 'node:path';
import { expect, it } from 'vitest';
import { runReadmeExample } from '../../../scripts/readmeExample.ts';

it('the README example runs and prints what it says', async () => {
  const { logs: lines } = await runReadmeExample(join(import.meta.dirname, '..'));
  expect(lines[0]?.[0]).toEqual({ n: 3 });
  expect(lines[0]?.[1]).toMatch(/^[0-9a-f]{64}$/);
  expect(lines[1]).toEqual(['same events']);
});
