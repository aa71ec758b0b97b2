// One kernel x scenario cell: verdict and reason, steps with their checks, expected graphs with the
// matched calls linked, observations, counters, the observed call trees per step, console tail and
// links to the raw files.
import { sectionHtml } from './html-call-tree.ts';
import type { ConnTable } from '../conn-table.ts';
import type { ExpectedStepView, ReportCell, ReportGraph } from './model.ts';
import { escapeHtml as h, relativeHref } from './xml-escape.ts';

const OK = new Set(['matched', 'inlined', 'skipped']);

function expectedHtml(steps: readonly ExpectedStepView[]): string {
  if (steps.length === 0) return '';
  const items = steps.map((s) => {
    const cls = OK.has(s.status) ? 'ok' : s.status === 'not-checked' ? 'pending' : 'problem';
    const label = s.status === 'not-checked' ? 'not checked' : s.status;
    const where = s.callId !== undefined ? ` <a href="#${h(s.callId)}">line ${s.line ?? '?'}</a>` : s.line !== undefined ? ` line ${s.line}` : '';
    const detail = s.detail ? ` <span class="muted">${h(s.detail)}</span>` : '';
    return `<li class="exp ${cls}" data-status="${h(s.status)}" data-at="${h(s.at)}"><span class="st">${h(label)}</span> <code>${h(s.expected)}</code>${where}${detail}${expectedHtml(s.inside)}</li>`;
  });
  return `<ol class="expected">${items.join('')}</ol>`;
}

function graphHtml(g: ReportGraph, i: number, cellId: string): string {
  const r = g.result;
  const verdict = r.holds ? '<span class="badge holds">holds</span>' : r.incomplete ? `<span class="badge fails" title="${h(r.incomplete)}">incomplete trace: cannot be judged</span>` : '<span class="badge fails">does not hold</span>';
  const out: string[] = [`<div class="graph ${r.holds ? 'holds' : 'fails'}" id="${h(cellId)}-g${i + 1}" data-graph="${i}" data-holds="${r.holds}">`];
  out.push(`<div><b>g${i + 1}</b> ${verdict} ${h(r.name)} <span class="muted">— role ${h(r.role)}${r.step ? `, step ${h(r.step)}` : ''}</span></div>`);
  if (g.rootId !== undefined) out.push(`<div class="small">${r.holds ? 'shown on' : 'closest root'}: <a href="#${h(g.rootId)}">${h(g.rootText ?? g.rootId)}</a>${g.satisfied.length > 1 ? ` <span class="muted">(${g.satisfied.length} roots satisfy it)</span>` : ''}${g.failed.length > 0 ? ` <span class="muted">(${g.failed.length} root(s) do not)</span>` : ''}</div>`);
  if (g.expected !== null) {
    if (g.expected.length > 0) out.push(expectedHtml(g.expected));
    else if (g.kind === 'path') out.push('<div class="small muted">no calls required on the path</div>');
  }
  if (g.forbid.length > 0) out.push(`<div class="small">forbidden inside: ${g.forbid.map((f) => `<code>${h(f)}</code>`).join(', ')}</div>`);
  for (const n of r.notes ?? []) out.push(`<div class="small muted">note: ${h(n)}</div>`);
  if (g.note) out.push(`<div class="small muted">report: ${h(g.note)}</div>`);
  if (!r.holds && r.diff) out.push(`<details open><summary>diff</summary><pre class="diff">${h(r.diff)}</pre></details>`);
  out.push('</div>');
  return out.join('\n');
}

function stepsHtml(c: ReportCell): string {
  const steps = c.result.steps;
  if (steps.length === 0) return '<p class="muted">no steps ran</p>';
  const rows = steps.map((s) => {
    const checks = s.checks.map((k) => `<div class="${k.ok ? '' : 'change behaviour'}">${k.ok ? '✓' : '✗'} ${h(k.what)}: expected ${h(k.expected)}, got ${h(k.actual)}</div>`).join('');
    const outcome = [s.outcome, s.answeredBy?.length ? `answered by ${s.answeredBy.join(', ')}` : null, s.detail].filter(Boolean).join('; ');
    const inFlight = s.inFlight?.length ? `<div class="small muted" data-in-flight="${s.inFlight.length}" title="the runner waited for the step's packets before its end marker; these were still in flight: their hook calls land in a later section">still in flight at the end marker: ${s.inFlight.map(h).join('; ')}</div>` : '';
    return `<tr data-step="${h(s.name)}"><td>${h(s.name)}</td><td>${h(s.kind)}</td><td><span class="badge ${h(s.status)}">${h(s.status)}</span></td><td>${h(outcome)}${inFlight}</td><td>${checks}</td><td>${(s.durationMs / 1000).toFixed(2)} s</td></tr>`;
  });
  return `<table class="steps"><tr><th>step</th><th>kind</th><th>status</th><th>outcome</th><th>checks</th><th>time</th></tr>${rows.join('')}</table>`;
}

/** Per step: who -> VIP -> which real server, the decision, the hooks in order (each a link to its call in the trees). */
function flowsHtml(c: ReportCell): string {
  if (!c.flows) return '';
  const out: string[] = ['<h4>Flows <span class="muted small">hook calls grouped by connection: request and reply, before and after NAT</span></h4>'];
  for (const s of c.flows.steps) {
    if (s.flows.length === 0 && s.unattributed === 0) continue;
    const rows = s.flows.map((f) => {
      const hooks = f.calls.map((k) => {
        const id = c.flows!.callIds[k.line];
        const text = `${k.nested ? '↳ ' : ''}${k.fn}@${k.hookName ?? '?'} ${k.summary} → ${k.action}`;
        return `<li>${id ? `<a href="#${h(id)}">${h(text)}</a>` : h(text)}</li>`;
      }).join('');
      const who = f.kernelOwn !== null ? `kernel's own: ${f.kernelOwn}` : `${f.client} → ${f.service}${f.who ? ` (${f.who.replaceAll(' -> ', ' → ')})` : ''}`;
      return `<tr class="flow" data-flow="${f.id}"><td>${f.id}</td><td>${h(f.proto)}</td><td>${h(who)}</td><td>${h(f.realServer ?? '')}</td>`
        + `<td>${h(f.decision)}${f.persistence ? `<div class="small" data-persistence="${h(f.persistence)}">${f.persistence === 'template hit' ? 'session affinity: the client\'s template chose the real server' : 'session affinity: template created'}</div>` : ''}</td><td>${h(f.transmit ?? '')}</td><td>${h(f.replySnat ?? '')}</td>`
        + `<td>${f.connection ? h(`${f.connection.state}, expires in ${f.connection.expireS} s`) : ''}</td>`
        + `<td><details><summary>${f.calls.length} hook call(s), ${f.packets} packet(s)</summary><ol class="flow-hooks">${hooks}</ol></details></td></tr>`;
    });
    const heading = s.step === null ? 'outside the steps' : `step ${s.step}`;
    const note = s.unattributed > 0 ? `<div class="small muted">${s.unattributed} hook call(s) without a packet (no flow probe there)</div>` : '';
    out.push(`<div class="flows" data-step="${h(s.step ?? '')}"><h5>${h(heading)}</h5>`
      + `<table class="flows"><tr><th>#</th><th>proto</th><th>client → service</th><th>real server</th><th>decision</th><th>transmit</th><th>reply SNAT</th><th>connection</th><th>hooks in order</th></tr>${rows.join('')}</table>${note}</div>`);
  }
  return out.join('\n');
}

function connectionsHtml(c: ReportCell): string {
  const steps = c.result.steps.filter((s) => s.connections);
  if (steps.length === 0) return '';
  const table = (t: ConnTable): string => {
    if (t.entries.length === 0) return '<span class="muted">empty</span>';
    return `<table class="conns"><tr><th>proto</th><th>state</th><th>expire</th><th>source</th><th>virtual</th><th>destination</th></tr>${t.entries.map((e) => `<tr><td>${h(e.proto)}</td><td>${h(e.state)}</td><td>${e.expireS} s</td><td>${h(e.source)}</td><td>${h(e.virtual)}</td><td>${h(e.destination)}</td></tr>`).join('')}</table>`;
  };
  const extra = (t: ConnTable): string => [
    t.status ? Object.entries(t.status).map(([k, v]) => `${k}: ${v}`).join('; ') : '',
    t.lfactor ? Object.entries(t.lfactor).map(([k, v]) => `${k} ${v}`).join(', ') : '',
  ].filter(Boolean).map((x) => `<div class="small muted">${h(x)}</div>`).join('');
  const rows = steps.map((s) => `<tr data-step="${h(s.name)}"><td>${h(s.name)}</td><td>${table(s.connections!.before)}</td><td>${table(s.connections!.after)}${extra(s.connections!.after)}</td></tr>`);
  return `<h4>Connection table <span class="muted small">ipvsadm -Lnc before and after each step</span></h4><table class="conn-steps"><tr><th>step</th><th>before</th><th>after</th></tr>${rows.join('')}</table>`;
}

function countersHtml(c: ReportCell): string {
  const k = c.result.counters;
  if (!k) return '';
  const out: string[] = ['<h4>Counters</h4>'];
  if (k.icmp && Object.keys(k.icmp).length > 0) {
    const names = [...new Set(Object.values(k.icmp).flatMap((m) => Object.keys(m)))].sort();
    out.push(`<table class="icmp"><tr><th>namespace</th>${names.map((n) => `<th>${h(n)}</th>`).join('')}</tr>${Object.entries(k.icmp).map(([ns, m]) => `<tr><td>${h(ns)}</td>${names.map((n) => `<td>${m[n] ?? ''}</td>`).join('')}</tr>`).join('')}</table>`);
  }
  if (k.ipvsStats) out.push(`<details><summary>/proc/net/ip_vs_stats, ipvsadm -Ln --stats, ipvsadm -Lnc</summary><pre>${h(k.ipvsStats)}</pre></details>`);
  if (k.connections) out.push(`<details><summary>connections</summary><pre>${h(k.connections)}</pre></details>`);
  return out.join('\n');
}

function linksHtml(c: ReportCell): string {
  if (c.artifacts.length === 0) return '';
  const items = c.artifacts.map((a) => {
    const href = relativeHref(a.path);
    const name = `${a.kind}: ${a.path}`;
    if (href === null || !a.exists) return `<li>${h(name)} <span class="muted">(${a.exists ? 'not a relative path' : 'not in the results folder'})</span></li>`;
    return `<li><a href="${h(href)}">${h(name)}</a></li>`;
  });
  return `<ul class="links">${items.join('')}</ul>`;
}

/** `--tracer both`: bpftrace's verdict on each graph next to function_graph's, and where the two disagree. */
function secondTracerHtml(c: ReportCell): string {
  const r = c.result;
  if (!r.bpftrace && !r.agreement) return '';
  const out: string[] = ['<h4>bpftrace <span class="muted small">the same graphs judged on bpftrace\'s trace (kprobes on the hooks and the functions the graphs name)</span></h4>'];
  const a = r.agreement;
  if (a) {
    out.push(a.agree
      ? `<div class="box passed agreement" data-agree="true">ftrace and bpftrace agree: roles seen, their order and nesting in ${a.steps} step(s), and the paths of ${a.graphs} graph(s)</div>`
      : `<div class="box failed agreement" data-agree="false">ftrace and bpftrace disagree:<ul>${a.differences.map((d) => `<li>${h(d)}</li>`).join('')}</ul></div>`);
  }
  const graphs = r.bpftrace?.graphs ?? [];
  if (graphs.length > 0) {
    const rows = graphs.map((g) => {
      const verdict = g.holds ? '<span class="badge holds">holds</span>' : g.incomplete ? '<span class="badge fails">incomplete trace</span>' : '<span class="badge fails">does not hold</span>';
      const diff = !g.holds && g.diff ? `<details><summary>diff</summary><pre class="diff">${h(g.diff)}</pre></details>` : '';
      return `<li data-bpftrace-graph="${h(g.name)}" data-holds="${g.holds}">${verdict} ${h(g.name)}${diff}</li>`;
    });
    out.push(`<ul class="bpftrace-graphs">${rows.join('')}</ul>`);
  }
  if (r.bpftrace?.trace) {
    const t = r.bpftrace.trace;
    out.push(`<div class="small muted">bpftrace trace: ${t.lines} lines, ${t.roots} root calls, ${t.lostEvents} lost events, ${t.diagnostics} diagnostics</div>`);
  }
  return out.join('\n');
}

export function cellHtml(c: ReportCell): string {
  const r = c.result;
  const out: string[] = [];
  out.push(`<section class="cell" id="${h(c.id)}" data-kernel="${h(r.kernel)}" data-scenario="${h(r.scenario)}" data-status="${h(r.status)}">`);
  const tracer = r.tracer && r.tracer !== 'ftrace' ? ` · traced by ${r.tracer === 'both' ? 'ftrace and bpftrace' : 'bpftrace'}` : '';
  out.push(`<h3><span class="badge ${h(r.status)}">${h(r.status)}</span> ${h(r.scenario)} <span class="muted" data-tracer="${h(r.tracer ?? 'ftrace')}">on ${h(r.kernel)}${r.kernelRelease ? ` (${h(r.kernelRelease)})` : ''} · ${(r.durationMs / 1000).toFixed(1)} s${tracer}</span></h3>`);
  if (c.reason) out.push(`<div class="box ${h(r.status)} reason">${h(r.status === 'failed' ? r.failures.join('\n') : c.reason)}</div>`);
  if (r.error?.details) out.push(`<details><summary>error details</summary><pre>${h(r.error.details)}</pre></details>`);
  out.push(linksHtml(c));
  out.push('<h4>Steps</h4>', stepsHtml(c));
  out.push(flowsHtml(c));
  out.push(connectionsHtml(c));
  if (c.graphs.length > 0) {
    out.push(`<h4>Expected graphs <span class="muted small">${c.graphs.filter((g) => g.result.holds).length} of ${c.graphs.length} hold</span></h4>`);
    c.graphs.forEach((g, i) => out.push(graphHtml(g, i, c.id)));
  }
  out.push(secondTracerHtml(c));
  if (r.observations.length > 0) out.push('<h4>Observations</h4>', `<ul class="observations">${r.observations.map((o) => `<li>${h(o)}</li>`).join('')}</ul>`);
  out.push(countersHtml(c));
  if (c.sections.length > 0) {
    const t = r.trace;
    const facts = t ? `${t.lines} lines, ${t.roots} root calls, ${t.lostEvents} lost events, ${t.diagnostics} diagnostics, ${t.hooksWithNumber} hook calls with a hook number` : '';
    const traceLink = c.artifacts.find((a) => a.kind === 'trace' && a.exists);
    const href = traceLink ? relativeHref(traceLink.path) : null;
    out.push(`<h4>Observed call trees <span class="muted small">${h(facts)}${c.generation ? ` · kernel generation ${h(c.generation)}` : ''}</span></h4>`);
    out.push(`<div class="toolbar no-print"><button type="button" data-toggle="open" data-scope="${h(c.id)}-trees">expand all</button><button type="button" data-toggle="close" data-scope="${h(c.id)}-trees">collapse all</button></div>`);
    out.push(`<div id="${h(c.id)}-trees">${c.sections.map((s) => sectionHtml(s, c.graphs, href)).join('\n')}</div>`);
  }
  for (const n of c.traceNotes) out.push(`<div class="small muted">trace: ${h(n)}</div>`);
  if (c.consoleTail) out.push(`<details><summary>console tail</summary><pre class="console">${h(c.consoleTail)}</pre></details>`);
  out.push('</section>');
  return out.filter(Boolean).join('\n');
}

