import { describe, expect, it } from 'vitest';
import { parseKernelSpec, type KernelSpec } from '../../vm/kernel-spec.ts';
import { chooseSourceVersion, planSelftestSource, seriesOfRelease, sourcePackageVersions } from './selftest-source.ts';

const spec = (text: string): KernelSpec => {
  const r = parseKernelSpec(text);
  if (!r.ok) throw new Error(r.message);
  return r.spec;
};

describe('seriesOfRelease', () => {
  it('takes major.minor of Debian and upstream releases', () => {
    expect(seriesOfRelease('5.10.0-46-cloud-amd64')).toBe('5.10');
    expect(seriesOfRelease('6.1.0-56-cloud-amd64')).toBe('6.1');
    expect(seriesOfRelease('6.12.95+deb12-cloud-amd64')).toBe('6.12');
    expect(seriesOfRelease('6.13.0-rc1-00042-gdeadbeef')).toBe('6.13');
    expect(seriesOfRelease('custom')).toBeUndefined();
  });
});

describe('planSelftestSource', () => {
  it("a Debian kernel: linux-source of its series, preferring the kernel's own version", () => {
    expect(planSelftestSource({ spec: spec('debian:6.1'), release: '6.1.0-56-cloud-amd64', debianVersion: '6.1.192-2' })).toEqual({ kind: 'debian', packageName: 'linux-source-6.1', series: '6.1', preferVersion: '6.1.192-2' });
    expect(planSelftestSource({ spec: spec('debian:6.12'), release: '6.12.95+deb12-cloud-amd64', debianVersion: '6.12.95-1~bpo12+1' })).toMatchObject({ packageName: 'linux-source-6.12', preferVersion: '6.12.95-1~bpo12+1' });
    expect(planSelftestSource({ spec: spec('debian:linux-image-5.10.0-46-amd64'), release: '5.10.0-46-amd64' })).toEqual({ kind: 'debian', packageName: 'linux-source-5.10', series: '5.10' });
  });

  it('a path: kernel: the series of its release', () => {
    expect(planSelftestSource({ spec: spec('path:/tmp/bzImage'), release: '6.6.30' })).toEqual({ kind: 'debian', packageName: 'linux-source-6.6', series: '6.6' });
  });

  it("a build: tree: its own selftests first, Debian's as the fallback", () => {
    expect(planSelftestSource({ spec: spec('build:/src/linux'), release: '6.12.0-rc3+' })).toEqual({
      kind: 'tree', tree: '/src/linux', fallback: { kind: 'debian', packageName: 'linux-source-6.12', series: '6.12' },
    });
  });

  it('a release without major.minor has no source', () => {
    expect(planSelftestSource({ spec: spec('path:/tmp/bzImage'), release: 'weird' })).toMatchObject({ kind: 'none' });
  });
});

const STANZAS = `Package: linux-source-6.1
Source: linux
Version: 6.1.187-1
Architecture: all
Filename: pool/updates/main/l/linux/linux-source-6.1_6.1.187-1_all.deb
Size: 139246836

Package: linux-source-6.1
Source: linux
Version: 6.1.192-2
Architecture: all
Filename: pool/updates/main/l/linux/linux-source-6.1_6.1.192-2_all.deb

Package: linux-source-6.12
Source: linux-6.12
Version: 6.12.117-1~deb12u1
Architecture: all
`;

describe('sourcePackageVersions and chooseSourceVersion', () => {
  it('reads the versions of one package from Packages stanzas', () => {
    expect(sourcePackageVersions(STANZAS, 'linux-source-6.1', 'bookworm-security')).toEqual([
      { version: '6.1.187-1', suite: 'bookworm-security' },
      { version: '6.1.192-2', suite: 'bookworm-security' },
    ]);
    expect(sourcePackageVersions(STANZAS, 'linux-source-5.10', 'bookworm-security')).toEqual([]);
  });

  it("takes the kernel's own version when present, else the newest by dpkg's order", () => {
    const refs = [
      { version: '6.12.95-1~bpo12+1', suite: 'bookworm-backports' },
      { version: '6.12.117-1~deb12u1', suite: 'bookworm-security' },
      { version: '6.12.111-1~deb12u1', suite: 'bookworm-security' },
    ];
    expect(chooseSourceVersion(refs, '6.12.95-1~bpo12+1')).toEqual(refs[0]);
    expect(chooseSourceVersion(refs, '6.12.1-1')).toEqual(refs[1]);
    expect(chooseSourceVersion(refs)).toEqual(refs[1]);
    expect(chooseSourceVersion([])).toBeUndefined();
  });
});
