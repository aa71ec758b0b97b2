// Faults of the cache folder for `run`: unwritable, and full (no space: a small tmpfs, root only; a
// file size limit: RLIMIT_FSIZE through prlimit, any user). Each ends before anything boots, with a
// classified cell naming the folder and the fix, a valid results.json, and nothing left behind: no
// QEMU, no temp folder, no half-written image in the cache. Uses a cached Debian 6.1 kernel as a
// `path:` kernel (no apt, no network); skipped when the cache has none (run `ipvs-harness setup`).
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultCacheDir } from '../../vm/cache-dir.ts';
import { cachedDebianKernels } from '../../vm/debian-kernels.ts';
import { harnessTempDirs, qemuProcesses, startCli } from './host-state.ts';
import { cell, readCompleteResults } from './results-check.ts';

const kernel = cachedDebianKernels(defaultCacheDir()).find((k) => k.series === '6.1');
const isRoot = process.getuid?.() === 0;
const hasPrlimit = (() => {
  try {
    execFileSync('prlimit', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const scratch = mkdtempSync(join(tmpdir(), 'ipvsh-cache-faults-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function pathKernelArgs(): string[] {
  const k = kernel!;
  return [
    '-k', `path:${join(k.dir, 'boot', `vmlinuz-${k.release}`)}`, '--modules', join(k.dir, 'lib', 'modules', k.release),
    '--config', join(k.dir, 'boot', `config-${k.release}`), '-s', 'host-to-vip',
  ];
}

async function runWithCache(cacheDir: string, command?: string[]) {
  const out = mkdtempSync(join(scratch, 'out-'));
  const { run, tmp } = startCli(scratch, ['run', ...pathKernelArgs(), '--cache-dir', cacheDir, '-o', out], { timeoutMs: 120_000, ...(command ? { command } : {}) });
  const r = await run;
  const spec = pathKernelArgs()[1]!;
  const results = readCompleteResults(out, [spec], ['host-to-vip']);
  expect(qemuProcesses(tmp)).toEqual([]);
  expect(harnessTempDirs(tmp)).toEqual([]);
  return { r, c: cell(results, spec, 'host-to-vip') };
}

describe.skipIf(!kernel)('a cache folder that cannot take the guest image', () => {
  it('unwritable (a path under a file): CACHE_UNWRITABLE naming the folder, exit 2, nothing booted', async () => {
    // (A path under /dev, such as /dev/null/cache, is refused by the CLI before the run starts:
    // test/cli-hostile-inputs.test.ts.)
    const aFile = join(scratch, 'a-file');
    writeFileSync(aFile, 'not a folder\n');
    const { r, c } = await runWithCache(join(aFile, 'cache'));
    expect(r.exitCode, r.all).toBe(2);
    expect(c).toMatchObject({ status: 'error', error: { code: 'CACHE_UNWRITABLE', phase: 'kernel' } });
    expect(c.error!.message).toContain(`cache folder ${aFile}/cache is not writable`);
    expect(c.error!.message).toContain('--cache-dir');
    expect(r.all).not.toContain('ready (');
  });

  it('a guest-image limit that is not a number of megabytes: CACHE_LIMIT_INVALID naming the variable, exit 2, before anything is built', async () => {
    const dir = join(scratch, 'limit-cache');
    const out = mkdtempSync(join(scratch, 'out-'));
    const env = { IPVS_HARNESS_IMAGE_CACHE_MB: '2G' };
    const { run, tmp } = startCli(scratch, ['run', ...pathKernelArgs(), '--cache-dir', dir, '-o', out], { timeoutMs: 60_000, env });
    const r = await run;
    expect(r.exitCode, r.all).toBe(2);
    expect(r.all).toContain('CACHE_LIMIT_INVALID');
    expect(r.all).toContain('IPVS_HARNESS_IMAGE_CACHE_MB must be a whole number of megabytes');
    expect(r.all).toContain('"2G"');
    expect(r.all).not.toMatch(/stack|    at /);
    // Read before anything else: no module index, no image, no guest.
    expect(existsSync(dir)).toBe(false);
    expect(qemuProcesses(tmp)).toEqual([]);
    expect(harnessTempDirs(tmp)).toEqual([]);
    // bisect-run: a usage mistake stops the bisection (128) rather than marking the revision.
    const b = startCli(scratch, ['bisect-run', ...pathKernelArgs(), '--cache-dir', dir], { timeoutMs: 60_000, env });
    const rb = await b.run;
    expect(rb.exitCode, rb.all).toBe(128);
    expect(rb.all).toContain('CACHE_LIMIT_INVALID');
  });

  // Root writes through permission bits: the chmod variant needs an ordinary user.
  it.skipIf(isRoot)('unwritable (mode 0555): CACHE_UNWRITABLE, exit 2', async () => {
    const dir = join(scratch, 'read-only');
    mkdirSync(dir);
    chmodSync(dir, 0o555);
    const { r, c } = await runWithCache(join(dir, 'cache'));
    expect(r.exitCode, r.all).toBe(2);
    expect(c.error).toMatchObject({ code: 'CACHE_UNWRITABLE', phase: 'kernel' });
  });

  it.skipIf(!hasPrlimit)('full, as a file size limit (RLIMIT_FSIZE 2 MB): CACHE_FULL naming the folder, exit 3, no half-written image left', async () => {
    const cacheDir = join(scratch, 'fsize-cache');
    const { r, c } = await runWithCache(cacheDir, ['prlimit', '--fsize=2000000', 'node']);
    expect(r.exitCode, r.all).toBe(3);
    expect(c).toMatchObject({ status: 'error', error: { code: 'CACHE_FULL', phase: 'boot' } });
    expect(c.error!.message).toMatch(new RegExp(`into the cache folder ${cacheDir}/images: EFBIG`));
    expect(readdirSync(join(cacheDir, 'images')).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it.skipIf(!isRoot)('full, as a 4 MiB tmpfs (root only): CACHE_FULL (ENOSPC), exit 3, the space given back', async () => {
    const mount = join(scratch, 'tmpfs');
    mkdirSync(mount);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mount]);
    try {
      const { r, c } = await runWithCache(join(mount, 'cache'));
      expect(r.exitCode, r.all).toBe(3);
      expect(c.error).toMatchObject({ code: 'CACHE_FULL', phase: 'boot' });
      expect(c.error!.message).toContain('ENOSPC: no space left on device');
      expect(readdirSync(join(mount, 'cache', 'images')).filter((f) => f.includes('.tmp-'))).toEqual([]);
    } finally {
      execFileSync('umount', [mount]);
    }
  });

  it('has a kernel to test with (else every case above is skipped)', () => {
    expect(existsSync(join(kernel!.dir, 'boot', `vmlinuz-${kernel!.release}`))).toBe(true);
  });
});
