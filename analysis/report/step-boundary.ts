// Hook calls that fall on the other side of a step marker. A step's late packets (the last ACKs, an
// ICMP error answering its traffic) can still be in flight when the runner writes the step's end
// marker, so two runs of one kernel put the same hook calls in step `icmp-off` once and outside the
// steps (or in the next step) the other time. A role whose hook calls appear in a step on one side
// only, while the other side has at least as many more calls of that role and caller chain in
// another section of the same scenario, moved across a step boundary: timing, not the kernel. Such a
// role-added / role-removed change is informational, with that reason. So is one of a root that is
// not a hook call (`call:estimation_timer`, IPVS's rate estimator timer every 2 s): it runs in
// whichever step its time falls, not on the step's packet path.
import type { CallChange, RoleDiff } from './callgraph-diff.ts';
import { sendsTraffic, type StepResult } from './results.ts';

/** What the diff needs of a recorded step. */
export type StepTiming = Pick<StepResult, 'name' | 'kind' | 'inFlight'>;

/**
 * Why hook calls in `step` are timing rather than the kernel, from the steps both runs recorded:
 * `silent` when the step sends no packets of its own (a sysctls or wait step), `inFlight` when an
 * earlier step still had packets in flight at its end marker (the runner drains each step first and
 * records what did not drain). Null when neither run says so (or the steps were not recorded).
 */
export function timingOf(step: string, sides: ReadonlyArray<readonly StepTiming[] | undefined>): { silent: string | null; inFlight: string | null } {
  let silent: string | null = null;
  let inFlight: string | null = null;
  if (step === '') return { silent, inFlight };
  for (const steps of sides) {
    if (!steps) continue;
    const i = steps.findIndex((x) => x.name === step);
    if (i < 0) continue;
    const here = steps[i]!;
    if (!sendsTraffic(here.kind)) silent ??= `step ${step} sends no packets of its own (a ${here.kind} step): its hook calls are late packets of an earlier step`;
    const earlier = steps.slice(0, i).reverse().find((x) => (x.inFlight?.length ?? 0) > 0);
    if (earlier) inFlight ??= `step ${earlier.name} still had packets in flight at its end marker (${earlier.inFlight![0]}${earlier.inFlight!.length > 1 ? `, +${earlier.inFlight!.length - 1} more` : ''}): late packets land in whichever later step their time falls`;
  }
  return { silent, inFlight };
}

type Counts = Map<string, { a: number; b: number }>;

const roleKey = (r: RoleDiff) => JSON.stringify([r.role, r.context]);

export function reclassifyBoundaryMoves(roles: readonly RoleDiff[], labels: { a: string; b: string }): void {
  // role+context -> step -> calls on each side
  const bySection = new Map<string, Counts>();
  for (const r of roles) {
    let steps = bySection.get(roleKey(r));
    if (steps === undefined) bySection.set(roleKey(r), (steps = new Map()));
    steps.set(r.step, { a: r.a?.calls ?? 0, b: r.b?.calls ?? 0 });
  }
  for (const r of roles) {
    for (const c of r.changes) {
      if (c.relevance !== 'behaviour' || (c.kind !== 'role-added' && c.kind !== 'role-removed')) continue;
      if (r.role.startsWith('call:')) {
        reclassify(c, `not a hook call: ${r.role.slice(5)} runs outside the netfilter hooks, in whichever step its time falls`);
        continue;
      }
      const [here, there] = c.kind === 'role-added' ? (['b', 'a'] as const) : (['a', 'b'] as const);
      const n = (here === 'b' ? r.b?.calls : r.a?.calls) ?? 0;
      const other = [...bySection.get(roleKey(r))!].find(([step, k]) => step !== r.step && k[there] - k[here] >= n);
      if (other === undefined) continue;
      const [step] = other;
      const where = step === '' ? 'outside the steps' : `in step ${step}`;
      reclassify(c, `moved across a step boundary: ${labels[there]} has as many more of these hook calls ${where} (late packets of a step on either side of its marker)`);
    }
  }
}

function reclassify(c: CallChange, reason: string): void {
  c.relevance = 'info';
  c.reason = reason;
  c.message = `${c.message}; ${reason}`;
}
