// The report's flow and connection tables, rendered from a real results folder with the flow probes
// (test/fixtures/results/flows: pod-to-vip and pod-to-vip-dr on Debian 7.3.4), queried with cheerio.
// Old folders (recorded without the probes) get no flow table.
import { load } from 'cheerio';
import { describe, expect, it } from 'vitest';
import { toHtml } from '../analysis/report/render-html.ts';
import { fixtureReport } from './report-fixtures.ts';

const $ = load(toHtml(fixtureReport('flows').report));
const cell = (scenario: string) => $(`section.cell[data-scenario="${scenario}"]`);

describe('flows in the HTML report', () => {
  it('pod-to-vip: pod1 -> VIP -> rs1 (the scenario\'s names, stored with the cell), scheduled, NAT, the reply SNATed, the connection from the table', () => {
    const rows = cell('pod-to-vip').find('div.flows[data-step="request"] tr.flow');
    expect(rows).toHaveLength(1);
    const cells = rows.first().find('> td').map((_, td) => $(td).text()).get();
    expect(cells.slice(1, 8)).toEqual([
      'tcp', expect.stringMatching(/^10\.244\.2\.2:\d+ → 10\.96\.0\.10:80 \(pod1 → VIP:80 → rs1\)$/), '10.244.1.2:80', 'new connection scheduled', 'ip_vs_nat_xmit',
      '10.244.1.2:80 -> 10.96.0.10:80', expect.stringMatching(/^\w+, expires in \d+ s$/),
    ]);
  });

  it('every hook call of a flow links to its call in the trees', () => {
    const links = cell('pod-to-vip').find('ol.flow-hooks a');
    expect(links.length).toBeGreaterThan(10);
    for (const a of links.toArray()) {
      const id = $(a).attr('href')!.slice(1);
      expect(cell('pod-to-vip').find(`[id="${id}"]`).length, id).toBe(1);
    }
    expect(links.first().text()).toMatch(/^ip_vs_out_hook@LOCAL_IN tcp 10\.244\.2\.2:\d+ > 10\.96\.0\.10:80 \[S\] → passed$/);
  });

  it('each hook call in the trees shows the packet it saw', () => {
    const packets = cell('pod-to-vip').find('li.call span.packet, details.root span.packet').map((_, e) => $(e).text()).get();
    expect(packets.length).toBeGreaterThan(10);
    expect(packets).toContain(packets.find((p) => /^tcp 10\.244\.2\.2:\d+ > 10\.244\.1\.2:80 \[S\]$/.test(p)));
  });

  it('pod-to-vip-dr: the real server from the connection table (DR keeps the VIP as destination), no SNAT', () => {
    const tds = cell('pod-to-vip-dr').find('tr.flow').first().find('> td').map((_, td) => $(td).text()).get();
    expect(tds[3]).toBe('10.244.1.2:80');
    expect(tds[5]).toBe('ip_vs_dr_xmit');
    expect(tds[6]).toBe('');
  });

  it('the connection table before and after each step, 7.x status and load factors', () => {
    const row = cell('pod-to-vip').find('table.conn-steps tr[data-step="request"]');
    expect(row.find('td').eq(1).text()).toBe('empty');
    expect(row.find('td').eq(2).find('table.conns tr')).toHaveLength(2);
    expect(row.text()).toMatch(/conn_lfactor -?\d+, svc_lfactor -?\d+/);
    expect(row.text()).toContain('Conn buckets:');
  });

  it('a folder recorded without the flow probes has no flow table', () => {
    const seed = load(toHtml(fixtureReport('seed').report));
    expect(seed('div.flows')).toHaveLength(0);
  });
});

describe('session affinity in the flow table', () => {
  it('says under the decision whether the client\'s template chose the real server', () => {
    const { report } = fixtureReport('flows');
    const cells = report.cells.map((c, i) => (i !== 0 || !c.flows ? c : {
      ...c, flows: { ...c.flows, steps: c.flows.steps.map((s) => ({ ...s, flows: s.flows.map((f) => ({ ...f, persistence: 'template hit' as const })) })) },
    }));
    const page = load(toHtml({ ...report, cells }));
    const marks = page('[data-persistence]');
    expect(marks.length).toBeGreaterThan(0);
    expect(marks.first().text()).toBe('session affinity: the client\'s template chose the real server');
    expect($('[data-persistence]')).toHaveLength(0);
  });
});
