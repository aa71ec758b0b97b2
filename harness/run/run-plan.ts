// One run plan, normalised once from what a command was asked (execa's normalizeOptions, changesets'
// Config): the kernels, each parsed, a path: kernel carrying its own --modules and --config; the
// scenarios and the other guest cells; the matrix (or the shard of it) to run; the tracers; the
// guests; the results folder. The layers below take the slice they need instead of redeclaring fields.
import { availableParallelism, freemem } from 'node:os';
import { resolve } from 'node:path';
import { DEFAULT_KERNEL_SPECS, DEFAULT_MATRIX_NOTE, type KernelSpec } from '../../vm/kernel-spec.ts';
import { toKernelSpec } from '../../vm/resolve-kernel.ts';
import { UsageError } from '../errors.ts';
import { cacheDirOption } from '../inputs/option-values.ts';
import { checkOutputFolder } from '../outputs/output-folder.ts';
import { selectScenarios, type LoadedScenario } from '../scenario-loader.ts';
import { splitSelftestSelectors } from '../selftest/selftest-selectors.ts';
import type { GuestCell } from './guest-cell.ts';
import { planOutOfTreeIpvs, type OutOfTreeIpvsPlan } from './own-ipvs.ts';
import { cellKey, expandMatrix, parseShard, shardCells, type MatrixCell, type ShardSpec } from './matrix.ts';
import { readResults } from './results-folder.ts';
import { testFaultFromEnv, type TestFault } from './test-fault.ts';
import { imageCacheLimit } from '../../vm/image-cache.ts';

export interface RunPlan {
  /** In the order given; a kernel's `text` is its cells' `kernel` in results.json. */
  kernels: KernelSpec[];
  /** No -k given: the default matrix, and why each of its kernels is in it (for results.json and the report). */
  defaultKernels?: string;
  scenarios: LoadedScenario[];
  /** Cells that are not scenarios (the kernel's own selftest), after the scenarios in the matrix. */
  guestCells: GuestCell[];
  /** The cells to run, in matrix order: every kernel x scenario, or one shard of them. */
  cells: MatrixCell[];
  shard?: ShardSpec;
  tracer: TracerPlan;
  guests: GuestPlan;
  /** The results folder, absolute. */
  out: string;
  /** Fault tests only (IPVS_HARNESS_TEST_FAULT, test-fault.ts). */
  testFault?: TestFault;
  /** `--ipvs-source`: every kernel runs IPVS modules built from this tree instead of its own. */
  outOfTreeIpvs?: OutOfTreeIpvsPlan;
}

export interface TracerPlan {
  /** function_graph with the step markers (`--no-trace`: outcomes only). */
  ftrace: boolean;
  /** bpftrace's call events (boots the bpftrace image): judged alone (`--tracer bpftrace`) or beside ftrace (`both`). */
  bpftrace: boolean;
}

export const TRACER_CHOICES = ['ftrace', 'bpftrace', 'both'] as const;

/** `--tracer` and the older switches as one choice; `--no-trace` wins (outcomes only). */
export function planTracer(req: Pick<RunRequest, 'trace' | 'bpftrace' | 'tracer'>): TracerPlan {
  if (req.trace === false) {
    if (req.tracer !== undefined) throw new UsageError(`--no-trace and --tracer ${req.tracer} contradict each other; drop one`);
    if (req.bpftrace) throw new UsageError('--no-trace and --bpftrace contradict each other; for bpftrace alone use --tracer bpftrace');
    return { ftrace: false, bpftrace: false };
  }
  if (req.bpftrace && req.tracer !== undefined && req.tracer !== 'both') throw new UsageError(`--bpftrace (the same as --tracer both) and --tracer ${req.tracer} contradict each other; drop one`);
  const choice = req.tracer ?? (req.bpftrace ? 'both' : 'ftrace');
  if (!(TRACER_CHOICES as readonly string[]).includes(choice)) throw new UsageError(`--tracer ${choice}: expected one of ${TRACER_CHOICES.join(', ')}`);
  return { ftrace: choice !== 'bpftrace', bpftrace: choice !== 'ftrace' };
}

/** The choice a tracer plan stands for, as results.json and the report name it (null: untraced). */
export function tracerChoice(t: TracerPlan): 'ftrace' | 'bpftrace' | 'both' | null {
  return t.ftrace && t.bpftrace ? 'both' : t.bpftrace ? 'bpftrace' : t.ftrace ? 'ftrace' : null;
}

export interface GuestPlan {
  /** Guests booted at once. */
  jobs: number;
  /** A fresh guest for every cell instead of one per kernel, reset between cells. */
  freshBoot: boolean;
  /** Every cell starts from a snapshot of the kernel's booted guest (vm/guest-snapshot.ts); off (the default): reset between cells. */
  snapshots: boolean;
  cacheDir: string;
  /** The cache's guest images are kept within this (IPVS_HARNESS_IMAGE_CACHE_MB; vm/image-cache.ts). */
  imageCacheBytes: number;
  bootTimeoutMs?: number;
}

/** What a command was asked, as the user typed it (the fields of `run`'s options). */
export interface RunRequest {
  /** Kernel specs; none: the default kernels. */
  kernel?: readonly string[];
  /** Scenario names, files and `selftest:<name>`; none: the seed suite. */
  scenario?: readonly string[];
  out: string;
  /** For path: kernels. */
  modules?: string;
  config?: string;
  cacheDir?: string;
  jobs?: string;
  shard?: string;
  /** A results folder whose cell durations balance the shards. */
  durations?: string;
  trace?: boolean;
  /** `--bpftrace` (older name of `--tracer both`). */
  bpftrace?: boolean;
  /** `--tracer ftrace|bpftrace|both`. */
  tracer?: string;
  freshBoot?: boolean;
  /** `--snapshot`: every cell from a snapshot of the kernel's booted guest. */
  snapshot?: boolean;
  /** `selftest --timeout`: the selftests' deadline instead of their settings file's. */
  selftestTimeoutS?: number;
  /** `--ipvs-source <dir|debian>`. */
  ipvsSource?: string;
}

/** Every choice of the run, checked before anything boots (bad input throws, exit 2). */
export function planRun(req: RunRequest, env: NodeJS.ProcessEnv = process.env): RunPlan {
  // Where it writes first: a results folder or cache under /proc, a file in their place, is bad input.
  checkOutputFolder({ path: req.out, what: 'results folder' });
  const cacheDir = cacheDirOption(req.cacheDir);
  const kernels = planKernels(req);
  const { scenarioSelectors, selftests } = splitSelftestSelectors(req.scenario ?? [], { cacheDir, ...(req.selftestTimeoutS !== undefined ? { timeoutS: req.selftestTimeoutS } : {}) });
  // Only selftests asked for: no seed suite with them.
  const scenarios = scenarioSelectors.length === 0 && selftests.length > 0 ? [] : selectScenarios(scenarioSelectors);
  const all = expandMatrix(kernels.map((k) => k.text), [...scenarios.map((s) => s.scenario.name), ...selftests.map((c) => c.name)]);
  const shard = req.shard !== undefined ? parseShard(req.shard) : undefined;
  if (shard === null) throw new UsageError(`--shard ${req.shard}: expected i/n with 1 <= i <= n, e.g. --shard 2/4`);
  const testFault = testFaultFromEnv(env);
  return {
    kernels,
    ...(req.kernel !== undefined && req.kernel.length > 0 ? {} : { defaultKernels: DEFAULT_MATRIX_NOTE }),
    scenarios,
    guestCells: selftests,
    cells: shard ? shardCells(all, shard, ...recordedDurations(req.durations)) : all,
    ...(shard ? { shard } : {}),
    tracer: planTracer(req),
    guests: { jobs: req.jobs !== undefined ? parseJobs(req.jobs) : defaultJobs(availableParallelism(), freemem()), freshBoot: req.freshBoot ?? false, snapshots: req.snapshot === true && req.freshBoot !== true, cacheDir, imageCacheBytes: imageCacheLimit(env) },
    out: resolve(req.out),
    ...(testFault ? { testFault } : {}),
    ...(req.ipvsSource ? { outOfTreeIpvs: planOutOfTreeIpvs(req.ipvsSource, scenarios.map((s) => s.scenario), selftests.length > 0) } : {}),
  };
}

/** The kernels, parsed; --modules and --config go with every path: kernel, and only there. */
function planKernels(req: RunRequest): KernelSpec[] {
  const texts = req.kernel !== undefined && req.kernel.length > 0 ? req.kernel : DEFAULT_KERNEL_SPECS;
  const extra = { ...(req.modules ? { modulesDir: resolve(req.modules) } : {}), ...(req.config ? { configPath: resolve(req.config) } : {}) };
  const kernels = texts.map((t) => toKernelSpec(t, extra));
  const flags = [req.modules ? '--modules' : null, req.config ? '--config' : null].filter(Boolean);
  if (flags.length > 0 && !kernels.some((k) => k.kind === 'path')) {
    throw new UsageError(`${flags.join(' and ')} belong${flags.length > 1 ? '' : 's'} to a path: kernel, and none is given (${texts.join(', ')}); e.g. -k path:./arch/x86/boot/bzImage --modules /tmp/mods --config .config`);
  }
  return kernels;
}

function recordedDurations(dir: string | undefined): [Map<string, number>, Map<string, number>] {
  const durations = new Map<string, number>();
  const boots = new Map<string, number>();
  if (dir) {
    const previous = readResults(dir);
    for (const c of previous.cells) durations.set(cellKey(c), c.durationMs);
    for (const k of previous.kernels) if (k.bootMs.length) boots.set(k.spec, Math.max(...k.bootMs));
  }
  return [durations, boots];
}

function parseJobs(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new UsageError(`--jobs ${text}: expected a whole number from 1 to 64`);
  return n;
}

/** Default number of guests: one per core, as far as free memory allows (~700 MB per TCG guest). */
export function defaultJobs(cores: number, freeBytes: number): number {
  return Math.max(1, Math.min(cores, Math.floor(freeBytes / (700 * 1024 * 1024))));
}
