// JUnit XML of real runs, checked with an XML parser: one testsuite per kernel, one testcase per
// scenario, failures with the graph diff, errors as <error>, counts that add up.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import type { Report } from '../analysis/report/model.ts';
import { toJunit } from '../analysis/report/render-junit.ts';
import { fixtureReport } from './report-fixtures.ts';

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => ['testsuite', 'testcase', 'property'].includes(name), parseAttributeValue: false });

function parse(xml: string) {
  expect(XMLValidator.validate(xml)).toBe(true);
  return parser.parse(xml).testsuites;
}

describe('JUnit XML', () => {
  it('seed run: a suite per kernel, a case per scenario, all passing', () => {
    const xml = toJunit(fixtureReport('seed').report);
    const root = parse(xml);
    expect(root).toMatchObject({ name: 'ipvs-harness', tests: '21', failures: '0', errors: '0', skipped: '0' });
    expect(root.testsuite.map((s: { name: string }) => s.name)).toEqual(['debian:5.10', 'debian:6.1', 'debian:6.12']);
    for (const s of root.testsuite) {
      expect(s.tests).toBe('7');
      expect(s.testcase).toHaveLength(7);
      expect(s.testcase.every((c: Record<string, unknown>) => c.failure === undefined && c.error === undefined)).toBe(true);
      // Dots would split the class name in Jenkins: kernel dots are kept out of it.
      expect(s.testcase[0].classname).toMatch(/^ipvs-harness\.debian:\d+_\d+$/);
      expect(Number(s.testcase[0].time)).toBeGreaterThan(0);
    }
    const props = root.testsuite[1].properties.property.map((p: { name: string; value: string }) => `${p.name}=${p.value}`);
    expect(props).toContain('kernel.release=6.1.0-56-cloud-amd64');
    expect(root.testsuite[1].testcase[0]['system-out']).toContain('[[ATTACHMENT|debian-6.1/established-flow/trace.txt]]');
  });

  it('mixed run: the failure carries every failing check and the graph diff; the error its phase', () => {
    const root = parse(toJunit(fixtureReport('mixed').report));
    expect(root).toMatchObject({ tests: '2', failures: '1', errors: '1' });
    const [ok, bad] = root.testsuite;
    expect(ok).toMatchObject({ name: 'debian:6.1', failures: '1', errors: '0' });
    const failure = ok.testcase[0].failure;
    expect(failure.type).toBe('step');
    expect(failure.message).toBe('step request: outcome: expected refused, got ok (1 reply) (+1 more)');
    expect(failure['#text']).toContain('graph request/remote_request');
    expect(failure['#text']).toMatch(/MISSING +ip_vs_leave +not called after ip_vs_schedule/);
    expect(bad).toMatchObject({ name: 'path:/etc/hostname', errors: '1', failures: '0' });
    expect(bad.testcase[0].error.type).toBe('NOT_A_KERNEL');
    expect(bad.testcase[0].error.message).toMatch(/^kernel: \/etc\/hostname is not an x86 bzImage/);
  });

  it('skipped cells and hostile text stay valid XML', () => {
    const base = fixtureReport('mixed').report;
    const nasty = 'a\u0000b\u001b[31m <x> & "q" \ud800';
    const report: Report = {
      ...base,
      cells: base.cells.map((c, i) => (i === 0 ? { ...c, result: { ...c.result, status: 'skipped', skipReason: nasty, failures: [] } } : { ...c, reason: nasty })),
      run: { ...base.run, summary: { ...base.run.summary, failed: 0, skipped: 1 } },
    };
    const root = parse(toJunit(report));
    expect(root.testsuite[0].testcase[0].skipped.message).toContain('<x> & "q"');
  });
});
