// The first run on a fresh machine: no cache, no apt lists, a new HOME. Every CI run so far found a
// warm cache, so a first-run bug (the lock taken before kernels/debian/ existed) went unseen; this test
// creates the cold state itself. It resolves and downloads one kernel (debian:latest, a split 6.19+
// package today: linux-image + linux-binary + linux-modules + linux-base) into an empty cache, boots it
// and runs a command; then it cuts the network (apt through a proxy that refuses) and shows that the
// cached kernel still works and that, with nothing cached, the error says the lists could not be refreshed.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';

const repo = resolve(new URL('..', import.meta.url).pathname);
const home = mkdtempSync(join(tmpdir(), 'ipvs-harness-fresh-home-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));
const cache = join(home, '.cache', 'ipvs-harness');

/** The CLI as a new user runs it: a fresh HOME, no cache variables. */
function cli(args: string[], env: Record<string, string> = {}) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !['IPVS_HARNESS_CACHE', 'XDG_CACHE_HOME'].includes(k)));
  return execa('node', ['bin/ipvs-harness.js', ...args], { cwd: repo, reject: false, extendEnv: false, env: { ...clean, HOME: home, ...env }, timeout: 420_000 });
}

/** apt through a proxy on a closed loopback port: every fetch fails at once, as offline. */
const OFFLINE = { http_proxy: 'http://127.0.0.1:9', https_proxy: 'http://127.0.0.1:9' };

describe('first run on an empty cache', () => {
  it('exec --kernel debian:latest downloads the kernel into a new cache, boots it and runs the command', async () => {
    expect(existsSync(cache)).toBe(false);
    const r = await cli(['exec', '-v', '--kernel', 'debian:latest', '--', 'uname -r; modprobe ip_vs && echo ipvs-loaded']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/updating the private apt lists of Debian \w+ \(missing\)/);
    expect(r.stderr).toMatch(/downloading linux-image-\S+-cloud-amd64/);
    const [release, loaded] = r.stdout.trim().split('\n');
    expect(release).toMatch(/^\d+\.\d+\.\d+\+deb\d+-cloud-amd64$/);
    expect(loaded).toBe('ipvs-loaded');
    // One kernel folder in the cache's layout, pinned, and nothing half-written beside it.
    const entries = readdirSync(join(cache, 'kernels', 'debian'));
    expect(entries.filter((e) => e.startsWith('.tmp') || e.endsWith('.lock'))).toEqual([]);
    const dir = join(cache, 'kernels', 'debian', entries.find((e) => e.startsWith('linux-image-'))!);
    const meta = JSON.parse(readFileSync(join(dir, 'kernel.json'), 'utf8')) as { release: string; imageSha256: string; packages: { name: string }[] };
    expect(meta.release).toBe(release);
    expect(meta.imageSha256).toMatch(/^[0-9a-f]{64}$/);
    for (const f of [`boot/vmlinuz-${release}`, `boot/config-${release}`, `boot/System.map-${release}`, `lib/modules/${release}/modules.dep`]) expect(existsSync(join(dir, f)), f).toBe(true);
    if (meta.packages.length > 1) expect(meta.packages.map((p) => p.name.replace(/-\d.*$/, ''))).toEqual(['linux-image', 'linux-binary', 'linux-modules', 'linux-base']);
  });

  it('offline with stale lists: the cached kernel still boots, with a warning that the lists could not be refreshed', async () => {
    // Age every release's lists stamp past a day, so the next use wants to refresh them.
    const old = new Date(Date.now() - 3 * 24 * 3600_000);
    for (const release of readdirSync(join(cache, 'apt')).filter((d) => existsSync(join(cache, 'apt', d, 'lists', '.updated')))) {
      utimesSync(join(cache, 'apt', release, 'lists', '.updated'), old, old);
    }
    const r = await cli(['exec', '-v', '--kernel', 'debian:latest', '--', 'uname -r'], OFFLINE);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/could not be refreshed.*using the cached linux-image-/);
    expect(r.stdout.trim()).toMatch(/\+deb\d+-cloud-amd64$/);
  });

  it('offline with nothing cached for the spec: exit 3, the error says the lists could not be refreshed', async () => {
    const r = await cli(['exec', '--kernel', 'debian:5.10', '--', 'true'], OFFLINE);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/error \[KERNEL_DOWNLOAD_FAILED\]: the Debian package lists of bullseye .* could not be refreshed/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(readdirSync(join(cache, 'kernels', 'debian')).filter((e) => e.startsWith('.tmp') || e.endsWith('.lock'))).toEqual([]);
  });
});
