// The kernel x scenario matrix: runs every kernel's scenarios, gathers the cells in matrix order and
// writes results.json (atomically) plus whatever the result writers add (report, JUnit).
import { hostname } from 'node:os';
import { RESULTS_VERSION, type CellResult, type CellStatus, type KernelRun, type RunResults } from '../../analysis/report/results.ts';
import type { LoadedScenario } from '../scenario-loader.ts';
import type { VmEvent } from '../../vm/events.ts';
import { judgeTrace } from './judge-trace.ts';
import { multiplex, type Reporter } from './reporter.ts';
import { writeAtomic } from './results-folder.ts';
import { runKernel } from './run-kernel.ts';
import { join } from 'node:path';
import { TOOL_VERSION } from '../version.ts';

export interface MatrixOptions {
  kernels: string[];
  scenarios: LoadedScenario[];
  out: string;
  cacheDir?: string;
  tracing?: boolean;
  freshBoot?: boolean;
  signal?: AbortSignal;
  reporters: Reporter[];
  onVmEvent?: (e: VmEvent) => void;
  /** Extra files written next to results.json (HTML report, JUnit), from the final results. */
  writers?: ((results: RunResults, out: string) => void)[];
}

export async function runMatrix(opts: MatrixOptions): Promise<RunResults> {
  const reporter = multiplex(opts.reporters);
  const startedAt = new Date();
  reporter.onRunStart({ kernels: opts.kernels, scenarios: opts.scenarios.map((s) => s.scenario.name), out: opts.out });
  const kernels: KernelRun[] = [];
  const cells: CellResult[] = [];
  for (const spec of opts.kernels) {
    const r = await runKernel({
      spec, scenarios: opts.scenarios, out: opts.out, tracing: opts.tracing ?? true, judge: judgeTrace, reporter,
      ...(opts.cacheDir ? { cacheDir: opts.cacheDir } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.freshBoot ? { freshBoot: true } : {}),
      ...(opts.onVmEvent ? { onVmEvent: opts.onVmEvent } : {}),
    });
    kernels.push(r.kernel);
    cells.push(...r.cells);
  }
  const finishedAt = new Date();
  const results: RunResults = {
    version: RESULTS_VERSION,
    tool: { name: 'ipvs-harness', version: TOOL_VERSION },
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - startedAt.getTime(),
    host: { hostname: hostname(), accel: kernels.find((k) => k.accel)?.accel ?? 'unknown', jobs: 1 },
    kernels,
    scenarios: opts.scenarios.map(({ scenario: s, file }) => ({ name: s.name, summary: s.summary, tags: s.tags, file, ...(s.description ? { description: s.description } : {}) })),
    cells,
    summary: summarize(cells),
  };
  writeAtomic(join(opts.out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  for (const write of opts.writers ?? []) write(results, opts.out);
  reporter.onRunEnd(results, opts.out);
  return results;
}

export function summarize(cells: readonly CellResult[]): Record<CellStatus, number> & { total: number } {
  const s = { passed: 0, failed: 0, error: 0, skipped: 0, total: cells.length };
  for (const c of cells) s[c.status]++;
  return s;
}

/** 0 only when every cell passed; 1 when something failed; 3 when only errors (no failure) spoiled it. */
export function exitCodeOf(results: RunResults): number {
  const s = results.summary;
  if (s.total > 0 && s.passed === s.total) return 0;
  if (s.failed > 0) return 1;
  return 3;
}
