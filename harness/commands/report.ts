// `ipvs-harness report <results-dir>`: renders a results folder as report.html (self-contained) and
// junit.xml, and on request the report model or the canonical call graphs as JSON.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { toCallGraphJson, toJson } from '../../analysis/report/render-json.ts';
import { EXIT, setExitCode } from '../exit-codes.ts';
import { writeAtomic } from '../run/results-folder.ts';
import { writeReportFiles } from '../report/write-reports.ts';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('render a results folder as one self-contained HTML report and JUnit XML')
    .argument('<results-dir>', 'folder written by `ipvs-harness run` (holds results.json)')
    .option('-o, --out <file>', 'HTML report to write (default: <results-dir>/report.html)')
    .option('--junit <file>', 'JUnit XML to write (default: <results-dir>/junit.xml)')
    .option('--no-junit', 'do not write JUnit XML')
    .option('--json <file>', 'also write the report model as JSON (format ipvs-harness/report, version 1)')
    .option('--callgraphs <file>', 'also write the canonical call graphs (format ipvs-harness/callgraph-summary, version 1; the baseline format)')
    .addHelpText('after', `
Examples:
  $ ipvs-harness report ./ipvs-results                       # ./ipvs-results/report.html and junit.xml
  $ ipvs-harness report ./ipvs-results -o /tmp/r.html --no-junit
  $ ipvs-harness report ./ipvs-results --callgraphs baseline.json

\`run\` writes report.html and junit.xml by itself; use this to re-render a folder (after an
upgrade, or with other output paths). Exit code: 0 written, 2 not a results folder.`)
    .action((dir: string, opts: { out?: string; junit: string | boolean; json?: string; callgraphs?: string }, command: Command) => {
      const junit = opts.junit === false ? null : typeof opts.junit === 'string' ? resolve(opts.junit) : undefined;
      const written = writeReportFiles(resolve(dir), { ...(opts.out ? { html: resolve(opts.out) } : {}), junit });
      if (opts.json) writeAtomic(resolve(opts.json), toJson(written.report));
      if (opts.callgraphs) writeAtomic(resolve(opts.callgraphs), toCallGraphJson(written.report.callGraphs));
      const s = written.report.run.summary;
      const files = [written.html, written.junit, opts.json, opts.callgraphs].filter(Boolean).join(', ');
      process.stdout.write(`${s.total} cell(s): ${s.passed} passed, ${s.failed} failed, ${s.error} error, ${s.skipped} skipped\nwrote ${files}\n`);
      for (const n of written.report.notes) process.stdout.write(`note: ${n}\n`);
      setExitCode(command, EXIT.ok);
    });
}
