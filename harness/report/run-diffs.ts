// The call-graph diffs `ipvs-harness diff` prints: the results folders read, the kernel pairs chosen
// (within one run or across two), each pair diffed; nothing comparable is bad input.
import { resolve } from 'node:path';
import type { CallGraphDiff } from '../../analysis/report/callgraph-diff.ts';
import { diffRunSides } from '../../analysis/report/diff-runs.ts';
import { chooseAcrossRuns, chooseWithinRun, diffInputError, parseKernelPair, type LoadedRun } from './choose-diff.ts';
import { loadReport } from './load-run.ts';

function load(dir: string): LoadedRun {
  return { dir, built: loadReport(resolve(dir)) };
}

export function diffRuns(dirA: string, dirB: string | undefined, kernels: string | undefined): CallGraphDiff[] {
  const pair = kernels !== undefined ? parseKernelPair(kernels) : undefined;
  const a = load(dirA);
  const pairs = dirB === undefined ? chooseWithinRun(a, pair) : chooseAcrossRuns(a, load(dirB), pair);
  const diffs = pairs.map(([x, y]) => diffRunSides(x, y));
  if (diffs.every((d) => d.scenarios.length === 0)) {
    throw diffInputError(`nothing to compare: ${diffs.flatMap((d) => d.notCompared).join('; ') || 'no scenario ran on both sides'}`);
  }
  return diffs;
}
