// The run's writer: report.html and junit.xml beside results.json; a folder it cannot render costs a
// warning, never the run. The loader reads only files inside the results folder.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { readResults } from '../run/results-folder.ts';
import { FIXTURE } from '../../test/report-fixtures.ts';
import { insideFolder, loadReport, loadReportInput } from './load-run.ts';
import { writeRunReports } from './write-reports.ts';

const tmp = mkdtempSync(join(tmpdir(), 'ipvs-write-reports-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('writeRunReports', () => {
  it('writes both files from the results in memory', () => {
    const dir = join(tmp, 'w0');
    cpSync(FIXTURE('weight0'), dir, { recursive: true });
    writeRunReports(readResults(dir), dir);
    expect(readdirSync(dir).filter((f) => /\.(html|xml)$|\.tmp-/.test(f)).sort()).toEqual(['junit.xml', 'report.html']);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain('ip_vs_leave');
  });

  it('warns and returns when the report cannot be written', () => {
    const dir = join(tmp, 'blocked');
    cpSync(FIXTURE('weight0'), dir, { recursive: true });
    // A directory where the file should go: the rename fails.
    cpSync(join(dir, 'debian-6.1'), join(dir, 'report.html'), { recursive: true });
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(() => writeRunReports(readResults(dir), dir)).not.toThrow();
      expect(String(err.mock.calls[0]?.[0])).toMatch(/could not write report.html \/ junit.xml in .*blocked: .*\n {2}\(results.json is complete; retry with `ipvs-harness report /);
    } finally {
      err.mockRestore();
    }
    expect(readdirSync(dir).some((f) => f.includes('.tmp-'))).toBe(false);
  });
});

describe('loadReportInput', () => {
  it('reads artifacts only inside the folder', () => {
    expect(insideFolder('/r', 'debian-6.1/x/trace.txt')).toBe('/r/debian-6.1/x/trace.txt');
    expect(insideFolder('/r', '../etc/passwd')).toBeNull();
    expect(insideFolder('/r', '/etc/passwd')).toBeNull();
    const dir = join(tmp, 'evil');
    cpSync(FIXTURE('weight0'), dir, { recursive: true });
    const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    results.cells[0].artifacts.trace = '../../../../etc/hostname';
    writeFileSync(join(dir, 'results.json'), JSON.stringify(results));
    const input = loadReportInput(dir);
    expect(input.cells[0]!.traceText).toBeUndefined();
    expect(input.cells[0]!.traceProblem).toBe('trace ../../../../etc/hostname: path outside the results folder, not read');
  });

  it('reads results format 1: each verdict shown as recorded, without the calls it matched, and says so', () => {
    const dir = join(tmp, 'v1');
    cpSync(FIXTURE('mixed'), dir, { recursive: true });
    const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    results.version = 1;
    for (const c of results.cells) for (const g of c.graphs) delete g.kind, delete g.judged;
    writeFileSync(join(dir, 'results.json'), JSON.stringify(results));
    const graphs = loadReport(dir).report.cells[0]!.graphs;
    expect(graphs.map((g) => [g.kind, g.result.holds])).toEqual([['order', true], ['path', false], ['path', true], ['path', true]]);
    for (const g of graphs) {
      expect(g.expected).toBeNull();
      expect(g.note).toMatch(/without the calls it matched \(results format 1\)/);
    }
    expect(graphs[1]!.result.diff).toContain('MISSING');
  });

  it('reads results format 2: the hook calls bpftrace counted next to function_graph become an observation', () => {
    const dir = join(tmp, 'v2');
    cpSync(FIXTURE('weight0'), dir, { recursive: true });
    const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    results.version = 2;
    results.cells[0].bpftrace = { hooks: [{ fn: 'ip_vs_in_hook', hook: 1, count: 4 }], stacks: 2 };
    writeFileSync(join(dir, 'results.json'), JSON.stringify(results));
    const read = readResults(dir);
    expect(read.version).toBe(3);
    expect(read.cells[0]!.bpftrace).toBeUndefined();
    expect(read.cells[0]!.observations).toContain('bpftrace (whole scenario): ip_vs_in_hook at hook 1 x4');
    expect(() => loadReport(dir)).not.toThrow();
  });

  it('refuses a results format it does not know, naming it', () => {
    const dir = join(tmp, 'v9');
    cpSync(FIXTURE('weight0'), dir, { recursive: true });
    writeFileSync(join(dir, 'results.json'), JSON.stringify({ ...readResults(dir), version: 9 }));
    expect(() => readResults(dir)).toThrow(/results\.json: version: results format 9 is not supported; this ipvs-harness reads formats 1 to 3 \(written by a newer ipvs-harness: upgrade it\)/);
  });
});
