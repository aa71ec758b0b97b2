// Reads a results folder for the report: results.json (with the run's verdict), each cell's trace and
// console log and the kernels' console logs, then builds the model (pure, in analysis/report). Only
// files inside the folder are read: no scenario file, nothing relative to the working directory, so a
// folder renders the same wherever it is copied.
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, normalize, resolve, sep } from 'node:path';
import { buildReportWithIndex, type BuiltReport, type CellInput, type ReportInput } from '../../analysis/report/build-report.ts';
import type { RunResults } from '../../analysis/report/results.ts';
import { readResults } from '../run/results-folder.ts';

/** Absolute path of a file results.json names, or null when it would lie outside the folder. */
export function insideFolder(dir: string, rel: string): string | null {
  if (isAbsolute(rel)) return null;
  const root = resolve(dir);
  const full = resolve(root, normalize(rel));
  return full === root || !full.startsWith(root + sep) ? null : full;
}

function readText(dir: string, rel: string | undefined): { text?: string; exists: boolean; problem?: string } {
  if (rel === undefined) return { exists: false };
  const full = insideFolder(dir, rel);
  if (full === null) return { exists: false, problem: `${rel}: path outside the results folder, not read` };
  if (!existsSync(full)) return { exists: false, problem: `${join(dir, rel)}: not found` };
  try {
    return { text: readFileSync(full, 'utf8'), exists: true };
  } catch (err) {
    return { exists: true, problem: `${join(dir, rel)}: cannot read (${(err as Error).message})` };
  }
}

export interface LoadOptions {
  /** Results already in memory (the run's writer), else read from <dir>/results.json. */
  results?: RunResults;
}

export function loadReportInput(dir: string, opts: LoadOptions = {}): ReportInput {
  const results = opts.results ?? readResults(dir);
  const cells: CellInput[] = results.cells.map((c) => {
    const input: CellInput = { present: {} };
    const trace = readText(dir, c.artifacts.trace);
    input.present!.trace = trace.exists;
    if (trace.text !== undefined) input.traceText = trace.text;
    else if (trace.problem && c.artifacts.trace !== undefined) input.traceProblem = `trace ${trace.problem}`;
    const consoleLog = readText(dir, c.artifacts.console);
    input.present!.console = consoleLog.exists;
    if (consoleLog.text !== undefined) input.consoleText = consoleLog.text;
    input.present!.commands = c.artifacts.commands !== undefined && insideFolder(dir, c.artifacts.commands) !== null && existsSync(insideFolder(dir, c.artifacts.commands)!);
    input.present!.output = c.artifacts.output !== undefined && insideFolder(dir, c.artifacts.output) !== null && existsSync(insideFolder(dir, c.artifacts.output)!);
    return input;
  });
  const kernelConsoles = results.kernels.map((k) => readText(dir, k.console).text);
  return { results, cells, kernelConsoles };
}

export function loadReport(dir: string, opts: LoadOptions = {}): BuiltReport {
  return buildReportWithIndex(loadReportInput(dir, opts));
}
