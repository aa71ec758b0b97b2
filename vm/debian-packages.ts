// Kernel packages in Debian's Packages indexes: parsing stanzas (pure) and choosing among them.
import { compareDebianVersions } from './debian-version.ts';

export interface DebianPackageRef {
  packageName: string;
  version: string;
  suite: string;
  /** Codename of the release whose lists hold the suite (trixie for trixie-backports). */
  release: string;
  /** Package names this one depends on (alternatives and version constraints dropped). */
  depends: string[];
  /** SHA-256 of the .deb, as the index states it. */
  sha256?: string;
  size?: number;
}

/** The flavour a bare series or alias resolves to. */
export const DEFAULT_FLAVOUR = 'cloud-amd64';

/** Parses the stanzas of a Packages index whose name matches `nameRe`. Linear scan: indexes are large. */
export function findPackages(indexText: string, nameRe: RegExp, suite: string, release: string): DebianPackageRef[] {
  const out: DebianPackageRef[] = [];
  let at = 0;
  while ((at = indexText.indexOf('Package: ', at)) >= 0) {
    if (at > 0 && indexText[at - 1] !== '\n') {
      at += 9;
      continue;
    }
    const lineEnd = indexText.indexOf('\n', at);
    const name = indexText.slice(at + 9, lineEnd < 0 ? undefined : lineEnd).trim();
    const stanzaEnd = indexText.indexOf('\n\n', at);
    const stanza = indexText.slice(at, stanzaEnd < 0 ? undefined : stanzaEnd);
    at = stanzaEnd < 0 ? indexText.length : stanzaEnd;
    if (!nameRe.test(name)) continue;
    const field = (f: string): string | undefined => new RegExp(`^${f}: (.+)$`, 'm').exec(stanza)?.[1]?.trim();
    const version = field('Version');
    if (!version) continue;
    const depends = (field('Depends') ?? '')
      .split(',')
      .flatMap((alt) => alt.split('|').map((d) => d.trim().split(/[\s(]/)[0]!))
      .filter(Boolean);
    const size = Number(field('Size'));
    out.push({
      packageName: name,
      version,
      suite,
      release,
      depends,
      ...(field('SHA256') ? { sha256: field('SHA256')! } : {}),
      ...(Number.isFinite(size) && size > 0 ? { size } : {}),
    });
  }
  return out;
}

export function newest(refs: readonly DebianPackageRef[]): DebianPackageRef | undefined {
  return newestFirst(refs)[0];
}

export function newestFirst(refs: readonly DebianPackageRef[]): DebianPackageRef[] {
  return [...refs].sort((a, b) => compareDebianVersions(b.version, a.version));
}

const escape = (s: string): string => s.replace(/[.+]/g, '\\$&');

/** linux-image-<series>.<n>...-cloud-amd64 (not -dbg, not -unsigned). */
export function seriesPackageRe(series: string, flavour = DEFAULT_FLAVOUR): RegExp {
  return new RegExp(`^linux-image-${escape(series)}\\.[0-9][^ ]*-${escape(flavour)}$`);
}

/** Any versioned kernel image package of a flavour. */
export function anyKernelPackageRe(flavour = DEFAULT_FLAVOUR): RegExp {
  return new RegExp(`^linux-image-[0-9][^ ]*-${escape(flavour)}$`);
}

export function exactRe(name: string): RegExp {
  return new RegExp(`^${escape(name)}$`);
}

/** The upstream series of a kernel package: linux-image-6.18.15+deb13-cloud-amd64 -> 6.18. */
export function seriesOfPackage(packageName: string): string | undefined {
  return /^linux-(?:image|binary|modules|base)-(\d+\.\d+)/.exec(packageName)?.[1];
}

/**
 * From 6.19 on Debian splits a kernel: linux-image-<abi> is a 2 KB package depending on
 * linux-binary-<abi> (the image), linux-modules-<abi> and linux-base-<abi> (config, System.map, ...).
 * Returns those part names, or [] for a package that holds the kernel itself. (6.18's images name a
 * linux-base-<abi> too, which the archive does not have; they hold everything, so it is not a part.)
 */
export function splitParts(image: DebianPackageRef): string[] {
  const abi = image.packageName.replace(/^linux-image-/, '');
  if (!image.depends.includes(`linux-binary-${abi}`)) return [];
  return ['linux-binary-', 'linux-modules-', 'linux-base-'].map((p) => p + abi).filter((p) => image.depends.includes(p));
}

export type KernelBuild = { complete: true; packages: DebianPackageRef[] } | { complete: false; missing: string[] };

/** The packages a kernel image needs (itself, and its parts at the same version), or the parts the index lacks. */
export function kernelBuild(image: DebianPackageRef, refs: readonly DebianPackageRef[]): KernelBuild {
  const names = splitParts(image);
  const parts = names.map((name) => refs.find((r) => r.packageName === name && r.version === image.version && r.suite === image.suite) ?? refs.find((r) => r.packageName === name && r.version === image.version));
  const missing = names.filter((_, i) => !parts[i]);
  return missing.length > 0 ? { complete: false, missing } : { complete: true, packages: [image, ...(parts as DebianPackageRef[])] };
}

/** Series -> newest package of it, for `kernels --available`. */
export function newestPerSeries(refs: readonly DebianPackageRef[]): Map<string, DebianPackageRef> {
  const bySeries = new Map<string, DebianPackageRef[]>();
  for (const r of refs) {
    const s = seriesOfPackage(r.packageName);
    if (!s) continue;
    bySeries.set(s, [...(bySeries.get(s) ?? []), r]);
  }
  return new Map([...bySeries].map(([s, rs]) => [s, newest(rs)!]));
}
