// The distinct changes of a call-graph diff. One change in the kernel (a new call inside
// ip_vs_service_find) shows up in every step and role whose packets pass there; the reader wants it
// once, with where it occurs: "ip_vs_rht_hash_linfo added under ip_vs_service_find in 9 steps of 5
// scenarios". Changes are the same when they are of one kind and relevance and name the same
// function under the same caller (added, removed), the same role (role-added, role-removed, hook) or
// say the same thing (renames, inlining, clones, order); hook-call counts are one informational change.
import type { ChangeKind, Relevance, ScenarioDiff } from './callgraph-diff.ts';
import type { ChangeSides } from './change-sides.ts';

export interface ChangePlace {
  scenario: string;
  /** `""`: outside every step. */
  step: string;
  role: string;
  /** `top`, or the caller chain of a nested hook call (as in RoleDiff). */
  context: string;
  /** Where in the role's tree (`tcp_conn_schedule > ip_vs_service_find > ip_vs_rht_hash_linfo`). */
  path: string;
  message: string;
}

export interface DistinctChange {
  kind: ChangeKind;
  relevance: Relevance;
  /** The change in one line, without its places: `ip_vs_rht_hash_linfo added under ip_vs_service_find`. */
  summary: string;
  /** Why it is behaviour-relevant, when the kernels' traceable functions say (first place's reason). */
  reason?: string;
  /** `in 9 steps of 5 scenarios (roles remote_request, local_request)`. */
  where: string;
  places: ChangePlace[];
  /** added / removed: the function and its caller, as in CallChange. */
  fn?: string;
  caller?: string;
  /** Behaviour-relevant changes: the calls around it on each kernel, at its first place. */
  sides?: ChangeSides;
}

const RANK: Record<Relevance, number> = { behaviour: 0, info: 1, cosmetic: 2 };

function plural(n: number, one: string): string {
  return `${n} ${one}${n === 1 ? '' : 's'}`;
}

/** `in step request of pod-to-vip`, `in 9 steps of 5 scenarios`, `outside the steps of 2 scenarios`. */
export function whereText(places: readonly ChangePlace[]): string {
  const scenarios = new Set(places.map((p) => p.scenario));
  const steps = new Set(places.filter((p) => p.step !== '').map((p) => `${p.scenario}\u0000${p.step}`));
  const outside = new Set(places.filter((p) => p.step === '').map((p) => p.scenario));
  const parts: string[] = [];
  const of = scenarios.size === 1 ? `of ${[...scenarios][0]}` : `of ${plural(scenarios.size, 'scenario')}`;
  if (steps.size === 1 && scenarios.size === 1) parts.push(`in step ${places.find((p) => p.step !== '')!.step} ${of}`);
  else if (steps.size > 0) parts.push(`in ${plural(steps.size, 'step')} ${of}`);
  if (outside.size > 0) parts.push(`outside the steps of ${outside.size === 1 ? [...outside][0] : plural(outside.size, 'scenario')}`);
  const roles = [...new Set(places.map((p) => p.role))];
  return `${parts.join(' and ')} (${roles.length === 1 ? 'role' : 'roles'} ${roles.join(', ')})`;
}

export function groupChanges(scenarios: readonly ScenarioDiff[], labels: { a: string; b: string }): DistinctChange[] {
  const groups = new Map<string, Omit<DistinctChange, 'where'>>();
  for (const s of scenarios) {
    for (const r of s.roles) {
      const ctx = r.context === 'top' ? '' : ` nested in ${r.context}`;
      for (const c of r.changes) {
        let key: string;
        let summary: string;
        if ((c.kind === 'added' || c.kind === 'removed') && c.fn !== undefined) {
          const under = c.caller === '' || c.caller === undefined ? 'the hook function' : c.caller;
          key = `${c.fn}\u0000${c.caller}`;
          summary = `${c.fn} ${c.kind} under ${under}${c.kind === 'added' ? ` (called on ${labels.b} only)` : ` (called on ${labels.a} only)`}`;
        } else if (c.kind === 'role-added' || c.kind === 'role-removed') {
          key = `${r.role}\u0000${r.context}`;
          summary = `${r.role}${ctx} hook calls on ${c.kind === 'role-added' ? labels.b : labels.a} only`;
        } else if (c.kind === 'count') {
          key = '';
          summary = 'the number of hook calls (packets) differs';
        } else if (c.kind === 'hook') {
          key = `${r.role}\u0000${c.message}`;
          summary = `${r.role} ${c.message}`;
        } else {
          key = c.message;
          summary = c.message;
        }
        const k = `${c.kind}\u0000${c.relevance}\u0000${key}`;
        let g = groups.get(k);
        if (g === undefined) {
          groups.set(k, (g = {
            kind: c.kind, relevance: c.relevance, summary, ...(c.reason ? { reason: c.reason } : {}), places: [],
            ...(c.fn !== undefined ? { fn: c.fn } : {}), ...(c.caller !== undefined ? { caller: c.caller } : {}),
          }));
        }
        g.places.push({ scenario: s.scenario, step: r.step, role: r.role, context: r.context, path: c.path, message: c.message });
      }
    }
  }
  return [...groups.values()]
    .map((g) => ({ ...g, where: whereText(g.places) }))
    .sort((x, y) => RANK[x.relevance] - RANK[y.relevance] || y.places.length - x.places.length || x.summary.localeCompare(y.summary));
}
