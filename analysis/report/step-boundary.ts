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
