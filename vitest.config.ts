import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// One Vitest project per workspace package, each running against its sources:
// the `@ossim/source` export condition resolves `@ossim/*` imports to `src/`.
const workspaceDirs = ['packages', 'apps'].flatMap((group) =>
  existsSync(group)
    ? readdirSync(group)
        .map((name) => join(group, name))
        .filter((dir) => existsSync(join(dir, 'package.json')))
    : [],
);

export default defineConfig({
  resolve: { conditions: ['@ossim/source', ...defaultClientConditions] },
  ssr: { resolve: { conditions: ['@ossim/source', ...defaultServerConditions] } },
  test: {
    projects: workspaceDirs.map((dir) => ({
      extends: true,
      test: {
        name: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name as string,
        root: dir,
        include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      },
    })),
  },
});
