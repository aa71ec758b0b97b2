// Turning what a client printed into an outcome, and judging a step against its expectations.
// The outcome comes from the client's exit status and error text (socat prints the errno), and the
// ICMP counters of the client's namespace tell an ICMP error from a TCP reset.
import { counterDelta, type CounterSnapshot } from './counters.ts';
import type { Step } from './schema.ts';
import type { OUTCOMES } from './values.ts';

export type Outcome = (typeof OUTCOMES)[number] | 'error';

export interface ClientRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface Observation {
  outcome: Outcome;
  /** Server names that answered, from `<name>: <line>` replies, in order. */
  answeredBy: string[];
  replies: string[];
  icmp?: { type: number; code?: number };
  detail: string;
}

/** errno text socat prints -> ICMP destination-unreachable code that produces it (RFC 792 / icmp_err_convert). */
const ICMP_ERRNO: [RegExp, number][] = [
  [/Connection refused/, 3],
  [/No route to host/, 1],
  [/Network is unreachable/, 0],
  [/Protocol not available|Protocol unreachable/, 2],
  [/Permission denied/, 13],
];

/** The same for ICMPv6 destination unreachable, type 1 (RFC 4443 / icmpv6_err_convert). */
const ICMP6_ERRNO: [RegExp, number][] = [
  [/Connection refused/, 4],
  [/Permission denied/, 1],
  [/No route to host/, 3],
  [/Network is unreachable/, 0],
];

/** Established TCP connections reset (RFC 1213 tcpEstabResets), in /proc/net/snmp. */
export const ESTAB_RESETS_COUNTER = 'Tcp.EstabResets';

/** The counter of destination-unreachable errors a namespace received, per family (/proc/net/snmp, snmp6). */
export const DEST_UNREACH_COUNTER = { 4: 'Icmp.InDestUnreachs', 6: 'Icmp6.InDestUnreachs' } as const;

/**
 * `icmpInDestUnreachs`: destination-unreachable errors the client's namespace received during the
 * step (Icmp.InDestUnreachs, or Icmp6.InDestUnreachs for an IPv6 client: `family` 6). `exchanges`:
 * the replies an answered client gets, one per line it sent; fewer, with nothing else wrong, is a
 * timeout (the rest was never answered). `estabResets`: established TCP connections the client's
 * namespace saw reset during the step (Tcp.EstabResets).
 */
export function classifyClient(run: ClientRun, icmpInDestUnreachs: number, family: 4 | 6 = 4, exchanges = 1, estabResets = 0): Observation {
  const replies = run.stdout.split('\n').filter((l) => l.length > 0);
  const answeredBy = replies.map((r) => r.split(': ')[0] ?? '').filter(Boolean);
  const err = run.stderr;
  const got = `${replies.length} repl${replies.length === 1 ? 'y' : 'ies'}`;
  if (replies.length >= exchanges && run.exitCode === 0) return { outcome: 'ok', answeredBy, replies, detail: got };
  const icmpCode = (family === 6 ? ICMP6_ERRNO : ICMP_ERRNO).find(([re]) => re.test(err))?.[1];
  if (icmpCode !== undefined && icmpInDestUnreachs > 0) {
    return { outcome: 'icmp-unreachable', answeredBy, replies, icmp: { type: family === 6 ? 1 : 3, code: icmpCode }, detail: lastLine(err) };
  }
  if (/Connection refused/.test(err)) return { outcome: 'refused', answeredBy, replies, detail: lastLine(err) };
  // An established connection answered by a reset (e.g. once IPVS expired it and the node's own stack saw the
  // packet). socat reports a reset only sometimes (it may take ECONNRESET for the end of the stream), so the
  // client namespace's Tcp.EstabResets counter is asked too.
  if (/Connection reset by peer/.test(err) || (estabResets > 0 && replies.length < exchanges)) return { outcome: 'reset', answeredBy, replies, detail: `${got} of ${exchanges}, then ${lastLine(err)}` };
  if (run.timedOut || run.exitCode === 124 || /timed out|Connection timed out/i.test(err) || run.exitCode === 0) {
    return { outcome: 'timeout', answeredBy, replies, detail: replies.length > 0 ? `${got} of ${exchanges}, the rest unanswered` : lastLine(err) || 'no reply' };
  }
  if (replies.length > 0) return { outcome: 'ok', answeredBy, replies, detail: `exit ${run.exitCode}: ${lastLine(err)}` };
  return { outcome: 'error', answeredBy, replies, detail: `client exit ${run.exitCode}: ${lastLine(err) || 'no output'}` };
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return (lines[lines.length - 1] ?? '').replace(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d socat\[\d+\] /, '');
}

export interface StepCheck {
  what: string;
  expected: string;
  actual: string;
  ok: boolean;
}

export function judgeStep(step: Step, observation: Observation | undefined, delivered: boolean | undefined, before: CounterSnapshot, after: CounterSnapshot): StepCheck[] {
  const e = step.expect;
  const checks: StepCheck[] = [];
  if (e.outcome !== undefined) {
    checks.push({ what: 'outcome', expected: e.outcome, actual: observation ? `${observation.outcome} (${observation.detail})` : 'none', ok: observation?.outcome === e.outcome });
  }
  if (e.answeredBy !== undefined) {
    const who = observation?.answeredBy ?? [];
    checks.push({ what: 'answered by', expected: e.answeredBy, actual: who.join(', ') || 'nobody', ok: who.length > 0 && who.every((w) => w === e.answeredBy) });
  }
  if (e.icmp !== undefined) {
    const got = observation?.icmp;
    const ok = got !== undefined && got.type === e.icmp.type && (e.icmp.code === undefined || got.code === e.icmp.code);
    checks.push({ what: 'icmp', expected: `type ${e.icmp.type}${e.icmp.code !== undefined ? ` code ${e.icmp.code}` : ''}`, actual: got ? `type ${got.type} code ${got.code ?? '?'}` : 'none', ok });
  }
  if (e.delivered !== undefined) {
    checks.push({ what: 'delivered', expected: String(e.delivered), actual: String(delivered ?? 'unknown'), ok: delivered === e.delivered });
  }
  for (const c of e.counters ?? []) {
    const d = counterDelta(before, after, c.in, c.counter);
    const ok = d !== undefined && (c.delta === undefined || d === c.delta) && (c.min === undefined || d >= c.min) && (c.max === undefined || d <= c.max);
    const expected = c.delta !== undefined ? `+${c.delta}` : [c.min !== undefined ? `>= +${c.min}` : '', c.max !== undefined ? `<= +${c.max}` : ''].filter(Boolean).join(' and ');
    checks.push({ what: `${c.in} ${c.counter}`, expected, actual: d === undefined ? 'counter not found' : `+${d}`, ok });
  }
  return checks;
}
