// Observed call trees as nested lists: each root a collapsible <details> labelled with its role and
// hook, every call with its duration; calls with children collapse too. Calls an expected graph
// matched are highlighted and carry the step they matched; nested hook calls are tagged as re-entries.
import type { CallMark, ReportGraph, TraceSection, ViewCall } from './model.ts';
import { escapeHtml as h } from './xml-escape.ts';

export function formatUs(us: number | null): string {
  if (us === null) return '';
  return us >= 1000 ? `${(us / 1000).toFixed(3)} ms` : `${us.toFixed(3)} µs`;
}

function markHtml(m: CallMark, graphs: readonly ReportGraph[]): string {
  const g = graphs[m.graph];
  const title = `graph ${m.graph + 1}${g ? ` (${g.result.name})` : ''}: ${m.at} ${m.expected}`;
  return `<span class="mark ${m.ok ? 'ok' : 'bad'}" title="${h(title)}">${m.ok ? '✓' : '✗'} g${m.graph + 1} ${h(m.at.replace(/^expect\[0\]\./, ''))}</span>`;
}

function callLine(c: ViewCall, graphs: readonly ReportGraph[], isRoot: boolean): string {
  const parts: string[] = [];
  if (c.role) parts.push(`<span class="role" title="${h(`roles: ${c.role.roles.join(', ') || 'none'}; hook ${c.role.hook ?? 'unknown'}${c.role.hookSource ? ` from ${c.role.hookSource}` : ''}${c.role.family ? `; IPv${c.role.family}` : ''}`)}">${h(c.role.text)}</span>`);
  else parts.push(`<span class="fn">${h(c.symbol)}</span>`);
  if (c.module) parts.push(`<span class="mod">[${h(c.module)}]</span>`);
  if (c.durationUs !== null) parts.push(`<span class="dur">${h(formatUs(c.durationUs))}</span>`);
  if (c.retval !== undefined) parts.push(`<span class="ret">= ${h(c.retval)}</span>`);
  if (c.reentry) parts.push('<span class="reentry-tag">re-entry</span>');
  if (c.packet) parts.push(`<span class="packet">${h(c.packet)}</span>`);
  if (c.irq) parts.push('<span class="muted">[irq]</span>');
  if (c.incomplete) parts.push(`<span class="muted">[${c.incomplete === 'no-entry' ? 'entry lost' : 'never returned'}]</span>`);
  for (const m of c.marks ?? []) parts.push(markHtml(m, graphs));
  if (isRoot) {
    const who = [c.task !== null ? `${c.task}-${c.pid ?? '?'}` : null, c.cpu !== null ? `cpu ${c.cpu}` : null, `${c.size} call${c.size === 1 ? '' : 's'}`].filter(Boolean);
    parts.push(`<span class="muted small">${h(who.join(' · '))}</span>`);
  }
  parts.push(`<span class="ln">line ${c.line}</span>`);
  return parts.join(' ');
}

function classes(c: ViewCall): string {
  const cls = ['call'];
  if (c.reentry) cls.push('reentry');
  if (c.role) cls.push('hook');
  if (c.marks?.some((m) => m.ok)) cls.push('matched');
  if (c.marks?.some((m) => !m.ok)) cls.push('problem');
  return cls.join(' ');
}

function dataAttrs(c: ViewCall): string {
  let a = ` data-fn="${h(c.fn)}"`;
  if (c.role) a += ` data-role="${h(c.role.roles.join('|'))}"${c.role.hook !== null ? ` data-hook="${c.role.hook}"` : ''}`;
  return a;
}

function callHtml(c: ViewCall, graphs: readonly ReportGraph[], out: string[]): void {
  const line = callLine(c, graphs, false);
  if (c.children.length === 0) {
    out.push(`<li id="${h(c.id)}" class="${classes(c)}"${dataAttrs(c)}><span class="leaf">${line}</span></li>`);
    return;
  }
  // Inside a root everything starts open: the root itself is the unit one collapses.
  out.push(`<li id="${h(c.id)}" class="${classes(c)}"${dataAttrs(c)}><details open><summary>${line}</summary><ul>`);
  for (const k of c.children) callHtml(k, graphs, out);
  out.push('</ul></details></li>');
}

export function rootHtml(root: ViewCall, graphs: readonly ReportGraph[], out: string[]): void {
  out.push(`<details class="root ${classes(root)}" id="${h(root.id)}"${dataAttrs(root)}><summary>${callLine(root, graphs, true)}</summary>`);
  if (root.children.length > 0) {
    out.push('<ul class="tree">');
    for (const k of root.children) callHtml(k, graphs, out);
    out.push('</ul>');
  }
  out.push('</details>');
}

export function sectionHtml(s: TraceSection, graphs: readonly ReportGraph[], traceHref: string | null): string {
  const out: string[] = [];
  const title = s.step !== null ? `step ${s.step}` : 'outside the steps';
  const lines = s.startLine !== null ? ` · trace lines ${s.startLine}–${s.endLine ?? 'end'}` : '';
  const hooks = s.roots.filter((r) => r.role).length;
  out.push(`<details class="section" data-step="${h(s.step ?? '')}"${s.step !== null ? ' open' : ''}><summary><b>${h(title)}</b> <span class="muted">${s.roots.length + s.omittedRoots} root call(s), ${hooks} hook call(s) at top level${h(lines)}</span></summary>`);
  if (s.roots.length === 0) out.push('<p class="muted">no traced calls in this section</p>');
  for (const r of s.roots) rootHtml(r, graphs, out);
  if (s.omittedRoots > 0) {
    out.push(`<p class="muted">${s.omittedRoots} more root call(s) not shown${traceHref ? `; see the <a href="${h(traceHref)}">raw trace</a>` : ''}.</p>`);
  }
  out.push('</details>');
  return out.join('\n');
}
