import { describe, expect, it } from 'vitest';
import { compareDebianVersions } from './debian-version.ts';
import { findPackages, newest, seriesPackageRe } from './debian-kernels.ts';
import { parseKernelSpec } from './kernel-spec.ts';
import { execFileSync } from 'node:child_process';

describe('parseKernelSpec', () => {
  it('knows the default series, exact packages, path: and build:', () => {
    expect(parseKernelSpec('debian:6.1')).toEqual({ ok: true, spec: { kind: 'debian-series', series: '6.1', text: 'debian:6.1' } });
    expect(parseKernelSpec('debian:linux-image-6.1.0-13-amd64')).toMatchObject({ ok: true, spec: { kind: 'debian-package', packageName: 'linux-image-6.1.0-13-amd64' } });
    expect(parseKernelSpec('path:/tmp/bzImage', { modulesDir: '/m', configPath: '/c' })).toMatchObject({ ok: true, spec: { kind: 'path', image: '/tmp/bzImage', modulesDir: '/m', configPath: '/c' } });
    expect(parseKernelSpec('build:~/src/linux')).toMatchObject({ ok: true, spec: { kind: 'build', tree: '~/src/linux' } });
  });

  it('refuses unknown specs with the list of known forms', () => {
    for (const bad of ['debian:4.19', 'debian:', 'linux-6.1', 'http://x', 'path:', 'build:', '']) {
      const r = parseKernelSpec(bad);
      expect(r.ok, bad).toBe(false);
      if (!r.ok) expect(r.message).toContain('debian:5.10 | debian:6.1 | debian:6.12');
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
    const refs = findPackages(index, seriesPackageRe('6.1'), 'bookworm');
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
