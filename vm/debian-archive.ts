// Debian's archive as the harness sees it: the releases that serve kernels, their suites, their
// aliases (stable, oldstable, ...), and which releases can hold a given kernel series or package.
// Pure data and planning; the apt side is apt-config.ts, the lookups debian-lookup.ts.

export type ArchiveSection = 'main' | 'security';

export interface DebianRelease {
  /** Codename, also the folder of its private apt lists: bullseye, bookworm, trixie, forky, sid. */
  codename: string;
  /** The archive's own alias for it today (read back from InRelease's Suite field when the lists are fetched). */
  alias: 'oldoldstable' | 'oldstable' | 'stable' | 'testing' | 'unstable';
  /** Suites of the release, the default-kernel suites first; backports last. */
  suites: { section: ArchiveSection; suite: string }[];
  /** Kernel series this release can serve (its own and its backports'): [lowest, highest], inclusive; undefined = no bound. */
  series: [string | undefined, string | undefined];
  /** The Debian revision tag in kernel package names built for this release (+deb13), if any. */
  debTag?: string;
}

const release = (codename: string, alias: DebianRelease['alias'], suites: string[], series: DebianRelease['series'], debTag?: string): DebianRelease => ({
  codename,
  alias,
  suites: suites.map((s) => ({ section: s.endsWith('-security') ? 'security' : 'main', suite: s })),
  series,
  ...(debTag ? { debTag } : {}),
});

/** Every release the harness knows, oldest first. Each has its own private apt lists, fetched only when a spec needs it. */
export const DEBIAN_RELEASES: readonly DebianRelease[] = [
  release('bullseye', 'oldoldstable', ['bullseye', 'bullseye-security', 'bullseye-updates'], [undefined, '5.10'], 'deb11'),
  release('bookworm', 'oldstable', ['bookworm', 'bookworm-security', 'bookworm-updates', 'bookworm-backports'], ['6.1', '6.12'], 'deb12'),
  release('trixie', 'stable', ['trixie', 'trixie-security', 'trixie-updates', 'trixie-backports'], ['6.12', undefined], 'deb13'),
  release('forky', 'testing', ['forky'], ['6.12', undefined], 'deb14'),
  release('sid', 'unstable', ['sid'], ['6.12', undefined], 'deb14'),
];

export const RELEASE_ALIASES = ['oldoldstable', 'oldstable', 'stable', 'testing', 'unstable'] as const;
export type ReleaseAlias = (typeof RELEASE_ALIASES)[number];

export function releaseByCodename(codename: string): DebianRelease | undefined {
  return DEBIAN_RELEASES.find((r) => r.codename === codename);
}

export function releaseByAlias(alias: ReleaseAlias): DebianRelease {
  return DEBIAN_RELEASES.find((r) => r.alias === alias)!;
}

/** The release whose suite this is (trixie-backports -> trixie). */
export function releaseOfSuite(suite: string): DebianRelease | undefined {
  return DEBIAN_RELEASES.find((r) => r.suites.some((s) => s.suite === suite));
}

/** "6.12" -> [6, 12]; compares kernel series numerically. */
export function compareSeries(a: string, b: string): number {
  const [a1 = 0, a2 = 0] = a.split('.').map(Number);
  const [b1 = 0, b2 = 0] = b.split('.').map(Number);
  return a1 - b1 || a2 - b2;
}

function holdsSeries(r: DebianRelease, series: string): boolean {
  const [lo, hi] = r.series;
  return (lo === undefined || compareSeries(series, lo) >= 0) && (hi === undefined || compareSeries(series, hi) <= 0);
}

/** Releases to search for a series, the likely ones first; the rest follow so nothing Debian serves is missed. */
export function releasesForSeries(series: string): { likely: DebianRelease[]; rest: DebianRelease[] } {
  const likely = DEBIAN_RELEASES.filter((r) => holdsSeries(r, series));
  return { likely, rest: DEBIAN_RELEASES.filter((r) => !likely.includes(r)) };
}

/**
 * Releases to search for an exact package name. The name tells: `+deb13` was built for trixie (or its
 * backports), `6.1.0-56` is bookworm's old scheme, `5.10.0-46` bullseye's; otherwise by series.
 */
export function releasesForPackage(packageName: string): { likely: DebianRelease[]; rest: DebianRelease[] } {
  const tag = /\+(deb\d+)/.exec(packageName)?.[1];
  const series = /^linux-image-(\d+\.\d+)/.exec(packageName)?.[1];
  let likely: DebianRelease[];
  if (tag) likely = DEBIAN_RELEASES.filter((r) => r.debTag === tag);
  else if (series) likely = releasesForSeries(series).likely;
  else likely = [];
  if (/bpo/.test(packageName) && series) likely = [...new Set([...likely, ...releasesForSeries(series).likely])];
  return { likely, rest: DEBIAN_RELEASES.filter((r) => !likely.includes(r)) };
}
