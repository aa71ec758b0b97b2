// The HTML report of real runs, queried as HTML: the matrix, statuses and reasons, expected graphs
// with matched and missing nodes, role labels of 5.10 and 6.x hook calls, re-entries, the diff
// section and the side-by-side view; and that it is one self-contained, escaped file.
import { load, type CheerioAPI } from 'cheerio';
import { describe, expect, it } from 'vitest';
import { buildReport } from '../analysis/report/build-report.ts';
import { toHtml } from '../analysis/report/render-html.ts';
import { RESULTS_VERSION, type RunResults } from '../analysis/report/results.ts';
import { fixtureReport } from './report-fixtures.ts';

const seedHtml = toHtml(fixtureReport('seed').report);
const seed = load(seedHtml);
const mixed = load(toHtml(fixtureReport('mixed').report));

const cellOf = ($: CheerioAPI, kernel: string, scenario: string) => $(`section.cell[data-kernel="${kernel}"][data-scenario="${scenario}"]`);

describe('summary matrix', () => {
  it('has a row per scenario and a column per kernel, with status and duration', () => {
    expect(seed('table.matrix tr[data-scenario]').length).toBe(7);
    expect(seed('table.matrix th[data-kernel]').map((_, e) => seed(e).attr('data-kernel')).get()).toEqual(['debian:5.10', 'debian:6.1', 'debian:6.12']);
    const cells = seed('table.matrix td.cell');
    expect(cells.length).toBe(21);
    expect(cells.filter('[data-status="passed"]').length).toBe(21);
    const one = seed('table.matrix td[data-kernel="debian:6.1"][data-scenario="pod-to-vip"]');
    expect(one.find('.status').text()).toBe('passed');
    expect(one.find('.dur').text()).toMatch(/^\d+\.\d s · 4\/4 graphs$/);
    expect(one.find('a').attr('href')).toBe(`#${cellOf(seed, 'debian:6.1', 'pod-to-vip').attr('id')}`);
  });

  it('says under a scenario which Kubernetes setting it models, when its results say', () => {
    const built = fixtureReport('seed').report;
    const $ = load(toHtml({ ...built, scenarios: built.scenarios.map((x) => (x.name === 'pod-to-vip' ? { ...x, kubernetes: 'Service type: ClusterIP <from a pod>' } : x)) }));
    expect($('table.matrix tr[data-scenario="pod-to-vip"] th .kubernetes').text()).toBe('Kubernetes: Service type: ClusterIP <from a pod>');
    expect($('table.matrix tr[data-scenario="host-to-vip"] .kubernetes').length).toBe(0);
  });

  it('gives the reason of a failure and of an error', () => {
    const failed = mixed('table.matrix td[data-kernel="debian:6.1"][data-scenario="pod-to-vip"]');
    expect(failed.attr('data-status')).toBe('failed');
    expect(failed.find('.reason').text()).toBe('step request: outcome: expected refused, got ok (1 reply) (+1 more)');
    const error = mixed('table.matrix td[data-kernel="path:/etc/hostname"]');
    expect(error.attr('data-status')).toBe('error');
    expect(error.find('.reason').text()).toMatch(/^kernel: \/etc\/hostname is not an x86 bzImage .* \[NOT_A_KERNEL\]$/);
    expect(mixed('tr[data-kernel="path:/etc/hostname"]').text()).toContain('NOT_A_KERNEL');
  });
});

describe('a cell', () => {
  it('lists the steps with outcome and checks', () => {
    const c = cellOf(mixed, 'debian:6.1', 'pod-to-vip');
    const step = c.find('table.steps tr[data-step="request"]');
    expect(step.find('.badge').text()).toBe('failed');
    expect(step.text()).toContain('✗ outcome: expected refused, got ok (1 reply)');
    expect(step.text()).toContain('✓ answered by: expected rs1, got rs1');
    expect(c.find('.box.reason').text()).toContain('graph request/remote_request');
  });

  it('shows the expected graphs: matched steps link to the observed call, missing ones are marked', () => {
    const c = cellOf(mixed, 'debian:6.1', 'pod-to-vip');
    const g = c.find('.graph[data-holds="false"]');
    expect(g.length).toBe(1);
    const leave = g.find('li.exp[data-status="missing"]');
    expect(leave.children('code').text()).toBe('ip_vs_leave');
    expect(leave.text()).toContain('not called after ip_vs_schedule');
    const schedule = g.find('li.exp[data-status="matched"]').filter((_, e) => mixed(e).children('code').text() === 'ip_vs_schedule');
    const href = schedule.children('a').attr('href')!;
    const target = mixed(href);
    expect(target.attr('data-fn')).toBe('ip_vs_schedule');
    expect(target.hasClass('matched')).toBe(true);
    expect(g.find('li.exp[data-status="not-checked"]').length).toBeGreaterThan(0);
    expect(g.find('pre.diff').text()).toContain('MISSING');
    // The step that failed is marked on the observed call it failed on.
    expect(c.find('li.call.problem[data-fn="tcp_conn_schedule"]').length).toBe(1);
  });

  it('labels hook calls with role and hook: the symbol on 5.10, the hook number on 6.x', () => {
    const r510 = cellOf(seed, 'debian:5.10', 'host-to-vip').find('details.root > summary .role').map((_, e) => seed(e).text()).get();
    expect(r510).toContain('local_request (LOCAL_OUT) = ip_vs_local_request4');
    expect(r510).toContain('local_reply (LOCAL_OUT) = ip_vs_local_reply4');
    expect(r510).toContain('reply (LOCAL_IN or FORWARD) = ip_vs_reply4');
    const r61 = cellOf(seed, 'debian:6.1', 'host-to-vip').find('details.root > summary .role').map((_, e) => seed(e).text()).get();
    expect(r61).toContain('local_request (LOCAL_OUT) = ip_vs_in_hook, hook 3');
    expect(r61).toContain('local_reply (LOCAL_OUT) = ip_vs_out_hook, hook 3');
  });

  it('shows nested re-entries of the hooks, durations and the step sections', () => {
    const c = cellOf(seed, 'debian:6.1', 'pod-to-vip');
    const section = c.find('details.section[data-step="request"]');
    expect(section.length).toBe(1);
    const reentry = section.find('li.call.reentry[data-fn="ip_vs_in_hook"]').first();
    expect(reentry.find('.role').first().text()).toBe('local_request (LOCAL_OUT) = ip_vs_in_hook, hook 3');
    expect(reentry.parents('li.call').first().attr('data-fn')).toBe('nf_hook_slow');
    expect(reentry.parents('li.call').eq(1).attr('data-fn')).toBe('ip_vs_nat_xmit');
    expect(section.find('details.root').first().find('> summary .dur').text()).toMatch(/^\d+\.\d{3} (µs|ms)$/);
  });

  it('has the counters, observations, console tail and relative links to the raw files', () => {
    const c = cellOf(mixed, 'debian:6.1', 'pod-to-vip');
    expect(c.find('ul.links a').map((_, e) => mixed(e).attr('href')).get()).toEqual([
      'debian-6.1/pod-to-vip/trace.txt', 'debian-6.1/pod-to-vip/commands.log', 'debian-6.1/pod-to-vip/console.log',
    ]);
    expect(c.find('pre.console').text().length).toBeGreaterThan(0);
    expect(c.text()).toContain('IPVS connection entries');
    expect(c.find('ul.observations li').first().text()).toMatch(/^step request: first packet: /);
    // The seed fixture carries no commands.log: named, not linked.
    expect(cellOf(seed, 'debian:6.1', 'pod-to-vip').find('ul.links').text()).toContain('commands: debian-6.1/pod-to-vip/commands.log (not in the results folder)');
  });
});

describe('kernel comparison', () => {
  it('diffs each kernel against the first, with the renames as cosmetic', () => {
    const pairs = seed('.diff-pair');
    expect(pairs.map((_, e) => `${seed(e).attr('data-a')} -> ${seed(e).attr('data-b')}`).get()).toEqual(['debian:5.10 -> debian:6.1', 'debian:5.10 -> debian:6.12']);
    expect(pairs.first().attr('data-behaviour')).toBe('0');
    expect(pairs.first().find('h3 .badge').text()).toBe('same behaviour');
    const renamed = pairs.first().find('li.change.cosmetic[data-kind="renamed"]').map((_, e) => seed(e).text()).get();
    expect(renamed.some((t) => t.includes('ip_vs_local_request4 on debian:5.10 is ip_vs_in_hook on debian:6.1'))).toBe(true);
    expect(pairs.first().find('li.change.behaviour').length).toBe(0);
  });

  it('shows one scenario side by side across kernels', () => {
    const sbs = seed('details.sbs[data-scenario="pod-to-vip"] table');
    expect(sbs.find('th').map((_, e) => seed(e).text()).get().slice(1)).toEqual(['debian:5.10', 'debian:6.1', 'debian:6.12']);
    const row = sbs.find('tr').filter((_, e) => seed(e).find('td').first().text().includes('remote_request') && seed(e).find('td').first().text().includes('top level'));
    expect(row.find('td[data-kernel="debian:5.10"] pre').text()).toMatch(/^ip_vs_remote_request4 at LOCAL_IN\n\d+ call\(s\)/);
    expect(row.find('td[data-kernel="debian:6.1"] pre').text()).toMatch(/^ip_vs_in_hook at LOCAL_IN\n\d+ call\(s\)/);
  });
});

describe('one self-contained, safe file', () => {
  it('loads nothing from the network', () => {
    expect(seed('link[rel="stylesheet"], script[src], img[src^="http"], iframe').length).toBe(0);
    expect(seedHtml).not.toMatch(/(src|href)="https?:/);
    expect(seed('meta[http-equiv="Content-Security-Policy"]').attr('content')).toContain("default-src 'none'");
    expect(JSON.parse(seed('#report-data').text())).toMatchObject({ format: 'ipvs-harness/report', version: 1 });
  });

  it('escapes untrusted text from results and traces', () => {
    const base = fixtureReport('mixed').report;
    const evil = '<img src=x onerror=alert(1)></script><script>alert(2)</script>';
    const cells = base.cells.map((c) => ({ ...c.result, failures: [evil], scenario: `s${evil}` }));
    const results: RunResults = { ...base.run, version: RESULTS_VERSION, kernels: base.kernels, scenarios: [], cells };
    const trace = '# tracer: function_graph\n 0)   sh-1   |               |  /* ipvs-harness step request begin <b>x</b> */\n 0)   sh-1   |   1.000 us    |  ip_vs_in_hook<script>() [ip_vs]();\n';
    const html = toHtml(buildReport({ results, cells: cells.map(() => ({ traceText: trace, consoleText: evil })) }));
    const $ = load(html);
    expect($('script').length).toBe(2); // the JSON digest and the page script, nothing injected
    expect($('img').length).toBe(0);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).not.toContain('<script>alert');
  });
});

describe('kernels started from a snapshot (run --snapshot)', () => {
  it('shows the save, the restores and a fallback beside the boot times', () => {
    const { report } = fixtureReport('seed');
    const kernels = report.kernels.map((k, i) => (i === 0
      ? { ...k, snapshot: { saveMs: 812, sizeBytes: 123_882_460, restoreMs: [574, 402, 690] } }
      : i === 1 ? { ...k, snapshot: { saveMs: 900, sizeBytes: 133_000_000, restoreMs: [558], fallback: 'restore failed, cold boots from here on: QEMU exited while restoring' } } : k));
    const $ = load(toHtml({ ...report, kernels }));
    const notes = $('[data-snapshot]').map((_, e) => $(e).text()).get();
    expect(notes).toEqual([
      'snapshot: saved in 0.8 s (124 MB), 3 restore(s) of 0.4-0.7 s',
      'snapshot: saved in 0.9 s (133 MB), 1 restore(s) of 0.6-0.6 s; restore failed, cold boots from here on: QEMU exited while restoring',
    ]);
  });
});
