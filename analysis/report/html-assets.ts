// The report's inline stylesheet and script. The page is one file with no network access, so both
// live here as strings. The script only adds conveniences (expand/collapse, opening the tree around
// a linked call, expanding everything for print); the page reads fine without it.

export const REPORT_CSS = `
:root { --ok: #1a7f37; --fail: #cf222e; --err: #9a6700; --skip: #6e7781; --line: #d0d7de; --bg2: #f6f8fa; --mono: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, "DejaVu Sans", Arial, sans-serif; margin: 0 auto; padding: 16px 20px 60px; max-width: 1400px; color: #1f2328; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; } h4 { font-size: 14px; margin: 12px 0 4px; }
a { color: #0969da; } code, pre, .tree { font-family: var(--mono); font-size: 12.5px; }
pre { background: var(--bg2); border: 1px solid var(--line); border-radius: 4px; padding: 8px; overflow-x: auto; white-space: pre; margin: 4px 0; }
table { border-collapse: collapse; margin: 6px 0; } th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--bg2); font-weight: 600; }
.meta { color: #57606a; } .muted { color: #6e7781; } .small { font-size: 12px; }
.badge { display: inline-block; padding: 0 7px; border-radius: 10px; font-size: 12px; font-weight: 600; color: #fff; white-space: nowrap; }
.passed > .badge, .badge.passed, .badge.holds, .badge.ok { background: var(--ok); }
.badge.failed, .badge.fails, .badge.behaviour { background: var(--fail); }
.badge.error { background: var(--err); } .badge.skipped, .badge.info { background: var(--skip); } .badge.cosmetic { background: #8250df; }
.matrix td.cell { min-width: 170px; } .matrix td.passed { background: #dafbe1; } .matrix td.failed { background: #ffebe9; }
.matrix td.error { background: #fff8c5; } .matrix td.skipped { background: #f6f8fa; }
.matrix .reason { display: block; font-size: 12px; max-width: 320px; white-space: normal; word-break: break-word; }
.toolbar { margin: 8px 0; } .toolbar button { font: inherit; font-size: 12px; margin-right: 6px; }
section.cell { border: 1px solid var(--line); border-radius: 6px; padding: 4px 14px 12px; margin: 18px 0; }
section.cell > h3 { display: flex; gap: 10px; align-items: baseline; flex-wrap: wrap; }
.box { border-left: 4px solid var(--line); background: var(--bg2); padding: 6px 10px; margin: 6px 0; white-space: pre-wrap; word-break: break-word; }
.box.failed { border-color: var(--fail); } .box.error { border-color: var(--err); }
.graph { border: 1px solid var(--line); border-radius: 4px; padding: 6px 10px; margin: 8px 0; }
.graph.fails { border-color: var(--fail); }
ol.expected, ol.expected ol { margin: 4px 0; padding-left: 22px; font-family: var(--mono); font-size: 12.5px; }
.exp .st { display: inline-block; min-width: 92px; font-weight: 600; }
.exp.ok > .st { color: var(--ok); } .exp.problem > .st { color: var(--fail); } .exp.pending > .st { color: var(--skip); }
.exp.problem > code { background: #ffebe9; }
.tree, .tree ul { list-style: none; margin: 0; padding-left: 18px; }
.tree { padding-left: 18px; }
.tree li { margin: 0; white-space: nowrap; }
.tree li > details > summary, .tree li > .leaf { cursor: default; }
details > summary { cursor: pointer; }
details.section { overflow-x: auto; }
details.root { margin: 2px 0; } details.root > summary { font-family: var(--mono); font-size: 12.5px; }
.role { background: #ddf4ff; border: 1px solid #54aeff; border-radius: 4px; padding: 0 4px; font-weight: 600; }
.reentry > details > summary .role, .reentry > .leaf .role { background: #fff8c5; border-color: #d4a72c; }
.reentry-tag { color: #9a6700; font-size: 11px; }
.packet { font-family: var(--mono); font-size: 11px; color: #0a3069; }
table.flows td, table.conn-steps td { vertical-align: top; }
table.flows td:last-child { min-width: 36em; }
ol.flow-hooks { margin: 2px 0; padding-left: 22px; font-family: var(--mono); font-size: 11px; }
.dur { color: #57606a; } .mod { color: #6e7781; } .ln { color: #8c959f; font-size: 11px; }
.call.matched > details > summary, .call.matched > .leaf { background: #dafbe1; }
.call.problem > details > summary, .call.problem > .leaf { background: #ffebe9; }
.mark { font-size: 11px; border-radius: 3px; padding: 0 3px; margin-left: 4px; }
.mark.ok { color: var(--ok); border: 1px solid var(--ok); } .mark.bad { color: var(--fail); border: 1px solid var(--fail); }
:target, .flash { outline: 2px solid #0969da; }
.change-sides { width: 100%; table-layout: fixed; margin: 4px 0; } .change-sides td { vertical-align: top; } .change-sides pre.calls { margin: 0; max-height: 260px; }
.sbs { overflow-x: auto; } .sbs table { width: 100%; table-layout: fixed; } .sbs td pre { white-space: pre; overflow-x: auto; max-height: 360px; }
.sbs td.absent { background: #ffebe9; }
.change.behaviour { color: var(--fail); font-weight: 600; } .change.info { color: #57606a; }
ul.changes { margin: 4px 0; padding-left: 20px; }
body.only-problems section.cell[data-status="passed"] { display: none; }
.kv td:first-child { font-weight: 600; white-space: nowrap; }
@media (max-width: 900px) { body { padding: 8px; } }
@media print {
  body { max-width: none; padding: 0; font-size: 11px; }
  .toolbar, .no-print { display: none !important; }
  details::details-content { content-visibility: visible; display: block; }
  details > summary::marker { content: ""; }
  a { color: inherit; text-decoration: none; }
  section.cell { break-inside: auto; border: none; padding: 0; }
  pre, .sbs td pre { white-space: pre-wrap; word-break: break-all; max-height: none; overflow: visible; }
  .tree li { white-space: normal; }
}
`;

export const REPORT_SCRIPT = `
(function () {
  'use strict';
  function openAround(el) {
    for (var p = el; p; p = p.parentElement) if (p.tagName === 'DETAILS') p.open = true;
  }
  function reveal(id) {
    var el = id ? document.getElementById(id) : null;
    if (!el) return;
    openAround(el);
    el.scrollIntoView({ block: 'center' });
    el.classList.add('flash');
    setTimeout(function () { el.classList.remove('flash'); }, 1500);
  }
  window.addEventListener('hashchange', function () { reveal(decodeURIComponent(location.hash.slice(1))); });
  document.addEventListener('click', function (ev) {
    var t = ev.target;
    if (!(t instanceof Element)) return;
    var b = t.closest('button[data-toggle]');
    if (b) {
      var scope = document.getElementById(b.getAttribute('data-scope') || '') || document;
      var open = b.getAttribute('data-toggle') === 'open';
      scope.querySelectorAll('details').forEach(function (d) { d.open = open; });
      return;
    }
    var a = t.closest('a[href^="#"]');
    if (a && a.getAttribute('href') === location.hash) reveal(decodeURIComponent(location.hash.slice(1)));
  });
  var closed = [];
  window.addEventListener('beforeprint', function () {
    closed = Array.prototype.filter.call(document.querySelectorAll('details'), function (d) { return !d.open; });
    closed.forEach(function (d) { d.open = true; });
  });
  window.addEventListener('afterprint', function () { closed.forEach(function (d) { d.open = false; }); closed = []; });
  var only = document.getElementById('only-problems');
  if (only) only.addEventListener('change', function () { document.body.classList.toggle('only-problems', only.checked); });
  if (location.hash) reveal(decodeURIComponent(location.hash.slice(1)));
})();
`;
