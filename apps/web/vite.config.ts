import { defaultClientConditions, defineConfig } from 'vite';

// @ossim/* resolve to their sources (the `@ossim/source` export condition): no prior build needed.
export default defineConfig({
  base: './',
  resolve: { conditions: ['@ossim/source', ...defaultClientConditions] },
  worker: { format: 'es' },
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: true, reportCompressedSize: false },
  server: { port: 5173 },
});
