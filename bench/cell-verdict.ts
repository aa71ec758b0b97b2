// A cell's verdict as one text: what must be equal between two runs of one cell (soak, bench:suite).
import type { CellResult } from '../analysis/report/results.ts';

/** What must be equal between runs: status, error code and phase, each step check and each graph verdict. */
export function cellVerdict(c: CellResult): string {
  const parts: string[] = [c.status];
  if (c.error) parts.push(`error ${c.error.code} in ${c.error.phase}`);
  if (c.skipReason) parts.push(`skipped: ${c.skipReason}`);
  for (const s of c.steps) parts.push(`step ${s.name} ${s.status}${s.outcome ? ` ${s.outcome}` : ''} ${s.checks.map((k) => `${k.what}=${k.ok ? 'ok' : `${k.actual}`}`).join(',')}`);
  for (const g of c.graphs) parts.push(`graph ${g.name} ${g.holds ? 'holds' : 'does not hold'}`);
  return parts.join('\n');
}

