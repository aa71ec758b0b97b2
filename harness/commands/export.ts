// `ipvs-harness export`: traces and results in other tools' formats. --perfetto writes Chrome trace
// event JSON (ui.perfetto.dev, chrome://tracing); --callgraphs the canonical call-graph summary.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { fileError, UsageError } from '../errors.ts';
import { EXIT, setExitCode } from '../exit-codes.ts';
import { traceFormatOption, TRACE_FORMAT_NAMES } from '../inputs/trace-formats.ts';

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('export traces as Chrome/Perfetto trace JSON, or a run\'s canonical call graphs')
    .argument('<input>', 'a trace file (function_graph text, ...; - for standard input) or a results folder')
    .argument('<out>', 'JSON file to write')
    .option('--perfetto', 'Chrome trace event JSON: nested slices per CPU and task with real durations, markers as instant events')
    .option('--callgraphs', 'the canonical call-graph summary of a results folder (format ipvs-harness/callgraph-summary, version 1)')
    .option('--kernel-release <release>', 'uname -r of the traced kernel, to name hook roles in a single trace file')
    .option('--format <format>', `format of a single trace file instead of detecting it (${TRACE_FORMAT_NAMES.join(', ')})`)
    .addHelpText('after', `
Examples:
  $ ipvs-harness export --perfetto ipvs-results/debian-6.1/pod-to-vip/trace.txt /tmp/pod.json
  $ ipvs-harness export --perfetto ipvs-results /tmp/all.json     # every traced cell, one process per kernel/scenario/CPU
  $ ipvs-harness export --callgraphs ipvs-results baseline.json

Open the Perfetto JSON at https://ui.perfetto.dev (Open trace file); it never leaves the browser.
Exit code: 0 written, 2 bad input (unreadable file, no traces, no output chosen, an output that is a
folder or under /proc, /sys or /dev).`)
    .action(async (input: string, out: string, opts: { perfetto?: boolean; callgraphs?: boolean; kernelRelease?: string; format?: string }, command: Command) => {
      if (Boolean(opts.perfetto) === Boolean(opts.callgraphs)) throw new UsageError('choose what to export: --perfetto (Chrome/Perfetto trace JSON) or --callgraphs (a results folder\'s call graphs)');
      const { kernelReleaseOption } = await import('../inputs/option-values.ts');
      const { checkOutputFile, writeOutputFile } = await import('../outputs/output-file.ts');
      const kernelRelease = kernelReleaseOption(opts.kernelRelease);
      const format = traceFormatOption(opts.format);
      const output = { path: out, what: opts.perfetto ? 'Perfetto JSON' : 'call-graph JSON', suggest: 'export.json' };
      checkOutputFile(output);
      let isDir = false;
      try {
        isDir = input !== '-' && statSync(input).isDirectory();
      } catch (err) {
        throw fileError(err, { what: 'input', path: input, action: 'read' });
      }
      if (opts.perfetto) {
        const { perfettoInputs } = await import('../inputs/perfetto-inputs.ts');
        const { toPerfettoJson } = await import('../../analysis/report/perfetto.ts');
        const inputs = await perfettoInputs(input, isDir, kernelRelease, format);
        writeOutputFile(output, toPerfettoJson(inputs));
        process.stdout.write(`wrote ${out}: ${inputs.length} trace(s), ${inputs.reduce((n, i) => n + i.trace.roots.length, 0)} root call(s); open it at https://ui.perfetto.dev\n`);
      } else {
        if (!isDir) throw new UsageError(`--callgraphs needs a results folder, not the file ${input}; for one trace use --perfetto`);
        const { loadReport } = await import('../report/load-run.ts');
        const { toCallGraphJson } = await import('../../analysis/report/render-json.ts');
        const { report } = loadReport(resolve(input));
        writeOutputFile(output, toCallGraphJson(report.callGraphs));
        process.stdout.write(`wrote ${out}: ${report.callGraphs.entries.length} entries (kernel x scenario x step x role)\n`);
      }
      setExitCode(command, EXIT.ok);
    });
}
