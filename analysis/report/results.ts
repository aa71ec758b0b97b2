// The schema of `<out>/results.json`, written by `ipvs-harness run` and read by `report`, `diff`,
// `merge` and the baselines. The run's judge writes the complete verdict of every expected graph here
// (which call each step matched, or where it failed); everything after the run renders it and never
// judges again. Bump RESULTS_VERSION on any incompatible change; readers refuse versions they do not
// know (format 1, without the judged steps, is read by upgradeResults).
import type { StepStatus } from '../path-matcher.ts';
import type { ConnTable } from '../conn-table.ts';

export const RESULTS_VERSION = 3 as const;

export type CellStatus = 'passed' | 'failed' | 'error' | 'skipped';

/** Where a kernel x scenario cell stopped when it is an `error`. */
export type CellPhase = 'kernel' | 'boot' | 'setup' | 'trace' | 'step' | 'collect' | 'judge' | 'reset' | 'interrupted';

export interface ErrorInfo {
  /** Stable code, e.g. GUEST_PANIC, BOOT_TIMEOUT, SSH_TIMEOUT, SETUP_FAILED. */
  code: string;
  phase: CellPhase;
  message: string;
  /** Console tail or stderr tail. */
  details?: string;
}

export interface RunResults {
  version: typeof RESULTS_VERSION;
  tool: { name: 'ipvs-harness'; version: string };
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  host: { hostname: string; accel: 'tcg' | 'kvm' | 'unknown'; jobs: number };
  /** `--shard i/n` when this folder holds one slice of a larger matrix. */
  shard?: { index: number; count: number };
  /** Present when the run was given no -k: the default matrix and why each kernel is in it. */
  defaultKernels?: string;
  kernels: KernelRun[];
  scenarios: ScenarioInfo[];
  cells: CellResult[];
  summary: Record<CellStatus, number> & { total: number };
}

export interface ScenarioInfo {
  name: string;
  summary: string;
  description?: string;
  /** The Kubernetes setting the scenario models (its `kubernetes:` line). */
  kubernetes?: string;
  tags: string[];
  /** 'selftest': a kernel selftest run in the guest (`selftest:ipvs.sh`), no file and no expected graphs. Absent: a scenario. */
  kind?: 'scenario' | 'selftest';
  /** Path of the scenario file, relative to the working directory of the run. */
  file?: string;
}

export interface KernelRun {
  spec: string;
  label?: string;
  release?: string;
  accel?: 'tcg' | 'kvm';
  /** Where the kernel came from, for humans: `linux-image-7.3.4+deb13-cloud-amd64 7.3.4-1~bpo13+1 (trixie-backports)` or a path. */
  source?: string;
  /** SHA-256 of the kernel image that booted. */
  imageSha256?: string;
  /** Debian kernels: the exact packages unpacked (the image, and a split kernel's parts); `debian:<name>` asks for the same build again. */
  packages?: { name: string; version: string; suite: string; debSha256?: string }[];
  /**
   * How the kernel has IPVS: `ip_vs` a module or built in (CONFIG_IP_VS=y), and the IPVS parts built
   * in; `outOfTree` when it ran IPVS modules the harness built from a source tree (`--ipvs-source`).
   */
  ipvs?: { core: 'module' | 'built-in'; builtIn: string[]; outOfTree?: OutOfTreeIpvsRecord };
  /**
   * What the trace's filter selected on this kernel (set_ftrace_filter: the ip_vs modules' functions
   * and the plan's core functions), as printed (clone suffixes kept), union over its cells. A call
   * missing on this kernel that is not in here was inlined or is gone from its text, not skipped.
   * Absent in runs before it was recorded.
   */
  traceable?: { functions: string[] };
  /** Boot to SSH-ready, per boot of this kernel in the run. */
  bootMs: number[];
  /**
   * Cells started from a snapshot of the kernel's booted guest: how long saving took, its size, each
   * restore's time (ms); `fallback` says why the kernel's cells (or the rest of them) used resets instead.
   */
  snapshot?: { saveMs: number; sizeBytes: number; restoreMs: number[]; fallback?: string };
  /** The bpftrace that ran in the guest (`--tracer bpftrace|both`): `bpftrace --version` and the Debian release it came from. */
  bpftrace?: { version: string; release?: string };
  error?: ErrorInfo;
  /** Console log of the kernel's boots, relative to the results folder. */
  console?: string;
  /** Every console log when several guests ran this kernel's scenarios (`--jobs`). */
  consoles?: string[];
}

/** IPVS modules built out of tree by the harness (`--ipvs-source`), as they ran in a kernel. */
export interface OutOfTreeIpvsRecord {
  /** The tree: a path, or `linux-source-6.1 6.1.192-3 (bookworm-security)`. */
  source: string;
  /** SHA-256 (16 hex) of the IPVS files compiled. */
  sourceHash: string;
  gitDescribe?: string;
  /** `gcc --version` of the compiler that built them. */
  compiler: string;
  /** The kernel headers they were built against. */
  headers: string;
  modules: { name: string; sha256: string }[];
  vermagic: string;
  buildMs: number;
  buildCpuMs?: number;
  /** True when this run took them from the cache. */
  cached: boolean;
  builtAt: string;
  warnings: string[];
  /** What the guest said when ip_vs was loaded (out-of-tree taint, file hash). */
  loaded?: string;
}

export type TracerChoice = 'ftrace' | 'bpftrace' | 'both';

export type TraceSummary = { lines: number; roots: number; lostEvents: number; diagnostics: number; hooksWithNumber: number };

/** A cell's graphs judged on the second tracer's trace. */
export interface SecondVerdict {
  tracer: 'bpftrace';
  graphs: GraphResult[];
  observations: string[];
  trace?: TraceSummary;
  /** Why there is no verdict (bpftrace did not start, its trace is incomplete). */
  problem?: string;
}

/** What the two tracers were compared on, and where they disagree (each line names the step). */
export interface TracerAgreement {
  agree: boolean;
  /** How many steps and graphs were compared. */
  steps: number;
  graphs: number;
  differences: string[];
}

export interface CellResult {
  kernel: string;
  kernelRelease?: string;
  scenario: string;
  status: CellStatus;
  durationMs: number;
  error?: ErrorInfo;
  skipReason?: string;
  /** Why a `failed` cell failed, one line per failing check or graph. */
  failures: string[];
  steps: StepResult[];
  graphs: GraphResult[];
  /** Plain statements of what the trace showed (e.g. where a nested hook ran and whether it did work). */
  observations: string[];
  counters?: { ipvsStats?: string; connections?: string; icmp?: Record<string, Record<string, number>> };
  trace?: TraceSummary;
  /**
   * The tracer whose trace `graphs` were judged on (`artifacts.trace`): function_graph (`ftrace`, the
   * default and what an absent field means) or bpftrace's call events. `both`: graphs from ftrace,
   * and `bpftrace` holds the second verdict from bpftrace's trace (`artifacts.bpftrace`).
   */
  tracer?: TracerChoice;
  /** `--tracer both`: the same graphs judged on bpftrace's trace. */
  bpftrace?: SecondVerdict;
  /** `--tracer both`: whether the two tracers tell the same story (analysis/tracer-agreement.ts). */
  agreement?: TracerAgreement;
  /** Files in the results folder, relative paths (`output`: a selftest's own output). */
  artifacts: { trace?: string; commands?: string; console?: string; output?: string; bpftrace?: string };
  /** What the scenario calls each address (`10.244.2.2` -> `pod1`, a VIP -> `VIP`): the flows' host names. */
  hostNames?: Record<string, string>;
}

export interface StepCheckResult {
  what: string;
  expected: string;
  actual: string;
  ok: boolean;
}

export interface StepResult {
  name: string;
  /** 'subtest': one sub-test of a kernel selftest (e.g. ipvs.sh's DR mode), parsed from its output. */
  kind: 'connect' | 'send' | 'wait' | 'sysctls' | 'setWeight' | 'removeRealServer' | 'finish' | 'subtest';
  status: 'passed' | 'failed' | 'error' | 'skipped';
  outcome?: string;
  answeredBy?: string[];
  detail?: string;
  checks: StepCheckResult[];
  durationMs: number;
  /** IPVS's connection table before and after the step (ipvsadm -Lnc; 7.x: ip_vs_status, lfactors). */
  connections?: { before: ConnTable; after: ConnTable };
  /**
   * TCP sockets that still had something in flight when the step's end marker was written (the
   * runner waits up to a deadline first): `rs2: 10.244.1.3:81 -> 10.244.2.2:40412 ESTABLISHED,
   * retransmitting`. Their packets reach the hooks in a later section of the trace.
   */
  inFlight?: string[];
}

/** Steps that send no packets of their own: they change settings (sysctls, ipvsadm) or wait. */
const SILENT_STEP_KINDS: ReadonlySet<string> = new Set(['wait', 'sysctls', 'setWeight', 'removeRealServer']);

/**
 * Whether a step of this kind sends packets of its own. A kind not known to be silent counts as
 * sending: the runner drains it, and the diff keeps its hook calls behaviour-relevant.
 */
export function sendsTraffic(kind: StepResult['kind']): boolean {
  return !SILENT_STEP_KINDS.has(kind);
}

export interface GraphResult {
  /** Name of the expected graph (or `<step>/<role>`). */
  name: string;
  step?: string;
  role: string;
  /** `path`: an expectation on a role's calls; `order`: an order check of roles; `baseline`: the call graphs compared with a recorded baseline. */
  kind: 'path' | 'order' | 'baseline';
  holds: boolean;
  /**
   * Why the graph could not be judged, when it does not hold only because the trace has a hole where
   * it looked (the ring buffer lost events, the trace was cut off). Such a graph is not a failure:
   * the cell is an error TRACE_INCOMPLETE.
   */
  incomplete?: string;
  /** Readable diff when the graph does not hold, or notes (e.g. hook number unknown). */
  diff?: string;
  notes?: string[];
  /** How the run judged it on the trace, call by call (path and order checks). */
  judged?: JudgedGraph;
}

/** A call in the cell's saved trace: the line of its entry in trace.txt, and its name. */
export interface TraceCallRef {
  line: number;
  fn: string;
}

/** One step of an expected path (or one role of an order check) as the run judged it. */
export interface JudgedStep {
  /** Where in the expectation: `expect[0].path[2]`, or `order[1]`. */
  at: string;
  /** The call(s) expected, or the role of an order check. */
  expected: string;
  status: StepStatus;
  /** The call the step matched, or the call it failed on. */
  call?: TraceCallRef;
  detail?: string;
  inside?: JudgedStep[];
}

export interface JudgedGraph {
  /** The expected path walked on the root shown (or each role of an order check). */
  steps: JudgedStep[];
  /** The root the path is shown on: the first that satisfies it, else the closest one. */
  root?: TraceCallRef;
  /** The role's calls that satisfy / do not satisfy the expectation. */
  satisfied: TraceCallRef[];
  failed: TraceCallRef[];
  /** Calls forbidden under the role's calls. */
  forbid: string[];
  /** Why the steps could not be walked (no call of the role, the step's markers missing). */
  note?: string;
}

/** The union of two sets of traceable functions, sorted (KernelRun.traceable). */
export function mergeTraceable(seen: KernelRun['traceable'], more: readonly string[]): NonNullable<KernelRun['traceable']> {
  return { functions: [...new Set([...(seen?.functions ?? []), ...more])].sort() };
}

/**
 * Results of format 1 (before the judged steps were stored) and 2 (bpftrace only counted) as format 3: each graph's kind told from
 * its role; the graphs then show their verdict and diff without the calls they matched.
 */
export function upgradeResults(old: Omit<RunResults, 'version'>): RunResults {
  const kindOf = (g: GraphResult): GraphResult['kind'] => g.kind ?? (g.role === 'baseline' ? 'baseline' : g.role.includes(' -> ') ? 'order' : 'path');
  return { ...old, version: RESULTS_VERSION, cells: old.cells.map((c) => upgradeCell({ ...c, graphs: c.graphs.map((g) => ({ ...g, kind: kindOf(g) })) })) };
}

/** Format 2's `bpftrace` (hook calls counted next to function_graph) becomes an observation. */
function upgradeCell(c: CellResult): CellResult {
  const legacy = c.bpftrace as unknown as { hooks?: { fn: string; hook: number; count: number }[] } | undefined;
  if (legacy === undefined || !Array.isArray(legacy.hooks)) return c;
  const { bpftrace: _dropped, ...rest } = c;
  const text = legacy.hooks.map((h) => `${h.fn}${h.hook ? ` at hook ${h.hook}` : ''} x${h.count}`).join(', ');
  return { ...rest, observations: [...c.observations, `bpftrace (whole scenario): ${text || 'no hook call counted'}`] };
}
