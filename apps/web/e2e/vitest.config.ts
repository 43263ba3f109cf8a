import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// The browser suite: `pnpm test:e2e` (it builds the app first). Not in the root `pnpm test` glob.
export default defineConfig({
  root: new URL('..', import.meta.url).pathname,
  ssr: { resolve: { conditions: ['@ossim/source', ...defaultServerConditions] } },
  test: {
    name: '@ossim/web e2e',
    include: ['e2e/**/*.e2e.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
