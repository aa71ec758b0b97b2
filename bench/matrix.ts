// bench:matrix — the seed suite on the default kernels, in one run, three ways:
//   --jobs 1 with a fresh boot per scenario, --jobs 1 reusing one guest per kernel, --jobs 2 reusing.
// Prints wall times, boots, whether the verdicts agree, and last `matrix-ratio: <jobs 2 reuse / jobs 1 fresh>`.
// A benchmark, not a test: it prints numbers, it asserts nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunResults } from '../analysis/report/results.ts';
import { runMatrix } from '../harness/run/run-matrix.ts';
import { planRun } from '../harness/run/run-plan.ts';
import { seedScenarios } from '../harness/scenario-loader.ts';
import { defaultCacheDir } from '../vm/cache-dir.ts';
import { DEFAULT_KERNEL_SPECS } from '../vm/kernel-spec.ts';

const kernels = process.argv.slice(2).length > 0 ? process.argv.slice(2) : DEFAULT_KERNEL_SPECS;
const scenarios = seedScenarios();
const work = mkdtempSync(join(tmpdir(), 'ipvsh-bench-matrix-'));

async function measure(label: string, jobs: number, freshBoot: boolean): Promise<{ label: string; wallMs: number; results: RunResults }> {
  const started = performance.now();
  const plan = planRun({ kernel: kernels, out: join(work, label), jobs: String(jobs), freshBoot, cacheDir: defaultCacheDir() });
  const results = await runMatrix(plan, { reporters: [] });
  const wallMs = performance.now() - started;
  const boots = results.kernels.reduce((n, k) => n + k.bootMs.length, 0);
  console.log(`${label.padEnd(18)} ${(wallMs / 1000).toFixed(1).padStart(7)} s wall, ${boots} boot(s), ${results.summary.passed}/${results.summary.total} passed`);
  return { label, wallMs, results };
}

const verdicts = (r: RunResults) => r.cells.map((c) => `${c.kernel} ${c.scenario} ${c.status} ${c.graphs.map((g) => (g.holds ? 1 : 0)).join('')}`);

try {
  console.log(`seed suite (${scenarios.length} scenarios) on ${kernels.join(', ')}:`);
  const fresh = await measure('jobs 1, fresh boots', 1, true);
  const reuse = await measure('jobs 1, reuse', 1, false);
  const parallel = await measure('jobs 2, reuse', 2, false);
  const same = (a: RunResults, b: RunResults) => JSON.stringify(verdicts(a)) === JSON.stringify(verdicts(b));
  console.log(`verdicts identical: fresh vs reuse ${same(fresh.results, reuse.results)}, jobs 1 vs jobs 2 ${same(reuse.results, parallel.results)}`);
  console.log(`reuse / fresh (jobs 1): ${(reuse.wallMs / fresh.wallMs).toFixed(2)}; jobs 2 / jobs 1 (reuse): ${(parallel.wallMs / reuse.wallMs).toFixed(2)}`);
  console.log(`matrix-ratio: ${(parallel.wallMs / fresh.wallMs).toFixed(2)}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
