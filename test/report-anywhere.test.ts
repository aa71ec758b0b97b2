// Judge once, render anywhere: a results folder renders the same report wherever it is, from any
// working directory, after the scenario files it was run with are gone. The two real runs used here
// carry their own scenario file (pod-to-vip expecting what did not happen, and with a weight-0 real
// server), which differs from the seed scenario of the same name: a report that judged again, with
// whatever scenario file it could find, would show other marks.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURE } from './report-fixtures.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'ipvs-harness.js');
const tmp = mkdtempSync(join(tmpdir(), 'ipvs-report-anywhere-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const report = (dir: string, cwd: string) => execa(process.execPath, [BIN, 'report', dir], { cwd, reject: false, env: { NO_COLOR: '1' } });

describe.each(['mixed', 'weight0'] as const)('the %s run', (name) => {
  it('renders the same report.html and junit.xml from / after its scenario file is gone', async () => {
    const original = join(tmp, `${name}-original`);
    cpSync(FIXTURE(name), original, { recursive: true });
    const first = await report(original, ROOT);
    expect(first.exitCode).toBe(0);

    const moved = join(tmp, 'elsewhere', name);
    cpSync(FIXTURE(name), moved, { recursive: true });
    const scenarioFiles = readdirSync(moved).filter((f) => f.endsWith('.yaml'));
    expect(scenarioFiles).toEqual(['scenario-pod-to-vip.yaml']);
    for (const f of scenarioFiles) rmSync(join(moved, f));
    const again = await report(moved, '/');
    expect(again.exitCode).toBe(0);
    expect(again.stdout).not.toContain('note:');

    const html = readFileSync(join(original, 'report.html'), 'utf8');
    expect(readFileSync(join(moved, 'report.html'), 'utf8')).toBe(html);
    expect(readFileSync(join(moved, 'junit.xml'), 'utf8')).toBe(readFileSync(join(original, 'junit.xml'), 'utf8'));
    // What makes it the run's verdict: the failing or holding graph shows the calls it matched, as judged by the run.
    expect(html).toContain('data-status="matched"');
    expect(html).not.toContain('the scenario changed since the run');
  }, 60_000);
});
