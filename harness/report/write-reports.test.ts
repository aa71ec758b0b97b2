// The run's writer: report.html and junit.xml beside results.json; a folder it cannot render costs a
// warning, never the run. The loader reads only files inside the results folder.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { readResults } from '../run/results-folder.ts';
import { FIXTURE } from '../../test/report-fixtures.ts';
import { insideFolder, loadReportInput } from './load-run.ts';
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

  it('re-judges the graphs with the scenario file kept in the folder', () => {
    const input = loadReportInput(FIXTURE('mixed'));
    expect(input.notes).toEqual([]);
    expect(input.cells[0]!.graphs).toHaveLength(4);
  });
});
