// Merges results folders (the shards of one matrix, run on several machines) into one folder:
// one results.json with every cell in matrix order, the artifacts copied beside it.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CellResult, KernelRun, RunResults, ScenarioInfo } from '../../analysis/report/results.ts';
import { cellKey } from './matrix.ts';
import { readResults, ResultsFolderError, writeAtomic } from './results-folder.ts';
import { mergeKernelRuns, summarize } from './run-matrix.ts';

export function mergeResults(dirs: readonly string[], out: string): RunResults {
  if (dirs.length === 0) throw new ResultsFolderError('merge: no results folders given; expected one or more folders written by `ipvs-harness run`');
  const inputs = dirs.map((dir) => ({ dir, results: readResults(dir) }));
  const seen = new Map<string, string>();
  const cells: CellResult[] = [];
  const kernels: KernelRun[] = [];
  const scenarios = new Map<string, ScenarioInfo>();
  const taken = new Set<string>();
  const copy = (from: string, rel: string): string => {
    let target = rel;
    for (let n = 2; taken.has(target); n++) target = rel.replace(/(\.[^./]+)?$/, (ext) => `-${n}${ext}`);
    taken.add(target);
    const src = join(from, rel);
    if (existsSync(src)) {
      mkdirSync(dirname(join(out, target)), { recursive: true });
      copyFileSync(src, join(out, target));
    }
    return target;
  };
  for (const { dir, results } of inputs) {
    for (const cell of results.cells) {
      const key = cellKey(cell);
      const other = seen.get(key);
      if (other) throw new ResultsFolderError(`merge: ${cell.kernel} x ${cell.scenario} is in both ${other} and ${dir}; expected each cell in one folder (shards of one matrix)`);
      seen.set(key, dir);
      const artifacts: CellResult['artifacts'] = {};
      for (const [k, rel] of Object.entries(cell.artifacts) as [keyof CellResult['artifacts'], string | undefined][]) {
        if (rel) artifacts[k] = copy(dir, rel);
      }
      cells.push({ ...cell, artifacts });
    }
    for (const k of results.kernels) {
      const copied: KernelRun = { ...k };
      const consoles = k.consoles ?? (k.console ? [k.console] : []);
      if (consoles.length) {
        const names = consoles.map((c) => copy(dir, c));
        copied.console = names[0]!;
        copied.consoles = names;
      }
      kernels.push(copied);
    }
    for (const s of results.scenarios) if (!scenarios.has(s.name)) scenarios.set(s.name, s);
  }
  const kernelOrder = [...new Set(inputs.flatMap(({ results }) => results.kernels.map((k) => k.spec)))];
  const scenarioOrder = [...scenarios.keys()];
  cells.sort((a, b) => kernelOrder.indexOf(a.kernel) - kernelOrder.indexOf(b.kernel) || scenarioOrder.indexOf(a.scenario) - scenarioOrder.indexOf(b.scenario));
  const starts = inputs.map(({ results }) => Date.parse(results.startedAt));
  const ends = inputs.map(({ results }) => Date.parse(results.finishedAt));
  const first = inputs[0]!.results;
  const merged: RunResults = {
    version: first.version,
    tool: first.tool,
    startedAt: new Date(Math.min(...starts)).toISOString(),
    finishedAt: new Date(Math.max(...ends)).toISOString(),
    durationMs: Math.max(...ends) - Math.min(...starts),
    host: { ...first.host, jobs: Math.max(...inputs.map(({ results }) => results.host.jobs)) },
    kernels: mergeKernelRuns(kernels).sort((a, b) => kernelOrder.indexOf(a.spec) - kernelOrder.indexOf(b.spec)),
    scenarios: [...scenarios.values()],
    cells,
    summary: summarize(cells),
  };
  writeAtomic(join(out, 'results.json'), `${JSON.stringify(merged, null, 2)}\n`);
  return merged;
}
