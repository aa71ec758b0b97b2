// The kernel x scenario matrix of a run plan: runs every kernel's cells, gathers them in matrix order
// and writes results.json (atomically), then what the writers add (report, JUnit).
import { hostname } from 'node:os';
import { join } from 'node:path';
import { mergeTraceable, RESULTS_VERSION, type CellResult, type CellStatus, type KernelRun, type RunResults } from '../../analysis/report/results.ts';
import type { VmEvent } from '../../vm/events.ts';
import { TOOL_VERSION } from '../version.ts';
import { cellKey, planWorkUnits } from './matrix.ts';
import { multiplex, type Reporter } from './reporter.ts';
import { writeAtomic } from './results-folder.ts';
import { runKernel } from './run-kernel.ts';
import type { RunPlan } from './run-plan.ts';

/** What watches and finishes a run: progress, interruption, and the steps after the cells are judged. */
export interface RunHooks {
  reporters: Reporter[];
  signal?: AbortSignal;
  onVmEvent?: (e: VmEvent) => void;
  /** Steps that may change the results (baselines), before the writers run. */
  postProcess?: ((results: RunResults, out: string) => void)[];
  /** Files written next to results.json (HTML report, JUnit), from the final results. */
  writers?: ((results: RunResults, out: string) => void)[];
}

export async function runMatrix(plan: RunPlan, hooks: RunHooks): Promise<RunResults> {
  const reporter = multiplex(hooks.reporters);
  const startedAt = new Date();
  const names = [...plan.scenarios.map((s) => s.scenario.name), ...plan.guestCells.map((c) => c.name)];
  reporter.onRunStart({ kernels: plan.kernels.map((k) => k.text), scenarios: names, out: plan.out });
  const jobs = plan.guests.jobs;
  const units = planWorkUnits(plan.cells, jobs);
  const byName = new Map(plan.scenarios.map((l) => [l.scenario.name, l]));
  const kernelOf = new Map(plan.kernels.map((k) => [k.text, k]));
  const done: { unit: number; kernel: KernelRun; cells: CellResult[] }[] = [];
  let next = 0;
  // A pool of `jobs` workers, each taking the next unit (one guest per unit).
  const worker = async () => {
    while (next < units.length) {
      const index = next++;
      const unit = units[index]!;
      const sameKernelBefore = units.slice(0, index).filter((u) => u.kernel === unit.kernel).length;
      const r = await runKernel({
        kernel: kernelOf.get(unit.kernel)!, plan, reporter,
        scenarios: unit.scenarios.filter((n) => byName.has(n)).map((n) => byName.get(n)!),
        guestCells: plan.guestCells.filter((c) => unit.scenarios.includes(c.name)),
        consoleName: sameKernelBefore === 0 ? 'console.log' : `console-${sameKernelBefore + 1}.log`,
        ...(hooks.signal ? { signal: hooks.signal } : {}),
        ...(hooks.onVmEvent ? { onVmEvent: hooks.onVmEvent } : {}),
      });
      done.push({ unit: index, ...r });
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, units.length) }, worker));
  done.sort((a, b) => a.unit - b.unit);
  const kernels = mergeKernelRuns(done.map((d) => d.kernel));
  const order = new Map(plan.cells.map((c, i) => [cellKey(c), i]));
  const cells = done.flatMap((d) => d.cells).sort((a, b) => (order.get(cellKey(a)) ?? 0) - (order.get(cellKey(b)) ?? 0));
  const finishedAt = new Date();
  const results: RunResults = {
    version: RESULTS_VERSION,
    tool: { name: 'ipvs-harness', version: TOOL_VERSION },
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - startedAt.getTime(),
    host: { hostname: hostname(), accel: kernels.find((k) => k.accel)?.accel ?? 'unknown', jobs },
    ...(plan.shard ? { shard: plan.shard } : {}),
    ...(plan.defaultKernels ? { defaultKernels: plan.defaultKernels } : {}),
    kernels,
    scenarios: [
      ...plan.scenarios.map(({ scenario: s, file }) => ({ name: s.name, summary: s.summary, tags: s.tags, file, ...(s.description ? { description: s.description } : {}), ...(s.kubernetes ? { kubernetes: s.kubernetes } : {}) })),
      ...plan.guestCells.map((c) => c.info),
    ],
    cells,
    summary: summarize(cells),
  };
  writeAtomic(join(plan.out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  if (hooks.postProcess?.length) {
    for (const step of hooks.postProcess) step(results, plan.out);
    results.summary = summarize(results.cells);
    writeAtomic(join(plan.out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  }
  for (const write of hooks.writers ?? []) write(results, plan.out);
  reporter.onRunEnd(results, plan.out);
  return results;
}

export function summarize(cells: readonly CellResult[]): Record<CellStatus, number> & { total: number } {
  const s = { passed: 0, failed: 0, error: 0, skipped: 0, total: cells.length };
  for (const c of cells) s[c.status]++;
  return s;
}

/** The exit code of a run's results: decided with the other exit codes, in harness/exit-codes.ts. */
export { exitCodeOfResults as exitCodeOf } from '../exit-codes.ts';

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
    seen.ipvs ??= r.ipvs;
    seen.error ??= r.error;
    if (r.traceable) seen.traceable = mergeTraceable(seen.traceable, r.traceable.functions);
  }
  return [...out.values()];
}
