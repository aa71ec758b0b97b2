// The report model: one run's results joined with its parsed traces, the run's stored verdict of each
// expected graph placed on the calls it matched, and the canonical call graphs with their
// kernel-to-kernel diffs.
// Types only. buildReport (build-report.ts) makes it; toJson, toJunit and toHtml render it.
import type { StepStatus } from '../path-matcher.ts';
import type { StepFlows } from '../step-flows.ts';
import type { CallGraphDiff } from './callgraph-diff.ts';
import type { CallGraphSummary } from './callgraph-summary.ts';
import type { CellResult, GraphResult, KernelRun, RunResults, ScenarioInfo } from './results.ts';

export const REPORT_FORMAT = 'ipvs-harness/report';
/** Bump when a field changes meaning; adding optional fields keeps the version. */
export const REPORT_VERSION = 1;

export interface Report {
  format: typeof REPORT_FORMAT;
  version: typeof REPORT_VERSION;
  title: string;
  run: Omit<RunResults, 'kernels' | 'scenarios' | 'cells' | 'version'>;
  kernels: ReportKernel[];
  scenarios: ScenarioInfo[];
  /** In results order (kernel by kernel, scenarios in matrix order). */
  cells: ReportCell[];
  /** Canonical call graphs of every traced cell (the baseline format). */
  callGraphs: CallGraphSummary;
  /** Each kernel compared to the first one of the run. */
  diffs: CallGraphDiff[];
  /** Problems met while building the report (an unreadable trace, ...). */
  notes: string[];
}

export interface ReportKernel extends KernelRun {
  /** Last lines of the kernel's console log. */
  consoleTail?: string;
}

export interface ArtifactLink {
  kind: 'trace' | 'commands' | 'console' | 'output';
  /** Relative to the results folder, as results.json has it. */
  path: string;
  /** False when the file is not in the folder (it is then shown, not linked). */
  exists: boolean;
}

export interface ReportCell {
  /** Unique, safe for an HTML id: `debian-6-1--pod-to-vip`. */
  id: string;
  result: CellResult;
  /** One line: why the cell failed or errored, or was skipped. */
  reason?: string;
  /** The observed call trees, cut into the steps' trace_marker sections. */
  sections: TraceSection[];
  graphs: ReportGraph[];
  artifacts: ArtifactLink[];
  consoleTail?: string;
  /** Kernel generation the roles were resolved with (`wrappers (kernel 5.10.0-46-cloud-amd64)`). */
  generation?: string;
  /** Parser diagnostics and lost events, as lines. */
  traceNotes: string[];
  /** The flows of each step (traces with the flow probes), and the HTML id of each hook call by its trace line. */
  flows?: { steps: StepFlows[]; callIds: Record<number, string> };
}

export interface TraceSection {
  /** Step name, or null for the calls outside every step. */
  step: string | null;
  startLine: number | null;
  endLine: number | null;
  roots: ViewCall[];
  /** Roots left out to bound the size of the page (they are in the raw trace). */
  omittedRoots: number;
}

export interface RoleLabel {
  /** `local_request (LOCAL_OUT) = ip_vs_in_hook, hook 3` */
  text: string;
  roles: string[];
  hook: number | null;
  hookName: string | null;
  /** How the hook was known: symbol, probe (kprobe event), caller. */
  hookSource: string | null;
  family: 4 | 6 | null;
}

/** Where an expected-graph step matched this call (or failed on it). */
export interface CallMark {
  /** Index of the graph in ReportCell.graphs. */
  graph: number;
  /** Path in the graph, `expect[0].path[2]`. */
  at: string;
  expected: string;
  ok: boolean;
}

export interface ViewCall {
  /** Unique in the report, for anchors (`c3-41`). */
  id: string;
  symbol: string;
  fn: string;
  module: string | null;
  durationUs: number | null;
  startUs: number | null;
  cpu: number | null;
  task: string | null;
  pid: number | null;
  line: number;
  incomplete?: 'no-entry' | 'no-return';
  irq?: boolean;
  retval?: string;
  /** Set on hook calls: the IPVS role the call played. */
  role?: RoleLabel;
  /** A hook call nested inside another call (a packet re-entering the hooks). */
  reentry?: boolean;
  /** The packet the hook call saw (flow probes): `tcp 10.244.2.2:58168 > 10.96.0.10:80 [S]`. */
  packet?: string;
  marks?: CallMark[];
  /** Number of calls in this subtree, this one included. */
  size: number;
  children: ViewCall[];
}

/** One step of an expected path as judged on one root. */
export interface ExpectedStepView {
  at: string;
  expected: string;
  status: StepStatus;
  /** The observed call the step matched or failed on. */
  callId?: string;
  line?: number;
  detail?: string;
  inside: ExpectedStepView[];
}

export interface ReportGraph {
  /** As results.json has it (the verdict of the run). */
  result: GraphResult;
  kind: GraphResult['kind'];
  /** The expected path as the run judged it on the root shown; null when there is none to show. */
  expected: ExpectedStepView[] | null;
  /** The root the path is shown on: a satisfying root, or the closest one when the graph fails. */
  rootId?: string;
  rootText?: string;
  /** Roots that satisfy / fail the expectation. */
  satisfied: string[];
  failed: string[];
  /** Forbidden calls of the expectation. */
  forbid: string[];
  /** Why `expected` is missing or incomplete. */
  note?: string;
}
