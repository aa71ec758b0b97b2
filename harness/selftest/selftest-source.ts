// Which tree a kernel's selftest comes from: the kernel's own build tree (build:), else Debian's
// linux-source-<major.minor> package, the version that built the kernel when there is one (a Debian
// kernel), else the newest. Pure: the I/O is in fetch-selftest.ts.
import { compareDebianVersions } from '../../vm/debian-version.ts';
import type { KernelSpec } from '../../vm/kernel-spec.ts';

export interface DebianSourcePlan {
  kind: 'debian';
  /** linux-source-6.1 */
  packageName: string;
  series: string;
  /** The Debian kernel's own package version: its source has exactly the kernel's selftests. */
  preferVersion?: string;
}

export type SelftestSourcePlan =
  | DebianSourcePlan
  /** A build tree's own tools/testing/selftests; Debian's source of the same series if it has none. */
  | { kind: 'tree'; tree: string; fallback?: DebianSourcePlan }
  | { kind: 'none'; reason: string };

/** `6.1.0-56-cloud-amd64` → `6.1`, `6.12.95+deb12-cloud-amd64` → `6.12`, `6.13.0-rc1` → `6.13`. */
export function seriesOfRelease(release: string): string | undefined {
  const m = /^(\d+)\.(\d+)/.exec(release);
  return m ? `${Number(m[1])}.${Number(m[2])}` : undefined;
}

export function planSelftestSource(k: { spec: KernelSpec; release: string; debianVersion?: string }): SelftestSourcePlan {
  const series = seriesOfRelease(k.release);
  const debian: DebianSourcePlan | undefined = series
    ? { kind: 'debian', packageName: `linux-source-${series}`, series, ...(k.debianVersion ? { preferVersion: k.debianVersion } : {}) }
    : undefined;
  if (k.spec.kind === 'build') return { kind: 'tree', tree: k.spec.tree, ...(debian ? { fallback: debian } : {}) };
  return debian ?? { kind: 'none', reason: `kernel release "${k.release}" does not start with major.minor, so no linux-source-<series> package can be chosen` };
}

export interface SourcePackageRef {
  version: string;
  suite: string;
}

/** Versions of one package in Packages stanzas (what readPackagesIndex returns for the linux-source- prefix). */
export function sourcePackageVersions(indexText: string, packageName: string, suite: string): SourcePackageRef[] {
  const out: SourcePackageRef[] = [];
  for (const stanza of indexText.split(/\n\s*\n/)) {
    const name = /^Package: (\S+)\s*$/m.exec(stanza)?.[1];
    const version = /^Version: (\S+)\s*$/m.exec(stanza)?.[1];
    if (name === packageName && version) out.push({ version, suite });
  }
  return out;
}

/** The kernel's own version when the archive has it, else the newest. */
export function chooseSourceVersion(refs: readonly SourcePackageRef[], preferVersion?: string): SourcePackageRef | undefined {
  const exact = preferVersion ? refs.find((r) => r.version === preferVersion) : undefined;
  return exact ?? [...refs].sort((a, b) => compareDebianVersions(a.version, b.version)).at(-1);
}
