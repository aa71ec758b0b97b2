// One scenario step as guest round trips: what is read before it (counters, connection table,
// observer, begin marker), its own command, and what is read after it (drain, end marker, observer,
// counters, connection table). The before and after parts are batch parts, not round trips of their
// own: the runner sends a step's after-parts together with the next step's before-parts (or with the
// collect), and the first step's before-parts together with the start of tracing, so a cell of n
// steps costs 2n + 2 round trips (setup, the steps' commands, the n batches between them and the
// collect), not 3n + 4 (harness/run/run-scenario.ts).
import { sendsTraffic, type StepResult } from '../../analysis/report/results.ts';
import { parseConnTable } from '../../analysis/conn-table.ts';
import { stepMarker } from '../../analysis/step-markers.ts';
import type { BatchOutput, BatchPart } from '../../scenarios/batch.ts';
import { connTableCommand } from '../../scenarios/conn-table-command.ts';
import { parseSnapshot, snapshotCommand, type CounterSnapshot } from '../../scenarios/counters.ts';
import { drainCommand, parseDrain } from '../../scenarios/drain.ts';
import { observerCommands, stepCommand, type GuestCommand } from '../../scenarios/guest-commands.ts';
import { classifyClient, DEST_UNREACH_COUNTER, ESTAB_RESETS_COUNTER, judgeStep, type Observation } from '../../scenarios/outcome.ts';
import type { Scenario, Step } from '../../scenarios/schema.ts';
import { markerCommand } from '../../scenarios/trace-plan.ts';
import { familyOf, parseEndpoint, STEP_KINDS } from '../../scenarios/values.ts';
import type { ShellResult } from './guest-shell.ts';

/** Where the runner's markers go: ftrace's trace_marker, a plain write(2) bpftrace picks up, or nowhere (untraced). */
export type MarkerSink = 'ftrace' | 'write' | null;

/** Batch part names of a step: `b-` before it, `a-` after it (unique beside the other phases' parts). */
const BEFORE = 'b-';
const AFTER = 'a-';

export interface StepPlan {
  step: Step;
  kind: StepResult['kind'];
  before: BatchPart[];
  command: GuestCommand;
  after: BatchPart[];
}

export function planStep(s: Scenario, step: Step, markers: MarkerSink): StepPlan {
  const kind = stepKind(step);
  const snapshot = snapshotCommand(s);
  // Counters are read around clients (their outcome needs the ICMP and reset counters) and steps that
  // check counters; a wait, a sysctl or an ipvsadm change without checks skips both reads.
  const counted = step.connect !== undefined || step.finish !== undefined || (step.expect.counters?.length ?? 0) > 0;
  const observer = observerCommands(step);
  const before: BatchPart[] = [...(counted ? [{ name: `${BEFORE}counters`, command: snapshot }] : []), { name: `${BEFORE}conns`, command: connTableCommand() }];
  if (observer) before.push({ name: `${BEFORE}observer`, command: observer.start });
  if (markers) before.push({ name: `${BEFORE}marker`, command: markerCommand(stepMarker(step.name, 'begin'), markers) });
  // The step's last packets reach their hooks before the end marker, or are named as still in flight.
  const after: BatchPart[] = [];
  if (sendsTraffic(kind)) after.push({ name: `${AFTER}drain`, command: drainCommand(s) });
  if (markers) after.push({ name: `${AFTER}marker`, command: markerCommand(stepMarker(step.name, 'end'), markers) });
  if (observer) after.push({ name: `${AFTER}observer`, command: observer.collect });
  if (counted) after.push({ name: `${AFTER}counters`, command: snapshot });
  after.push({ name: `${AFTER}conns`, command: connTableCommand() });
  return { step, kind, before, command: stepCommand(s, step), after };
}

/** Reads with no side effect that a step does both after itself and before the next one. */
const SHARED_READS = ['counters', 'conns'];

/**
 * The parts of the batch between two steps: the previous step's after-parts and the next step's
 * before-parts, with each read they both make (the counters, the connection table) made once. Nothing
 * runs between the two reads but the batch itself, so the after-read is the before-read; each costs
 * ~20-60 ms under TCG (one awk over every namespace's /proc/net tables). `shared` maps each dropped
 * before-part to the after-part whose output stands for it (`aliasShared`).
 */
export function shareReads(after: readonly BatchPart[], before: readonly BatchPart[]): { parts: BatchPart[]; shared: Map<string, string> } {
  const shared = new Map<string, string>();
  const kept = before.filter((b) => {
    const read = SHARED_READS.find((r) => b.name === `${BEFORE}${r}`);
    const twin = read === undefined ? undefined : after.find((a) => a.name === `${AFTER}${read}` && a.command.script === b.command.script);
    if (twin) shared.set(b.name, twin.name);
    return twin === undefined;
  });
  return { parts: [...after, ...kept], shared };
}

/** Gives each shared before-part the output (and exit status) of the after-part that was read for it. */
export function aliasShared(out: BatchOutput, shared: ReadonlyMap<string, string>): BatchOutput {
  for (const [to, from] of shared) {
    if (out.has(from)) out.set(to, out.get(from)!);
    if (out.exitCodes.has(from)) out.exitCodes.set(to, out.exitCodes.get(from)!);
  }
  return out;
}

/** Whether a batch part belongs to a step (before or after it). */
export function isStepPart(name: string): boolean {
  return name.startsWith(BEFORE) || name.startsWith(AFTER);
}

/** The step's result from what was read before it (`ready`), its command's run, and what was read after it (`done`). */
export function concludeStep(s: Scenario, plan: StepPlan, ready: BatchOutput, run: ShellResult, done: BatchOutput, durationMs: number): StepResult {
  const { step, kind, command } = plan;
  const before: CounterSnapshot = parseSnapshot(ready.get(`${BEFORE}counters`) ?? '');
  const after: CounterSnapshot = parseSnapshot(done.get(`${AFTER}counters`) ?? '');
  const drain = done.has(`${AFTER}drain`) ? parseDrain(done.get(`${AFTER}drain`)!) : null;
  const delivered = step.send?.observe ? (done.get(`${AFTER}observer`) ?? '').includes(step.send.payload) : undefined;
  const connections = { before: parseConnTable(ready.get(`${BEFORE}conns`) ?? ''), after: parseConnTable(done.get(`${AFTER}conns`) ?? '') };
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
    return { name: step.name, kind, status: 'error', detail: `${command.label} exited ${run.exitCode}: ${run.stderr.trim().split('\n').pop() ?? ''}`, checks: [], durationMs, connections };
  }
  const checks = judgeStep(step, observation, delivered, before, after);
  const result: StepResult = {
    name: step.name, kind, status: checks.every((c) => c.ok) ? 'passed' : 'failed', checks, durationMs, connections,
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
