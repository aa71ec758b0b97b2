// Holes in a trace: events the ring buffer dropped (`CPU:0 [LOST 1234 EVENTS]`, printed by trace_pipe
// where the overwritten events were) and calls the capture cut off (entry lost, or never returned
// because the file ends inside them). A check that fails where the trace has a hole is judged
// "incomplete", not "does not hold": what it looked for may be in the hole. Pure.
import type { CallNode, Trace } from './model.ts';
import { findSection, type SectionRange, type SectionSpec } from './section.ts';

function lostWithin(trace: Trace, range: SectionRange | null): { records: number; events: number; unknown: boolean } {
  const lost = range === null ? trace.lost : trace.lost.filter((l) => l.line >= range.startLine && (range.endLine === null || l.line <= range.endLine));
  return { records: lost.length, events: lost.reduce((n, l) => n + (l.count ?? 0), 0), unknown: lost.some((l) => l.count === null) };
}

function lostText(events: number, unknown: boolean): string {
  return events > 0 ? `${events}${unknown ? '+' : ''} events` : 'events';
}

/**
 * Why a failing check may have missed calls: `judged` holds the calls it failed on (any of them cut
 * off is a hole); with `lostMatters` (the check looks for something anywhere in the range, rather than
 * failing on a complete call it saw), lost events in the range are a hole too. Null: no hole.
 */
export function holesIn(trace: Trace, range: SectionRange | null, judged: readonly CallNode[], lostMatters = true): string | null {
  const reasons: string[] = [];
  const lost = lostWithin(trace, range);
  if (lostMatters && lost.records > 0) reasons.push(`the ring buffer lost ${lostText(lost.events, lost.unknown)} ${range ? 'inside the section' : 'in this trace'}`);
  const cut = judged.filter((n) => !n.complete);
  if (cut.length > 0) {
    const why = cut.every((n) => n.incomplete === 'no-return') ? 'the capture ends inside' : cut.every((n) => n.incomplete === 'no-entry') ? 'the capture lost the entry of' : 'the capture cut off';
    reasons.push(`${why} ${cut.length === 1 ? `${cut[0]!.fn} (line ${cut[0]!.line})` : `${cut.length} of the calls judged`}`);
  }
  return reasons.length > 0 ? reasons.join('; ') : null;
}

/** Incomplete top-level calls inside the range (for checks that count or look for roots). */
export function incompleteRootsIn(trace: Trace, range: SectionRange | null): CallNode[] {
  return trace.roots.filter((r) => !r.complete && (range === null || (r.line > range.startLine && (range.endLine === null || r.line < range.endLine))));
}

/** Why a section may be missing from the trace because of a hole; null when the trace shows none. */
export function missingSectionHole(trace: Trace, spec?: SectionSpec): string | null {
  // Opened but never closed by the marker that must close it: the capture ends inside the section.
  if (spec !== undefined && typeof spec !== 'string' && spec.to !== undefined && findSection(trace, { from: spec.from }).ok) {
    return `the section opens but its closing marker ("${spec.to}") is not in the trace: the capture looks cut off inside it`;
  }
  const lost = lostWithin(trace, null);
  if (lost.records > 0) return `the trace lost ${lostText(lost.events, lost.unknown)} (the ring buffer overflowed and overwrote the oldest, the section's markers among them); capture with a larger buffer`;
  const last = trace.roots[trace.roots.length - 1];
  if (last && last.incomplete === 'no-return') return `the trace ends inside ${last.fn} (line ${last.line}): it looks cut off before the section`;
  return null;
}
