// The call-graph diff as text, for `ipvs-harness diff`: the verdict first, then the cosmetic changes
// folded across roles (the same rename shows up in every role), then per scenario what differs.
import type { CallChange, CallGraphDiff, DiffSide, DiffTotals, RoleDiff } from './callgraph-diff.ts';

function sideText(s: DiffSide): string {
  const bits = [s.release, s.generation !== 'unknown' && s.generation !== '' ? `${s.generation} generation` : null].filter(Boolean);
  return `${s.label}${bits.length > 0 ? ` (${bits.join(', ')})` : ''}`;
}

export function totalsText(t: DiffTotals): string {
  return `${t.behaviour} behaviour-relevant, ${t.cosmetic} cosmetic, ${t.info} informational`;
}

export function verdictText(d: CallGraphDiff): string {
  return d.totals.behaviour > 0
    ? `BEHAVIOUR DIFFERS: ${d.totals.behaviour} behaviour-relevant change(s) (${d.totals.cosmetic} cosmetic, ${d.totals.info} informational)`
    : `no behaviour-relevant difference (${d.totals.cosmetic} cosmetic, ${d.totals.info} informational)`;
}

export function roleHeading(r: RoleDiff): string {
  const hooks = [...new Set([...(r.a?.hooks ?? []), ...(r.b?.hooks ?? [])].filter((h) => h !== null))];
  const where = r.context === 'top' ? 'top level' : `nested in ${r.context}`;
  const step = r.step === '' ? 'outside the steps' : `step ${r.step}`;
  return `${step}: ${r.role}${hooks.length > 0 ? ` (${hooks.join(', ')})` : ''}, ${where}`;
}

/** Cosmetic changes with the same message in several roles, counted once. */
export function foldCosmetic(d: CallGraphDiff): Array<{ change: CallChange; roles: number }> {
  const folded = new Map<string, { change: CallChange; roles: number }>();
  for (const s of d.scenarios) {
    for (const r of s.roles) {
      for (const c of r.changes) {
        if (c.relevance !== 'cosmetic') continue;
        const k = `${c.kind}\u0000${c.message}`;
        const f = folded.get(k);
        if (f) f.roles++;
        else folded.set(k, { change: c, roles: 1 });
      }
    }
  }
  return [...folded.values()].sort((x, y) => y.roles - x.roles || x.change.kind.localeCompare(y.change.kind));
}

const MARK: Record<CallChange['relevance'], string> = { behaviour: '!!', cosmetic: '~ ', info: 'i ' };

export function renderCallGraphDiffText(d: CallGraphDiff, opts: { verbose?: boolean } = {}): string {
  const out: string[] = [];
  out.push(`call-graph diff: ${sideText(d.a)} -> ${sideText(d.b)}`);
  out.push(`result: ${verdictText(d)}`);
  const cosmetic = foldCosmetic(d);
  if (cosmetic.length > 0) {
    out.push('', 'cosmetic (same behaviour, different symbols):');
    for (const { change, roles } of cosmetic) out.push(`  ${change.kind.padEnd(9)} ${change.message}${roles > 1 ? `  [${roles} roles]` : ''}`);
  }
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
