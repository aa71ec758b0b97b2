// Runs one scenario on one booted guest: build the topology, trace, drive the steps, collect, judge.
// Returns the cell result, or, when the guest fails under it (panic, lost SSH), the phase it broke
// in, so the kernel runner can classify it and boot a fresh guest for the remaining scenarios.
import { sendsTraffic, type CellPhase, type CellResult, type StepResult } from '../../analysis/report/results.ts';
import {
  serverCommands, serviceCommands, sysctlCommands, topologyCommands,
} from '../../scenarios/guest-commands.ts';
import { LIST_MODULES, LIST_TRACEABLE, moduleCommand, parseTraceable, type TraceableFunctions } from '../../scenarios/guest-state.ts';
import type { Scenario, Step } from '../../scenarios/schema.ts';
import { TRACE_END_MARKER } from '../../analysis/step-markers.ts';
import { KPROBES_BY_NAME, markerCommand, planTracing, type ModuleText } from '../../scenarios/trace-plan.ts';
import { batchCommand, lastPartStarted, splitBatch, type BatchOutput, type BatchPart } from '../../scenarios/batch.ts';
import type { GuestCommand } from '../../scenarios/guest-commands.ts';
import { LIST_BUILTIN_IPVS_LINES, parseLineNumbers } from '../../scenarios/builtin-ipvs-lines.ts';
import { markLostEvents, parseRingBufferStats, RING_BUFFER_STATS } from '../../scenarios/ring-buffer.ts';
import { BPFTRACE_VERSION, bpftraceCallsProgram, bpftraceCandidates, bpftraceFunctions, bpftraceStart, bpftraceStop, parseProbeable, probeableCommand } from '../../scenarios/bpftrace-plan.ts';
import { endAtMarker, sortBpftraceCalls } from '../../analysis/bpftrace-calls.ts';
import { CommandFailed, SetupFailed, TracerFailed } from '../errors.ts';
import { tracerAgreement } from '../../analysis/tracer-agreement.ts';
import { LoggedShell, type ShellResult } from './guest-shell.ts';
import { aliasShared, concludeStep, isStepPart, planStep, shareReads, type MarkerSink, type StepPlan } from './run-step.ts';
import { judgeTrace } from './judge-trace.ts';
import { BAD_PROBE } from './test-fault.ts';
import type { TracerPlan } from './run-plan.ts';
import type { FlowLayout } from '../../analysis/flow-layout.ts';
import { parseKernelVersion } from '../../analysis/roles.ts';
import { CONN_SECTION, formatIpvsadmConnections, parseProcConnections } from '../../analysis/conn-table.ts';
import { readListing, writeListing, type ListingCache } from './traceable-cache.ts';

export interface ScenarioRunOptions {
  kernel: string;
  kernelRelease: string;
  /** function_graph and/or bpftrace's call events (the guest must then be the bpftrace image). */
  tracer: TracerPlan;
  onStep?: (step: Step, result: StepResult) => void;
  /** Modules built into the kernel: not modprobed; `ip_vs` among them changes tracing and reset. */
  builtInModules?: ReadonlySet<string>;
  /** The kernel's flow layout (from its BTF): the hook probes then carry skb, netns and packet bytes. */
  flowLayout?: FlowLayout;
  /** What the kernel's guests answered before, for the cells after (one per kernel). */
  memo?: KernelMemo;
  /** ip_vs.ko's .text offsets (harness/run/module-text.ts): the flow probes are then placed by address. */
  moduleText?: ModuleText;
  /** Where the guest image's own listings are kept between runs (harness/run/traceable-cache.ts). */
  listings?: ListingCache;
}

/** Answers that do not change between cells of one kernel (whichever of its guests gave them). */
export interface KernelMemo {
  /** The traceable functions, by the list of ip_vs modules loaded when they were read. */
  traceable: Map<string, TraceableFunctions>;
  /** What the trace filter selected (set_ftrace_filter read back), by modules loaded and filter written. */
  filtered?: Map<string, string[]>;
  /** `bpftrace --version` in the kernel's guest. */
  bpftraceVersion?: string;
  /** Functions bpftrace can probe on this kernel, with their symbols (a miss is not kept: a module loaded later may have it). */
  probeable?: Map<string, string[]>;
}

export function newKernelMemo(): KernelMemo {
  return { traceable: new Map() };
}

/** set_ftrace_filter takes line numbers of available_filter_functions from Linux 5.1 on. */
function selectsByLine(release: string | undefined): boolean {
  const v = parseKernelVersion(release ?? '');
  return v !== null && (v[0] > 5 || (v[0] === 5 && v[1] >= 1));
}

function withNewline(text: string): string {
  return text === '' || text.endsWith('\n') ? text : `${text}\n`;
}

/** Batch parts that say which ip_vs modules are loaded (and, built in, where IPVS's functions are listed): sent with the setup. */
function guestStateParts(builtIn: ReadonlySet<string>): BatchPart[] {
  return [{ name: 'modules', command: LIST_MODULES }, ...(builtIn.has('ip_vs') ? [{ name: 'lines', command: LIST_BUILTIN_IPVS_LINES }] : [])];
}

/** The ip_vs modules loaded, the built-in IPVS's source lines (from the setup's output), and what the guest can trace (read once per module set). */
async function traceableState(shell: LoggedShell, setup: BatchOutput, builtIn: ReadonlySet<string>, memo: KernelMemo | undefined, listings: ListingCache | undefined): Promise<{ traceable: TraceableFunctions; modules: string[]; builtinLines: number[] }> {
  const modules = (setup.get('modules') ?? '').split('\n').filter(Boolean);
  const builtinLines = builtIn.has('ip_vs') ? parseLineNumbers(setup.get('lines') ?? '') : [];
  const key = [...modules].sort().join(' ');
  let traceable = memo?.traceable.get(key);
  if (traceable === undefined) {
    let text = readListing(listings, 'traceable', key);
    if (text === undefined) {
      text = (await shell.run(LIST_TRACEABLE)).stdout;
      writeListing(listings, 'traceable', key, text);
    }
    traceable = parseTraceable(text);
    memo?.traceable.set(key, traceable);
  }
  return { traceable, modules, builtinLines };
}

export interface ScenarioArtifacts {
  trace: string;
  commands: string;
  bpftrace?: string;
}

export { SetupFailed };

export type ScenarioOutcome =
  | { kind: 'finished'; cell: CellResult; artifacts: ScenarioArtifacts; traceable?: string[] }
  | { kind: 'broken'; phase: CellPhase; error: unknown };

export async function runScenario(shell: LoggedShell, s: Scenario, opts: ScenarioRunOptions): Promise<ScenarioOutcome> {
  const started = Date.now();
  const cell: CellResult = {
    kernel: opts.kernel, kernelRelease: opts.kernelRelease, scenario: s.name, status: 'passed', durationMs: 0,
    failures: [], steps: [], graphs: [], observations: [], artifacts: {},
  };
  const builtIn = opts.builtInModules ?? new Set<string>();
  const tracers = opts.tracer;
  if (tracers.ftrace || tracers.bpftrace) cell.tracer = tracers.ftrace && tracers.bpftrace ? 'both' : tracers.bpftrace ? 'bpftrace' : 'ftrace';
  // Markers go to trace_marker when ftrace runs (bpftrace sees the same write), else to /dev/null for bpftrace.
  const markers: MarkerSink = tracers.ftrace ? 'ftrace' : tracers.bpftrace ? 'write' : null;
  let traceText = '';
  let bpftraceText: string | undefined;
  let bpftraceKilled = false;
  let probed: string[] = [];
  let filtered: string[] | undefined;
  // What the start of tracing said (the probes placed by name after all): observations of the cell.
  const startNotes: string[] = [];
  // Where the scenario is, for the outcome when the guest fails under it.
  let phase: CellPhase = 'setup';
  // Parts deferred to the next round trip: the start of tracing, or the last step's after-parts.
  let pending: BatchPart[] = [];
  // Sends one batch; a part that fails says in which phase the cell broke (a step's parts, the start of tracing, the collect).
  const send = async (label: string, parts: BatchPart[]): Promise<BatchOutput> => {
    try {
      return splitBatch((await shell.run(batchCommand(label, parts))).stdout);
    } catch (err) {
      if (err instanceof CommandFailed) {
        const failed = lastPartStarted(err.result.stdout);
        if (failed === 'start' || failed === 'listed') throw new SetupFailed(`trace failed: ${err.message}`, err);
        phase = failed !== undefined && isStepPart(failed) ? 'step' : phase;
      }
      throw err;
    }
  };
  try {
    const traced = tracers.ftrace || tracers.bpftrace;
    const setup = await inPhase('setup', async () => {
      // One round trip: modules, topology, sysctls, services and servers, and which ip_vs modules are loaded.
      const parts = [
        moduleCommand(s.services.map((svc) => svc.scheduler), s.services.some((svc) => svc.method === 'tun'), builtIn),
        ...topologyCommands(s), ...sysctlCommands(s), ...serviceCommands(s), ...serverCommands(s),
      ].map((command, i) => ({ name: `p${i}`, command }));
      if (traced) parts.push(...guestStateParts(builtIn));
      return splitBatch((await shell.run(batchCommand('setup', parts))).stdout);
    });
    phase = 'trace';
    // What the guest can trace depends only on the kernel and the modules loaded: read once per set of modules.
    const state = traced
      ? await inPhase('trace', () => traceableState(shell, setup, builtIn, opts.memo, opts.listings))
      : { traceable: { names: new Set<string>(), coreLines: new Map<string, number[]>() }, modules: [], builtinLines: [] };
    const traceable = state.traceable.names;
    let filterKey = '';
    const plan = tracers.ftrace ? (() => {
      const p = planTracing(s, traceable, state.modules, {
        builtinLines: state.builtinLines,
        ...(opts.flowLayout ? { layout: opts.flowLayout } : {}),
        ...(selectsByLine(opts.kernelRelease) ? { coreLines: state.traceable.coreLines } : {}),
        ...(opts.moduleText ? { moduleText: opts.moduleText } : {}),
      });
      // Start, then what the filter selected: recorded per kernel so that a diff tells inlined from not called.
      // The same filter on the same modules selects the same functions: read once per kernel.
      filterKey = JSON.stringify([[...state.modules].sort(), p.filters, p.coreByLine, p.filterLines]);
      filtered = opts.memo?.filtered?.get(filterKey) ?? readListing(opts.listings, 'filtered', filterKey)?.split('\n').filter(Boolean);
      if (filtered && opts.memo) (opts.memo.filtered ??= new Map()).set(filterKey, filtered);
      pending = [{ name: 'start', command: p.start }, ...(filtered ? [] : [{ name: 'listed', command: { ...p.listFiltered, allowFailure: true } }])];
      return p;
    })() : undefined;
    const takeListed = (out: BatchOutput): void => {
      const byName = (out.get('start') ?? '').split('\n').find((l) => l.startsWith(KPROBES_BY_NAME));
      if (byName) startNotes.push(`flows: the hook probes were placed by name, not past each hook's ftrace call as planned (${byName.slice(KPROBES_BY_NAME.length).trim()})`);
      if (filtered !== undefined || out.exitCodes.get('listed') !== 0) return;
      filtered = (out.get('listed') ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
      if (opts.memo) (opts.memo.filtered ??= new Map()).set(filterKey, filtered);
      if (filtered.length > 0) writeListing(opts.listings, 'filtered', filterKey, `${filtered.join('\n')}\n`);
    };
    if (tracers.bpftrace) {
      // bpftrace starts after function_graph (its own round trips): the start of tracing goes alone.
      if (pending.length > 0) takeListed(await send('start tracing', pending));
      pending = [];
      // Which of the functions the graphs name the kernel can probe: asked once per kernel and name.
      const symbols = opts.memo?.probeable ?? new Map<string, string[]>();
      if (opts.memo) opts.memo.probeable = symbols;
      const unknown = bpftraceCandidates(s).filter((n) => !symbols.has(n));
      if (unknown.length > 0) {
        for (const [n, syms] of parseProbeable((await shell.run(probeableCommand(unknown))).stdout)) symbols.set(n, syms);
      }
      const fns = bpftraceFunctions(s, traceable, symbols);
      probed = [...new Set([...fns.hooks, ...fns.others.map((o) => o.name)])];
      if (fns.hooks.length === 0) throw new TracerFailed('bpftrace has no IPVS hook function to probe: none of them is in available_filter_functions (is ip_vs loaded?)');
      if (opts.memo && opts.memo.bpftraceVersion === undefined) {
        const v = await shell.runAllowingFailure(BPFTRACE_VERSION);
        opts.memo.bpftraceVersion = v.exitCode === 0 ? v.stdout.trim().replace(/^bpftrace\s+/, '') : 'unknown';
      }
      const program = bpftraceCallsProgram(fns, opts.flowLayout) + (shell.fault?.kind === 'bpftrace-bad-probe' ? `${BAD_PROBE}\n` : '');
      const started = await shell.runAllowingFailure(bpftraceStart(program));
      if (started.exitCode !== 0) {
        const said = (started.stderr || started.stdout).trim().split('\n').filter((l) => l.trim() !== '').slice(-8).join('\n');
        throw new TracerFailed(`bpftrace could not attach its probes: ${said.split('\n').slice(-2).join(' | ') || (started.timedOut ? 'timed out' : `exit ${started.exitCode}`)}`, said);
      }
    }
    phase = 'step';
    // Each step: its before-parts ride with what is pending (the start of tracing, the previous step's
    // after-parts), its command goes alone (for its exit status), its after-parts wait for the next round trip.
    let previous: { plan: StepPlan; ready: BatchOutput; run: ShellResult; startedMs: number } | undefined;
    const conclude = (done: BatchOutput): void => {
      if (!previous) return;
      const result = concludeStep(s, previous.plan, previous.ready, previous.run, done, Date.now() - previous.startedMs);
      cell.steps.push(result);
      opts.onStep?.(previous.plan.step, result);
      previous = undefined;
    };
    for (const step of s.steps) {
      const stepPlan = planStep(s, step, markers);
      const startedMs = Date.now();
      const label = [...(pending.some((x) => x.name === 'start') ? ['start tracing'] : []), ...(previous ? [`after ${previous.plan.step.name}`] : []), `before ${step.name}`].join(' + ');
      // The previous step's closing reads double as this step's opening ones (run-step.ts, shareReads).
      const between = shareReads(pending, stepPlan.before);
      const ready = aliasShared(await send(label, between.parts), between.shared);
      takeListed(ready);
      conclude(ready);
      const run = await shell.runAllowingFailure(stepPlan.command);
      previous = { plan: stepPlan, ready, run, startedMs };
      pending = stepPlan.after;
    }
    // One round trip: the last step's after-parts, the final marker, stop the tracers, the ring buffer's
    // losses, the traces, IPVS's own counters.
    // The connection table as /proc/net/ip_vs_conn (one exec of ipvsadm less), shown as ipvsadm -Lnc would.
    const ipvsCounters: GuestCommand = { label: 'ipvs counters', script: `cat /proc/net/ip_vs_stats; echo; ipvsadm -Ln --stats; echo; echo '${CONN_SECTION}'; cat /proc/net/ip_vs_conn`, timeoutMs: 15_000, allowFailure: true };
    const parts: BatchPart[] = [];
    if (plan) parts.push({ name: 'stop', command: plan.stop });
    else if (tracers.bpftrace) parts.push({ name: 'end', command: markerCommand(TRACE_END_MARKER, 'write') });
    if (tracers.bpftrace) parts.push({ name: 'bpftrace', command: bpftraceStop() });
    if (plan) parts.push({ name: 'losses', command: RING_BUFFER_STATS }, { name: 'trace', command: plan.collect });
    parts.push({ name: 'ipvs', command: ipvsCounters });
    phase = 'collect';
    const collected = await send(previous ? `after ${previous.plan.step.name} + collect` : 'collect', [...pending, ...parts]);
    conclude(collected);
    if (plan) traceText = markLostEvents(withNewline(collected.get('trace') ?? ''), parseRingBufferStats(collected.get('losses') ?? ''));
    if (tracers.bpftrace) {
      bpftraceText = endAtMarker(sortBpftraceCalls(withNewline(collected.get('bpftrace') ?? '')), TRACE_END_MARKER);
      bpftraceKilled = collected.exitCodes.get('bpftrace') !== 0;
    }
    cell.counters = { ipvsStats: withIpvsadmConnections(collected.get('ipvs') ?? '') };
  } catch (err) {
    if (err instanceof TracerFailed) {
      cell.status = 'error';
      cell.error = { code: err.code, phase: 'trace', message: err.message, ...(err.details ? { details: err.details } : {}) };
    } else if (err instanceof SetupFailed) {
      cell.status = 'error';
      cell.error = { code: 'SETUP_FAILED', phase: 'setup', message: err.message };
    } else return { kind: 'broken', phase, error: err };
  }
  const notes: string[] = [];
  let silentBpftrace: string | undefined;
  if (cell.status !== 'error') {
    try {
      const finalMarker = { finalMarker: TRACE_END_MARKER };
      const killed = bpftraceKilled ? `bpftrace did not exit within its deadline after SIGINT and was killed: its output may be cut off` : undefined;
      const fromBpftrace = bpftraceText !== undefined
        ? judgeTrace(bpftraceText, s, opts.kernelRelease, { ...finalMarker, traceable: probed, tracer: 'bpftrace', ...(killed ? { cutShort: killed } : {}) })
        : undefined;
      // Never a silent zero: traffic went through IPVS's hooks but bpftrace recorded no hook call at all.
      const silent = fromBpftrace && fromBpftrace.summary.roots === 0 && cell.steps.some((st) => sendsTraffic(st.kind))
        ? 'bpftrace recorded no IPVS hook call at all while the steps sent traffic: its probes did not fire' : undefined;
      if (fromBpftrace && silent) {
        for (const g of fromBpftrace.graphs) if (!g.holds) g.incomplete ??= silent;
        silentBpftrace = silent;
      }
      if (tracers.ftrace) {
        const judged = judgeTrace(traceText, s, opts.kernelRelease, { ...finalMarker, ...(filtered ? { traceable: filtered } : {}) });
        cell.graphs = judged.graphs;
        cell.observations = [...judged.observations, ...startNotes];
        cell.trace = judged.summary;
        if (fromBpftrace) {
          cell.bpftrace = { tracer: 'bpftrace', graphs: fromBpftrace.graphs, observations: fromBpftrace.observations, trace: fromBpftrace.summary };
          // The traces as the judge parsed them: compared, not parsed again.
          cell.agreement = tracerAgreement({
            ftrace: judged.trace, bpftrace: fromBpftrace.trace, steps: s.steps.map((x) => x.name), kernelRelease: opts.kernelRelease,
            graphs: { ftrace: judged.graphs, bpftrace: fromBpftrace.graphs },
          });
        }
      } else if (fromBpftrace) {
        cell.graphs = fromBpftrace.graphs;
        cell.observations = fromBpftrace.observations;
        cell.trace = fromBpftrace.summary;
        traceText = bpftraceText!;
      }
      if (killed) notes.push(killed);
    } catch (err) {
      return { kind: 'broken', phase: 'judge', error: err };
    }
    concludeCell(cell, s.trace.bufferKb, notes);
    // Graphs that hold on nothing (forbid only) must not pass on a tracer that saw nothing.
    if (silentBpftrace !== undefined && (cell.status as CellResult['status']) !== 'error') {
      cell.status = 'error';
      cell.error = { code: 'TRACE_INCOMPLETE', phase: 'collect', message: `the trace is incomplete: ${silentBpftrace}` };
    }
  }
  cell.durationMs = Date.now() - started;
  return {
    kind: 'finished', cell,
    artifacts: { trace: traceText, commands: shell.text(), ...(bpftraceText !== undefined && tracers.ftrace ? { bpftrace: bpftraceText } : {}) },
    ...(filtered !== undefined ? { traceable: filtered } : tracers.bpftrace && probed.length > 0 ? { traceable: probed } : {}),
  };
}

async function inPhase<T>(phase: 'setup' | 'trace', fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof CommandFailed) throw new SetupFailed(`${phase} failed: ${err.message}`, err);
    throw err;
  }
}

/** The cell's verdict from its steps and graphs: failures listed, holes in the trace kept apart from failures. */
export function concludeCell(cell: CellResult, bufferKb: number, notes: readonly string[] = []): void {
  for (const step of cell.steps) {
    for (const c of step.checks.filter((x) => !x.ok)) cell.failures.push(`step ${step.name}: ${c.what}: expected ${c.expected}, got ${c.actual}`);
    if (step.status === 'error') cell.failures.push(`step ${step.name}: ${step.detail ?? 'error'}`);
  }
  // With --tracer both, a graph fails on either tracer's trace; bpftrace's are named so.
  const second = cell.bpftrace?.graphs.map((g) => ({ ...g, name: `${g.name} [bpftrace]` })) ?? [];
  const all = [...cell.graphs, ...second];
  for (const g of all.filter((x) => !x.holds && x.incomplete === undefined)) cell.failures.push(`graph ${g.name}: does not hold${g.diff ? `: ${g.diff.split('\n')[0]}` : ''}`);
  // A graph that could not be judged for a hole in the trace is neither a pass nor a failure.
  const unjudged = all.filter((x) => !x.holds && x.incomplete !== undefined);
  for (const g of unjudged) cell.observations.push(`graph ${g.name}: cannot be judged, incomplete trace: ${g.incomplete}`);
  cell.observations.push(...notes);
  if (cell.agreement) {
    const a = cell.agreement;
    cell.observations.push(a.agree
      ? `ftrace and bpftrace agree (${a.steps} step(s), ${a.graphs} graph(s) compared)`
      : `ftrace and bpftrace disagree: ${a.differences.slice(0, 3).join('; ')}${a.differences.length > 3 ? `; and ${a.differences.length - 3} more` : ''}`);
  }
  cell.status = cell.failures.length > 0 ? 'failed' : 'passed';
  if (cell.status === 'passed' && unjudged.length > 0) {
    cell.status = 'error';
    const lost = cell.trace?.lostEvents ?? 0;
    const why = lost > 0 ? (cell.tracer === 'bpftrace' ? `bpftrace lost ${lost} events (its per-CPU buffers overflowed)` : `the ftrace ring buffer (${bufferKb} KiB per CPU) overflowed and lost ${lost} events; raise trace.bufferKb`) : unjudged[0]!.incomplete;
    const names = unjudged.map((g) => g.name.split(':')[0]).join(', ');
    cell.error = { code: 'TRACE_INCOMPLETE', phase: 'collect', message: `the trace is incomplete: ${why}; ${unjudged.length} of ${all.length} graph(s) could not be judged (${names})` };
  }
}

/** The collect's IPVS counters with the connection table read from /proc turned into ipvsadm -Lnc's rows. */
function withIpvsadmConnections(text: string): string {
  const at = text.indexOf(`${CONN_SECTION}\n`);
  if (at < 0) return text;
  return text.slice(0, at) + formatIpvsadmConnections(parseProcConnections(text.slice(at + CONN_SECTION.length + 1)));
}
