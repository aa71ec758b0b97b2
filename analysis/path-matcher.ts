// Matching an ordered path of steps against a call sequence (pre-order). Steps need not be directly
// nested: each must come after the previous one in document order. For a plain step the earliest
// call that satisfies it is always the best choice (it leaves the most room for the rest), so the
// search only branches on optional steps and alternatives, and failed (step, position) pairs are
// memoised: the match is polynomial and complete (it finds a match whenever one exists).
import { firstOccurrence, isInlinable, occurrences, type SequenceCache, type SeqEntry } from './call-sequence.ts';
import type { CallStep, CountSpec, GraphPath, Step } from './expected-graph-types.ts';
import type { CallNode } from './model.ts';

export interface Binding {
  step: CallStep;
  node: CallNode;
  inside: Binding[];
}

export interface PathMatch {
  bindings: Binding[];
  /** Index in the sequence after the last matched call. */
  end: number;
}

export function countOk(count: CountSpec | undefined, n: number): boolean {
  if (count === undefined) return true;
  return (count.min === undefined || n >= count.min) && (count.max === undefined || n <= count.max);
}

export function describeCount(count: CountSpec): string {
  if (count.min !== undefined && count.min === count.max) return `exactly ${count.min}`;
  if (count.min !== undefined && count.max !== undefined) return `${count.min} to ${count.max}`;
  if (count.min !== undefined) return `at least ${count.min}`;
  return `at most ${count.max}`;
}

function mayBeAbsent(step: CallStep): boolean {
  return step.optional || (step.count !== undefined && (step.count.min ?? 0) === 0);
}

/** The helper is inlined on this kernel: allowed for known helpers, unless the step says `required`. */
function inlinedAway(step: CallStep, seq: readonly SeqEntry[], cache: SequenceCache): boolean {
  return !step.required && step.names.every(isInlinable) && firstOccurrence(seq, cache.namesOf(step)) < 0;
}

/** First forbidden call inside the node (or null). */
export function forbiddenInside(node: CallNode, forbid: readonly string[], cache: SequenceCache): CallNode | null {
  if (forbid.length === 0) return null;
  const names = new Set(forbid);
  for (const e of cache.of(node)) if (names.has(e.node.fn)) return e.node;
  return null;
}

/** Does this call satisfy the step's own constraints (direct, forbid, inside)? */
function satisfies(step: CallStep, e: SeqEntry, cache: SequenceCache): Binding[] | null {
  if (step.direct && !e.direct) return null;
  if (forbiddenInside(e.node, step.forbid, cache) !== null) return null;
  if (step.inside.length === 0) return [];
  return matchPath(step.inside, cache.of(e.node), cache)?.bindings ?? null;
}

export function findCandidate(step: CallStep, seq: readonly SeqEntry[], from: number, cache: SequenceCache): { index: number; inside: Binding[] } | null {
  const names = cache.namesOf(step);
  for (let i = from; i < seq.length; i++) {
    const e = seq[i]!;
    if (!names.has(e.node.fn)) continue;
    const inside = satisfies(step, e, cache);
    if (inside !== null) return { index: i, inside };
  }
  return null;
}

class Memo {
  private readonly failed = new Map<readonly Step[], Set<number>>();
  has(steps: readonly Step[], i: number, pos: number): boolean {
    return this.failed.get(steps)?.has(i * 1_000_003 + pos) ?? false;
  }
  add(steps: readonly Step[], i: number, pos: number): void {
    let set = this.failed.get(steps);
    if (set === undefined) this.failed.set(steps, (set = new Set()));
    set.add(i * 1_000_003 + pos);
  }
}

/** Matches the whole path from `from`; null when it cannot hold. */
export function matchPath(steps: readonly Step[], seq: readonly SeqEntry[], cache: SequenceCache, from = 0): PathMatch | null {
  return rec(steps, 0, seq, from, cache, new Memo());
}

function rec(steps: readonly Step[], i: number, seq: readonly SeqEntry[], pos: number, cache: SequenceCache, memo: Memo): PathMatch | null {
  if (i === steps.length) return { bindings: [], end: pos };
  if (memo.has(steps, i, pos)) return null;
  const step = steps[i]!;
  let result: PathMatch | null = null;
  if (step.kind === 'anyOf') {
    const rest = steps.slice(i + 1);
    for (const alt of step.alternatives) {
      result = rec([...alt, ...rest], 0, seq, pos, cache, memo);
      if (result !== null) break;
    }
    if (result === null && step.optional) result = rec(steps, i + 1, seq, pos, cache, memo);
  } else if (countOk(step.count, occurrences(seq, cache.namesOf(step)))) {
    const found = findCandidate(step, seq, pos, cache);
    if (found !== null) {
      const tail = rec(steps, i + 1, seq, found.index + 1, cache, memo);
      if (tail !== null) result = { bindings: [{ step, node: seq[found.index]!.node, inside: found.inside }, ...tail.bindings], end: tail.end };
    }
    if (result === null) {
      if (mayBeAbsent(step)) result = rec(steps, i + 1, seq, pos, cache, memo);
      else if (step.inside.length > 0 && inlinedAway(step, seq, cache)) result = rec([...step.inside, ...steps.slice(i + 1)], 0, seq, pos, cache, memo);
      else if (step.inside.length === 0 && inlinedAway(step, seq, cache)) result = rec(steps, i + 1, seq, pos, cache, memo);
    }
  }
  if (result === null) memo.add(steps, i, pos);
  return result;
}

export type StepStatus =
  | 'matched'
  | 'skipped'
  | 'inlined'
  | 'missing'
  | 'out-of-order'
  | 'not-direct'
  | 'forbidden'
  | 'count'
  | 'inside'
  | 'not-checked';

export interface StepReport {
  at: GraphPath;
  /** What the step expects, e.g. `ip_vs_conn_new` or `anyOf(tcp_conn_schedule | udp_conn_schedule)`. */
  expected: string;
  status: StepStatus;
  /** The matched call, or the call the problem is about: its name and line (the node itself is not serialised). */
  fn?: string;
  line?: number;
  node?: CallNode;
  detail?: string;
  inside?: StepReport[];
}

/** A report about a call: name and line in JSON, the node itself kept for the renderer only. */
function report(r: Omit<StepReport, 'node' | 'fn' | 'line'>, node?: CallNode): StepReport {
  const out: StepReport = { ...r };
  if (node !== undefined) {
    out.fn = node.fn;
    out.line = node.line;
    Object.defineProperty(out, 'node', { value: node, enumerable: false, writable: true });
  }
  return out;
}

export function describeStep(step: Step): string {
  if (step.kind === 'call') return step.names.join(' | ');
  return `anyOf(${step.alternatives.map((a) => a.map(describeStep).join(' > ')).join(' | ')})`;
}

export interface Explanation {
  ok: boolean;
  reports: StepReport[];
  /** Matched steps, nested ones included: a measure of how close a root came. */
  progress: number;
  end: number;
}

/** The steps as not checked: a path that was never walked (no root to walk it on). */
export function notChecked(steps: readonly Step[]): StepReport[] {
  return steps.map((s) => {
    const r: StepReport = { at: s.at, expected: describeStep(s), status: 'not-checked' };
    if (s.kind === 'call' && s.inside.length > 0) r.inside = notChecked(s.inside);
    return r;
  });
}

/**
 * Walks the path greedily and says where it stops holding: the first step that is missing, out of
 * order, not a direct child, has a forbidden call, a wrong count, or a failing nested path.
 * Greedy choices are a subset of matchPath's, so when matchPath fails this finds a failing step.
 */
export function explainPath(steps: readonly Step[], seq: readonly SeqEntry[], cache: SequenceCache, from = 0, after: CallNode | null = null): Explanation {
  const reports: StepReport[] = [];
  let pos = from;
  let prev = after;
  let progress = 0;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    const fail = (r: StepReport): Explanation => ({ ok: false, reports: [...reports, r, ...notChecked(steps.slice(i + 1))], progress, end: pos });
    const expected = describeStep(step);
    if (step.kind === 'anyOf') {
      let done = false;
      for (let k = 0; k < step.alternatives.length && !done; k++) {
        const m = matchPath(step.alternatives[k]!, seq, cache, pos);
        if (m !== null) {
          const sub = explainPath(step.alternatives[k]!, seq, cache, pos, prev);
          reports.push({ at: step.at, expected, status: 'matched', detail: `alternative ${k + 1}`, inside: sub.reports });
          progress += 1 + sub.progress;
          if (m.bindings.length > 0) prev = m.bindings[m.bindings.length - 1]!.node;
          pos = m.end;
          done = true;
        }
      }
      if (done) continue;
      if (step.optional) {
        reports.push({ at: step.at, expected, status: 'skipped', detail: 'optional, no alternative found' });
        continue;
      }
      const inside = step.alternatives.flatMap((alt) => explainPath(alt, seq, cache, pos, prev).reports.filter((r) => r.status !== 'matched' && r.status !== 'not-checked').slice(0, 1));
      return fail({ at: step.at, expected, status: 'missing', detail: `no alternative holds${prev ? ` after ${prev.fn} (line ${prev.line})` : ''}`, inside });
    }
    const names = cache.namesOf(step);
    const n = occurrences(seq, names);
    if (!countOk(step.count, n)) {
      return fail({ at: step.at, expected, status: 'count', detail: `called ${n} time(s); expected ${describeCount(step.count!)}` });
    }
    const found = findCandidate(step, seq, pos, cache);
    if (found !== null) {
      const node = seq[found.index]!.node;
      const sub = step.inside.length > 0 ? explainPath(step.inside, cache.of(node), cache, 0, null) : null;
      const r = report({ at: step.at, expected, status: 'matched' }, node);
      if (sub) r.inside = sub.reports;
      reports.push(r);
      progress += 1 + (sub?.progress ?? 0);
      pos = found.index + 1;
      prev = node;
      continue;
    }
    if (mayBeAbsent(step)) {
      reports.push({ at: step.at, expected, status: 'skipped', detail: 'optional, not called' });
      continue;
    }
    if (inlinedAway(step, seq, cache)) {
      if (step.inside.length === 0) {
        reports.push({ at: step.at, expected, status: 'inlined', detail: 'not traced (inlined on this kernel)' });
        continue;
      }
      const sub = explainPath(step.inside, seq, cache, pos, prev);
      reports.push({ at: step.at, expected, status: sub.ok ? 'inlined' : 'inside', detail: 'not traced (inlined on this kernel): nested steps looked for in its place', inside: sub.reports });
      progress += sub.progress;
      if (!sub.ok) return { ok: false, reports: [...reports, ...notChecked(steps.slice(i + 1))], progress, end: pos };
      pos = sub.end;
      continue;
    }
    // Why not: look at the first call with the right name after the previous step, then before it.
    const next = firstOccurrence(seq, names, pos);
    if (next >= 0) {
      const e = seq[next]!;
      if (step.direct && !e.direct) return fail(report({ at: step.at, expected, status: 'not-direct', detail: `called at line ${e.node.line}, but not directly by the enclosing call` }, e.node));
      const bad = forbiddenInside(e.node, step.forbid, cache);
      if (bad !== null) return fail(report({ at: step.at, expected, status: 'forbidden', detail: `${bad.fn} (line ${bad.line}) is called inside ${e.node.fn} (line ${e.node.line})` }, bad));
      const sub = explainPath(step.inside, cache.of(e.node), cache, 0, null);
      progress += sub.progress;
      return fail(report({ at: step.at, expected, status: 'inside', detail: `${e.node.fn} (line ${e.node.line}) does not contain the nested path`, inside: sub.reports }, e.node));
    }
    const earlier = firstOccurrence(seq, names, 0);
    if (earlier >= 0 && earlier < pos) {
      const e = seq[earlier]!.node;
      return fail(report({ at: step.at, expected, status: 'out-of-order', detail: `called at line ${e.line}, before ${prev ? `${prev.fn} (line ${prev.line})` : 'the previous step'}` }, e));
    }
    const missing: StepReport = { at: step.at, expected, status: 'missing', detail: prev ? `not called after ${prev.fn} (line ${prev.line})` : 'not called' };
    if (step.inside.length > 0) missing.inside = notChecked(step.inside);
    return fail(missing);
  }
  return { ok: true, reports, progress, end: pos };
}
