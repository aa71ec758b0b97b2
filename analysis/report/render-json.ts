// The report model as JSON (format "ipvs-harness/report", version 1): everything the HTML shows, for
// tools. The canonical call-graph summary alone (the baseline format) is `toCallGraphJson`.
import type { CallGraphSummary } from './callgraph-summary.ts';
import type { Report } from './model.ts';

export function toJson(report: Report, opts: { pretty?: boolean } = {}): string {
  return `${JSON.stringify(report, null, opts.pretty === false ? undefined : 2)}\n`;
}

export function toCallGraphJson(summary: CallGraphSummary): string {
  return `${JSON.stringify(summary, null, 2)}\n`;
}
