import { defineConfig } from 'vitest/config';

// Three projects: `unit` (pure, fast, no VM) and two e2e ones (boot real kernels in QEMU).
// `npm test` runs them all; `npm run test:unit` only the first; `--project 'e2e*'` the QEMU ones.
//
// The machine this runs on has 2 cores, and QEMU runs single-threaded TCG: a guest keeps a core busy.
// Files that run one guest at a time (E2E_ONE_GUEST) share a pool of two workers with the unit files
// (group 0): two guests at a time at most. Files that run two guests at once (every other e2e file,
// group 1) come after, one at a time, so that no more than two guests ever share the cores. A new
// e2e file lands in the second group unless it is listed here: the safe default.
const E2E_ONE_GUEST = [
  'vm/exec-cli.e2e.test.ts',
  'vm/guest-api.e2e.test.ts',
  'vm/guest-snapshot.e2e.test.ts',
  'vm/bpftrace-bundle.e2e.test.ts',
  'test/regression.e2e.test.ts',
  'test/selftest.e2e.test.ts',
  'test/kube.e2e.test.ts',
  'test/first-run.e2e.test.ts',
  'test/own-ipvs.e2e.test.ts',
  'test/builtin-ipvs.e2e.test.ts',
  'test/security/unprivileged.e2e.test.ts',
];
const E2E_TIMEOUTS = { testTimeout: 600_000, hookTimeout: 600_000 };

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{analysis,harness,scenarios,vm,test}/**/*.test.ts'],
          exclude: ['**/*.e2e.test.ts', 'node_modules/**'],
          testTimeout: 30_000,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'e2e-one-guest',
          include: E2E_ONE_GUEST,
          ...E2E_TIMEOUTS,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['**/*.e2e.test.ts'],
          exclude: ['node_modules/**', ...E2E_ONE_GUEST],
          ...E2E_TIMEOUTS,
          // Two guests each: one file at a time keeps boot timings sane on 2 cores.
          maxWorkers: 1,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
