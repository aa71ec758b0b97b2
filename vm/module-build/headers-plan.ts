// Which Debian packages hold the build headers of a Debian kernel image, read from the Packages
// index of its release. Pure. linux-headers-<abi> at the image's exact version names the rest in its
// Depends: linux-headers-<...>-common, linux-kbuild-<series or version>, and the compiler
// (linux-compiler-gcc-12-x86 for bookworm's 6.1, gcc-12 for its 6.12 backports, gcc-14-for-host
// for trixie's). Names changed between releases, so nothing here guesses them: the index says.
import type { DebianPackageRef } from '../debian-packages.ts';

export interface HeadersPlan {
  /** linux-headers-<abi>, then the packages it needs (common headers, kbuild), all to unpack. */
  packages: DebianPackageRef[];
  /** The compiler package the headers name (gcc-12, linux-compiler-gcc-12-x86, gcc-14-for-host). */
  compilerPackage?: string;
  /** The gcc major version that package stands for. */
  gccMajor?: number;
}

export type HeadersPlanResult = { ok: true; plan: HeadersPlan } | { ok: false; missing: string[] };

/** Index prefixes to read for `planHeaderPackages`. */
export const HEADER_PACKAGE_PREFIXES = ['linux-headers-', 'linux-kbuild-'] as const;

/** linux-image-6.1.0-57-cloud-amd64 -> 6.1.0-57-cloud-amd64 (also linux-image-7.3.4+deb13-cloud-amd64). */
export function abiOfImagePackage(imagePackage: string): string | undefined {
  return /^linux-image-(\d.*)$/.exec(imagePackage)?.[1]?.replace(/-unsigned$/, '');
}

function pick(refs: readonly DebianPackageRef[], name: string, version: string, suite: string): DebianPackageRef | undefined {
  const named = refs.filter((r) => r.packageName === name);
  return named.find((r) => r.version === version && r.suite === suite) ?? named.find((r) => r.version === version);
}

export function planHeaderPackages(image: { name: string; version: string; suite: string }, refs: readonly DebianPackageRef[]): HeadersPlanResult {
  const abi = abiOfImagePackage(image.name);
  const headersName = `linux-headers-${abi ?? image.name}`;
  const headers = abi ? pick(refs, headersName, image.version, image.suite) : undefined;
  if (!headers) return { ok: false, missing: [`${headersName} ${image.version}`] };
  const needed = headers.depends.filter((d) => d.startsWith('linux-headers-') || d.startsWith('linux-kbuild-'));
  const parts = needed.map((name) => ({ name, ref: pick(refs, name, image.version, image.suite) }));
  const missing = parts.filter((p) => !p.ref).map((p) => `${p.name} ${image.version}`);
  if (missing.length > 0) return { ok: false, missing };
  const compilerPackage = headers.depends.find((d) => /^(linux-compiler-gcc-\d+|gcc-\d+)/.test(d));
  const gccMajor = compilerPackage ? Number(/gcc-(\d+)/.exec(compilerPackage)?.[1]) : undefined;
  return {
    ok: true,
    plan: {
      packages: [headers, ...parts.map((p) => p.ref!)],
      ...(compilerPackage ? { compilerPackage } : {}),
      ...(gccMajor ? { gccMajor } : {}),
    },
  };
}
