// bench:suite — the seed suite on the default kernels, measured in one run: traced wall time (one
//   guest per kernel, reset between cells), the same from snapshots (`--snapshot`, with the verdicts
//   compared cell by cell), the suite with tracing off, and the kernels' bare boot times (the median
//   of three, one before each suite).
// Prints seconds per kernel x scenario, the median traced cell of each kernel next to its bare boot,
// `suite-ratio: <traced wall / untraced wall>` and, last, `cell-ratio: <max over kernels of median
// traced cell / bare boot>` (what a scenario costs in boots).
// A benchmark, not a test: it prints numbers, it asserts nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunResults } from '../analysis/report/results.ts';
import { runMatrix } from '../harness/run/run-matrix.ts';
import { cellVerdict } from './cell-verdict.ts';
import { planRun } from '../harness/run/run-plan.ts';
import { runBareBoot } from '../vm/bare-boot.ts';
import { defaultCacheDir } from '../vm/cache-dir.ts';
import { DEFAULT_KERNEL_SPECS } from '../vm/kernel-spec.ts';
import { resolveKernel } from '../vm/resolve-kernel.ts';

const kernels = process.argv.slice(2).length > 0 ? process.argv.slice(2) : DEFAULT_KERNEL_SPECS;
const cacheDir = defaultCacheDir();
const work = mkdtempSync(join(tmpdir(), 'ipvsh-bench-suite-'));

async function suite(tracing: boolean, snapshot = false): Promise<{ wallMs: number; results: RunResults }> {
  const started = performance.now();
  const plan = planRun({ kernel: kernels, out: join(work, `${tracing ? 'traced' : 'untraced'}${snapshot ? '-snapshot' : ''}`), trace: tracing, snapshot, cacheDir, jobs: '1' });
  const results = await runMatrix(plan, { reporters: [] });
  return { wallMs: performance.now() - started, results };
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

try {
  // Three bare boots per kernel, one before each suite: a change in machine load hits the boots and
  // the cells alike, and one boot is too noisy to divide by (seen: 2.0 s and 2.9 s on one quiet machine).
  const bareRuns = new Map<string, number[]>();
  const bareBoots = async (): Promise<void> => {
    for (const spec of kernels) {
      const kernel = await resolveKernel(spec, { cacheDir });
      const bare = await runBareBoot(kernel, { cacheDir });
      bareRuns.set(spec, [...(bareRuns.get(spec) ?? []), bare.durationMs]);
    }
  };
  await bareBoots();
  const traced = await suite(true);
  await bareBoots();
  const snap = await suite(true, true);
  await bareBoots();
  const untraced = await suite(false);
  const bareMs = new Map([...bareRuns].map(([spec, runs]) => [spec, median(runs)]));
  let bareSumMs = 0;
  for (const [spec, runs] of bareRuns) {
    bareSumMs += bareMs.get(spec)!;
    console.log(`bare boot ${spec}: median ${(bareMs.get(spec)! / 1000).toFixed(2)} s (runs ${runs.map((ms) => (ms / 1000).toFixed(2)).join(' ')})`);
  }
  console.log('\nseconds per kernel x scenario (traced with resets / traced from snapshots / untraced):');
  let same = 0;
  for (const cell of traced.results.cells) {
    const other = untraced.results.cells.find((c) => c.kernel === cell.kernel && c.scenario === cell.scenario);
    const r = snap.results.cells.find((c) => c.kernel === cell.kernel && c.scenario === cell.scenario);
    const agree = r !== undefined && cellVerdict(r) === cellVerdict(cell);
    if (agree) same++;
    console.log(`  ${cell.kernel.padEnd(12)} ${cell.scenario.padEnd(22)} ${(cell.durationMs / 1000).toFixed(1).padStart(6)} / ${((r?.durationMs ?? 0) / 1000).toFixed(1).padStart(6)} / ${((other?.durationMs ?? 0) / 1000).toFixed(1).padStart(6)}  ${cell.status}${agree ? '' : ` (from snapshots: ${r?.status ?? 'missing'}, verdict differs)`}${other && other.status !== 'passed' ? ` (untraced: ${other.status})` : ''}`);
  }
  for (const k of snap.results.kernels) if (k.snapshot) console.log(`snapshot ${k.spec}: saved in ${(k.snapshot.saveMs / 1000).toFixed(2)} s, ${Math.round(k.snapshot.sizeBytes / 1e6)} MB, ${k.snapshot.restoreMs.length} restores (median ${(median(k.snapshot.restoreMs) / 1000).toFixed(2)} s)${k.snapshot.fallback ? `; ${k.snapshot.fallback}` : ''}`);
  console.log(`verdicts identical with and without snapshots: ${same}/${traced.results.cells.length} cells`);
  console.log(`traced suite from snapshots: ${(snap.wallMs / 1000).toFixed(1)} s wall (${snap.results.summary.passed}/${snap.results.summary.total} passed)`);
  const s = traced.results.summary;
  console.log(`\ntraced suite:   ${(traced.wallMs / 1000).toFixed(1)} s wall (${s.passed}/${s.total} passed)`);
  console.log(`untraced suite: ${(untraced.wallMs / 1000).toFixed(1)} s wall (${untraced.results.summary.passed}/${untraced.results.summary.total} passed)`);
  console.log(`bare boots:     ${(bareSumMs / 1000).toFixed(1)} s (sum of the medians over ${kernels.length} kernels)`);
  console.log(`suite-ratio: ${(traced.wallMs / untraced.wallMs).toFixed(2)}`);
  console.log('\nmedian traced cell per kernel, against its bare boot:');
  let cellRatio = 0;
  let snapRatio = 0;
  for (const spec of kernels) {
    const snapWalls = snap.results.cells.filter((c) => c.kernel === spec).map((c) => c.durationMs);
    if (snapWalls.length > 0) snapRatio = Math.max(snapRatio, median(snapWalls) / bareMs.get(spec)!);
    const walls = traced.results.cells.filter((c) => c.kernel === spec).map((c) => c.durationMs).sort((x, y) => x - y);
    if (walls.length === 0) continue;
    const mid = walls.length % 2 === 1 ? walls[(walls.length - 1) / 2]! : (walls[walls.length / 2 - 1]! + walls[walls.length / 2]!) / 2;
    const bare = bareMs.get(spec)!;
    const ratio = mid / bare;
    cellRatio = Math.max(cellRatio, ratio);
    console.log(`  ${spec.padEnd(16)} median cell ${(mid / 1000).toFixed(2)} s, bare boot ${(bare / 1000).toFixed(2)} s, ratio ${ratio.toFixed(2)}`);
  }
  console.log(`cell-ratio from snapshots (--snapshot): ${snapRatio.toFixed(2)}`);
  console.log(`cell-ratio: ${cellRatio.toFixed(2)}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
