// Writes report.html and junit.xml beside results.json, atomically (a reader never sees half a
// file). `run`, `selftest` and `merge` call writeRunReports; `ipvs-harness report` writeReportFiles.
import { join } from 'node:path';
import type { Report } from '../../analysis/report/model.ts';
import type { RunResults } from '../../analysis/report/results.ts';
import { toHtml } from '../../analysis/report/render-html.ts';
import { toJunit } from '../../analysis/report/render-junit.ts';
import { writeAtomic } from '../run/results-folder.ts';
import { loadReport } from './load-run.ts';

export interface WrittenReports {
  report: Report;
  html: string;
  junit: string | null;
}

export interface WriteOptions {
  /** Where the HTML goes (default <dir>/report.html). */
  html?: string;
  /** Where the JUnit XML goes (default <dir>/junit.xml); null: not written. */
  junit?: string | null;
  results?: RunResults;
}

export function writeReportFiles(dir: string, opts: WriteOptions = {}): WrittenReports {
  const { report } = loadReport(dir, opts.results ? { results: opts.results } : {});
  const html = opts.html ?? join(dir, 'report.html');
  const junit = opts.junit === undefined ? join(dir, 'junit.xml') : opts.junit;
  writeAtomic(html, toHtml(report));
  if (junit !== null) writeAtomic(junit, toJunit(report));
  return { report, html, junit };
}

/**
 * The run's writer. A report that cannot be written must not cost the run its results (already in
 * results.json) or its exit code: the problem is printed and the run goes on.
 */
export function writeRunReports(results: RunResults, outDir: string): void {
  try {
    writeReportFiles(outDir, { results });
  } catch (err) {
    process.stderr.write(`ipvs-harness: could not write report.html / junit.xml in ${outDir}: ${(err as Error).message}\n  (results.json is complete; retry with \`ipvs-harness report ${outDir}\`)\n`);
  }
}
