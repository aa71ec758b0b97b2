// Builds the report model from a run's results and the texts the harness read for it (traces,
// console logs). Pure: the loader (harness/report/load-run.ts) does the reading; everything here is
// parsing the saved traces and joining them with the verdict the run stored. Nothing is judged.
import { parseFunctionGraph } from '../function-graph-parser.ts';
import { parseBpftraceCalls } from '../bpftrace-calls.ts';
import { detectTraceFormat } from '../detect-format.ts';
import { walkCalls, type CallNode, type Trace } from '../model.ts';
import { attachConnections, attachNames, flowsByStep } from '../step-flows.ts';
import { findRoleInstances, resolveGeneration, type KernelGeneration } from '../roles.ts';
import { stepRanges, stepSpans } from '../step-markers.ts';
import { assignIds, sectionViews } from './call-tree-view.ts';
import type { CallGraphDiff } from './callgraph-diff.ts';
import { diffRunSides } from './diff-runs.ts';
import { callGraphSummary, summarizeCell, type CallGraphEntry } from './callgraph-summary.ts';
import { graphViews } from './graph-view.ts';
import type { ArtifactLink, CallMark, Report, ReportCell, ReportKernel } from './model.ts';
import { REPORT_FORMAT, REPORT_VERSION } from './model.ts';
import type { CellResult, RunResults } from './results.ts';

export interface CellInput {
  /** The raw trace; absent when the cell has none (error, --no-trace) or it could not be read. */
  traceText?: string;
  /** Why the trace is absent although results.json names one. */
  traceProblem?: string;
  consoleText?: string;
  /** Which of the cell's artifacts exist in the folder. */
  present?: Partial<Record<ArtifactLink['kind'], boolean>>;
}

export interface ReportInput {
  results: RunResults;
  /** Parallel to results.cells. */
  cells: readonly CellInput[];
  /** Parallel to results.kernels: each kernel's console log. */
  kernelConsoles?: ReadonlyArray<string | undefined>;
  title?: string;
  notes?: string[];
}

export const CONSOLE_TAIL_LINES = 40;

/** Last lines of a console log, without terminal escapes and control characters. */
export function consoleTail(text: string, lines = CONSOLE_TAIL_LINES): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g, '').replace(/\r\n?/g, '\n');
  const all = clean.trimEnd().split('\n');
  return all.slice(-lines).join('\n');
}

export function cellReason(c: CellResult): string | undefined {
  if (c.status === 'error' && c.error) return `${c.error.phase}: ${c.error.message}${c.error.code ? ` [${c.error.code}]` : ''}`;
  if (c.status === 'skipped') return c.skipReason ?? 'skipped';
  if (c.status === 'failed') {
    const first = c.failures[0] ?? 'failed';
    return c.failures.length > 1 ? `${first} (+${c.failures.length - 1} more)` : first;
  }
  return undefined;
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'x';
}

function generationText(g: KernelGeneration): string {
  if (g.id === 'unknown') return 'unknown (no IPVS hook symbols, no kernel release)';
  return `${g.id} (${g.source === 'kernel-release' ? `kernel ${g.release}` : 'from the symbols in the trace'})${g.warning ? `; warning: ${g.warning}` : ''}`;
}

function artifactLinks(c: CellResult, present: CellInput['present']): ArtifactLink[] {
  const out: ArtifactLink[] = [];
  for (const kind of ['trace', 'commands', 'console', 'output'] as const) {
    const path = c.artifacts[kind];
    if (path !== undefined) out.push({ kind, path, exists: present?.[kind] ?? true });
  }
  return out;
}

function traceNotes(trace: Trace): string[] {
  const notes: string[] = [];
  if (trace.lostEvents > 0 || trace.lost.length > 0) notes.push(`the trace buffer lost ${trace.lostEvents || 'some'} events: calls may be missing`);
  for (const d of trace.diagnostics.slice(0, 20)) notes.push(`line ${d.line}: ${d.severity} ${d.code}: ${d.message}`);
  if (trace.diagnostics.length > 20) notes.push(`... ${trace.diagnostics.length - 20} more diagnostics`);
  return notes;
}

interface BuiltCell {
  cell: ReportCell;
  entries: CallGraphEntry[];
}

function buildCell(result: CellResult, index: number, input: CellInput): BuiltCell {
  const cell: ReportCell = {
    id: `c${index}-${slug(`${result.kernel}-${result.scenario}`)}`,
    result,
    sections: [],
    graphs: [],
    artifacts: artifactLinks(result, input.present),
    traceNotes: [],
  };
  const reason = cellReason(result);
  if (reason !== undefined) cell.reason = reason;
  if (input.consoleText !== undefined) cell.consoleTail = consoleTail(input.consoleText);
  if (input.traceText === undefined) {
    if (input.traceProblem) cell.traceNotes.push(input.traceProblem);
    cell.graphs = graphViews(result.graphs, null, input.traceProblem);
    return { cell, entries: [] };
  }
  // function_graph, or the call events of `--tracer bpftrace` (recognised by their header).
  const trace = detectTraceFormat(input.traceText) === 'bpftrace-calls' ? parseBpftraceCalls(input.traceText) : parseFunctionGraph(input.traceText);
  const release = result.kernelRelease ?? null;
  const generation = resolveGeneration(trace, release);
  cell.generation = generationText(generation);
  cell.traceNotes = traceNotes(trace);
  const ids = assignIds(trace, `c${index}`);
  const marks = new Map<CallNode, CallMark[]>();
  cell.graphs = graphViews(result.graphs, { trace, ids, marks });
  const steps = stepSpans(result.steps);
  const ranges = stepRanges(trace, steps);
  const instances = new Map(findRoleInstances(trace, generation).map((i) => [i.node, i]));
  cell.sections = sectionViews(trace, ranges, { ids, instances, generation, marks });
  const flowSteps = flowsByStep(trace, steps);
  attachConnections(flowSteps, result.steps);
  attachNames(flowSteps, result.hostNames);
  if (flowSteps.some((s) => s.flows.length > 0)) {
    const callIds: Record<number, string> = {};
    walkCalls(trace.roots, (n) => {
      if (n.packet !== undefined) callIds[n.line] = ids.get(n)!;
    });
    cell.flows = { steps: flowSteps, callIds };
  }
  const entries = summarizeCell({ trace, kernel: result.kernel, release, scenario: result.scenario, steps });
  return { cell, entries };
}

/** Every other kernel against the first kernel that has traces. */
function kernelDiffs(results: RunResults, traced: ReadonlySet<number>, entries: readonly CallGraphEntry[]): CallGraphDiff[] {
  const kernelsWithTraces = results.kernels.filter((k) => results.cells.some((c, i) => c.kernel === k.spec && traced.has(i)));
  const base = kernelsWithTraces[0];
  if (base === undefined) return [];
  const side = (kernel: string) => ({ results, traced, entries, kernel, label: kernel });
  return kernelsWithTraces.slice(1).map((other) => diffRunSides(side(base.spec), side(other.spec)));
}

export interface BuiltReport {
  report: Report;
  /** Indexes of the cells whose trace was parsed. */
  traced: Set<number>;
}

export function buildReport(input: ReportInput): Report {
  return buildReportWithIndex(input).report;
}

export function buildReportWithIndex(input: ReportInput): BuiltReport {
  const { results } = input;
  const cells: ReportCell[] = [];
  const entries: CallGraphEntry[] = [];
  const traced = new Set<number>();
  results.cells.forEach((c, i) => {
    const built = buildCell(c, i, input.cells[i] ?? {});
    cells.push(built.cell);
    entries.push(...built.entries);
    if (input.cells[i]?.traceText !== undefined) traced.add(i);
  });
  const kernels: ReportKernel[] = results.kernels.map((k, i) => {
    const text = input.kernelConsoles?.[i];
    return text !== undefined ? { ...k, consoleTail: consoleTail(text) } : { ...k };
  });
  const { kernels: _k, scenarios, cells: _c, version: _v, ...run } = results;
  const report: Report = {
    format: REPORT_FORMAT,
    version: REPORT_VERSION,
    title: input.title ?? `IPVS call-trace report: ${results.kernels.map((k) => k.label ?? k.spec).join(', ')}`,
    run,
    kernels,
    scenarios,
    cells,
    callGraphs: callGraphSummary(entries),
    diffs: kernelDiffs(results, traced, entries),
    notes: [...(input.notes ?? [])],
  };
  return { report, traced };
}
