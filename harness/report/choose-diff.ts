// Which kernels a `diff` compares: within one run (`--kernels A,B`, or every kernel against the
// first), or across two runs (the same kernels in both, the only kernel of each, or `--kernels A,B`
// naming one kernel of each run). Bad choices are bad input (exit 2) with the kernels that exist.
import { basename, resolve } from 'node:path';
import type { BuiltReport } from '../../analysis/report/build-report.ts';
import type { RunSide } from '../../analysis/report/diff-runs.ts';
import { RESULTS_VERSION } from '../../analysis/report/results.ts';
import { inputError } from '../errors.ts';

export interface LoadedRun {
  dir: string;
  built: BuiltReport;
}

export function diffInputError(message: string): Error {
  return inputError('DIFF_INPUT', message);
}

function kernelsOf(run: LoadedRun): string[] {
  return run.built.report.kernels.map((k) => k.spec);
}

function side(run: LoadedRun, kernel: string, label: string): RunSide {
  if (!kernelsOf(run).includes(kernel)) {
    throw diffInputError(`${run.dir}: no kernel "${kernel}" in this run; kernels: ${kernelsOf(run).join(', ') || 'none'}`);
  }
  const r = run.built.report;
  // The run's cells, kernels and scenarios as results.json has them, for the differ.
  const results = { ...r.run, version: RESULTS_VERSION, kernels: r.kernels, scenarios: r.scenarios, cells: r.cells.map((c) => c.result) };
  return { results, traced: run.built.traced, entries: r.callGraphs.entries, kernel, label };
}

export function parseKernelPair(text: string): [string, string] {
  const parts = text.split(',').map((p) => p.trim()).filter(Boolean);
  if (parts.length !== 2) throw diffInputError(`--kernels "${text}": expected two kernel specs separated by a comma, e.g. --kernels debian:5.10,debian:6.1`);
  return [parts[0]!, parts[1]!];
}

export function chooseWithinRun(run: LoadedRun, kernels?: [string, string]): Array<[RunSide, RunSide]> {
  if (kernels) return [[side(run, kernels[0], kernels[0]), side(run, kernels[1], kernels[1])]];
  const all = kernelsOf(run);
  if (all.length < 2) throw diffInputError(`${run.dir}: one kernel (${all.join(', ') || 'none'}) in this run: nothing to compare; give a second results folder or run more kernels`);
  return all.slice(1).map((k) => [side(run, all[0]!, all[0]!), side(run, k, k)]);
}

function runLabel(dir: string): string {
  return basename(resolve(dir)) || dir;
}

export function chooseAcrossRuns(a: LoadedRun, b: LoadedRun, kernels?: [string, string]): Array<[RunSide, RunSide]> {
  const la = runLabel(a.dir);
  const lb = runLabel(b.dir) === la ? `${la} (2)` : runLabel(b.dir);
  if (kernels) {
    const same = kernels[0] === kernels[1];
    return [[side(a, kernels[0], same ? `${la}:${kernels[0]}` : kernels[0]), side(b, kernels[1], same ? `${lb}:${kernels[1]}` : kernels[1])]];
  }
  const ka = kernelsOf(a);
  const kb = kernelsOf(b);
  const common = ka.filter((k) => kb.includes(k));
  if (common.length > 0) return common.map((k) => [side(a, k, `${la}:${k}`), side(b, k, `${lb}:${k}`)]);
  if (ka.length === 1 && kb.length === 1) return [[side(a, ka[0]!, ka[0]!), side(b, kb[0]!, kb[0]!)]];
  throw diffInputError(`no kernel in common between ${a.dir} (${ka.join(', ')}) and ${b.dir} (${kb.join(', ')}); choose one of each with --kernels A,B`);
}
