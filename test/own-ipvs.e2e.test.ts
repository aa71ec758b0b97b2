// Your own ip_vs, end to end on a real kernel (debian:6.1): the kernel's stock IPVS sources built out
// of tree pass the seed scenarios; the same sources with ip_vs_leave no longer sending the port
// unreachable fail no-destination with a graph diff, and `diff` names the missing icmp_send. A tree
// that does not compile is refused before anything boots, with the compiler's message. Builds only
// ip_vs and ip_vs_rr; headers, sources and stock modules come from the cache after the first run.
import { execa } from 'execa';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunResults } from '../analysis/report/results.ts';
import { defaultCacheDir } from '../vm/cache-dir.ts';
import { cachedDebianKernels } from '../vm/debian-kernels.ts';
import { isModuleBuildError } from '../vm/module-build/errors.ts';
import { kernelHeaders } from '../vm/module-build/kernel-headers.ts';
import { moduleTreeWith } from '../vm/module-build/module-tree.ts';
import { resolveKernel } from '../vm/resolve-kernel.ts';

const root = join(import.meta.dirname, '..');
const scratch = mkdtempSync(join(tmpdir(), 'ipvsh-own-ipvs-e2e-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const cli = (args: string[]) => execa('node', ['bin/ipvs-harness.js', ...args], { cwd: root, reject: false, timeout: 900_000, env: { CI: '1' } });
const results = (dir: string) => JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as RunResults;
const cacheEntries = () => readdirSync(join(defaultCacheDir(), 'ipvs-modules')).filter((n) => /^[0-9a-f]{16}$/.test(n)).sort();

const LEAVE_ICMP = '\t\ticmp_send(skb, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);';
const stockOut = join(scratch, 'stock');
const patchedOut = join(scratch, 'patched');
const stockTree = join(scratch, 'ipvs-stock');
const patchedTree = join(scratch, 'ipvs-patched');

describe('own ip_vs on debian:6.1', () => {
  it('the stock sources (--ipvs-source debian) pass host-to-vip and no-destination; results and report say out-of-tree IPVS', async () => {
    const r = await cli(['run', '-k', 'debian:6.1', '--ipvs-source', 'debian', '-s', 'host-to-vip', '-s', 'no-destination', '--jobs', '1', '-o', stockOut]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/debian:6\.1: IPVS modules ready \(ip_vs, ip_vs_rr from linux-source-6\.1 \S+ \(bookworm[^)]*\), sha [0-9a-f]{16}; gcc-12 /);
    const k = results(stockOut).kernels[0]!;
    expect(k.ipvs?.outOfTree?.source).toMatch(/^linux-source-6\.1 /);
    expect(k.ipvs?.outOfTree?.compiler).toMatch(/^gcc-12 \(Debian 12\./);
    expect(k.ipvs?.outOfTree?.modules.map((m) => m.name)).toEqual(['ip_vs', 'ip_vs_rr']);
    expect(k.ipvs?.outOfTree?.vermagic).toMatch(new RegExp(`^${k.release!.replace(/[.+]/g, '\\$&')} SMP`));
    expect(k.ipvs?.outOfTree?.loaded).toMatch(/^ip_vs loaded in the guest: out-of-tree \(taint [A-Z]*O[A-Z]*\), sha256 [0-9a-f]{16} as built$/);
    const html = readFileSync(join(stockOut, 'report.html'), 'utf8');
    expect(html).toContain('out-of-tree IPVS');
    expect(html).toContain(k.ipvs!.outOfTree!.sourceHash);
  });

  it('module source writes the same sources; module build prints its time; a patched tree builds', async () => {
    const src = await cli(['module', 'source', '-k', 'debian:6.1', '-o', stockTree]);
    expect(src.exitCode, src.stderr).toBe(0);
    expect(src.stdout).toContain(`(sha ${results(stockOut).kernels[0]!.ipvs!.outOfTree!.sourceHash})`);
    cpSync(stockTree, patchedTree, { recursive: true });
    const core = join(patchedTree, 'net/netfilter/ipvs/ip_vs_core.c');
    const text = readFileSync(core, 'utf8');
    expect(text).toContain(LEAVE_ICMP);
    writeFileSync(core, text.replace(LEAVE_ICMP, '\t\t; /* patched: ip_vs_leave sends no port unreachable */'));
    const b = await cli(['module', 'build', '-k', 'debian:6.1', '--source', patchedTree, '-m', 'ip_vs_rr']);
    expect(b.exitCode, b.stderr).toBe(0);
    expect(b.stdout).toMatch(/^(built ip_vs, ip_vs_rr for 6\.1\.\S+ \(debian:6\.1\) in \d+\.\d s \(\d+\.\d s CPU\)|cached ip_vs, ip_vs_rr for 6\.1\.\S+ \(debian:6\.1\) \(built in \d+\.\d s)/);
    expect(b.stdout).toMatch(/checked: +vermagic "6\.1\.\S+ SMP [^"]*" is the kernel's/);
  });

  it('the patched modules fail no-destination with a graph diff naming the missing icmp_send; diff against the stock run names it', async () => {
    const r = await cli(['run', '-k', 'debian:6.1', '--ipvs-source', patchedTree, '-s', 'no-destination', '--jobs', '1', '-o', patchedOut]);
    expect(r.exitCode, r.stderr).toBe(1);
    const cell = results(patchedOut).cells[0]!;
    expect(cell.status).toBe('failed');
    const graph = cell.graphs.find((g) => g.name.startsWith('udp/'))!;
    expect(graph.holds).toBe(false);
    expect(graph.diff).toMatch(/INSIDE +ip_vs_leave .*\n.*MISSING +icmp_send +not called/);
    const d = await cli(['diff', stockOut, patchedOut]);
    expect(d.exitCode, d.stderr).toBe(1);
    expect(d.stdout).toMatch(/removed +icmp_send is called on stock:debian:6\.1 but not on patched:debian:6\.1 .*\[at remote_request > udp_conn_schedule > ip_vs_leave > icmp_send\]/);
    expect(d.stdout).toMatch(/\[at remote_request > tcp_conn_schedule > ip_vs_leave > icmp_send\]/);
  });

  it('a tree that does not compile: module build and run exit 2 with the compiler\'s message, nothing booted or cached; bisect-run skips (125)', async () => {
    const broken = join(scratch, 'ipvs-broken');
    cpSync(stockTree, broken, { recursive: true });
    const core = join(broken, 'net/netfilter/ipvs/ip_vs_core.c');
    writeFileSync(core, readFileSync(core, 'utf8').replace(LEAVE_ICMP, '\t\ticmp_send_typo(skb, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);'));
    const before = cacheEntries();
    const b = await cli(['module', 'build', '-k', 'debian:6.1', '--source', broken, '-m', 'ip_vs_rr']);
    expect(b.exitCode).toBe(2);
    expect(b.stderr).toMatch(/error \[MODULE_BUILD_FAILED\]: .*ipvs-broken does not build against debian:6\.1/);
    expect(b.stderr).toContain(`${core}:`);
    expect(b.stderr).toMatch(/error: implicit declaration of function .icmp_send_typo./);
    const run = await cli(['run', '-k', 'debian:6.1', '--ipvs-source', broken, '-s', 'no-destination', '--jobs', '1', '-o', join(scratch, 'broken-run')]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/ERROR debian:6\.1 no-destination .*\[kernel\] .*ipvs-broken does not build against debian:6\.1/);
    expect(run.stderr).toMatch(/error: implicit declaration of function .icmp_send_typo./);
    expect(results(join(scratch, 'broken-run')).kernels[0]!.error?.code).toBe('MODULE_BUILD_FAILED');
    const bisect = await cli(['bisect-run', '-k', 'debian:6.1', '--ipvs-source', broken, '-s', 'no-destination']);
    expect(bisect.exitCode).toBe(125);
    expect(bisect.stdout).toMatch(/bisect-run: skip \(exit 125\): the kernel cannot be tested: \[MODULE_BUILD_FAILED\]/);
    expect(cacheEntries()).toEqual(before);
  });

  it('modules whose vermagic is not the kernel\'s are refused before booting (5.10\'s ip_vs offered to 6.1)', async () => {
    const cacheDir = defaultCacheDir();
    const k510 = cachedDebianKernels(cacheDir).find((k) => k.series === '5.10')!;
    const ko = join(k510.dir, 'lib/modules', k510.release, 'kernel/net/netfilter/ipvs/ip_vs.ko');
    expect(existsSync(ko)).toBe(true);
    const kernel = await resolveKernel('debian:6.1', { cacheDir });
    const headers = await kernelHeaders(kernel, { cacheDir });
    const built = {
      dir: join(scratch, 'not-in-cache'), key: 'x', release: k510.release, modules: [{ name: 'ip_vs', file: ko, sha256: '' }],
      vermagic: (await execa('modinfo', ['-F', 'vermagic', ko])).stdout.trim(), compiler: { command: 'gcc', versionText: 'gcc' }, buildMs: 0, builtAt: '', cached: true,
      source: { description: 'x', hash: 'x' }, headers: headers.source, warnings: [],
    };
    const err = await moduleTreeWith(kernel, built, headers, { cacheDir }).catch((e: unknown) => e);
    expect(isModuleBuildError(err, 'VERMAGIC_MISMATCH')).toBe(true);
    expect((err as Error).message).toContain(`differs from debian:6.1's "${kernel.release} SMP`);
  });
});
