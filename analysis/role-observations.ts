// Plain statements of what each hook call did: its role, how the role was known, where it ran
// (top level or nested inside another call, e.g. ip_vs_nat_xmit -> nf_hook_slow) and how much work
// it did (calls inside). Repeated identical statements are folded into one with a count.
import { walkCalls, type CallNode } from './model.ts';
import { HOOK_NAMES } from './ipvs-symbols.ts';
import type { RoleInstance } from './roles.ts';

function countCalls(node: CallNode): number {
  let n = 0;
  walkCalls(node.children, () => n++);
  return n;
}

interface Described {
  role: string;
  where: string;
  calls: number;
}

function describeOne(i: RoleInstance, parents: Map<CallNode, CallNode | null>): Described {
  const role = i.roles.length === 1 ? i.roles[0]! : i.roles.length > 1 ? `${i.roles.join(' or ')} (hook unknown)` : 'no known role';
  const hook = i.hook !== null ? `, hook ${i.hook} ${HOOK_NAMES[i.hook] ?? ''}`.trimEnd() : '';
  let where = 'top level';
  if (i.nested) {
    const chain: string[] = [];
    for (let p = parents.get(i.node) ?? null; p !== null; p = parents.get(p) ?? null) chain.unshift(p.fn);
    where = `nested in ${chain.join(' > ')}`;
  }
  return { role: `${role} (${i.node.symbol}${hook})`, where, calls: countCalls(i.node) };
}

function work(min: number, max: number): string {
  if (max === 0) return 'returned at once, no calls inside';
  return min === max ? `${max} calls inside` : `${min}-${max} calls inside`;
}

/**
 * Two kinds of statement: the hook calls of the first packet in order ("first packet: A, then B
 * nested in X"), then every distinct kind of hook call with how often it ran and how much it did.
 * `roots` are the trees holding the instances.
 */
export function describeRoleInstances(instances: readonly RoleInstance[], roots: readonly CallNode[]): string[] {
  if (instances.length === 0) return [];
  const parents = new Map<CallNode, CallNode | null>();
  walkCalls(roots, (node, parent) => parents.set(node, parent));
  const described = instances.map((i) => ({ i, d: describeOne(i, parents) }));
  // The first packet: from the first top-level hook call up to the first request hook, with what ran nested in it.
  const top = described.filter(({ i }) => !i.nested);
  const firstRequest = top.find(({ i }) => i.roles.some((r) => r === 'remote_request' || r === 'local_request'));
  const lastRoot = firstRequest?.i.rootIndex ?? top[0]?.i.rootIndex ?? 0;
  const firstRoot = top[0]?.i.rootIndex ?? 0;
  const firstPacket = described
    .filter(({ i }) => i.rootIndex >= firstRoot && i.rootIndex <= lastRoot)
    .map(({ d }) => `${d.role}${d.where === 'top level' ? '' : ` ${d.where}`}: ${work(d.calls, d.calls)}`);
  const groups = new Map<string, { n: number; min: number; max: number }>();
  for (const { d } of described) {
    const key = `${d.role} ${d.where === 'top level' ? 'at top level' : d.where}`;
    const g = groups.get(key);
    if (g) {
      g.n++;
      g.min = Math.min(g.min, d.calls);
      g.max = Math.max(g.max, d.calls);
    } else groups.set(key, { n: 1, min: d.calls, max: d.calls });
  }
  return [
    `first packet: ${firstPacket.join(' -> ')}`,
    `all hook calls: ${[...groups].map(([k, g]) => `${k} x${g.n} (${work(g.min, g.max)})`).join('; ')}`,
  ];
}
