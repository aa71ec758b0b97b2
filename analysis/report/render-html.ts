// The HTML report: one self-contained file (styles, script and a JSON digest inline, no network),
// readable at 1280 px and printable. Rendered on the server side so it reads without the script
// and can be queried as plain HTML (cheerio in the tests).
import { verdictText } from './callgraph-diff-text.ts';
import { cellHtml } from './html-cell.ts';
import { REPORT_CSS, REPORT_SCRIPT } from './html-assets.ts';
import { diffHtml, sideBySideHtml } from './html-diff.ts';
import type { Report, ReportCell } from './model.ts';
import { escapeHtml as h, jsonForScript, relativeHref } from './xml-escape.ts';
import { outOfTreeIpvsHtml } from './html-out-of-tree.ts';

function headerHtml(r: Report): string {
  const s = r.run.summary;
  const parts = (['passed', 'failed', 'error', 'skipped'] as const).filter((k) => s[k] > 0).map((k) => `<span class="badge ${k}">${s[k]} ${k}</span>`);
  return [
    `<h1>${h(r.title)}</h1>`,
    `<p class="meta">${parts.join(' ')} of ${s.total} cell(s) · ${h(r.run.tool.name)} ${h(r.run.tool.version)} · started ${h(r.run.startedAt)} · ${(r.run.durationMs / 1000).toFixed(1)} s · host ${h(r.run.host.hostname)} (${h(r.run.host.accel)})${r.run.shard ? ` · shard ${r.run.shard.index}/${r.run.shard.count}` : ''}</p>`,
    `<nav class="no-print small"><a href="#matrix">matrix</a> · <a href="#kernels">kernels</a> · <a href="#diffs">kernel diff</a> · <a href="#side-by-side">side by side</a> · <a href="#cells">cells</a> <label><input type="checkbox" id="only-problems"> only failed and errored cells</label></nav>`,
  ].join('\n');
}

function matrixCell(c: ReportCell | undefined, kernel: string, scenario: string): string {
  if (c === undefined) return `<td class="cell none" data-kernel="${h(kernel)}" data-scenario="${h(scenario)}"><span class="muted">not run</span></td>`;
  const r = c.result;
  const graphs = r.graphs.length > 0 ? ` · ${r.graphs.filter((g) => g.holds).length}/${r.graphs.length} graphs` : '';
  const reason = c.reason ? `<span class="reason">${h(c.reason)}</span>` : '';
  return `<td class="cell ${h(r.status)}" data-kernel="${h(kernel)}" data-scenario="${h(scenario)}" data-status="${h(r.status)}"><a href="#${h(c.id)}"><span class="badge ${h(r.status)} status">${h(r.status)}</span></a> <span class="dur small">${(r.durationMs / 1000).toFixed(1)} s${graphs}</span>${reason}</td>`;
}

function matrixHtml(r: Report): string {
  const kernels = r.kernels.map((k) => k.spec);
  const scenarios = [...new Set([...r.scenarios.map((s) => s.name), ...r.cells.map((c) => c.result.scenario)])];
  const rows = scenarios.map((s) => {
    const info = r.scenarios.find((x) => x.name === s);
    const head = `<th scope="row"><a href="#sbs-${h(s)}">${h(s)}</a>${info?.summary ? `<div class="small muted" style="font-weight:normal;max-width:320px">${h(info.summary)}</div>` : ''}${info?.kubernetes ? `<div class="small kubernetes" style="font-weight:normal;max-width:320px">Kubernetes: ${h(info.kubernetes)}</div>` : ''}</th>`;
    return `<tr data-scenario="${h(s)}">${head}${kernels.map((k) => matrixCell(r.cells.find((c) => c.result.kernel === k && c.result.scenario === s), k, s)).join('')}</tr>`;
  });
  const kHead = r.kernels.map((k) => `<th scope="col" data-kernel="${h(k.spec)}">${h(k.label ?? k.spec)}${k.release ? `<div class="small muted">${h(k.release)}</div>` : ''}${k.ipvs?.outOfTree ? '<div class="small">out-of-tree IPVS</div>' : ''}</th>`).join('');
  return `<h2 id="matrix">Kernels × scenarios</h2><div style="overflow-x:auto"><table class="matrix"><tr><th>scenario</th>${kHead}</tr>${rows.join('')}</table></div>`;
}

function kernelsHtml(r: Report): string {
  const rows = r.kernels.map((k) => {
    const href = k.console ? relativeHref(k.console) : null;
    const consoleLink = k.console ? (href ? `<a href="${h(href)}">${h(k.console)}</a>` : h(k.console)) : '';
    const error = k.error ? `<span class="badge error">${h(k.error.code)}</span> ${h(k.error.phase)}: ${h(k.error.message)}` : '';
    const tail = k.consoleTail ? `<details><summary>console tail</summary><pre class="console">${h(k.consoleTail)}</pre></details>` : '';
    const pkgs = (k.packages ?? []).map((p) => `<div class="small"><code>${h(p.name)}</code> ${h(p.version)} <span class="muted">(${h(p.suite)})</span></div>`).join('');
    const build = `${pkgs || (k.source ? `<div class="small">${h(k.source)}</div>` : '')}${k.imageSha256 ? `<div class="small muted" title="SHA-256 of the kernel image">image sha256 <code class="sha256">${h(k.imageSha256)}</code></div>` : ''}`;
    return `<tr data-kernel="${h(k.spec)}"><td>${h(k.spec)}</td><td>${h(k.release ?? '')}</td><td class="build">${build}</td><td>${h(ipvsText(k))}${outOfTreeIpvsHtml(k)}${k.bpftrace ? `<div class="small muted" data-bpftrace="${h(k.bpftrace.version)}">bpftrace ${h(k.bpftrace.version)}${k.bpftrace.release ? ` (Debian ${h(k.bpftrace.release)})` : ''}</div>` : ''}</td><td>${h(k.accel ?? '')}</td><td>${k.bootMs.map((b) => `${(b / 1000).toFixed(1)} s`).join(', ')}${snapshotHtml(k)}</td><td>${error}${consoleLink ? `<div>${consoleLink}</div>` : ''}${tail}</td></tr>`;
  });
  return `<h2 id="kernels">Kernels</h2><table class="kernels"><tr><th>spec</th><th>release</th><th>build (pinned)</th><th>IPVS</th><th>accel</th><th>boot to SSH</th><th>console</th></tr>${rows.join('')}</table>${r.run.defaultKernels ? `<details class="default-kernels"><summary>the default kernels (no -k given): why these</summary><pre>${h(r.run.defaultKernels)}</pre></details>` : ''}`;
}

/** "built in (ip_vs, ip_vs_rr, ...)" or "modules"; empty when the run did not record it. */
function ipvsText(k: Report['kernels'][number]): string {
  if (!k.ipvs) return '';
  if (k.ipvs.core === 'module') return k.ipvs.builtIn.length ? `modules (built in: ${k.ipvs.builtIn.join(', ')})` : 'modules';
  return `built in (${k.ipvs.builtIn.join(', ')})`;
}

function diffsHtml(r: Report): string {
  const out = ['<h2 id="diffs">Call-graph diff between kernels</h2>'];
  if (r.diffs.length === 0) {
    out.push('<p class="muted">one kernel with traces in this run: nothing to compare (use <code>ipvs-harness diff &lt;results-A&gt; &lt;results-B&gt;</code> across runs).</p>');
    return out.join('\n');
  }
  out.push(`<p class="meta">Each kernel against ${h(r.diffs[0]!.a.label)}. Hook calls are aligned by role and caller chain; renames (5.10 wrappers vs 6.x hooks), inlined helpers and compiler clones are cosmetic. ${r.diffs.map((d) => `${h(d.b.label)}: ${h(verdictText(d))}`).join('; ')}</p>`);
  r.diffs.forEach((d, i) => out.push(diffHtml(d, i)));
  return out.join('\n');
}

/** A small digest for tools reading the page: the cells without their trees, and the call-graph summary. */
function digest(r: Report): unknown {
  return {
    format: r.format, version: r.version, run: r.run,
    cells: r.cells.map((c) => ({ id: c.id, kernel: c.result.kernel, scenario: c.result.scenario, status: c.result.status, reason: c.reason ?? null })),
    diffs: r.diffs.map((d) => ({ a: d.a.kernel, b: d.b.kernel, totals: d.totals })),
  };
}

export function toHtml(r: Report): string {
  const scenarios = [...new Set(r.cells.map((c) => c.result.scenario))];
  const body = [
    headerHtml(r),
    r.notes.length > 0 ? `<div class="box">${r.notes.map(h).join('\n')}</div>` : '',
    matrixHtml(r),
    kernelsHtml(r),
    diffsHtml(r),
    `<h2 id="side-by-side">Side by side: each scenario across kernels</h2><p class="meta">The canonical call graph of each hook role (identical packets folded, counts shown), per step; empty red cells: the role did not run on that kernel.</p><div class="toolbar no-print"><button type="button" data-toggle="open" data-scope="side-by-side-list">expand all</button><button type="button" data-toggle="close" data-scope="side-by-side-list">collapse all</button></div><div id="side-by-side-list">${scenarios.map((s) => sideBySideHtml(r, s)).join('\n')}</div>`,
    `<h2 id="cells">Cells</h2>`,
    ...r.cells.map(cellHtml),
  ];
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    // No network: everything is inline, and the policy forbids the page from loading anything else.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">`,
    `<title>${h(r.title)}</title>`,
    `<style>${REPORT_CSS}</style>`,
    '</head><body>',
    ...body.filter(Boolean),
    `<script type="application/json" id="report-data">${jsonForScript(digest(r))}</script>`,
    `<script>${REPORT_SCRIPT}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}

/** `run --snapshot`: the kernel's snapshot, or why its cells fell back to resets or boots. */
function snapshotHtml(k: Report['kernels'][number]): string {
  const sn = k.snapshot;
  if (!sn) return '';
  const restores = sn.restoreMs.length > 0 ? `, ${sn.restoreMs.length} restore(s) of ${(Math.min(...sn.restoreMs) / 1000).toFixed(1)}-${(Math.max(...sn.restoreMs) / 1000).toFixed(1)} s` : '';
  const saved = sn.sizeBytes > 0 ? `snapshot: saved in ${(sn.saveMs / 1000).toFixed(1)} s (${Math.round(sn.sizeBytes / 1e6)} MB)${restores}` : 'snapshot: not saved';
  return `<div class="small muted" data-snapshot="${sn.restoreMs.length}">${h(saved)}${sn.fallback ? `; ${h(sn.fallback)}` : ''}</div>`;
}
