// Order of hook roles: "the first remote_request comes before the first local_request". The
// expected-graph matcher judges each root on its own; this judges the order between them, on the
// role instances (top level and nested) in document order.
import type { Trace } from './model.ts';
import { findRoleInstances, parseRoleKey, resolveGeneration, roleMatch, type RoleInstance } from './roles.ts';

export interface RoleOrderVerdict {
  holds: boolean;
  /** One line per role: where its first instance is. */
  found: string[];
  /** Per role, in the order given: its first hook call (absent when none, or the role is unknown). */
  firsts: Array<{ role: string; known: boolean; first?: { line: number; fn: string; nested: boolean } }>;
  diffText: string;
}

function describe(i: RoleInstance | undefined): string {
  if (!i) return 'not found';
  const hook = i.hook !== null ? `, hook ${i.hook}` : '';
  return `line ${i.node.line} (${i.node.symbol}${hook}${i.nested ? ', nested' : ''})`;
}

export function checkRoleOrder(trace: Trace, roles: readonly string[], kernelRelease?: string | null): RoleOrderVerdict {
  const generation = resolveGeneration(trace, kernelRelease);
  const instances = findRoleInstances(trace, generation).sort((a, b) => a.node.line - b.node.line);
  const firsts = roles.map((r) => {
    const key = parseRoleKey(r);
    return { role: r, first: key ? instances.find((i) => roleMatch(i, key) !== null) : undefined, known: key !== null };
  });
  const found = firsts.map((f) => `${f.role}: ${f.known ? describe(f.first) : 'unknown role'}`);
  let problem: string | null = null;
  for (let k = 0; k < firsts.length && problem === null; k++) {
    const cur = firsts[k]!;
    if (!cur.known) problem = `unknown role "${cur.role}"`;
    else if (!cur.first) problem = `no ${cur.role} hook call in the trace`;
    else if (k > 0 && firsts[k - 1]!.first && firsts[k - 1]!.first!.node.line > cur.first.node.line) {
      problem = `${cur.role} ran first at line ${cur.first.node.line}, before ${firsts[k - 1]!.role} (line ${firsts[k - 1]!.first!.node.line})`;
    }
  }
  const head = `expected order: ${roles.join(' -> ')}`;
  return {
    holds: problem === null,
    found,
    firsts: firsts.map((f) => ({ role: f.role, known: f.known, ...(f.first ? { first: { line: f.first.node.line, fn: f.first.node.fn, nested: f.first.nested } } : {}) })),
    diffText: problem === null ? `${head}: holds` : [`${head}: DOES NOT HOLD: ${problem}`, ...found.map((f) => `  first ${f}`)].join('\n'),
  };
}
