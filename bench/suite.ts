// bench:suite — the seed suite on the three default kernels, measured in one run:
//   traced wall time, the same suite with tracing off, and the sum of the kernels' bare boot times.
// Prints seconds per kernel x scenario, the median traced cell of each kernel next to its bare boot,
// `suite-ratio: <traced wall / untraced wall>` and, last, `cell-ratio: <max over kernels of median
// traced cell / bare boot>` (what a scenario costs in boots).
// A benchmark, not a test: it prints numbers, it asserts nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunResults } from '../analysis/report/results.ts';
import { runMatrix } from '../harness/run/run-matrix.ts';
import { planRun } from '../harness/run/run-plan.ts';
import { runBareBoot } from '../vm/bare-boot.ts';
import { defaultCacheDir } from '../vm/cache-dir.ts';
import { DEFAULT_KERNEL_SPECS } from '../vm/kernel-spec.ts';
import { resolveKernel } from '../vm/resolve-kernel.ts';

const kernels = process.argv.slice(2).length > 0 ? process.argv.slice(2) : DEFAULT_KERNEL_SPECS;
const cacheDir = defaultCacheDir();
const work = mkdtempSync(join(tmpdir(), 'ipvsh-bench-suite-'));

async function suite(tracing: boolean): Promise<{ wallMs: number; results: RunResults }> {
  const started = performance.now();
  const plan = planRun({ kernel: kernels, out: join(work, tracing ? 'traced' : 'untraced'), trace: tracing, cacheDir, jobs: '1' });
  const results = await runMatrix(plan, { reporters: [] });
  return { wallMs: performance.now() - started, results };
}

try {
  let bareSumMs = 0;
  const bareMs = new Map<string, number>();
  for (const spec of kernels) {
    const kernel = await resolveKernel(spec, { cacheDir });
    const bare = await runBareBoot(kernel, { cacheDir });
    bareSumMs += bare.durationMs;
    bareMs.set(spec, bare.durationMs);
    console.log(`bare boot ${spec}: ${(bare.durationMs / 1000).toFixed(2)} s`);
  }
  const traced = await suite(true);
  const untraced = await suite(false);
  console.log('\nseconds per kernel x scenario (traced / untraced):');
  for (const cell of traced.results.cells) {
    const other = untraced.results.cells.find((c) => c.kernel === cell.kernel && c.scenario === cell.scenario);
    console.log(`  ${cell.kernel.padEnd(12)} ${cell.scenario.padEnd(22)} ${(cell.durationMs / 1000).toFixed(1).padStart(6)} / ${((other?.durationMs ?? 0) / 1000).toFixed(1).padStart(6)}  ${cell.status}${other && other.status !== 'passed' ? ` (untraced: ${other.status})` : ''}`);
  }
  const s = traced.results.summary;
  console.log(`\ntraced suite:   ${(traced.wallMs / 1000).toFixed(1)} s wall (${s.passed}/${s.total} passed)`);
  console.log(`untraced suite: ${(untraced.wallMs / 1000).toFixed(1)} s wall (${untraced.results.summary.passed}/${untraced.results.summary.total} passed)`);
  console.log(`bare boots:     ${(bareSumMs / 1000).toFixed(1)} s (sum over ${kernels.length} kernels)`);
  console.log(`suite-ratio: ${(traced.wallMs / untraced.wallMs).toFixed(2)}`);
  console.log('\nmedian traced cell per kernel, against its bare boot:');
  let cellRatio = 0;
  for (const spec of kernels) {
    const walls = traced.results.cells.filter((c) => c.kernel === spec).map((c) => c.durationMs).sort((x, y) => x - y);
    if (walls.length === 0) continue;
    const mid = walls.length % 2 === 1 ? walls[(walls.length - 1) / 2]! : (walls[walls.length / 2 - 1]! + walls[walls.length / 2]!) / 2;
    const bare = bareMs.get(spec)!;
    const ratio = mid / bare;
    cellRatio = Math.max(cellRatio, ratio);
    console.log(`  ${spec.padEnd(16)} median cell ${(mid / 1000).toFixed(2)} s, bare boot ${(bare / 1000).toFixed(2)} s, ratio ${ratio.toFixed(2)}`);
  }
  console.log(`cell-ratio: ${cellRatio.toFixed(2)}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
