// `ipvs-harness report <results-dir>`: renders a results folder as report.html (self-contained) and
// junit.xml, and on request the report model or the canonical call graphs as JSON.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { EXIT, setExitCode } from '../exit-codes.ts';

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
upgrade, or with other output paths). Exit code: 0 written, 2 not a results folder, or an output
that is a folder or under /proc, /sys or /dev.`)
    .action(async (dir: string, opts: { out?: string; junit: string | boolean; json?: string; callgraphs?: string }, command: Command) => {
      const { checkOutputFile, writeOutputFile } = await import('../outputs/output-file.ts');
      const { writeReportFiles } = await import('../report/write-reports.ts');
      const { toCallGraphJson, toJson } = await import('../../analysis/report/render-json.ts');
      // Every output is checked before the folder is read: a typo costs nothing.
      const json = opts.json !== undefined ? { path: opts.json, what: 'report JSON', suggest: 'report.json' } : null;
      const callgraphs = opts.callgraphs !== undefined ? { path: opts.callgraphs, what: 'call-graph JSON', suggest: 'callgraphs.json' } : null;
      const html = opts.out !== undefined ? checkOutputFile({ path: opts.out, what: 'HTML report', suggest: 'report.html' }) : undefined;
      const junit = opts.junit === false ? null : typeof opts.junit === 'string' ? checkOutputFile({ path: opts.junit, what: 'JUnit XML', suggest: 'junit.xml' }) : undefined;
      for (const o of [json, callgraphs]) if (o) checkOutputFile(o);
      const written = writeReportFiles(resolve(dir), { ...(html ? { html } : {}), junit });
      if (json) writeOutputFile(json, toJson(written.report));
      if (callgraphs) writeOutputFile(callgraphs, toCallGraphJson(written.report.callGraphs));
      const s = written.report.run.summary;
      const files = [written.html, written.junit, opts.json, opts.callgraphs].filter((f): f is string => typeof f === 'string');
      process.stdout.write(`${s.total} cell(s): ${s.passed} passed, ${s.failed} failed, ${s.error} error, ${s.skipped} skipped\n${files.map((f) => `wrote ${f}\n`).join('')}`);
      for (const n of written.report.notes) process.stdout.write(`note: ${n}\n`);
      setExitCode(command, EXIT.ok);
    });
}
