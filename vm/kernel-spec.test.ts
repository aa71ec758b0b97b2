import { describe, expect, it } from 'vitest';
import { compareDebianVersions } from './debian-version.ts';
import { findPackages, kernelBuild, newest, seriesPackageRe, splitParts } from './debian-packages.ts';
import { parseKernelSpec } from './kernel-spec.ts';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

describe('parseKernelSpec', () => {
  it('knows series, release aliases, exact packages in every naming, path: and build:', () => {
    expect(parseKernelSpec('debian:6.1')).toEqual({ ok: true, spec: { kind: 'debian-series', series: '6.1', text: 'debian:6.1' } });
    expect(parseKernelSpec('debian:7.3')).toEqual({ ok: true, spec: { kind: 'debian-series', series: '7.3', text: 'debian:7.3' } });
    for (const alias of ['stable', 'oldstable', 'oldoldstable', 'testing', 'unstable', 'latest']) {
      expect(parseKernelSpec(`debian:${alias}`)).toEqual({ ok: true, spec: { kind: 'debian-alias', alias, text: `debian:${alias}` } });
    }
    expect(parseKernelSpec('debian:linux-image-6.1.0-13-amd64')).toMatchObject({ ok: true, spec: { kind: 'debian-package', packageName: 'linux-image-6.1.0-13-amd64' } });
    for (const rel of ['6.1.0-56-cloud-amd64', '6.12.57+deb12-cloud-amd64', '6.18.15+deb13-cloud-amd64', '7.2.13+deb14-amd64', '6.12.90+deb13.1-cloud-amd64']) {
      expect(parseKernelSpec(`debian:${rel}`), rel).toMatchObject({ ok: true, spec: { kind: 'debian-package', packageName: `linux-image-${rel}` } });
      expect(parseKernelSpec(`debian:linux-image-${rel}`), rel).toMatchObject({ ok: true, spec: { kind: 'debian-package', packageName: `linux-image-${rel}` } });
    }
    expect(parseKernelSpec('path:/tmp/bzImage', { modulesDir: '/m', configPath: '/c' })).toMatchObject({ ok: true, spec: { kind: 'path', image: '/tmp/bzImage', modulesDir: '/m', configPath: '/c' } });
    expect(parseKernelSpec('build:~/src/linux')).toMatchObject({ ok: true, spec: { kind: 'build', tree: '~/src/linux' } });
  });

  it('refuses unknown specs with the list of known forms', () => {
    for (const bad of ['debian:', 'debian:stabel', 'debian:6', 'debian:linux-6.1', 'linux-6.1', 'http://x', 'path:', 'build:', '']) {
      const r = parseKernelSpec(bad);
      expect(r.ok, bad).toBe(false);
      if (!r.ok) expect(r.message).toContain('debian:stable | oldstable');
    }
  });
});

describe('Debian package selection', () => {
  const index = [
    'Package: linux-image-6.1.0-9-cloud-amd64\nVersion: 6.1.27-1\n',
    'Package: linux-image-6.1.0-56-cloud-amd64\nVersion: 6.1.192-2\n',
    'Package: linux-image-6.1.0-56-cloud-amd64-unsigned\nVersion: 6.1.192-2\n',
    'Package: linux-image-6.1.0-56-cloud-amd64-dbg\nVersion: 6.1.192-2\n',
    'Package: linux-image-6.12.9+bpo-cloud-amd64\nVersion: 6.12.9-1~bpo12+1\n',
    'Package: linux-image-6.1.0-10-cloud-amd64\nVersion: 6.1.38-4\n',
  ].join('\n');

  it('picks the newest cloud-amd64 image of the series, not -unsigned, -dbg or another series', () => {
    const refs = findPackages(index, seriesPackageRe('6.1'), 'bookworm', 'bookworm');
    expect(refs.map((r) => r.packageName)).toEqual(['linux-image-6.1.0-9-cloud-amd64', 'linux-image-6.1.0-56-cloud-amd64', 'linux-image-6.1.0-10-cloud-amd64']);
    expect(newest(refs)?.packageName).toBe('linux-image-6.1.0-56-cloud-amd64');
  });

  it('orders versions like dpkg --compare-versions', () => {
    const pairs: [string, string][] = [
      ['6.1.192-2', '6.1.27-1'], ['6.12.57-1~bpo12+1', '6.12.57-1'], ['1:1.0', '2.0'], ['1.0a', '1.0'], ['1.0~rc1', '1.0'],
      ['5.10.262-1', '5.10.262-1'], ['6.12.95-1~bpo12+1', '6.12.9-1~bpo12+1'], ['2.0-1+deb12u1', '2.0-1'],
    ];
    for (const [a, b] of pairs) {
      const ours = Math.sign(compareDebianVersions(a, b));
      const dpkg = ['lt', 'eq', 'gt'].find((op) => {
        try {
          execFileSync('dpkg', ['--compare-versions', a, op, b]);
          return true;
        } catch {
          return false;
        }
      });
      expect(ours, `${a} vs ${b}`).toBe({ lt: -1, eq: 0, gt: 1 }[dpkg!]);
    }
  });
});

describe('split kernel packages (6.19+), from a real trixie-backports index', () => {
  const index = readFileSync(join(import.meta.dirname, '..', 'test', 'fixtures', 'debian', 'trixie-backports.Packages'), 'utf8');
  const refs = findPackages(index, /^linux-(image|binary|modules|base)-/, 'trixie-backports', 'trixie');

  it('7.3.4 is split into binary, modules and base of the same version; 6.18.15 is one package', () => {
    const image73 = refs.find((r) => r.packageName === 'linux-image-7.3.4+deb13-cloud-amd64')!;
    expect(image73.version).toBe('7.3.4-1~bpo13+1');
    expect(splitParts(image73)).toEqual(['linux-binary-7.3.4+deb13-cloud-amd64', 'linux-modules-7.3.4+deb13-cloud-amd64', 'linux-base-7.3.4+deb13-cloud-amd64']);
    for (const part of splitParts(image73)) expect(refs.find((r) => r.packageName === part)?.version).toBe(image73.version);
    expect(image73.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(kernelBuild(image73, refs)).toMatchObject({ complete: true });
    // 6.18's image names a linux-base-6.18.15 the archive does not publish; the image holds everything.
    const image618 = refs.find((r) => r.packageName === 'linux-image-6.18.15+deb13-cloud-amd64')!;
    expect(image618.depends).toContain('linux-base-6.18.15+deb13-cloud-amd64');
    expect(splitParts(image618)).toEqual([]);
    expect(kernelBuild(image618, refs)).toEqual({ complete: true, packages: [image618] });
  });

  it('a split build whose parts the index lacks (as 6.19-7.1 in trixie-backports) names the missing parts', () => {
    const image73 = refs.find((r) => r.packageName === 'linux-image-7.3.4+deb13-cloud-amd64')!;
    const withoutParts = refs.filter((r) => !/^linux-(modules|base)-7\.3\.4/.test(r.packageName));
    expect(kernelBuild(image73, withoutParts)).toEqual({ complete: false, missing: ['linux-modules-7.3.4+deb13-cloud-amd64', 'linux-base-7.3.4+deb13-cloud-amd64'] });
  });

  it('the series pattern skips -dbg and the metapackage; the metapackage names the newest kernel', () => {
    expect(findPackages(index, seriesPackageRe('7.3'), 'trixie-backports', 'trixie').map((r) => r.packageName)).toEqual(['linux-image-7.3.4+deb13-cloud-amd64']);
    const meta = refs.find((r) => r.packageName === 'linux-image-cloud-amd64')!;
    expect(meta.depends).toContain('linux-image-7.3.4+deb13-cloud-amd64');
  });
});
