// Runs one scenario on one booted guest: build the topology, trace, drive the steps, collect, judge.
// Returns the cell result, or, when the guest fails under it (panic, lost SSH), the phase it broke
// in, so the kernel runner can classify it and boot a fresh guest for the remaining scenarios.
import { sendsTraffic, type CellPhase, type CellResult, type StepResult } from '../../analysis/report/results.ts';
import { parseSnapshot, snapshotCommand, type CounterSnapshot } from '../../scenarios/counters.ts';
import {
  observerCommands, serverCommands, serviceCommands, stepCommand, sysctlCommands, topologyCommands,
} from '../../scenarios/guest-commands.ts';
import { LIST_MODULES, LIST_TRACEABLE, moduleCommand, parseTraceable, type TraceableFunctions } from '../../scenarios/guest-state.ts';
import { classifyClient, DEST_UNREACH_COUNTER, ESTAB_RESETS_COUNTER, judgeStep, type Observation } from '../../scenarios/outcome.ts';
import type { Scenario, Step } from '../../scenarios/schema.ts';
import { familyOf, parseEndpoint, STEP_KINDS } from '../../scenarios/values.ts';
import { stepMarker, TRACE_END_MARKER } from '../../analysis/step-markers.ts';
import { markerCommand, planTracing } from '../../scenarios/trace-plan.ts';
import { drainCommand, parseDrain } from '../../scenarios/drain.ts';
import { batchCommand, splitBatch, type BatchPart } from '../../scenarios/batch.ts';
import type { GuestCommand } from '../../scenarios/guest-commands.ts';
import { LIST_BUILTIN_IPVS_LINES, parseLineNumbers } from '../../scenarios/builtin-ipvs-lines.ts';
import { markLostEvents, parseRingBufferStats, RING_BUFFER_STATS } from '../../scenarios/ring-buffer.ts';
import { BPFTRACE_VERSION, bpftraceCallsProgram, bpftraceCandidates, bpftraceFunctions, bpftraceStart, bpftraceStop, parseProbeable, probeableCommand } from '../../scenarios/bpftrace-plan.ts';
import { endAtMarker, sortBpftraceCalls } from '../../analysis/bpftrace-calls.ts';
import { CommandFailed, SetupFailed, TracerFailed } from '../errors.ts';
import { tracerAgreement } from '../../analysis/tracer-agreement.ts';
import { LoggedShell } from './guest-shell.ts';
import { judgeTrace } from './judge-trace.ts';
import { BAD_PROBE } from './test-fault.ts';
import type { TracerPlan } from './run-plan.ts';
import type { FlowLayout } from '../../analysis/flow-layout.ts';
import { parseConnTable } from '../../analysis/conn-table.ts';
import { connTableCommand } from '../../scenarios/conn-table-command.ts';

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
  const m = /^(\d+)\.(\d+)/.exec(release ?? '');
  return m !== null && (Number(m[1]) > 5 || (Number(m[1]) === 5 && Number(m[2]) >= 1));
}

function withNewline(text: string): string {
  return text === '' || text.endsWith('\n') ? text : `${text}\n`;
}

/** The ip_vs modules loaded, the built-in IPVS's source lines, and what the guest can trace (read once per module set). */
async function traceableState(shell: LoggedShell, builtIn: ReadonlySet<string>, memo: KernelMemo | undefined): Promise<{ traceable: TraceableFunctions; modules: string[]; builtinLines: number[] }> {
  const parts: BatchPart[] = [{ name: 'modules', command: LIST_MODULES }];
  if (builtIn.has('ip_vs')) parts.push({ name: 'lines', command: LIST_BUILTIN_IPVS_LINES });
  const first = splitBatch((await shell.run(batchCommand('guest state', parts))).stdout);
  const modules = (first.get('modules') ?? '').split('\n').filter(Boolean);
  const builtinLines = builtIn.has('ip_vs') ? parseLineNumbers(first.get('lines') ?? '') : [];
  const key = [...modules].sort().join(' ');
  let traceable = memo?.traceable.get(key);
  if (traceable === undefined) {
    traceable = parseTraceable((await shell.run(LIST_TRACEABLE)).stdout);
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
  // Where the scenario is, for the outcome when the guest fails under it.
  let phase: CellPhase = 'setup';
  try {
    await inPhase('setup', async () => {
      // One round trip: modules, topology, sysctls, services and servers in one batch.
      const parts = [
        moduleCommand(s.services.map((svc) => svc.scheduler), s.services.some((svc) => svc.method === 'tun'), builtIn),
        ...topologyCommands(s), ...sysctlCommands(s), ...serviceCommands(s), ...serverCommands(s),
      ];
      await shell.run(batchCommand('setup', parts.map((command, i) => ({ name: `p${i}`, command }))));
    });
    phase = 'trace';
    // What the guest can trace depends only on the kernel and the modules loaded: read once per set of modules.
    const state = tracers.ftrace || tracers.bpftrace
      ? await inPhase('trace', () => traceableState(shell, builtIn, opts.memo))
      : { traceable: { names: new Set<string>(), coreLines: new Map<string, number[]>() }, modules: [], builtinLines: [] };
    const traceable = state.traceable.names;
    const plan = tracers.ftrace ? await inPhase('trace', async () => {
      const p = planTracing(s, traceable, state.modules, {
        builtinLines: state.builtinLines,
        ...(opts.flowLayout ? { layout: opts.flowLayout } : {}),
        ...(selectsByLine(opts.kernelRelease) ? { coreLines: state.traceable.coreLines } : {}),
      });
      // Start, then what the filter selected: recorded per kernel so that a diff tells inlined from not called.
      // The same filter on the same modules selects the same functions: read once per kernel.
      const key = JSON.stringify([[...state.modules].sort(), p.filters, p.coreByLine, p.filterLines]);
      const known = opts.memo?.filtered?.get(key);
      const listed = { ...p.listFiltered, allowFailure: true };
      const out = splitBatch((await shell.run(batchCommand('start tracing', [{ name: 'start', command: p.start }, ...(known ? [] : [{ name: 'listed', command: listed }])]))).stdout);
      if (known) filtered = known;
      else if (out.exitCodes.get('listed') === 0) {
        filtered = (out.get('listed') ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
        if (opts.memo) (opts.memo.filtered ??= new Map()).set(key, filtered);
      }
      return p;
    }) : undefined;
    if (tracers.bpftrace) {
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
    for (const step of s.steps) {
      const result = await runStep(shell, s, step, markers);
      cell.steps.push(result);
      opts.onStep?.(step, result);
    }
    phase = 'collect';
    // One round trip: the final marker, stop the tracers, the ring buffer's losses, the traces, IPVS's own counters.
    const ipvsCounters: GuestCommand = { label: 'ipvs counters', script: 'cat /proc/net/ip_vs_stats; echo; ipvsadm -Ln --stats; echo; ipvsadm -Lnc', timeoutMs: 15_000, allowFailure: true };
    const parts: BatchPart[] = [];
    if (plan) parts.push({ name: 'stop', command: plan.stop });
    else if (tracers.bpftrace) parts.push({ name: 'end', command: markerCommand(TRACE_END_MARKER, 'write') });
    if (tracers.bpftrace) parts.push({ name: 'bpftrace', command: bpftraceStop() });
    if (plan) parts.push({ name: 'losses', command: RING_BUFFER_STATS }, { name: 'trace', command: plan.collect });
    parts.push({ name: 'ipvs', command: ipvsCounters });
    const collected = splitBatch((await shell.run(batchCommand('collect', parts))).stdout);
    if (plan) traceText = markLostEvents(withNewline(collected.get('trace') ?? ''), parseRingBufferStats(collected.get('losses') ?? ''));
    if (tracers.bpftrace) {
      bpftraceText = endAtMarker(sortBpftraceCalls(withNewline(collected.get('bpftrace') ?? '')), TRACE_END_MARKER);
      bpftraceKilled = collected.exitCodes.get('bpftrace') !== 0;
    }
    cell.counters = { ipvsStats: collected.get('ipvs') ?? '' };
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
        cell.observations = judged.observations;
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

/** Where the runner's markers go: ftrace's trace_marker, a plain write(2) bpftrace picks up, or nowhere (untraced). */
type MarkerSink = 'ftrace' | 'write' | null;

async function inPhase<T>(phase: 'setup' | 'trace', fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof CommandFailed) throw new SetupFailed(`${phase} failed: ${err.message}`, err);
    throw err;
  }
}

async function runStep(shell: LoggedShell, s: Scenario, step: Step, markers: MarkerSink): Promise<StepResult> {
  const started = Date.now();
  const kind = stepKind(step);
  const snapshot = snapshotCommand(s);
  // Counters are read around clients (their outcome needs the ICMP and reset counters) and steps that
  // check counters; a wait, a sysctl or an ipvsadm change without checks skips both reads.
  const counted = step.connect !== undefined || step.finish !== undefined || (step.expect.counters?.length ?? 0) > 0;
  const observer = observerCommands(step);
  // One round trip before the step (counters, observer, begin marker) and one after it (drain, end
  // marker, observer's datagrams, counters); the step's own command runs alone, for its exit status.
  const pre: BatchPart[] = [...(counted ? [{ name: 'counters', command: snapshot }] : []), { name: 'conns', command: connTableCommand() }];
  if (observer) pre.push({ name: 'observer', command: observer.start });
  if (markers) pre.push({ name: 'marker', command: markerCommand(stepMarker(step.name, 'begin'), markers) });
  const ready = splitBatch((await shell.run(batchCommand(`before ${step.name}`, pre))).stdout);
  const before: CounterSnapshot = parseSnapshot(ready.get('counters') ?? '');
  const connsBefore = parseConnTable(ready.get('conns') ?? '');
  const command = stepCommand(s, step);
  const run = await shell.runAllowingFailure(command);
  // The step's last packets reach their hooks before the end marker, or are named as still in flight.
  const post: BatchPart[] = [];
  if (sendsTraffic(kind)) post.push({ name: 'drain', command: drainCommand(s) });
  if (markers) post.push({ name: 'marker', command: markerCommand(stepMarker(step.name, 'end'), markers) });
  if (observer) post.push({ name: 'observer', command: observer.collect });
  if (counted) post.push({ name: 'counters', command: snapshot });
  post.push({ name: 'conns', command: connTableCommand() });
  const done = splitBatch((await shell.run(batchCommand(`after ${step.name}`, post))).stdout);
  const drain = done.has('drain') ? parseDrain(done.get('drain')!) : null;
  const delivered = observer ? (done.get('observer') ?? '').includes(step.send!.payload) : undefined;
  const after: CounterSnapshot = parseSnapshot(done.get('counters') ?? '');
  const connections = { before: connsBefore, after: parseConnTable(done.get('conns') ?? '') };
  let observation: Observation | undefined;
  // A client: a connect step, or the finish of one kept open (judged on all the connection received).
  const client = step.connect ?? (step.finish !== undefined ? s.steps.find((x) => x.name === step.finish)?.connect : undefined);
  if (client) {
    const family = familyOf(parseEndpoint(client.to)!.address);
    const counter = DEST_UNREACH_COUNTER[family];
    const delta = (name: string) => (after[step.from]?.[name] ?? 0) - (before[step.from]?.[name] ?? 0);
    const resets = client.protocol === 'tcp' ? delta(ESTAB_RESETS_COUNTER) : 0;
    // A connection kept open has had one exchange when its connect step ends.
    observation = classifyClient(run, delta(counter), family, step.connect?.keepOpen ? 1 : client.exchanges, resets);
  } else if (run.exitCode !== 0) {
    return { name: step.name, kind, status: 'error', detail: `${command.label} exited ${run.exitCode}: ${run.stderr.trim().split('\n').pop() ?? ''}`, checks: [], durationMs: Date.now() - started, connections };
  }
  const checks = judgeStep(step, observation, delivered, before, after);
  const result: StepResult = {
    name: step.name, kind, status: checks.every((c) => c.ok) ? 'passed' : 'failed', checks, durationMs: Date.now() - started, connections,
  };
  if (drain && !drain.quiet) result.inFlight = drain.inFlight;
  if (observation) {
    result.outcome = observation.outcome;
    result.answeredBy = observation.answeredBy;
    result.detail = observation.detail;
  } else if (delivered !== undefined) {
    result.detail = delivered ? 'datagram delivered' : 'datagram not delivered';
  }
  return result;
}

function stepKind(step: Step): StepResult['kind'] {
  return STEP_KINDS.find((k) => step[k] !== undefined) ?? 'wait';
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
