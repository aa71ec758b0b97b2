// `ipvs-harness list` as a user runs it: the seed suite read from scenarios/seed (not a copy of its
// names), the selftest cell named, validation of given files with exit 2.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'ipvs-harness.js');
const tmp = mkdtempSync(join(tmpdir(), 'ipvs-list-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const cli = (...args: string[]) => execa(process.execPath, [BIN, ...args], { reject: false, env: { NO_COLOR: '1' } });

describe('ipvs-harness list', () => {
  it('lists every seed scenario with its steps, and the selftest cell that runs only when named', async () => {
    const r = await cli('list');
    expect(r.exitCode).toBe(0);
    const names = r.stdout.split('\n').filter((l) => /^\S/.test(l) && !l.startsWith('also') && !l.startsWith('a bare')).map((l) => l.split(/\s+/)[0]);
    const files = readdirSync(join(ROOT, 'scenarios', 'seed')).filter((f) => f.endsWith('.yaml')).map((f) => f.replace(/\.yaml$/, ''));
    expect(names.sort()).toEqual(files.sort());
    expect(r.stdout).toMatch(/^\s+steps: .+; graphs: \d+; tags: /m);
    // The Kubernetes setting each scenario models, under its summary.
    expect(r.stdout).toMatch(/^session-affinity +.+\n +kubernetes: Service sessionAffinity: ClientIP /m);
    expect(r.stdout).toMatch(/^nodeport +.+\n +kubernetes: Service type: NodePort /m);
    expect(r.stdout).toMatch(/also, when named with -s: selftest:ipvs\.sh /);
    // Which kernels a bare run uses, and why.
    expect(r.stdout).toContain('a bare `run` uses debian:5.10, debian:oldstable, debian:stable, debian:latest:');
    expect(r.stdout).toMatch(/debian:latest +the newest kernel Debian serves/);
  }, 30_000);

  it('--json prints the parsed scenarios only', async () => {
    const r = await cli('list', '--json');
    expect(r.exitCode).toBe(0);
    const parsed = JSON.parse(r.stdout) as Array<{ name: string }>;
    expect(parsed.map((s) => s.name)).toContain('host-to-vip');
    expect(parsed.map((s) => s.name)).not.toContain('selftest:ipvs.sh');
  }, 30_000);

  it('a given file is validated: every problem with file, line and path, exit 2', async () => {
    const file = join(tmp, 'bad.yaml');
    writeFileSync(file, 'version: 1\nname: "bad name; rm -rf /"\nsummary: x\ntopology: { vips: [], namespaces: [] }\nsteps: []\n');
    const r = await cli('list', file);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`${file}:2: name:`);
    expect(r.stdout).not.toContain('selftest');
  }, 30_000);
});
