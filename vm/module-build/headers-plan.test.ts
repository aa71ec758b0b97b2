// Choosing the headers packages from real Packages stanzas of three Debian suites.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findPackages } from '../debian-packages.ts';
import { abiOfImagePackage, planHeaderPackages } from './headers-plan.ts';

const refs = (file: string, suite: string, release: string) =>
  findPackages(readFileSync(join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'module-build', file), 'utf8'), /^linux-(headers|kbuild)-/, suite, release);

describe('planHeaderPackages', () => {
  it("bookworm's 6.1: the abi headers, -common and linux-kbuild-6.1 at the image's version; compiler linux-compiler-gcc-12-x86", () => {
    const r = planHeaderPackages({ name: 'linux-image-6.1.0-57-cloud-amd64', version: '6.1.192-3', suite: 'bookworm-security' }, refs('packages-bookworm-security-headers.txt', 'bookworm-security', 'bookworm'));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.plan.packages.map((p) => `${p.packageName}=${p.version}`)).toEqual([
      'linux-headers-6.1.0-57-cloud-amd64=6.1.192-3', 'linux-headers-6.1.0-57-common=6.1.192-3', 'linux-kbuild-6.1=6.1.192-3',
    ]);
    expect(r.plan.compilerPackage).toBe('linux-compiler-gcc-12-x86');
    expect(r.plan.gccMajor).toBe(12);
  });

  it('bookworm-backports 6.12: kbuild named by version, compiler gcc-12', () => {
    const r = planHeaderPackages({ name: 'linux-image-6.12.95+deb12-cloud-amd64', version: '6.12.95-1~bpo12+1', suite: 'bookworm-backports' }, refs('packages-bookworm-backports-headers.txt', 'bookworm-backports', 'bookworm'));
    expect(r.ok && r.plan.packages.map((p) => p.packageName)).toEqual(['linux-headers-6.12.95+deb12-cloud-amd64', 'linux-headers-6.12.95+deb12-common', 'linux-kbuild-6.12.95+deb12']);
    expect(r.ok && r.plan.gccMajor).toBe(12);
  });

  it('a split 7.3 kernel: linux-base-<abi> is the image\'s, not a headers part; compiler gcc-14-for-host', () => {
    const r = planHeaderPackages({ name: 'linux-image-7.3.4+deb13-cloud-amd64', version: '7.3.4-1~bpo13+1', suite: 'trixie-backports' }, refs('packages-trixie-backports-headers.txt', 'trixie-backports', 'trixie'));
    expect(r.ok && r.plan.packages.map((p) => p.packageName)).toEqual(['linux-headers-7.3.4+deb13-cloud-amd64', 'linux-headers-7.3.4+deb13-common', 'linux-kbuild-7.3.4+deb13']);
    expect(r.ok && r.plan.compilerPackage).toBe('gcc-14-for-host');
    expect(r.ok && r.plan.gccMajor).toBe(14);
  });

  it('headers of another version, or a missing part, are named', () => {
    const all = refs('packages-bookworm-security-headers.txt', 'bookworm-security', 'bookworm');
    expect(planHeaderPackages({ name: 'linux-image-6.1.0-57-cloud-amd64', version: '6.1.190-1', suite: 'bookworm-security' }, all)).toEqual({ ok: false, missing: ['linux-headers-6.1.0-57-cloud-amd64 6.1.190-1'] });
    const noKbuild = all.filter((r) => !r.packageName.startsWith('linux-kbuild-'));
    expect(planHeaderPackages({ name: 'linux-image-6.1.0-57-cloud-amd64', version: '6.1.192-3', suite: 'bookworm-security' }, noKbuild)).toEqual({ ok: false, missing: ['linux-kbuild-6.1 6.1.192-3'] });
  });

  it('abiOfImagePackage', () => {
    expect(abiOfImagePackage('linux-image-6.1.0-57-cloud-amd64')).toBe('6.1.0-57-cloud-amd64');
    expect(abiOfImagePackage('linux-image-7.3.4+deb13-cloud-amd64-unsigned')).toBe('7.3.4+deb13-cloud-amd64');
    expect(abiOfImagePackage('linux-image-cloud-amd64')).toBeUndefined();
  });
});
