// Judges a trace against an expected graph: per expectation, find the roots of the role (in the
// section), match the path in each, apply the quantifier and counts, and explain the failure on the
// root that came closest. The verdict is plain data plus a readable diff.
import { expandNames, SequenceCache, type SequenceOptions } from './call-sequence.ts';
import { renderVerdictText } from './expected-graph-diff.ts';
import type { CountSpec, Expectation, ExpectedGraph } from './expected-graph-types.ts';
import { formatGraphPath } from './expected-graph-types.ts';
import type { CallNode, Trace } from './model.ts';
import { countOk, describeCount, explainPath, forbiddenInside, matchPath, type StepReport } from './path-matcher.ts';
import { findRoleInstances, hookTable, parseRoleKey, resolveGeneration, roleMatch, type KernelGeneration, type RoleInstance } from './roles.ts';
import { describeSection, findSection, inSection, type SectionRange, type SectionSpec } from './section.ts';
import { holesIn, incompleteRootsIn, missingSectionHole } from './trace-gaps.ts';

export interface MatchOptions {
  /** `uname -r` of the traced kernel; chooses the symbol generation. Else inferred from the trace. */
  kernelRelease?: string | null;
  /** Judge only this section (overrides the graph's); null ignores the graph's sections. */
  section?: SectionSpec | null;
  /** Search inside interrupt subtrees (default false). */
  includeIrq?: boolean;
  /** Search inside nested hook calls (default false: they are role instances of their own). */
  crossHooks?: boolean;
}

export interface RootRef {
  fn: string;
  line: number;
  cpu: number | null;
  task: string | null;
  pid: number | null;
  /** Candidate roles and why (for role expectations). */
  roles?: string[];
  hook?: number | null;
  note?: string;
}

export type MismatchKind = 'section' | 'no-root' | 'root-count' | 'path' | 'forbidden' | 'every';

export interface Mismatch {
  expectation: string;
  /** Dotted location in the graph of what failed (an expectation or a step). */
  at: string;
  kind: MismatchKind;
  message: string;
  root?: RootRef;
  /** The step report that failed first (path mismatches). */
  step?: StepReport;
}

export interface RoleVerdict {
  label: string;
  at: string;
  role?: string;
  root?: string;
  match: 'any' | 'every';
  holds: boolean;
  section: { spec: string; startLine: number; endLine: number | null } | null;
  /** Roots considered: certainly of the role, and possibly of the role (hook or family unknown). */
  definite: number;
  candidates: number;
  satisfied: RootRef[];
  failed: RootRef[];
  notes: string[];
  mismatch?: Mismatch;
  /**
   * Set when the expectation does not hold but the trace has a hole where it looked (lost events,
   * calls cut off): the verdict is "incomplete trace", not "does not hold".
   */
  incomplete?: string;
  /** Step-by-step account on the closest root, when the path did not hold. */
  reports?: StepReport[];
  best?: RootRef;
  /** The closest root's call, for the diff renderer (not serialised). */
  bestNode?: CallNode;
}

export interface Verdict {
  holds: boolean;
  graph: string;
  file?: string;
  generation: KernelGeneration;
  perRole: RoleVerdict[];
  mismatches: Mismatch[];
  notes: string[];
  /** Set when the graph does not hold only because of holes in the trace (every failing expectation is incomplete). */
  incomplete?: string;
  diffText: string;
}

interface Candidate {
  node: CallNode;
  definite: boolean;
  instance?: RoleInstance;
}

function refOf(c: Candidate): RootRef {
  const r: RootRef = { fn: c.node.fn, line: c.node.line, cpu: c.node.cpu, task: c.node.task, pid: c.node.pid };
  if (c.instance) {
    r.roles = c.instance.roles;
    r.hook = c.instance.hook;
    if (c.instance.note) r.note = c.instance.note;
  }
  return r;
}

function allCalls(trace: Trace, names: ReadonlySet<string>): CallNode[] {
  const out: CallNode[] = [];
  const visit = (n: CallNode): void => {
    if (names.has(n.fn)) out.push(n);
    n.children.forEach(visit);
  };
  trace.roots.forEach(visit);
  return out;
}

interface Context {
  trace: Trace;
  instances: RoleInstance[];
  cache: SequenceCache;
  options: MatchOptions;
  graph: ExpectedGraph;
}

function candidatesFor(exp: Expectation, ctx: Context, range: SectionRange | null): Candidate[] {
  const within = (n: CallNode) => range === null || inSection(n.line, range);
  if (exp.root !== undefined) return allCalls(ctx.trace, expandNames([exp.root])).filter(within).map((node) => ({ node, definite: true }));
  const key = parseRoleKey(exp.role!)!;
  const out: Candidate[] = [];
  for (const instance of ctx.instances) {
    if (!within(instance.node)) continue;
    const m = roleMatch(instance, key);
    if (m !== null) out.push({ node: instance.node, definite: m === 'definite', instance });
  }
  return out;
}

interface RootOutcome {
  candidate: Candidate;
  ok: boolean;
  forbidden: CallNode | null;
}

function judgeRoot(exp: Expectation, c: Candidate, ctx: Context): RootOutcome {
  const forbidden = forbiddenInside(c.node, exp.forbid, ctx.cache);
  const ok = forbidden === null && matchPath(exp.path, ctx.cache.of(c.node), ctx.cache) !== null;
  return { candidate: c, ok, forbidden };
}

function judgeExpectation(exp: Expectation, ctx: Context): RoleVerdict {
  const at = formatGraphPath(exp.at);
  const v: RoleVerdict = { label: exp.label, at, match: exp.match, holds: false, section: null, definite: 0, candidates: 0, satisfied: [], failed: [], notes: [] };
  if (exp.role !== undefined) v.role = exp.role;
  if (exp.root !== undefined) v.root = exp.root;
  const fail = (kind: Mismatch['kind'], message: string, extra: Partial<Mismatch> = {}, hole: string | null = null): RoleVerdict => {
    v.holds = false;
    v.mismatch = { expectation: exp.label, at, kind, message, ...extra };
    if (hole !== null) v.incomplete = hole;
    return v;
  };

  const spec = ctx.options.section !== undefined ? ctx.options.section : (exp.section ?? ctx.graph.section ?? null);
  let range: SectionRange | null = null;
  if (spec !== null) {
    const found = findSection(ctx.trace, spec);
    if (!found.ok) return fail('section', found.message, {}, missingSectionHole(ctx.trace, spec));
    range = found.range;
    v.section = { spec: describeSection(spec), startLine: range.startLine, endLine: range.endLine };
  }

  const cands = candidatesFor(exp, ctx, range);
  v.definite = cands.filter((c) => c.definite).length;
  v.candidates = cands.length;
  const what = exp.role !== undefined ? `role ${exp.role}` : `call ${exp.root}`;
  if (cands.length === 0) {
    const seen = [...new Set(ctx.instances.filter((i) => range === null || inSection(i.node.line, range)).map((i) => `${i.node.fn} (${i.roles.join('|') || '?'})`))];
    return fail('no-root', `no call of ${what}${range ? ' in the section' : ''}; hook calls present: ${seen.length > 0 ? seen.join(', ') : 'none'}`, {}, holesIn(ctx.trace, range, incompleteRootsIn(ctx.trace, range)));
  }

  const outcomes = cands.map((c) => judgeRoot(exp, c, ctx));
  const good = outcomes.filter((o) => o.ok);
  v.satisfied = good.map((o) => refOf(o.candidate));
  v.failed = outcomes.filter((o) => !o.ok).map((o) => refOf(o.candidate));
  const ambiguousGood = good.filter((o) => !o.candidate.definite).length;
  if (ambiguousGood > 0 && good.length === ambiguousGood) {
    const first = good[0]!.candidate.instance;
    v.notes.push(`holds only on calls whose role is not certain (${first?.note ?? 'hook or family unknown'}); record the hook number with a kprobe event to make it certain`);
  }

  let holds: boolean;
  const rootCount: CountSpec = exp.roots ?? { min: 1 };
  if (exp.match === 'any') {
    holds = countOk(rootCount, good.length);
    if (!holds && good.length > 0) {
      explainBest(v, exp, outcomes, ctx);
      return fail('root-count', `${good.length} root(s) of ${what} satisfy the path; expected ${describeCount(rootCount)}`, mismatchDetail(v), holesIn(ctx.trace, range, incompleteRootsIn(ctx.trace, range)));
    }
  } else {
    const definite = outcomes.filter((o) => o.candidate.definite);
    if (definite.length === 0) {
      v.notes.push(`no call is certainly ${what} (hook number unknown): judged as "any" over ${outcomes.length} candidate(s)`);
      holds = countOk(rootCount, good.length);
    } else {
      const bad = definite.filter((o) => !o.ok);
      holds = bad.length === 0 && countOk(rootCount, definite.length);
      const ambiguousBad = outcomes.filter((o) => !o.candidate.definite && !o.ok).length;
      if (ambiguousBad > 0) v.notes.push(`${ambiguousBad} call(s) that may belong to another role do not satisfy the path (not counted)`);
      if (bad.length === 0 && !holds) return fail('root-count', `${definite.length} root(s) of ${what}; expected ${describeCount(rootCount)}`, {}, holesIn(ctx.trace, range, incompleteRootsIn(ctx.trace, range)));
      if (bad.length > 0) {
        explainBest(v, exp, bad, ctx);
        const first = bad[0]!.candidate.node;
        // A complete call that breaks the path is a real failure, whatever was lost around it.
        const hole = bad.every((o) => !o.candidate.node.complete) ? holesIn(ctx.trace, range, bad.map((o) => o.candidate.node), false) : null;
        return fail('every', `${bad.length} of ${definite.length} root(s) of ${what} do not satisfy the path (first: ${first.fn} at line ${first.line})`, mismatchDetail(v), hole);
      }
    }
  }
  if (holds) {
    v.holds = true;
    return v;
  }
  explainBest(v, exp, outcomes, ctx);
  const detail = mismatchDetail(v);
  const kind = detail.step === undefined || detail.step.status === 'forbidden' ? 'forbidden' : 'path';
  const hole = holesIn(ctx.trace, range, outcomes.filter((o) => !o.ok).map((o) => o.candidate.node));
  return fail(kind, `no root of ${what} satisfies the path${detail.step ? `: ${detail.step.expected} ${detail.step.status} (${detail.step.detail ?? ''})` : ''}`, detail, hole);
}

/** Explains the failure on the root that matched the most steps. */
function explainBest(v: RoleVerdict, exp: Expectation, outcomes: RootOutcome[], ctx: Context): void {
  const failing = outcomes.filter((o) => !o.ok);
  if (failing.length === 0) return;
  let best: { o: RootOutcome; reports: StepReport[]; progress: number } | null = null;
  for (const o of failing) {
    const e = explainPath(exp.path, ctx.cache.of(o.candidate.node), ctx.cache);
    const score = e.progress + (o.candidate.definite ? 0.5 : 0) - (o.forbidden ? 0.25 : 0);
    if (best === null || score > best.progress) best = { o, reports: e.reports, progress: score };
  }
  if (best === null) return;
  v.reports = best.reports;
  v.best = refOf(best.o.candidate);
  // The node is for the diff renderer only: keep it out of JSON (it would copy the whole subtree).
  Object.defineProperty(v, 'bestNode', { value: best.o.candidate.node, enumerable: false, writable: true });
  if (best.o.forbidden) {
    const f = best.o.forbidden;
    const forbidden: StepReport = { at: [...exp.at, 'forbid'], expected: `no ${f.fn}`, status: 'forbidden', fn: f.fn, line: f.line, detail: `${f.fn} is called at line ${f.line}` };
    Object.defineProperty(forbidden, 'node', { value: f, enumerable: false, writable: true });
    v.reports = [...best.reports, forbidden];
  }
}

function firstProblem(reports: readonly StepReport[] | undefined): StepReport | undefined {
  for (const r of reports ?? []) {
    if (r.status === 'matched' || r.status === 'skipped' || r.status === 'not-checked' || (r.status === 'inlined' && !r.inside?.some((x) => x.status !== 'matched'))) continue;
    return firstProblem(r.inside) ?? r;
  }
  return undefined;
}

function mismatchDetail(v: RoleVerdict): Partial<Mismatch> {
  const out: Partial<Mismatch> = {};
  const step = firstProblem(v.reports);
  if (step) {
    out.step = step;
    out.at = formatGraphPath(step.at);
  }
  if (v.best) out.root = v.best;
  return out;
}

/** Judges the trace against the graph. Pure: same inputs, same verdict. */
export function matchExpectedGraph(trace: Trace, graph: ExpectedGraph, options: MatchOptions = {}): Verdict {
  const generation = resolveGeneration(trace, options.kernelRelease);
  const instances = findRoleInstances(trace, generation);
  const seqOptions: SequenceOptions = {
    includeIrq: options.includeIrq ?? false,
    crossHooks: options.crossHooks ?? false,
    hookFns: new Set(hookTable(generation).keys()),
  };
  const ctx: Context = { trace, instances, cache: new SequenceCache(seqOptions), options, graph };
  const perRole = graph.expect.map((exp) => judgeExpectation(exp, ctx));
  const notes: string[] = [];
  if (generation.warning) notes.push(generation.warning);
  if (generation.id === 'unknown') notes.push('kernel generation unknown (no --kernel-release, no IPVS hook symbols in the trace): both symbol tables used');
  if (trace.lostEvents > 0 || trace.lost.length > 0) notes.push(`the trace lost ${trace.lostEvents || 'some'} events: calls may be missing`);
  const verdict: Verdict = {
    holds: perRole.every((r) => r.holds),
    graph: graph.name,
    generation,
    perRole,
    mismatches: perRole.flatMap((r) => (r.mismatch ? [r.mismatch] : [])),
    notes,
    diffText: '',
  };
  if (graph.file !== undefined) verdict.file = graph.file;
  const failing = perRole.filter((r) => !r.holds);
  if (failing.length > 0 && failing.every((r) => r.incomplete !== undefined)) verdict.incomplete = [...new Set(failing.map((r) => r.incomplete!))].join('; ');
  verdict.diffText = renderVerdictText(verdict);
  return verdict;
}
