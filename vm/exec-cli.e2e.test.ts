// End to end through the CLI (`node bin/ipvs-harness.js exec ...`): real kernels in QEMU.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultCacheDir } from './cache-dir.ts';
import { cachedDebianKernels } from './debian-kernels.ts';

const repo = resolve(new URL('..', import.meta.url).pathname);
const scratch = mkdtempSync(join(tmpdir(), 'ipvs-harness-e2e-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Each run gets its own TMPDIR, so leftovers (temp folders, QEMU processes) are easy to see. */
function cli(args: string[]): { run: ResultPromise<{ reject: false; all: false; stripFinalNewline: false }>; tmp: string } {
  const tmp = mkdtempSync(join(scratch, 'run-'));
  // tsx keeps its compile cache in TMPDIR: share the warm one, or every CLI start recompiles.
  const tsxCache = join(tmpdir(), `tsx-${process.getuid?.() ?? 0}`);
  if (existsSync(tsxCache)) symlinkSync(tsxCache, join(tmp, basename(tsxCache)));
  const run = execa('node', ['bin/ipvs-harness.js', ...args], { cwd: repo, reject: false, all: false, stripFinalNewline: false, env: { TMPDIR: tmp }, timeout: 180_000 });
  return { run, tmp };
}

function qemuProcessesUsing(tmp: string): string {
  try {
    return execFileSync('pgrep', ['-af', `qemu-system.*${tmp}`]).toString();
  } catch {
    return ''; // pgrep exits 1 when nothing matches
  }
}

function expectNoLeftovers(tmp: string): void {
  expect(qemuProcessesUsing(tmp)).toBe('');
  // (tsx keeps its compile cache in TMPDIR too: only our folders count.)
  expect(readdirSync(tmp).filter((f) => f.startsWith('ipvs-harness'))).toEqual([]);
}

describe('exec on the default kernels', () => {
  // debian:latest is 7.3 today (a split package); it moves on as Debian does.
  for (const [series, version] of [['5.10', /Linux version 5\.10\./], ['oldstable', /Linux version 6\.1\./], ['stable', /Linux version 6\.12\./], ['latest', /Linux version (7|8|9)\.\d+\./]] as const) {
    it(`debian:${series}: prints the guest's kernel version, loads ip_vs, exit 0`, async () => {
      const { run, tmp } = cli(['exec', '--kernel', `debian:${series}`, '--', 'cat /proc/version && modprobe ip_vs && cat /proc/net/ip_vs']);
      const r = await run;
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(version);
      expect(r.stdout).toContain('IP Virtual Server version');
      expectNoLeftovers(tmp);
    });
  }

  // One boot for both: argv as given, then the command's exit code and stderr.
  it("after --, several words arrive in the guest as argv (quotes, spaces, $, ; kept); the command's exit code and stderr come back", async () => {
    const { run, tmp } = cli(['exec', '-k', 'debian:6.1', '--', 'sh', '-c', `echo one; echo two; printf '%s|' "$@"; echo err >&2; exit 7`, 'sh', 'a b', "it's", '$HOME']);
    const r = await run;
    expect(r.exitCode).toBe(7);
    expect(r.stdout).toBe("one\ntwo\na b|it's|$HOME|");
    expect(r.stderr).toBe('err\n');
    expectNoLeftovers(tmp);
  });
});

describe('kernels and setup (no boot)', () => {
  it('kernels --available lists what Debian serves (trixie-backports series among them) and resolves every known spec', async () => {
    const { run } = cli(['kernels', '--available', '--json']);
    const r = await run;
    expect(r.exitCode, r.stderr).toBe(0);
    const listing = JSON.parse(r.stdout) as { known: { spec: string; packageName?: string; suite?: string }[]; cached: { release: string }[]; available: { series: string; suite: string; missing?: string[] }[] };
    expect(listing.known.map((k) => k.spec).slice(0, 4)).toEqual(['debian:5.10', 'debian:oldstable', 'debian:stable', 'debian:latest']);
    for (const k of listing.known) expect(k.packageName, k.spec).toMatch(/^linux-image-.*-cloud-amd64$/);
    const series = listing.available.map((a) => a.series);
    for (const s of ['5.10', '6.1', '6.12', '6.18', '7.3']) expect(series).toContain(s);
    expect(listing.available.filter((a) => a.suite === 'trixie-backports').length).toBeGreaterThanOrEqual(3);
    expect(listing.known.find((k) => k.spec === 'debian:stable')!.suite).toMatch(/^trixie/);
    expect(listing.cached.length).toBeGreaterThanOrEqual(4);
  });

  it('setup is idempotent: a second run finds everything in place', async () => {
    const { run } = cli(['setup']);
    const r = await run;
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('[setup] Debian packages present: qemu-system-x86 busybox-static dropbear-bin ipvsadm socat iproute2');
    expect(r.stdout).toMatch(/debian:stable: 6\.12\.\S+ \(linux-image-6\.12.*\), guest image cached/);
    expect(r.stdout).not.toContain('downloading');
  });

  it('every command has --help with examples', async () => {
    for (const command of ['exec', 'kernels', 'setup']) {
      const r = await cli([command, '--help']).run;
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toContain('Examples:');
    }
  });
});

describe('a kernel of your own (path: with --modules and --config)', () => {
  it('boots a bzImage given by path and loads its modules with modprobe', async () => {
    const k = cachedDebianKernels(defaultCacheDir()).find((x) => x.series === '5.10')!;
    const image = join(scratch, 'own-bzImage');
    copyFileSync(join(k.dir, 'boot', `vmlinuz-${k.release}`), image);
    const { run, tmp } = cli([
      'exec', '-k', `path:${image}`, '--modules', join(k.dir, 'lib', 'modules', k.release), '--config', join(k.dir, 'boot', `config-${k.release}`),
      '--', "uname -r && modprobe ip_vs_rr && grep -c '^ip_vs_rr ' /proc/modules",
    ]);
    const r = await run;
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${k.release}\n1\n`);
    expectNoLeftovers(tmp);
  });
});

describe('bad input: clear message, exit 2, nothing booted', () => {
  it('unknown kernel spec', async () => {
    const { run, tmp } = cli(['exec', '-v', '-k', 'debian:stabel', '--', 'true']);
    const r = await run;
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('error [KERNEL_SPEC_UNKNOWN]: unknown kernel spec "debian:stabel"');
    expect(r.stderr).toContain('debian:stable | oldstable');
    expect(r.stderr).not.toContain('QEMU started');
    expectNoLeftovers(tmp);
  });

  it('a series Debian does not serve names the series it does serve', async () => {
    const { run, tmp } = cli(['exec', '-v', '-k', 'debian:4.19', '--', 'true']);
    const r = await run;
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('error [KERNEL_NOT_FOUND]: Debian serves no kernel series 4.19; Debian serves these series (cloud-amd64): 5.10, 6.1, 6.12');
    expect(r.stderr).not.toContain('QEMU started');
    expectNoLeftovers(tmp);
  });

  it('a split kernel whose parts the archive does not publish names the missing parts (7.0 in trixie-backports today)', async () => {
    const { run, tmp } = cli(['exec', '-v', '-k', 'debian:7.0', '--', 'true']);
    const r = await run;
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/error \[KERNEL_PART_MISSING\]: linux-image-7\.0\.\S+ .* is a split kernel, but its parts linux-modules-7\.0\.\S+ and linux-base-7\.0\.\S+ are not in the archive/);
    expect(r.stderr).not.toContain('QEMU started');
    expect(readdirSync(join(defaultCacheDir(), 'kernels', 'debian')).filter((d) => d.startsWith('.tmp') || d.includes('7.0.'))).toEqual([]);
    expectNoLeftovers(tmp);
  });

  it('a cache folder under /dev', async () => {
    const { run, tmp } = cli(['exec', '-v', '-k', 'debian:6.1', '--cache-dir', '/dev/null/cache', '--', 'true']);
    const r = await run;
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('error [OUTPUT_ON_KERNEL_FS]: cannot write cache folder (--cache-dir) /dev/null/cache: it is under /dev');
    expect(r.stderr).not.toContain('QEMU started');
    expectNoLeftovers(tmp);
  });

  it('a file that is not a kernel', async () => {
    const junk = join(scratch, 'not-a-kernel.bin');
    writeFileSync(junk, Buffer.alloc(4096, 0x41));
    const { run, tmp } = cli(['exec', '-v', '-k', `path:${junk}`, '--', 'true']);
    const r = await run;
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`error [NOT_A_KERNEL]: ${junk} is not an x86 bzImage`);
    expect(r.stderr).not.toContain('QEMU started');
    expectNoLeftovers(tmp);
  });

  it('a real kernel whose config lacks IP_VS', async () => {
    const k = cachedDebianKernels(defaultCacheDir()).find((x) => x.series === '6.1')!;
    const config = join(scratch, 'config-without-ip-vs');
    writeFileSync(config, readFileSync(join(k.dir, 'boot', `config-${k.release}`), 'utf8').replace(/^CONFIG_IP_VS=m$/m, '# CONFIG_IP_VS is not set'));
    const image = join(scratch, 'bzImage');
    copyFileSync(join(k.dir, 'boot', `vmlinuz-${k.release}`), image);
    const { run, tmp } = cli(['exec', '-v', '-k', `path:${image}`, '--config', config, '--', 'true']);
    const r = await run;
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('error [PREFLIGHT_MISSING_OPTIONS]');
    expect(r.stderr).toContain('CONFIG_IP_VS=y or m (is n; IPVS itself)');
    expect(r.stderr).not.toContain('QEMU started');
    expectNoLeftovers(tmp);
  });
});

describe('guest faults: an error naming what happened, exit 3, nothing left behind', () => {
  it('a guest that panics: the error carries the panic text', async () => {
    const { run, tmp } = cli(['exec', '-k', 'debian:6.1', '--', 'echo c > /proc/sysrq-trigger']);
    const r = await run;
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain('error [GUEST_PANIC]: guest debian:6.1 panicked: Kernel panic - not syncing: sysrq triggered crash');
    expect(r.stderr).toContain('last console lines:');
    expectNoLeftovers(tmp);
  });

  it('a guest that never answers: BOOT_TIMEOUT naming the phase, with the console tail', async () => {
    const { run, tmp } = cli(['exec', '-k', 'debian:6.1', '--boot-timeout', '15', '--kernel-arg', 'ipvsharness.nossh=1', '--', 'true']);
    const r = await run;
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/error \[BOOT_TIMEOUT\]: guest debian:6\.1 was not ready within 15 s \(TCG\); phase: boot, waiting for .*; reached: /);
    expect(r.stderr).toMatch(/last console lines:\n {2}\| /);
    // On a loaded machine the deadline may come before init got that far; normally it did.
    if (/waiting for the SSH server/.test(r.stderr)) expect(r.stderr).toContain('ipvs-harness: ssh disabled by the kernel command line');
    expectNoLeftovers(tmp);
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} mid-boot: exit 130, no QEMU process, no temp folder`, async () => {
      const { run, tmp } = cli(['exec', '-v', '-k', 'debian:6.1', '--', 'sleep 30']);
      let stderr = '';
      await new Promise<void>((resolveStarted, reject) => {
        const timer = setTimeout(() => reject(new Error(`QEMU did not start; stderr: ${stderr}`)), 60_000);
        run.stderr!.on('data', (d: Buffer) => {
          stderr += d.toString();
          if (stderr.includes('kernel-start')) {
            clearTimeout(timer);
            resolveStarted();
          }
        });
      });
      expect(qemuProcessesUsing(tmp)).not.toBe('');
      run.kill(signal);
      const r = await run;
      expect(r.exitCode).toBe(130);
      expect(r.stderr).toContain('error [ABORTED]');
      expectNoLeftovers(tmp);
    });
  }
});
