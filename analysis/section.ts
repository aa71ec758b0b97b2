// Sections of a trace between trace_marker lines. A scenario writes a marker when a step begins and
// ends (`ipvs-harness step connect begin` / `... end`, or `=== case host_vip start`), and graphs are
// judged on the calls of one section.
import type { Trace, TraceMarker } from './model.ts';

/** A section name, or explicit marker texts (substrings) that open and close it. */
export type SectionSpec = string | { from: string; to?: string };

export interface SectionRange {
  /** Line of the opening marker; calls after it belong to the section. */
  startLine: number;
  /** Line of the closing marker, or null: the section runs to the end of the trace. */
  endLine: number | null;
  from: TraceMarker;
  to: TraceMarker | null;
}

export type SectionResult = { ok: true; range: SectionRange } | { ok: false; message: string };

/** Marker text without decoration: `=== case host_vip start ===` -> `case host_vip start`. */
export function markerCore(text: string): string {
  return text.replace(/^[\s=#*-]+/, '').replace(/[\s=#*-]+$/, '');
}

function escapeRe(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function describeSection(spec: SectionSpec): string {
  return typeof spec === 'string' ? `"${spec}"` : `from "${spec.from}"${spec.to !== undefined ? ` to "${spec.to}"` : ''}`;
}

/**
 * Finds a section. A name S opens at the first marker whose text ends with `S`, `S start` or `S begin`
 * (whole words) and closes at the next marker ending with `S end` or `S stop`, else at the next
 * trace_marker, else at the end of the trace. `{from, to}` match marker texts by substring.
 */
export function findSection(trace: Trace, spec: SectionSpec): SectionResult {
  const markers = trace.markers.filter((m) => m.kind === 'marker');
  let opens: (m: TraceMarker) => boolean;
  let closes: ((m: TraceMarker) => boolean) | null;
  if (typeof spec === 'string') {
    const name = escapeRe(markerCore(spec));
    const open = new RegExp(`(^|\\s)${name}( (start|begin))?$`);
    const close = new RegExp(`(^|\\s)${name} (end|stop)$`);
    opens = (m) => open.test(markerCore(m.text));
    closes = (m) => close.test(markerCore(m.text));
  } else {
    opens = (m) => m.text.includes(spec.from);
    closes = spec.to !== undefined ? (m) => m.text.includes(spec.to!) : null;
  }
  const start = markers.findIndex(opens);
  if (start < 0) {
    const known = markers.map((m) => `"${m.text}"`).slice(0, 10);
    return {
      ok: false,
      message: `no trace_marker opens section ${describeSection(spec)}; markers in the trace: ${known.length > 0 ? known.join(', ') : 'none'}`,
    };
  }
  const rest = markers.slice(start + 1);
  let end = closes !== null ? rest.find(closes) : undefined;
  if (end === undefined && (typeof spec === 'string' || spec.to === undefined)) end = rest[0];
  if (end === undefined && typeof spec !== 'string' && spec.to !== undefined) {
    return { ok: false, message: `section ${describeSection(spec)} opens at line ${markers[start]!.line} but no later marker contains "${spec.to}"` };
  }
  return { ok: true, range: { startLine: markers[start]!.line, endLine: end?.line ?? null, from: markers[start]!, to: end ?? null } };
}

export function inSection(line: number, range: SectionRange): boolean {
  return line > range.startLine && (range.endLine === null || line < range.endLine);
}

/** The trace restricted to the roots of one section (markers and diagnostics of that range kept). */
export function sliceSection(trace: Trace, range: SectionRange): Trace {
  const roots = trace.roots.filter((r) => inSection(r.line, range));
  const first = trace.roots.indexOf(roots[0]!);
  const within = (line: number) => line >= range.startLine && (range.endLine === null || line <= range.endLine);
  return {
    ...trace,
    roots,
    markers: trace.markers
      .filter((m) => within(m.line))
      .map((m) => ({
        ...m,
        insideRoot: m.insideRoot !== null && first >= 0 ? m.insideRoot - first : null,
        beforeRoot: first >= 0 ? Math.max(0, Math.min(roots.length, m.beforeRoot - first)) : 0,
      })),
    diagnostics: trace.diagnostics.filter((d) => within(d.line)),
    lost: trace.lost.filter((l) => within(l.line)),
    lostEvents: trace.lost.filter((l) => within(l.line)).reduce((n, l) => n + (l.count ?? 0), 0),
  };
}
