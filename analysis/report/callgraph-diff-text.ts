// The call-graph diff as text, for `ipvs-harness diff`: the verdict first (distinct changes), then
// each distinct change once with where it occurs, then per scenario what differs step by step.
import type { ChangeSides } from './change-sides.ts';
import type { DistinctChange } from './callgraph-diff-groups.ts';
import type { CallChange, CallGraphDiff, DiffSide, DiffTotals, RoleDiff } from './callgraph-diff.ts';

function sideText(s: DiffSide): string {
  const bits = [s.release, s.generation !== 'unknown' && s.generation !== '' ? `${s.generation} generation` : null].filter(Boolean);
  return `${s.label}${bits.length > 0 ? ` (${bits.join(', ')})` : ''}`;
}

export function totalsText(t: DiffTotals): string {
  return `${t.behaviour} behaviour-relevant, ${t.cosmetic} cosmetic, ${t.info} informational`;
}

/** The headline: distinct changes (each counted once however many steps and roles it shows in). */
export function verdictText(d: CallGraphDiff): string {
  return d.totals.behaviour > 0
    ? `BEHAVIOUR DIFFERS: ${d.totals.behaviour} distinct behaviour-relevant change(s) (${d.totals.cosmetic} cosmetic, ${d.totals.info} informational)`
    : `no behaviour-relevant difference (${d.totals.cosmetic} cosmetic, ${d.totals.info} informational distinct change(s))`;
}

/** One distinct change as a line: what, where, why. */
export function distinctText(c: DistinctChange): string {
  return `${c.summary} ${c.where}${c.reason ? `: ${c.reason}` : ''}`;
}

export function roleHeading(r: RoleDiff): string {
  const hooks = [...new Set([...(r.a?.hooks ?? []), ...(r.b?.hooks ?? [])].filter((h) => h !== null))];
  const where = r.context === 'top' ? 'top level' : `nested in ${r.context}`;
  const step = r.step === '' ? 'outside the steps' : `step ${r.step}`;
  return `${step}: ${r.role}${hooks.length > 0 ? ` (${hooks.join(', ')})` : ''}, ${where}`;
}

const MARK: Record<CallChange['relevance'], string> = { behaviour: '!!', cosmetic: '~ ', info: 'i ' };

/** The calls around a change on each kernel, one column each. */
function sidesText(s: ChangeSides, d: CallGraphDiff): string[] {
  const a = s.a ?? ['(no hook call of this role)'];
  const b = s.b ?? ['(no hook call of this role)'];
  const width = Math.max(d.a.label.length, ...a.map((l) => l.length)) + 4;
  const out = [`       at ${s.at}:`, `         ${d.a.label.padEnd(width)}${d.b.label}`];
  for (let i = 0; i < Math.max(a.length, b.length); i++) out.push(`         ${(a[i] ?? '').padEnd(width)}${b[i] ?? ''}`.trimEnd());
  return out;
}

export function renderCallGraphDiffText(d: CallGraphDiff, opts: { verbose?: boolean } = {}): string {
  const out: string[] = [];
  out.push(`call-graph diff: ${sideText(d.a)} -> ${sideText(d.b)}`);
  out.push(`result: ${verdictText(d)}`);
  if (d.traceabilityNote) out.push(`note: ${d.traceabilityNote}`);
  const heads: Record<CallChange['relevance'], string> = {
    behaviour: 'behaviour-relevant changes:',
    info: 'informational:',
    cosmetic: 'cosmetic (same behaviour, different symbols):',
  };
  for (const relevance of ['behaviour', 'info', 'cosmetic'] as const) {
    const list = d.changes.filter((c) => c.relevance === relevance);
    if (list.length === 0) continue;
    out.push('', heads[relevance]);
    for (const c of list) {
      out.push(`  ${MARK[relevance]} ${c.kind.padEnd(12)} ${distinctText(c)}`);
      if (opts.verbose) for (const p of c.places) out.push(`       ${p.scenario} ${p.step === '' ? '(outside the steps)' : `step ${p.step}`}: ${p.role}${p.path ? ` > ${p.path}` : ''}`);
      if (opts.verbose && c.sides) out.push(...sidesText(c.sides, d));
    }
  }
  out.push('', `per step (${totalsText(d.occurrences)} occurrence(s)):`);
  for (const s of d.scenarios) {
    const shown = s.roles.filter((r) => r.changes.some((c) => c.relevance !== 'cosmetic' || opts.verbose));
    out.push('', `${s.scenario}: ${totalsText(s.totals)}${shown.length === 0 ? (s.totals.cosmetic > 0 ? ' (cosmetic only, listed above)' : ' (identical)') : ''}`);
    for (const r of shown) {
      out.push(`  ${roleHeading(r)}`);
      for (const c of r.changes) {
        if (c.relevance === 'cosmetic' && !opts.verbose) continue;
        out.push(`    ${MARK[c.relevance]} ${c.kind.padEnd(12)} ${c.message}${c.path && c.kind !== 'inlining' && c.kind !== 'clone' ? `  [at ${r.role} > ${c.path}]` : ''}`);
      }
    }
  }
  if (d.notCompared.length > 0) {
    out.push('', 'not compared:');
    for (const n of d.notCompared) out.push(`  ${n}`);
  }
  return `${out.join('\n')}\n`;
}
