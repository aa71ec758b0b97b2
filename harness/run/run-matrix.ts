// The kernel x scenario matrix: runs every kernel's scenarios, gathers the cells in matrix order and
// writes results.json (atomically) plus whatever the result writers add (report, JUnit).
import { hostname } from 'node:os';
import { RESULTS_VERSION, type CellResult, type CellStatus, type KernelRun, type RunResults } from '../../analysis/report/results.ts';
import type { LoadedScenario } from '../scenario-loader.ts';
import type { VmEvent } from '../../vm/events.ts';
import { multiplex, type Reporter } from './reporter.ts';
import { writeAtomic } from './results-folder.ts';
import type { GuestCell } from './guest-cell.ts';
import type { TestFault } from './test-fault.ts';
import { runKernel } from './run-kernel.ts';
import { cellKey, expandMatrix, planWorkUnits, type MatrixCell, type ShardSpec } from './matrix.ts';
import { join } from 'node:path';
import { TOOL_VERSION } from '../version.ts';

export interface MatrixOptions {
  kernels: string[];
  scenarios: LoadedScenario[];
  /** Cells that are not scenarios (the kernel's own selftest), after the scenarios in the matrix. */
  guestCells?: GuestCell[];
  out: string;
  cacheDir?: string;
  modulesDir?: string;
  configPath?: string;
  tracing?: boolean;
  /** Count hook calls with bpftrace too (boots the bpftrace image). */
  bpftrace?: boolean;
  freshBoot?: boolean;
  signal?: AbortSignal;
  reporters: Reporter[];
  onVmEvent?: (e: VmEvent) => void;
  /** Guests booted at once (default 1). */
  jobs?: number;
  /** The cells to run (a shard), in matrix order; default: every kernel x scenario. */
  cells?: MatrixCell[];
  shard?: ShardSpec;
  /** Steps after the cells are judged that may change the results (baselines), before the writers run. */
  postProcess?: ((results: RunResults, out: string) => void)[];
  /** Extra files written next to results.json (HTML report, JUnit), from the final results. */
  writers?: ((results: RunResults, out: string) => void)[];
  /** Fault tests only (IPVS_HARNESS_TEST_FAULT, harness/run/test-fault.ts). */
  testFault?: TestFault;
}

export async function runMatrix(opts: MatrixOptions): Promise<RunResults> {
  const reporter = multiplex(opts.reporters);
  const startedAt = new Date();
  const guestCells = opts.guestCells ?? [];
  const names = [...opts.scenarios.map((s) => s.scenario.name), ...guestCells.map((c) => c.name)];
  reporter.onRunStart({ kernels: opts.kernels, scenarios: names, out: opts.out });
  const cellsPlanned = opts.cells ?? expandMatrix(opts.kernels, names);
  const jobs = Math.max(1, opts.jobs ?? 1);
  const units = planWorkUnits(cellsPlanned, jobs);
  const byName = new Map(opts.scenarios.map((l) => [l.scenario.name, l]));
  const done: { unit: number; kernel: KernelRun; cells: CellResult[] }[] = [];
  let next = 0;
  // A pool of `jobs` workers, each taking the next unit (one guest per unit).
  const worker = async () => {
    while (next < units.length) {
      const index = next++;
      const unit = units[index]!;
      const sameKernelBefore = units.slice(0, index).filter((u) => u.kernel === unit.kernel).length;
      const r = await runKernel({
        spec: unit.kernel, out: opts.out,
        scenarios: unit.scenarios.filter((n) => byName.has(n)).map((n) => byName.get(n)!),
        guestCells: guestCells.filter((c) => unit.scenarios.includes(c.name)), tracing: opts.tracing ?? true, reporter,
        consoleName: sameKernelBefore === 0 ? 'console.log' : `console-${sameKernelBefore + 1}.log`,
        ...(opts.cacheDir ? { cacheDir: opts.cacheDir } : {}),
        ...(opts.modulesDir ? { modulesDir: opts.modulesDir } : {}),
        ...(opts.configPath ? { configPath: opts.configPath } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.freshBoot ? { freshBoot: true } : {}),
        ...(opts.bpftrace ? { bpftrace: true } : {}),
        ...(opts.onVmEvent ? { onVmEvent: opts.onVmEvent } : {}),
        ...(opts.testFault ? { testFault: opts.testFault } : {}),
      });
      done.push({ unit: index, ...r });
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, units.length) }, worker));
  done.sort((a, b) => a.unit - b.unit);
  const kernels = mergeKernelRuns(done.map((d) => d.kernel));
  const order = new Map(cellsPlanned.map((c, i) => [cellKey(c), i]));
  const cells = done.flatMap((d) => d.cells).sort((a, b) => (order.get(cellKey(a)) ?? 0) - (order.get(cellKey(b)) ?? 0));
  const finishedAt = new Date();
  const results: RunResults = {
    version: RESULTS_VERSION,
    tool: { name: 'ipvs-harness', version: TOOL_VERSION },
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - startedAt.getTime(),
    host: { hostname: hostname(), accel: kernels.find((k) => k.accel)?.accel ?? 'unknown', jobs },
    ...(opts.shard ? { shard: opts.shard } : {}),
    kernels,
    scenarios: [
      ...opts.scenarios.map(({ scenario: s, file }) => ({ name: s.name, summary: s.summary, tags: s.tags, file, ...(s.description ? { description: s.description } : {}) })),
      ...guestCells.map((c) => c.info),
    ],
    cells,
    summary: summarize(cells),
  };
  writeAtomic(join(opts.out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  if (opts.postProcess?.length) {
    for (const step of opts.postProcess) step(results, opts.out);
    results.summary = summarize(results.cells);
    writeAtomic(join(opts.out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  }
  for (const write of opts.writers ?? []) write(results, opts.out);
  reporter.onRunEnd(results, opts.out);
  return results;
}

export function summarize(cells: readonly CellResult[]): Record<CellStatus, number> & { total: number } {
  const s = { passed: 0, failed: 0, error: 0, skipped: 0, total: cells.length };
  for (const c of cells) s[c.status]++;
  return s;
}

/**
 * 0 only when every cell passed; 1 when something failed; 3 when errors (no failure) spoiled it; 2
 * when the only errors are bad kernel specs or files (phase `kernel`: nothing booted); 4 (kselftest's
 * ksft_skip) when the rest passed but cells were skipped (a selftest that skipped itself).
 */
export function exitCodeOf(results: RunResults): number {
  const s = results.summary;
  if (s.total > 0 && s.passed === s.total) return 0;
  if (s.failed > 0) return 1;
  const errors = results.cells.filter((c) => c.status === 'error');
  if (errors.length > 0) return errors.every((c) => c.error?.phase === 'kernel') ? 2 : 3;
  return s.total > 0 ? 4 : 3;
}

/** One record per kernel, whatever number of guests ran its scenarios. */
export function mergeKernelRuns(runs: readonly KernelRun[]): KernelRun[] {
  const out = new Map<string, KernelRun>();
  for (const r of runs) {
    const seen = out.get(r.spec);
    if (!seen) {
      out.set(r.spec, { ...r, bootMs: [...r.bootMs], ...(r.console ? { consoles: [r.console] } : {}) });
      continue;
    }
    seen.bootMs.push(...r.bootMs);
    if (r.console) seen.consoles = [...(seen.consoles ?? []), r.console];
    seen.release ??= r.release;
    seen.label ??= r.label;
    seen.accel ??= r.accel;
    seen.error ??= r.error;
  }
  return [...out.values()];
}

/** Default number of guests: one per core, as far as free memory allows (~700 MB per TCG guest). */
export function defaultJobs(cores: number, freeBytes: number): number {
  return Math.max(1, Math.min(cores, Math.floor(freeBytes / (700 * 1024 * 1024))));
}
