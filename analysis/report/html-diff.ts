// The kernel-to-kernel parts of the page: the call-graph diff of each kernel against the first, and
// a side-by-side view of one scenario across kernels built from the canonical call graphs.
import type { CallGraphDiff, CallChange } from './callgraph-diff.ts';
import type { DistinctChange } from './callgraph-diff-groups.ts';
import type { ChangeSides } from './change-sides.ts';
import { roleHeading, totalsText } from './callgraph-diff-text.ts';
import type { CallGraphEntry, CanonCall } from './callgraph-summary.ts';
import type { Report } from './model.ts';
import { escapeHtml as h } from './xml-escape.ts';

function changeHtml(c: CallChange): string {
  return `<li class="change ${c.relevance}" data-kind="${h(c.kind)}" data-relevance="${c.relevance}"><span class="badge ${c.relevance}">${c.relevance}</span> <b>${h(c.kind)}</b> ${h(c.message)}${c.path && c.kind !== 'inlining' && c.kind !== 'clone' ? ` <span class="muted small">at ${h(c.path)}</span>` : ''}</li>`;
}

/** A distinct change: what and where, its places folded below. */
function distinctHtml(c: DistinctChange, labels: { a: string; b: string }): string {
  const places = c.places.map((p) => `<li><a href="#sbs-${h(p.scenario)}">${h(p.scenario)}</a> ${h(p.step === '' ? '(outside the steps)' : `step ${p.step}`)}: ${h(p.role)}${p.path ? ` &gt; ${h(p.path)}` : ''}</li>`).join('');
  return `<li class="change ${c.relevance}" data-kind="${h(c.kind)}" data-relevance="${c.relevance}" data-places="${c.places.length}"><span class="badge ${c.relevance}">${c.relevance}</span> <b>${h(c.kind)}</b> ${h(c.summary)} <span class="muted">${h(c.where)}</span>${c.reason ? ` <span class="small">(${h(c.reason)})</span>` : ''}${c.sides ? sidesHtml(c.sides, labels, c.places[0]!.scenario) : ''}<details><summary class="small">${c.places.length} place(s)</summary><ul class="small">${places}</ul></details></li>`;
}

/** The calls around a change on each kernel, side by side, with a link to the scenario's trees. */
function sidesHtml(s: ChangeSides, labels: { a: string; b: string }, scenario: string): string {
  const col = (lines: string[] | null) => (lines === null ? '<span class="muted">no hook call of this role</span>' : `<pre class="calls">${h(lines.join('\n'))}</pre>`);
  return `<table class="change-sides"><tr><th>${h(labels.a)}</th><th>${h(labels.b)}</th></tr><tr><td>${col(s.a)}</td><td>${col(s.b)}</td></tr><tr><td colspan="2" class="muted small">${h(s.at)}; <a href="#sbs-${h(scenario)}">all trees of ${h(scenario)}</a></td></tr></table>`;
}

export function diffHtml(d: CallGraphDiff, index: number): string {
  const out: string[] = [];
  const behaviour = d.totals.behaviour > 0;
  const labels = { a: d.a.label, b: d.b.label };
  out.push(`<div class="diff-pair" id="diff-${index}" data-a="${h(d.a.kernel)}" data-b="${h(d.b.kernel)}" data-behaviour="${d.totals.behaviour}">`);
  out.push(`<h3>${h(d.a.label)} → ${h(d.b.label)} <span class="badge ${behaviour ? 'behaviour' : 'ok'}">${behaviour ? 'behaviour differs' : 'same behaviour'}</span></h3>`);
  out.push(`<p class="meta">${h(d.a.release ?? '')} (${h(d.a.generation)}) → ${h(d.b.release ?? '')} (${h(d.b.generation)}): ${h(totalsText(d.totals))} distinct change(s)</p>`);
  if (d.traceabilityNote) out.push(`<p class="muted small">${h(d.traceabilityNote)}</p>`);
  const leading = d.changes.filter((c) => c.relevance !== 'cosmetic');
  if (leading.length > 0) out.push(`<ul class="changes distinct">${leading.map((c) => distinctHtml(c, labels)).join('')}</ul>`);
  const cosmetic = d.changes.filter((c) => c.relevance === 'cosmetic');
  if (cosmetic.length > 0) {
    out.push('<details><summary>cosmetic differences (renames, inlining, compiler clones)</summary><ul class="changes distinct">');
    out.push(...cosmetic.map((c) => distinctHtml(c, labels)), '</ul></details>');
  }
  out.push('<p class="muted small">per step and role:</p>');
  out.push('<table class="diff-scenarios"><tr><th>scenario</th><th>behaviour</th><th>cosmetic</th><th>info</th><th>behaviour-relevant and informational changes</th></tr>');
  for (const s of d.scenarios) {
    const roles = s.roles.filter((r) => r.changes.some((c) => c.relevance !== 'cosmetic'));
    const detail = roles.map((r) => `<div><b>${h(roleHeading(r))}</b><ul class="changes">${r.changes.filter((c) => c.relevance !== 'cosmetic').map(changeHtml).join('')}</ul></div>`).join('');
    out.push(`<tr data-scenario="${h(s.scenario)}" class="${s.totals.behaviour > 0 ? 'change behaviour' : ''}"><td><a href="#sbs-${h(s.scenario)}">${h(s.scenario)}</a></td><td>${s.totals.behaviour}</td><td>${s.totals.cosmetic}</td><td>${s.totals.info}</td><td>${detail || '<span class="muted">none</span>'}</td></tr>`);
  }
  out.push('</table>');
  if (d.notCompared.length > 0) out.push(`<p class="muted small">not compared: ${d.notCompared.map(h).join('; ')}</p>`);
  out.push('</div>');
  return out.join('\n');
}

function canonText(c: CanonCall, level: number, out: string[]): void {
  const name = c.symbol ?? c.fn;
  const hook = c.hook ? `  -> ${c.hook.role}${c.hook.hook ? ` (${c.hook.hook})` : ''} re-entry` : '';
  out.push(`${'  '.repeat(level)}${name}${hook}${c.incomplete ? '  [incomplete]' : ''}`);
  for (const k of c.calls ?? []) canonText(k, level + 1, out);
}

const MAX_VARIANTS = 4;

function entriesText(entries: readonly CallGraphEntry[]): string {
  const out: string[] = [];
  for (const e of entries) {
    const total = e.variants.length;
    out.push(`${e.symbols.join(', ')}${e.hook ? ` at ${e.hook}` : ''}`, `${e.calls} call(s), ${total} distinct tree(s)`);
    e.variants.slice(0, MAX_VARIANTS).forEach((v, i) => {
      out.push(`[${i + 1}] x${v.count}`);
      const lines: string[] = [];
      canonText(v.tree, 1, lines);
      out.push(...lines);
    });
    if (total > MAX_VARIANTS) out.push(`... ${total - MAX_VARIANTS} more tree(s)`);
  }
  return out.join('\n');
}

/** One scenario across the run's kernels: rows are step x role x context, columns are kernels. */
export function sideBySideHtml(report: Report, scenario: string): string {
  const kernels = report.kernels.map((k) => k.spec);
  const entries = report.callGraphs.entries.filter((e) => e.scenario === scenario);
  const rows = new Map<string, { step: string; role: string; context: string; byKernel: Map<string, CallGraphEntry[]> }>();
  for (const e of entries) {
    const key = JSON.stringify([e.step, e.role, e.context]);
    let row = rows.get(key);
    if (row === undefined) rows.set(key, (row = { step: e.step, role: e.role, context: e.context, byKernel: new Map() }));
    const list = row.byKernel.get(e.kernel) ?? [];
    list.push(e);
    row.byKernel.set(e.kernel, list);
  }
  const out: string[] = [];
  out.push(`<details class="sbs" id="sbs-${h(scenario)}" data-scenario="${h(scenario)}"><summary><b>${h(scenario)}</b> <span class="muted">${rows.size} step/role row(s) across ${kernels.length} kernel(s)</span></summary>`);
  if (rows.size === 0) {
    out.push('<p class="muted">no traced calls on any kernel</p></details>');
    return out.join('\n');
  }
  out.push(`<table><tr><th style="width:190px">step / role / where</th>${kernels.map((k) => `<th>${h(k)}</th>`).join('')}</tr>`);
  for (const row of rows.values()) {
    const head = `${h(row.step === '' ? '(outside steps)' : `step ${row.step}`)}<br><b>${h(row.role)}</b><br><span class="muted small">${h(row.context === 'top' ? 'top level' : `nested in ${row.context}`)}</span>`;
    const cols = kernels.map((k) => {
      const list = row.byKernel.get(k);
      const cell = report.cells.find((c) => c.result.kernel === k && c.result.scenario === scenario);
      if (list === undefined) return `<td class="absent" data-kernel="${h(k)}">${cell && cell.sections.length > 0 ? 'not called' : `<span class="muted">no trace (${h(cell?.result.status ?? 'not run')})</span>`}</td>`;
      return `<td data-kernel="${h(k)}"><pre>${h(entriesText(list))}</pre></td>`;
    });
    out.push(`<tr><td>${head}</td>${cols.join('')}</tr>`);
  }
  out.push('</table></details>');
  return out.join('\n');
}
