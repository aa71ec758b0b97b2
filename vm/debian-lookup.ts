// Which Debian package a debian: spec names: reads the private apt lists of only the releases the
// spec needs (refreshing them when stale), and for split kernels (6.19+) the parts to fetch.
import { aptContext, listsUpdatedAt, readPackagesIndex, suiteAliasFromLists, updateAptListsIfStale, type AptContext } from './apt-config.ts';
import { compareSeries, DEBIAN_RELEASES, releaseByAlias, releaseByCodename, releasesForPackage, releasesForSeries, type DebianRelease, type ReleaseAlias } from './debian-archive.ts';
import { anyKernelPackageRe, DEFAULT_FLAVOUR, exactRe, findPackages, kernelBuild, newest, newestFirst, seriesOfPackage, seriesPackageRe, type DebianPackageRef } from './debian-packages.ts';
import { VmError } from './errors.ts';
import type { OnVmEvent } from './events.ts';
import type { DebianKernelSpec } from './kernel-spec.ts';

export interface LookupOptions {
  cacheDir: string;
  signal?: AbortSignal;
  onEvent?: OnVmEvent;
  /** Refresh the lists even when they are less than a day old. */
  force?: boolean;
}

export interface DebianLookup {
  /** The linux-image package the spec names. */
  image: DebianPackageRef;
  /** Packages to download and unpack: the image itself, or for a split kernel the image and its parts. */
  packages: DebianPackageRef[];
  /** Releases whose lists were read, for the memo. */
  consulted: string[];
}

// Reading an index costs ~1 s; keep what was read per release and lists stamp for this process.
const refsMemo = new Map<string, DebianPackageRef[]>();

async function freshContext(release: DebianRelease, opts: LookupOptions): Promise<AptContext> {
  const ctx = aptContext(opts.cacheDir, release);
  await updateAptListsIfStale(ctx, { ...(opts.force ? { force: true } : {}), ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.onEvent ? { onEvent: opts.onEvent } : {}) });
  return ctx;
}

/** Every kernel package stanza (image, binary, modules, base) of a release's suites. */
export async function releaseKernelRefs(release: DebianRelease, opts: LookupOptions): Promise<DebianPackageRef[]> {
  const ctx = await freshContext(release, opts);
  const key = `${opts.cacheDir}|${release.codename}|${listsUpdatedAt(ctx) ?? 0}`;
  const hit = refsMemo.get(key);
  if (hit) return hit;
  const refs: DebianPackageRef[] = [];
  for (const { suite } of release.suites) {
    refs.push(...findPackages(await readPackagesIndex(ctx, suite, opts.signal), /^linux-(image|binary|modules|base)-/, suite, release.codename));
  }
  refsMemo.set(key, refs);
  return refs;
}

async function search(releases: readonly DebianRelease[], nameRe: RegExp, opts: LookupOptions, consulted: string[]): Promise<DebianPackageRef[]> {
  const found: DebianPackageRef[] = [];
  for (const r of releases) {
    consulted.push(r.codename);
    found.push(...(await releaseKernelRefs(r, opts)).filter((ref) => nameRe.test(ref.packageName)));
  }
  return found;
}

/** Likely releases first; the others only when those have nothing. */
async function searchLikelyFirst(plan: { likely: DebianRelease[]; rest: DebianRelease[] }, nameRe: RegExp, opts: LookupOptions, consulted: string[]): Promise<DebianPackageRef[]> {
  const found = await search(plan.likely, nameRe, opts, consulted);
  return found.length > 0 ? found : search(plan.rest, nameRe, opts, consulted);
}

/** Every kernel image of the default flavour in every release, with the release's refs to check its parts. */
async function allImages(opts: LookupOptions): Promise<{ image: DebianPackageRef; refs: DebianPackageRef[] }[]> {
  const out: { image: DebianPackageRef; refs: DebianPackageRef[] }[] = [];
  for (const r of DEBIAN_RELEASES) {
    const refs = await releaseKernelRefs(r, opts);
    for (const image of refs.filter((ref) => anyKernelPackageRe().test(ref.packageName))) out.push({ image, refs });
  }
  return out;
}

export interface AvailableSeries {
  series: string;
  /** The newest build whose parts can all be fetched, else the newest build. */
  image: DebianPackageRef;
  split: boolean;
  /** Parts the archive lacks, when no build of the series is complete. */
  missing?: string[];
}

/** Series Debian serves now (cloud-amd64), oldest first, with the newest complete build of each. */
export async function availableSeries(opts: LookupOptions): Promise<AvailableSeries[]> {
  const bySeries = new Map<string, { image: DebianPackageRef; refs: DebianPackageRef[] }[]>();
  for (const e of await allImages(opts)) {
    const s = seriesOfPackage(e.image.packageName)!;
    bySeries.set(s, [...(bySeries.get(s) ?? []), e]);
  }
  const out: AvailableSeries[] = [];
  for (const [series, entries] of bySeries) {
    const ordered = newestFirst(entries.map((e) => e.image)).map((image) => entries.find((e) => e.image === image)!);
    const complete = ordered.find((e) => kernelBuild(e.image, e.refs).complete);
    const pick = complete ?? ordered[0]!;
    const build = kernelBuild(pick.image, pick.refs);
    out.push({ series, image: pick.image, split: pick.image.depends.some((d) => d.startsWith('linux-binary-')), ...(build.complete ? {} : { missing: build.missing }) });
  }
  return out.sort((a, b) => compareSeries(a.series, b.series));
}

async function notFound(spec: DebianKernelSpec, opts: LookupOptions, what: string): Promise<never> {
  const served = (await availableSeries(opts).catch(() => [])).filter((a) => !a.missing);
  const list = served.map((a) => a.series).join(', ');
  throw new VmError('KERNEL_NOT_FOUND', `${what}; Debian serves these series (cloud-amd64): ${list || '(lists unavailable)'}; see \`ipvs-harness kernels --available\``, {
    phase: 'spec',
    data: { spec: spec.text, served: served.map((a) => a.image.packageName) },
  });
}

/** The release that the archive calls `alias` today: the table's guess, checked against InRelease's Suite field. */
async function releaseNamed(alias: ReleaseAlias, opts: LookupOptions, consulted: string[]): Promise<DebianRelease> {
  const guess = releaseByAlias(alias);
  const says = (r: DebianRelease, ctx: AptContext): boolean => suiteAliasFromLists(ctx, r.suites[0]!.suite) === alias;
  consulted.push(guess.codename);
  if (says(guess, await freshContext(guess, opts))) return guess;
  for (const r of DEBIAN_RELEASES.filter((x) => x !== guess)) {
    consulted.push(r.codename);
    if (says(r, await freshContext(r, opts))) return r;
  }
  return guess;
}

/**
 * The images a spec can mean, best first: for a series or `latest` every build newest first (an
 * incomplete split build is passed over for an older complete one); for a package or a release's
 * default kernel exactly one.
 */
async function candidates(spec: DebianKernelSpec, opts: LookupOptions, consulted: string[]): Promise<DebianPackageRef[]> {
  switch (spec.kind) {
    case 'debian-series': {
      const found = newestFirst(await searchLikelyFirst(releasesForSeries(spec.series), seriesPackageRe(spec.series), opts, consulted));
      return found.length > 0 ? found : notFound(spec, opts, `Debian serves no kernel series ${spec.series}`);
    }
    case 'debian-package': {
      const found = newest(await searchLikelyFirst(releasesForPackage(spec.packageName), exactRe(spec.packageName), opts, consulted));
      return found ? [found] : notFound(spec, opts, `no Debian suite has the package ${spec.packageName}`);
    }
    case 'debian-alias': {
      if (spec.alias === 'latest') {
        const found = newestFirst(await search(DEBIAN_RELEASES, anyKernelPackageRe(), opts, consulted));
        return found.length > 0 ? found : notFound(spec, opts, 'no kernel package found in any Debian suite');
      }
      // The release's default kernel: what its linux-image-cloud-amd64 metapackage depends on (backports excluded).
      const release = await releaseNamed(spec.alias, opts, consulted);
      const refs = await releaseKernelRefs(release, opts);
      const meta = newest(refs.filter((r) => r.packageName === `linux-image-${DEFAULT_FLAVOUR}` && !r.suite.endsWith('-backports')));
      const target = meta?.depends.find((d) => anyKernelPackageRe().test(d));
      const found = target ? newest(refs.filter((r) => r.packageName === target && !r.suite.endsWith('-backports'))) : undefined;
      return found ? [found] : notFound(spec, opts, `Debian ${release.codename} (${spec.alias}) has no linux-image-${DEFAULT_FLAVOUR} metapackage naming its kernel`);
    }
  }
}

export async function lookupDebianKernel(spec: DebianKernelSpec, opts: LookupOptions): Promise<DebianLookup> {
  const consulted: string[] = [];
  const images = await candidates(spec, opts, consulted);
  let firstMissing: { image: DebianPackageRef; missing: string[] } | undefined;
  for (const image of images) {
    const build = kernelBuild(image, await releaseKernelRefs(releaseByCodename(image.release)!, opts));
    if (build.complete) return { image, packages: build.packages, consulted: [...new Set(consulted)] };
    firstMissing ??= { image, missing: build.missing };
  }
  const { image, missing } = firstMissing!;
  const others = images.length > 1 ? ` (nor are those of the ${images.length - 1} older build(s) of it)` : '';
  throw new VmError('KERNEL_PART_MISSING', `${image.packageName} ${image.version} (${image.suite}) is a split kernel, but its part${missing.length > 1 ? 's' : ''} ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not in the archive at version ${image.version}${others}; choose a build whose parts are all published (ipvs-harness kernels --available) or refresh the lists (ipvs-harness kernels --update)`, {
    phase: 'spec',
    data: { missing, packageName: image.packageName },
  });
}
