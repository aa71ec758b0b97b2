// A behaviour-relevant change shown on both kernels, side by side: the calls around it as each kernel
// made them, taken from the first place it occurs. For a call added or removed, its caller's subtree
// (two levels) on each side, the call itself marked; for a role seen on one kernel only, that role's
// first tree; for an order change, the caller's children in each kernel's order.
import type { DistinctChange } from './callgraph-diff-groups.ts';
import type { CallGraphEntry, CanonCall } from './callgraph-summary.ts';

export interface ChangeSides {
  /** Where the excerpt was taken: `pod-to-vip step request, role remote_request`. */
  at: string;
  /** Text lines of each side's calls around the change; null when the side has no such hook call. */
  a: string[] | null;
  b: string[] | null;
}

const MAX_LINES = 24;

function render(c: CanonCall, depth: number, level: number, mark: string | undefined, out: string[]): void {
  if (out.length >= MAX_LINES) return;
  const name = c.symbol ?? c.fn;
  const hook = c.hook ? `  [${c.hook.role} re-entry]` : '';
  out.push(`${'  '.repeat(level)}${name}${hook}${mark !== undefined && c.fn === mark && level > 0 ? '   <== here' : ''}`);
  if (level >= depth) {
    if ((c.calls?.length ?? 0) > 0) out[out.length - 1] += ` (+${c.calls!.length} call(s))`;
    return;
  }
  for (const k of c.calls ?? []) render(k, depth, level + 1, mark, out);
  if (out.length >= MAX_LINES && level === 0) out.push('  ...');
}

/** The chain from the root to the first node named `fn` (normalised), depth first. */
function find(c: CanonCall, fn: string): CanonCall[] | null {
  if (c.fn === fn) return [c];
  for (const k of c.calls ?? []) {
    const hit = find(k, fn);
    if (hit) return [c, ...hit];
  }
  return null;
}

function excerpt(entries: readonly CallGraphEntry[], caller: string | null, mark: string | undefined): string[] | null {
  if (entries.length === 0) return null;
  // Prefer a tree where the caller occurs; the most frequent tree first.
  const trees = entries.flatMap((e) => [...e.variants].sort((x, y) => y.count - x.count).map((v) => v.tree));
  if (caller !== null) {
    for (const t of trees) {
      const chain = find(t, caller);
      if (chain) {
        // The way down from the hook function, then the caller's own calls.
        const out = chain.slice(0, -1).map((c, i) => `${'  '.repeat(i)}${c.symbol ?? c.fn}`);
        const sub: string[] = [];
        render(chain.at(-1)!, 2, 0, mark, sub);
        const indent = '  '.repeat(chain.length - 1);
        return [...out, ...sub.map((l) => `${indent}${l}`)];
      }
    }
  }
  const out: string[] = [];
  render(trees[0]!, 2, 0, mark, out);
  return out;
}

export function changeSides(c: DistinctChange, entries: { a: readonly CallGraphEntry[]; b: readonly CallGraphEntry[] }): ChangeSides | null {
  const p = c.places[0];
  if (p === undefined) return null;
  const here = (e: CallGraphEntry) => e.scenario === p.scenario && e.step === p.step && e.role === p.role && e.context === p.context;
  const ea = entries.a.filter(here);
  const eb = entries.b.filter(here);
  const parts = p.path === '' ? [] : p.path.split(' > ');
  let caller: string | null = null;
  let mark: string | undefined;
  if (c.kind === 'added' || c.kind === 'removed') {
    mark = c.fn ?? parts.at(-1);
    caller = c.caller !== undefined && c.caller !== '' ? c.caller : null;
  } else if (c.kind === 'order') {
    caller = parts.at(-1) ?? null;
  }
  const at = `${p.scenario} ${p.step === '' ? '(outside the steps)' : `step ${p.step}`}, role ${p.role}${p.context === 'top' ? '' : ` nested in ${p.context}`}`;
  return { at, a: excerpt(ea, caller, mark), b: excerpt(eb, caller, mark) };
}
