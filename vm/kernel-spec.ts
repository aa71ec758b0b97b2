// Kernel specs name the kernel a guest boots. Pure parsing; resolving (downloads, files) is elsewhere.

import { RELEASE_ALIASES, type ReleaseAlias } from './debian-archive.ts';

/**
 * The kernels a bare `run` (and `setup`) uses, chosen to follow Debian as it moves:
 * - debian:5.10      the seed's own generation, the only one with ip_vs_local_request4 & co. (bullseye);
 * - debian:oldstable the previous stable release's kernel (6.1 in bookworm today);
 * - debian:stable    the stable release's kernel (6.12 in trixie today);
 * - debian:latest    the newest kernel Debian serves anywhere (7.3 from trixie-backports today).
 */
export const DEFAULT_KERNEL_SPECS = ['debian:5.10', 'debian:oldstable', 'debian:stable', 'debian:latest'];

/** For `list` and help texts: which kernels a bare `run` uses, and why. */
export const DEFAULT_MATRIX_NOTE = [
  `a bare \`run\` uses ${DEFAULT_KERNEL_SPECS.join(', ')}:`,
  '  debian:5.10       the seed\'s own generation (ip_vs_local_request4 & co., gone since 5.16)',
  '  debian:oldstable  the previous Debian release\'s kernel (bookworm: 6.1)',
  '  debian:stable     Debian stable\'s kernel (trixie: 6.12)',
  '  debian:latest     the newest kernel Debian serves (trixie-backports: 7.3 in 2026-12)',
  '  (`ipvs-harness kernels --available` for all; -k <spec> to choose)',
].join('\n');

/** `debian:<series>`: a kernel series as Debian names it (5.10, 6.1, 6.12, 7.3, ...). */
export type DebianSeries = string;
export type DebianAlias = ReleaseAlias | 'latest';
export const DEBIAN_ALIASES: readonly DebianAlias[] = [...RELEASE_ALIASES, 'latest'];

export type KernelSpec =
  | { kind: 'debian-series'; series: DebianSeries; text: string }
  | { kind: 'debian-alias'; alias: DebianAlias; text: string }
  | { kind: 'debian-package'; packageName: string; text: string }
  | { kind: 'path'; image: string; modulesDir?: string; configPath?: string; text: string }
  | { kind: 'build'; tree: string; text: string };

export type DebianKernelSpec = Extract<KernelSpec, { kind: 'debian-series' | 'debian-alias' | 'debian-package' }>;

export type ParseKernelSpecResult = { ok: true; spec: KernelSpec } | { ok: false; message: string };

export const KERNEL_SPEC_HELP = [
  'debian:<series>                          newest Debian cloud-amd64 build of a series in any suite: debian:5.10, debian:6.1, debian:6.12, debian:6.18, debian:7.3, ...',
  'debian:stable | oldstable | oldoldstable | testing | unstable   the default kernel of that Debian release',
  'debian:latest                            the newest kernel Debian serves anywhere (backports and sid included)',
  'debian:<package>                         an exact package, e.g. debian:linux-image-6.18.15+deb13-cloud-amd64, debian:6.1.0-57-amd64',
  '                                         (see `ipvs-harness kernels --available`)',
  'path:<bzImage>                           your own kernel image (with --modules <dir> and --config <file>)',
  'build:<linux tree>                       a built tree: arch/x86/boot/bzImage, .config and its *.ko',
].join('\n');

const PACKAGE_RE = /^linux-image-[0-9][A-Za-z0-9.+~-]*$/;
const SERIES_RE = /^[0-9]+\.[0-9]+$/;
/** A package name without its linux-image- prefix, as `uname -r` prints it: 6.1.0-57-cloud-amd64, 7.3.4+deb13-amd64. */
const RELEASE_RE = /^[0-9]+\.[0-9]+[.0-9]*(-[0-9]+)?(\+[a-z0-9.]+)?-[a-z0-9-]*amd64$/;

export function parseKernelSpec(text: string, extra: { modulesDir?: string; configPath?: string } = {}): ParseKernelSpecResult {
  const trimmed = text.trim();
  const colon = trimmed.indexOf(':');
  const scheme = colon < 0 ? '' : trimmed.slice(0, colon);
  const value = colon < 0 ? trimmed : trimmed.slice(colon + 1);
  const unknown = (why: string): ParseKernelSpecResult => ({
    ok: false,
    message: `unknown kernel spec "${text}": ${why}; known forms:\n${KERNEL_SPEC_HELP}`,
  });
  switch (scheme) {
    case 'debian':
      if (SERIES_RE.test(value)) return { ok: true, spec: { kind: 'debian-series', series: value, text: trimmed } };
      if ((DEBIAN_ALIASES as readonly string[]).includes(value)) return { ok: true, spec: { kind: 'debian-alias', alias: value as DebianAlias, text: trimmed } };
      if (PACKAGE_RE.test(value)) return { ok: true, spec: { kind: 'debian-package', packageName: value, text: trimmed } };
      if (RELEASE_RE.test(value)) return { ok: true, spec: { kind: 'debian-package', packageName: `linux-image-${value}`, text: trimmed } };
      return unknown(`"${value}" is neither a series (like 6.12 or 7.3), a release alias (${DEBIAN_ALIASES.join(', ')}), nor a kernel package name (linux-image-<release> or <release>)`);
    case 'path': {
      if (!value) return unknown('path: needs a file, e.g. path:/boot/vmlinuz-6.1.0-13-amd64');
      const spec: KernelSpec = { kind: 'path', image: value, text: trimmed };
      if (extra.modulesDir) spec.modulesDir = extra.modulesDir;
      if (extra.configPath) spec.configPath = extra.configPath;
      return { ok: true, spec };
    }
    case 'build':
      if (!value) return unknown('build: needs a Linux source tree, e.g. build:~/src/linux');
      return { ok: true, spec: { kind: 'build', tree: value, text: trimmed } };
    default:
      return unknown(scheme ? `"${scheme}:" is not a known scheme` : 'a spec starts with debian:, path: or build:');
  }
}
