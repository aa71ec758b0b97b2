// A full scenario run as an ordinary user, after setup: nothing in `run` needs root (QEMU user
// networking, no TAP, no sudo). The test creates the user (root only; skipped otherwise, since it
// cannot switch users) and gives it a readable cache: the kernels and apt lists of root's cache,
// hard-linked (root's ~/.cache is not readable by others), with folders the user owns.
import { execFileSync } from 'node:child_process';
import { chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunResults } from '../../analysis/report/results.ts';
import { defaultCacheDir } from '../../vm/cache-dir.ts';
import { harnessTempDirs, qemuProcesses, repo } from '../faults/host-state.ts';

const USER = 'ipvsh-tester';
const isRoot = process.getuid?.() === 0;

function idOf(user: string): { uid: number; gid: number } | null {
  try {
    return { uid: Number(execFileSync('id', ['-u', user]).toString()), gid: Number(execFileSync('id', ['-g', user]).toString()) };
  } catch {
    return null;
  }
}

/** Every folder under `dir` (and itself) owned by the user; the hard-linked files stay root's, read-only to others. */
function chownFolders(dir: string, uid: number, gid: number): void {
  chownSync(dir, uid, gid);
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) chownFolders(join(dir, e.name), uid, gid);
}

describe.skipIf(!isRoot)('a run as an unprivileged user (root creates the user; skipped when not root)', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'ipvsh-unprivileged-'));
  let created = false;
  afterAll(() => {
    rmSync(scratch, { recursive: true, force: true });
    if (created) execFileSync('userdel', [USER]);
  });

  it('runs host-to-vip on debian:6.1 and it passes, with nothing left behind', async () => {
    if (!idOf(USER)) {
      execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', USER]);
      created = true;
    }
    const { uid, gid } = idOf(USER)!;
    const real = defaultCacheDir();
    const cache = join(scratch, 'cache');
    mkdirSync(cache);
    // The kernels (~230 MB, only read) as hard links when on the same file system, else copied; the apt
    // state (the harness rewrites sources.list) copied, and made the user's below.
    try {
      execFileSync('cp', ['-al', join(real, 'kernels'), join(cache, 'kernels')]);
    } catch {
      execFileSync('cp', ['-a', join(real, 'kernels'), join(cache, 'kernels')]);
    }
    execFileSync('cp', ['-a', join(real, 'apt'), join(cache, 'apt')]);
    if (existsSync(join(real, 'kvm-verdict.json'))) copyFileSync(join(real, 'kvm-verdict.json'), join(cache, 'kvm-verdict.json'));
    for (const d of ['home', 'tmp', 'out']) mkdirSync(join(scratch, d));
    chownFolders(scratch, uid, gid);
    execFileSync('chown', ['-R', `${uid}:${gid}`, join(cache, 'apt')]);
    if (existsSync(join(cache, 'kvm-verdict.json'))) chownSync(join(cache, 'kvm-verdict.json'), uid, gid);

    const tmp = join(scratch, 'tmp');
    const out = join(scratch, 'out');
    const r = await execa('runuser', ['-u', USER, '--', 'node', 'bin/ipvs-harness.js', 'run', '-j', '1', '-k', 'debian:6.1', '-s', 'host-to-vip', '-o', out], {
      cwd: repo, reject: false, all: true, timeout: 300_000,
      env: { CI: '1', HOME: join(scratch, 'home'), TMPDIR: tmp, IPVS_HARNESS_CACHE: cache, PATH: process.env['PATH'] },
      extendEnv: false,
    });
    expect(r.exitCode, r.all).toBe(0);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as RunResults;
    expect(results.cells.map((c) => [c.scenario, c.status])).toEqual([['host-to-vip', 'passed']]);
    // Written by the user, not by root.
    expect(statSync(join(out, 'results.json')).uid).toBe(uid);
    expect(readdirSync(join(cache, 'images')).some((f) => f.endsWith('.cpio'))).toBe(true);
    expect(qemuProcesses(tmp)).toEqual([]);
    expect(harnessTempDirs(tmp)).toEqual([]);
  }, 330_000);
});
