// The schema of `<out>/results.json`, written by `ipvs-harness run` and read by `report`, `diff`,
// `merge` and the baselines. Types only: the harness writes it, the pure renderers read it.
// Bump RESULTS_VERSION on any incompatible change; readers refuse versions they do not know.

export const RESULTS_VERSION = 1;

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
  kernels: KernelRun[];
  scenarios: ScenarioInfo[];
  cells: CellResult[];
  summary: Record<CellStatus, number> & { total: number };
}

export interface ScenarioInfo {
  name: string;
  summary: string;
  description?: string;
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
  /** How the kernel has IPVS: `ip_vs` a module or built in (CONFIG_IP_VS=y), and the IPVS parts built in. */
  ipvs?: { core: 'module' | 'built-in'; builtIn: string[] };
  /** Boot to SSH-ready, per boot of this kernel in the run. */
  bootMs: number[];
  error?: ErrorInfo;
  /** Console log of the kernel's boots, relative to the results folder. */
  console?: string;
  /** Every console log when several guests ran this kernel's scenarios (`--jobs`). */
  consoles?: string[];
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
  trace?: { lines: number; roots: number; lostEvents: number; diagnostics: number; hooksWithNumber: number };
  /** `run --bpftrace`: calls per hook function and netfilter hook number, counted by kprobes. */
  bpftrace?: { hooks: { fn: string; hook: number; count: number }[]; stacks: number };
  /** Files in the results folder, relative paths (`output`: a selftest's own output). */
  artifacts: { trace?: string; commands?: string; console?: string; output?: string; bpftrace?: string };
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
  kind: 'connect' | 'send' | 'wait' | 'sysctls' | 'subtest';
  status: 'passed' | 'failed' | 'error' | 'skipped';
  outcome?: string;
  answeredBy?: string[];
  detail?: string;
  checks: StepCheckResult[];
  durationMs: number;
}

export interface GraphResult {
  /** Name of the expected graph (or `<step>/<role>`). */
  name: string;
  step?: string;
  role: string;
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
}
