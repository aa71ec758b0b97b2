// Baselines: the observed call graphs of a run (the canonical, role-labelled summary), stored per
// kernel x scenario, and the comparison of a later run against them. A baseline recorded on one
// kernel can judge another (`--baseline-kernel`): the regression test of a new build against a
// known-good one. Only behaviour-relevant differences fail a cell; renames and inlining are shown.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { diffCallGraphs, hasBehaviourChange, type DiffSide } from '../../analysis/report/callgraph-diff.ts';
import { renderCallGraphDiffText } from '../../analysis/report/callgraph-diff-text.ts';
import { callGraphSummary, parseCallGraphSummary, type CallGraphEntry } from '../../analysis/report/callgraph-summary.ts';
import type { CellResult, RunResults } from '../../analysis/report/results.ts';
import { loadReport } from '../report/load-run.ts';
import { kernelSlug, writeAtomic } from './results-folder.ts';

export interface BaselineOptions {
  dir: string;
  /** Compare every kernel with the baseline recorded on this one (default: each with its own). */
  kernel?: string;
}

/**
 * One file per kernel x scenario; a cell judged on bpftrace's trace alone gets its own
 * (`<scenario>.bpftrace.json`): its trees hold only the hooks and the functions the graphs name, so
 * it is compared only with baselines bpftrace recorded.
 */
function fileOf(dir: string, kernel: string, scenario: string, tracer?: CellResult['tracer']): string {
  return join(dir, kernelSlug(kernel), `${scenario}${tracer === 'bpftrace' ? '.bpftrace' : ''}.json`);
}

function entriesOf(out: string, results: RunResults): CallGraphEntry[] {
  return loadReport(out, { results }).report.callGraphs.entries;
}

/** Writes one summary file per traced kernel x scenario cell that passed; returns the files written. */
export function updateBaseline(dir: string, results: RunResults, out: string): string[] {
  const entries = entriesOf(out, results);
  const written: string[] = [];
  for (const cell of results.cells) {
    if (cell.status !== 'passed' || !cell.artifacts.trace) continue;
    const mine = entries.filter((e) => e.kernel === cell.kernel && e.scenario === cell.scenario);
    const file = fileOf(dir, cell.kernel, cell.scenario, cell.tracer);
    writeAtomic(file, `${JSON.stringify(callGraphSummary(mine), null, 2)}\n`);
    written.push(file);
  }
  return written;
}

function sideOf(label: string, kernel: string, entries: readonly CallGraphEntry[]): DiffSide {
  return { label, kernel, release: entries[0]?.release ?? null, generation: entries[0]?.generation ?? 'unknown' };
}

/**
 * Adds a `baseline` verdict to every traced cell and fails the cells whose call graphs changed in a
 * behaviour-relevant way (or that have no baseline to compare with). Mutates `results`.
 */
export function compareWithBaseline(opts: BaselineOptions, results: RunResults, out: string): void {
  const entries = entriesOf(out, results);
  for (const cell of results.cells) {
    if (cell.status === 'error' || cell.status === 'skipped' || !cell.artifacts.trace) continue;
    const baseKernel = opts.kernel ?? cell.kernel;
    const file = fileOf(opts.dir, baseKernel, cell.scenario, cell.tracer);
    const name = `baseline (${baseKernel})`;
    if (!existsSync(file)) {
      cell.graphs.push({ name, role: 'baseline', kind: 'baseline', holds: false, diff: `${file}: no baseline recorded for ${baseKernel} x ${cell.scenario}; record one with \`ipvs-harness run -k ${baseKernel} -s ${cell.scenario}${cell.tracer === 'bpftrace' ? ' --tracer bpftrace' : ''} --update-baseline ${opts.dir}\`` });
      cell.failures.push(`baseline: none recorded for ${baseKernel} x ${cell.scenario} (${file})`);
      cell.status = 'failed';
      continue;
    }
    const base = parseCallGraphSummary(JSON.parse(readFileSync(file, 'utf8')), file).entries;
    const mine = entries.filter((e) => e.kernel === cell.kernel && e.scenario === cell.scenario);
    const diff = diffCallGraphs(
      { side: sideOf(`baseline ${baseKernel}`, baseKernel, base), entries: base.map((e) => ({ ...e, scenario: cell.scenario })) },
      { side: sideOf(cell.kernel, cell.kernel, mine), entries: mine, steps: new Map([[cell.scenario, cell.steps]]) },
      [cell.scenario],
    );
    const changed = hasBehaviourChange(diff);
    const text = renderCallGraphDiffText(diff);
    cell.graphs.push({ name, role: 'baseline', kind: 'baseline', holds: !changed, ...(changed ? { diff: text } : { notes: [text.split('\n')[0] ?? ''] }) });
    if (changed) {
      cell.failures.push(`baseline: the call graph changed against ${baseKernel} (${diff.totals.behaviour} behaviour-relevant change(s))`);
      cell.status = 'failed';
    }
  }
}
