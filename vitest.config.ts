import { defineConfig } from 'vitest/config';

// Two projects: `unit` (pure, fast, no VM) and `e2e` (boots real kernels in QEMU).
// `npm test` runs both; `npm run test:unit` only the first.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{analysis,harness,scenarios,vm,test}/**/*.test.ts'],
          exclude: ['**/*.e2e.test.ts', 'node_modules/**'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['**/*.e2e.test.ts'],
          exclude: ['node_modules/**'],
          testTimeout: 600_000,
          hookTimeout: 600_000,
          // QEMU runs single-threaded TCG; one e2e file at a time keeps boot timings sane on 2 cores.
          fileParallelism: false,
        },
      },
    ],
  },
});
