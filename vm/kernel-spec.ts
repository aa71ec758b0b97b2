// Kernel specs name the kernel a guest boots. Pure parsing; resolving (downloads, files) is elsewhere.

/** The default kernels: series → Debian suites searched for the newest cloud-amd64 build of it. */
export const DEBIAN_SERIES = {
  '5.10': { suites: ['bullseye', 'bullseye-security', 'bullseye-updates'], release: 'bullseye' },
  '6.1': { suites: ['bookworm', 'bookworm-security', 'bookworm-updates'], release: 'bookworm' },
  '6.12': { suites: ['bookworm-backports'], release: 'bookworm-backports' },
} as const;

export type DebianSeries = keyof typeof DEBIAN_SERIES;
export const DEFAULT_KERNEL_SPECS = Object.keys(DEBIAN_SERIES).map((s) => `debian:${s}`);

export type KernelSpec =
  | { kind: 'debian-series'; series: DebianSeries; text: string }
  | { kind: 'debian-package'; packageName: string; text: string }
  | { kind: 'path'; image: string; modulesDir?: string; configPath?: string; text: string }
  | { kind: 'build'; tree: string; text: string };

export type ParseKernelSpecResult = { ok: true; spec: KernelSpec } | { ok: false; message: string };

export const KERNEL_SPEC_HELP = [
  'debian:5.10 | debian:6.1 | debian:6.12   newest Debian cloud-amd64 kernel of that series',
  'debian:<package>                         an exact Debian package, e.g. debian:linux-image-6.1.0-56-cloud-amd64',
  'path:<bzImage>                           your own kernel image (with --modules <dir> and --config <file>)',
  'build:<linux tree>                       a built tree: arch/x86/boot/bzImage, .config and its *.ko',
].join('\n');

const PACKAGE_RE = /^linux-image-[0-9][A-Za-z0-9.+~-]*$/;

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
      if (value in DEBIAN_SERIES) return { ok: true, spec: { kind: 'debian-series', series: value as DebianSeries, text: trimmed } };
      if (PACKAGE_RE.test(value)) return { ok: true, spec: { kind: 'debian-package', packageName: value, text: trimmed } };
      return unknown(`"${value}" is neither a known series (${Object.keys(DEBIAN_SERIES).join(', ')}) nor a linux-image-* package name`);
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
