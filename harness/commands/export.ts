// `ipvs-harness export`: traces and results in other tools' formats. --perfetto writes Chrome trace
// event JSON (ui.perfetto.dev, chrome://tracing); --callgraphs the canonical call-graph summary.
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { Trace } from '../../analysis/model.ts';
import { toPerfettoJson, type PerfettoInput } from '../../analysis/report/perfetto.ts';
import { stepsInTrace, stepSpans } from '../../analysis/step-markers.ts';
import { toCallGraphJson } from '../../analysis/report/render-json.ts';
import { EXIT, setExitCode } from '../exit-codes.ts';
import { readResults, writeAtomic } from '../run/results-folder.ts';
import { insideFolder, loadReport } from '../report/load-run.ts';
import { inputError, loadTrace } from './analyze.ts';

async function perfettoInputs(input: string, kernelRelease: string | undefined): Promise<PerfettoInput[]> {
  if (!statSync(input).isDirectory()) {
    const trace = await loadTrace(input);
    return [{ trace, label: input.split('/').slice(-3).join('/'), kernelRelease: kernelRelease ?? null, steps: stepsInTrace(trace) }];
  }
  const results = readResults(input);
  const out: PerfettoInput[] = [];
  for (const c of results.cells) {
    const full = c.artifacts.trace !== undefined ? insideFolder(input, c.artifacts.trace) : null;
    if (full === null) continue;
    let trace: Trace;
    try {
      trace = await loadTrace(full);
    } catch {
      continue; // a cell without a readable trace (error cell) has nothing to show
    }
    out.push({ trace, label: `${c.kernel} ${c.scenario}`, kernelRelease: c.kernelRelease ?? null, steps: stepSpans(c.steps) });
  }
  if (out.length === 0) throw inputError('NO_TRACES', `${join(input, 'results.json')}: no cell has a readable trace; nothing to export`);
  return out;
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('export traces as Chrome/Perfetto trace JSON, or a run\'s canonical call graphs')
    .argument('<input>', 'a trace file (function_graph text, ...) or a results folder')
    .argument('<out>', 'JSON file to write')
    .option('--perfetto', 'Chrome trace event JSON: nested slices per CPU and task with real durations, markers as instant events')
    .option('--callgraphs', 'the canonical call-graph summary of a results folder (format ipvs-harness/callgraph-summary, version 1)')
    .option('--kernel-release <release>', 'uname -r of the traced kernel, to name hook roles in a single trace file')
    .addHelpText('after', `
Examples:
  $ ipvs-harness export --perfetto ipvs-results/debian-6.1/pod-to-vip/trace.txt /tmp/pod.json
  $ ipvs-harness export --perfetto ipvs-results /tmp/all.json     # every traced cell, one process per kernel/scenario/CPU
  $ ipvs-harness export --callgraphs ipvs-results baseline.json

Open the Perfetto JSON at https://ui.perfetto.dev (Open trace file); it never leaves the browser.
Exit code: 0 written, 2 bad input (unreadable file, no traces, no format chosen).`)
    .action(async (input: string, out: string, opts: { perfetto?: boolean; callgraphs?: boolean; kernelRelease?: string }, command: Command) => {
      if (Boolean(opts.perfetto) === Boolean(opts.callgraphs)) throw inputError('USAGE', 'choose one output format: --perfetto or --callgraphs');
      let isDir = false;
      try {
        isDir = statSync(input).isDirectory();
      } catch (err) {
        throw inputError('INPUT_NOT_READABLE', `cannot read ${input}: ${(err as Error).message}; pass a trace file or a results folder`);
      }
      if (opts.perfetto) {
        const inputs = await perfettoInputs(input, opts.kernelRelease);
        writeAtomic(resolve(out), toPerfettoJson(inputs));
        process.stdout.write(`wrote ${out}: ${inputs.length} trace(s), ${inputs.reduce((n, i) => n + i.trace.roots.length, 0)} root call(s); open it at https://ui.perfetto.dev\n`);
      } else {
        if (!isDir) throw inputError('USAGE', `--callgraphs needs a results folder, not the file ${input}`);
        const { report } = loadReport(resolve(input));
        writeAtomic(resolve(out), toCallGraphJson(report.callGraphs));
        process.stdout.write(`wrote ${out}: ${report.callGraphs.entries.length} entries (kernel x scenario x step x role)\n`);
      }
      setExitCode(command, EXIT.ok);
    });
}
