// Whether function_graph and bpftrace tell the same story about one cell (`run --tracer both`): per
// step, the hook roles seen (how many of each), the order in which each role first ran, which role ran
// nested inside which, and, per expected graph, the verdict and the call each path step matched.
// bpftrace probes only the hooks and the functions the graphs name, so only those are compared; a
// step naming a helper the kernel inlined is missing from both and compared as such. Pure.
import type { GraphResult, TracerAgreement } from './report/results.ts';
import type { CallNode, Trace } from './model.ts';
import { findRoleInstances, resolveGeneration, type RoleInstance } from './roles.ts';
import { findSection, sliceSection } from './section.ts';
import { stepSection } from './step-markers.ts';

function roleKey(r: RoleInstance): string {
  return r.roles.length === 1 ? `${r.roles[0]}${r.family ?? ''}` : `${r.node.fn}(${r.roles.join('|') || 'no role'})`;
}

interface StepStory {
  counts: Map<string, number>;
  firsts: string[];
  nesting: Set<string>;
}

function story(trace: Trace, release: string): StepStory {
  const instances = findRoleInstances(trace, resolveGeneration(trace, release));
  const counts = new Map<string, number>();
  const firsts: string[] = [];
  for (const r of instances) {
    const k = roleKey(r);
    counts.set(k, (counts.get(k) ?? 0) + 1);
    if (!firsts.includes(k)) firsts.push(k);
  }
  // Which role ran inside which: a hook call below another hook call of the same tree.
  const byNode = new Map<CallNode, string>(instances.map((r) => [r.node, roleKey(r)]));
  const nesting = new Set<string>();
  const visit = (n: CallNode, outer: string | null): void => {
    const here = byNode.get(n);
    if (here !== undefined && outer !== null) nesting.add(`${here} inside ${outer}`);
    for (const c of n.children) visit(c, here ?? outer);
  };
  for (const root of trace.roots) visit(root, null);
  return { counts, firsts, nesting };
}

function describeCounts(m: Map<string, number>): string {
  return [...m].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k} x${n}`).join(', ') || 'none';
}

/** The path steps of a verdict as `at status fn` lines, for comparing what each tracer matched. */
function pathOf(g: GraphResult): string[] {
  const out: string[] = [];
  const walk = (steps: NonNullable<GraphResult['judged']>['steps']): void => {
    for (const st of steps) {
      out.push(`${st.at} ${st.status}${st.call ? ` ${st.call.fn}` : ''}`);
      if (st.inside) walk(st.inside);
    }
  };
  if (g.judged) walk(g.judged.steps);
  return out;
}

export interface AgreementInput {
  ftrace: Trace;
  bpftrace: Trace;
  steps: readonly string[];
  kernelRelease: string;
  graphs: { ftrace: readonly GraphResult[]; bpftrace: readonly GraphResult[] };
}

export function tracerAgreement(input: AgreementInput): TracerAgreement {
  const differences: string[] = [];
  let steps = 0;
  for (const step of input.steps) {
    const f = findSection(input.ftrace, stepSection(step));
    const b = findSection(input.bpftrace, stepSection(step));
    if (!f.ok || !b.ok) {
      differences.push(f.ok !== b.ok ? `step ${step}: its markers are in the ${f.ok ? 'ftrace' : 'bpftrace'} trace only` : `step ${step}: its markers are in neither trace: nothing to compare`);
      continue;
    }
    steps++;
    const fs = story(sliceSection(input.ftrace, f.range), input.kernelRelease);
    const bs = story(sliceSection(input.bpftrace, b.range), input.kernelRelease);
    const keys = new Set([...fs.counts.keys(), ...bs.counts.keys()]);
    if ([...keys].some((k) => fs.counts.get(k) !== bs.counts.get(k))) {
      differences.push(`step ${step}: roles seen: ftrace ${describeCounts(fs.counts)}; bpftrace ${describeCounts(bs.counts)}`);
    }
    if (fs.firsts.join(' -> ') !== bs.firsts.join(' -> ')) differences.push(`step ${step}: order of the roles: ftrace ${fs.firsts.join(' -> ') || 'none'}; bpftrace ${bs.firsts.join(' -> ') || 'none'}`);
    const onlyF = [...fs.nesting].filter((x) => !bs.nesting.has(x));
    const onlyB = [...bs.nesting].filter((x) => !fs.nesting.has(x));
    if (onlyF.length > 0) differences.push(`step ${step}: nesting seen by ftrace only: ${onlyF.join(', ')}`);
    if (onlyB.length > 0) differences.push(`step ${step}: nesting seen by bpftrace only: ${onlyB.join(', ')}`);
  }
  let graphs = 0;
  input.graphs.ftrace.forEach((g) => {
    const other = input.graphs.bpftrace.find((x) => x.name === g.name);
    if (!other) return;
    graphs++;
    if (g.holds !== other.holds) {
      differences.push(`graph ${g.name}: ${g.holds ? 'holds' : 'does not hold'} on ftrace's trace, ${other.holds ? 'holds' : 'does not hold'} on bpftrace's`);
      return;
    }
    const fp = pathOf(g);
    const bp = pathOf(other);
    const at = fp.findIndex((line, i) => line !== bp[i]);
    if (at >= 0 || fp.length !== bp.length) {
      const i = at >= 0 ? at : Math.min(fp.length, bp.length);
      differences.push(`graph ${g.name}: path step ${i + 1}: ftrace ${fp[i] ?? '(none)'}; bpftrace ${bp[i] ?? '(none)'}`);
    }
  });
  return { agree: differences.length === 0, steps, graphs, differences };
}
