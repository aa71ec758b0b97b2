// The Debian packages the harness needs on the host, and which of them are missing.
// (execa is imported when needed: the CLI shows these lists in `setup --help`, which must start fast.)

export const REQUIRED_PACKAGES = [
  'qemu-system-x86', 'busybox-static', 'dropbear-bin', 'ipvsadm', 'socat', 'iproute2', 'kmod', 'xz-utils', 'zstd',
  'dash', 'bash', 'coreutils', 'libc-bin', 'apt', 'dpkg', 'debian-archive-keyring',
] as const;

/** Only for `bootGuest({ withBpftrace: true })`. */
export const BPFTRACE_PACKAGES = ['patchelf'] as const;

/** Needed only by the test suite (report rendering tests use a headless browser). */
export const TEST_PACKAGES = ['chromium'] as const;

/** Packages from `wanted` that dpkg does not report as installed. */
export async function missingPackages(wanted: readonly string[]): Promise<string[]> {
  const { execa } = await import('execa');
  const r = await execa('dpkg-query', ['-W', '-f', '${Package} ${db:Status-Abbrev}\\n', ...wanted], { reject: false });
  const installed = new Set(
    r.stdout.split('\n').map((l) => l.trim().split(/\s+/)).filter((p) => p[1]?.startsWith('ii')).map((p) => p[0]!.split(':')[0]!),
  );
  return wanted.filter((p) => !installed.has(p));
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}
