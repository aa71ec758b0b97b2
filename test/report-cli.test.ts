// The report, diff and export commands as a user runs them (the real CLI in a child process), on
// copies of the real results folders: files written atomically, exit codes 0 / 1 / 2.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { XMLValidator } from 'fast-xml-parser';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURE } from './report-fixtures.ts';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'ipvs-harness.js');
const tmp = mkdtempSync(join(tmpdir(), 'ipvs-report-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const cli = (...args: string[]) => execa(process.execPath, [BIN, ...args], { reject: false, env: { NO_COLOR: '1' } });

describe('ipvs-harness report', () => {
  it('writes report.html and junit.xml into the results folder, and nothing half-written', async () => {
    const dir = join(tmp, 'mixed');
    cpSync(FIXTURE('mixed'), dir, { recursive: true });
    const r = await cli('report', dir, '--callgraphs', join(tmp, 'cg.json'));
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('2 cell(s): 0 passed, 1 failed, 1 error, 0 skipped');
    expect(readdirSync(dir).sort()).toEqual(['debian-6.1', 'junit.xml', 'report.html', 'results.json', 'scenario-pod-to-vip.yaml']);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toMatch(/^<!DOCTYPE html>[\s\S]*<\/html>\n$/);
    expect(XMLValidator.validate(readFileSync(join(dir, 'junit.xml'), 'utf8'))).toBe(true);
    expect(JSON.parse(readFileSync(join(tmp, 'cg.json'), 'utf8'))).toMatchObject({ format: 'ipvs-harness/callgraph-summary', version: 1 });
  }, 60_000);

  it('refuses a folder without results.json (exit 2, with the fix)', async () => {
    const r = await cli('report', join(tmp, 'nothing-here'));
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/error \[RESULTS_INVALID\]: .*nothing-here\/results.json: cannot read results \(no such file\); expected the folder written by `ipvs-harness run --out <dir>`/);
  }, 30_000);
});

describe('ipvs-harness diff', () => {
  it('5.10 vs 6.1 within one run: renames and inlining only, exit 0', async () => {
    const r = await cli('diff', FIXTURE('seed'), '--kernels', 'debian:5.10,debian:6.1');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^result: no behaviour-relevant difference/m);
    expect(r.stdout).toContain('hook function ip_vs_local_request4 on debian:5.10 is ip_vs_in_hook on debian:6.1 (same role)');
  }, 30_000);

  it('across runs, a call that disappears: exit 1, and an HTML page on request', async () => {
    const html = join(tmp, 'diff.html');
    const r = await cli('diff', FIXTURE('seed'), FIXTURE('weight0'), '--kernels', 'debian:6.1,debian:6.1', '--html', html);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/^result: BEHAVIOUR DIFFERS/m);
    expect(r.stdout).toMatch(/!! removed +ip_vs_conn_new is called on seed:debian:6.1 but not on weight0:debian:6.1/);
    expect(r.stdout).toMatch(/!! added +ip_vs_leave is called on weight0:debian:6.1 but not on seed:debian:6.1/);
    expect(readFileSync(html, 'utf8')).toContain('behaviour differs');
  }, 30_000);

  it('bad input: an unknown kernel, nothing comparable (exit 2)', async () => {
    const unknown = await cli('diff', FIXTURE('seed'), '--kernels', 'debian:5.10,debian:9.9');
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('no kernel "debian:9.9" in this run; kernels: debian:5.10, debian:6.1, debian:6.12');
    const none = await cli('diff', FIXTURE('mixed'));
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toContain('nothing to compare: pod-to-vip: no trace on path:/etc/hostname (error)');
  }, 30_000);
});

describe('ipvs-harness export', () => {
  it('--perfetto writes Chrome trace JSON for a trace file and for a results folder', async () => {
    const one = join(tmp, 'one.json');
    const r1 = await cli('export', '--perfetto', join(FIXTURE('seed'), 'debian-6.12', 'host-to-vip', 'trace.txt'), one);
    expect(r1.exitCode).toBe(0);
    const t1 = JSON.parse(readFileSync(one, 'utf8'));
    expect(t1.traceEvents.some((e: { ph: string; cat?: string }) => e.ph === 'X' && e.cat === 'step')).toBe(true);
    const all = join(tmp, 'all.json');
    const r2 = await cli('export', '--perfetto', FIXTURE('mixed'), all);
    expect(r2.exitCode).toBe(0);
    const names = JSON.parse(readFileSync(all, 'utf8')).traceEvents.filter((e: { name: string }) => e.name === 'process_name').map((e: { args: { name: string } }) => e.args.name);
    expect(names).toContain('debian:6.1 pod-to-vip CPU 0');
  }, 30_000);

  it('needs exactly one format (exit 2)', async () => {
    const r = await cli('export', FIXTURE('seed'), join(tmp, 'x.json'));
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('choose what to export: --perfetto (Chrome/Perfetto trace JSON) or --callgraphs');
  }, 30_000);
});
