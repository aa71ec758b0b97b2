// Indented text view of a trace, the default output of `ipvs-harness analyze`. Markers print inline,
// at their position: inside the root they were written in, or between roots.
import type { CallNode, Trace, TraceMarker } from './model.ts';
import { describePacket } from './packet-header.ts';

export interface RenderTextOptions {
  /** Show durations (default true). Off for snapshot files, where they change on every run. */
  durations?: boolean;
  /** Show CPU, task and pid on root lines (default true). */
  tasks?: boolean;
  /** Show input line numbers on roots and markers (default true). */
  lines?: boolean;
  /** Extra text after a call, e.g. the IPVS role of a hook. */
  annotate?: (node: CallNode) => string | null;
  /** Print a summary header (default true). */
  header?: boolean;
}

export function formatDuration(us: number): string {
  return `${us.toFixed(3)} us`;
}

/** One call as a line: name, module, duration and flags. */
export function formatCall(node: CallNode, opts: RenderTextOptions = {}): string {
  let out = node.module ? `${node.symbol} [${node.module}]` : node.symbol;
  if (node.count !== undefined) out += `  x${node.count}`;
  if (opts.durations !== false && node.durationUs !== null) out += `  ${formatDuration(node.durationUs)}`;
  if (node.retval !== undefined) out += `  = ${node.retval}`;
  if (node.hook !== undefined) out += `  hook=${node.hook}`;
  if (node.family !== undefined) out += `  ipv${node.family}`;
  if (node.packet !== undefined) out += `  {${describePacket(node.packet)}${node.netns !== undefined ? ` netns ${node.netns}` : ''}}`;
  if (node.irq) out += '  [irq]';
  if (node.incomplete === 'no-entry') out += '  [incomplete: entry lost]';
  else if (node.incomplete === 'no-return') out += '  [incomplete: never returned]';
  const note = opts.annotate?.(node);
  if (note) out += `  ${note}`;
  return out;
}

function rootSuffix(node: CallNode, opts: RenderTextOptions): string {
  const parts: string[] = [];
  if (opts.tasks !== false) {
    if (node.cpu !== null) parts.push(`cpu ${node.cpu}`);
    if (node.task !== null) parts.push(node.pid !== null ? `${node.task}-${node.pid}` : node.task);
  }
  if (opts.lines !== false) parts.push(`line ${node.line}`);
  return parts.length > 0 ? `  (${parts.join(', ')})` : '';
}

function formatMarker(m: TraceMarker, opts: RenderTextOptions): string {
  const where: string[] = [];
  if (opts.lines !== false) where.push(`line ${m.line}`);
  if (opts.tasks !== false && m.task !== null) where.push(m.pid !== null ? `${m.task}-${m.pid}` : m.task);
  const kind = m.kind === 'marker' ? '' : `${m.kind}: `;
  // The packet bytes of a flow probe are on the call, decoded: here only their count.
  const text = m.text.replace(/ pkt=\{([0-9,]*)\}/, (_all, bytes: string) => ` pkt=<${bytes.split(',').length} bytes>`);
  return `/* ${kind}${text} */${where.length > 0 ? `  (${where.join(', ')})` : ''}`;
}

export function renderTreeText(trace: Trace, opts: RenderTextOptions = {}): string {
  const out: string[] = [];
  if (opts.header !== false) {
    const errors = trace.diagnostics.filter((d) => d.severity === 'error').length;
    out.push(
      `# ${trace.source}: ${trace.roots.length} roots, ${trace.markers.length} markers, ` +
        `${trace.lostEvents} lost events, ${trace.diagnostics.length} diagnostics (${errors} errors)`,
    );
  }
  const between = new Map<number, TraceMarker[]>();
  const inside = new Map<number, TraceMarker[]>();
  for (const m of trace.markers) {
    const map = m.insideRoot !== null ? inside : between;
    const key = m.insideRoot ?? (m.beforeRoot < 0 ? trace.roots.length : m.beforeRoot);
    const list = map.get(key) ?? [];
    list.push(m);
    map.set(key, list);
  }
  trace.roots.forEach((root, index) => {
    for (const m of between.get(index) ?? []) out.push(formatMarker(m, opts));
    const markers = [...(inside.get(index) ?? [])];
    renderNode(root, 0, true, markers, opts, out);
    for (const m of markers) out.push(`  ${formatMarker(m, opts)}`);
  });
  for (const m of between.get(trace.roots.length) ?? []) out.push(formatMarker(m, opts));
  for (const d of trace.diagnostics) out.push(`! line ${d.line}: ${d.severity} ${d.code}: ${d.message}`);
  return `${out.join('\n')}\n`;
}

function renderNode(node: CallNode, level: number, isRoot: boolean, markers: TraceMarker[], opts: RenderTextOptions, out: string[]): void {
  const pad = '  '.repeat(level);
  while (markers.length > 0 && markers[0]!.line < node.line) out.push(`${pad}${formatMarker(markers.shift()!, opts)}`);
  out.push(`${pad}${formatCall(node, opts)}${isRoot ? rootSuffix(node, opts) : ''}`);
  for (const child of node.children) renderNode(child, level + 1, false, markers, opts, out);
  // Markers printed inside this call after its last child (e.g. a probe event right after the entry).
  const end = node.endLine ?? node.line;
  while (markers.length > 0 && markers[0]!.line < end) out.push(`${pad}  ${formatMarker(markers.shift()!, opts)}`);
}
