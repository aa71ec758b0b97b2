// An IPVS source tree as the module build sees it: the folder holding net/netfilter/ipvs/ (a kernel
// checkout, Debian's linux-source unpacked, or the few files `module source` writes), the files that
// go into the build, a hash of their contents (the cache key), and `git describe` when it is a checkout.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { execa } from 'execa';
import { ModuleBuildError } from './errors.ts';

export const IPVS_DIR = 'net/netfilter/ipvs';
/** Headers IPVS owns, overlaid on the kernel's when the tree has them (the rest come from the kernel's headers). */
export const IPVS_HEADERS = ['include/net/ip_vs.h', 'include/uapi/linux/ip_vs.h', 'include/linux/ip_vs.h'] as const;

export interface IpvsSource {
  /** The tree's root (it holds net/netfilter/ipvs/). */
  root: string;
  /** Files that go into the build, relative to root, sorted. */
  files: string[];
  /** SHA-256 over the files' paths and contents, 16 hex digits. */
  hash: string;
  /** `git describe --always --dirty` when the tree is a git checkout. */
  describe?: string;
  /** For humans and results: a path, or `linux-source-6.1 6.1.192-3 (bookworm-security)`. */
  description: string;
}

function filesUnder(root: string, rel: string, out: string[]): void {
  for (const entry of readdirSync(join(root, rel), { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue; // build leftovers (.o.cmd), editor files
    const p = `${rel}/${entry.name}`;
    if (entry.isDirectory()) filesUnder(root, p, out);
    else if (/\.(c|h)$|^(Makefile|Kbuild|Kconfig)$/.test(entry.name)) out.push(p);
  }
}

/** Accepts the tree's root or its net/netfilter/ipvs folder itself. */
function findRoot(dir: string): string | undefined {
  const abs = resolve(dir);
  if (existsSync(join(abs, IPVS_DIR, 'Makefile'))) return abs;
  if (abs.endsWith(IPVS_DIR) && existsSync(join(abs, 'Makefile'))) return dirname(dirname(dirname(abs)));
  return undefined;
}

export async function loadIpvsSource(dir: string, opts: { description?: string; signal?: AbortSignal } = {}): Promise<IpvsSource> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new ModuleBuildError('IPVS_SOURCE_MISSING', `--ipvs-source ${dir}: no such folder; pass a kernel tree (it holds ${IPVS_DIR}/), or \`debian\` for the kernel's own sources`);
  }
  const root = findRoot(dir);
  if (!root) {
    throw new ModuleBuildError('IPVS_SOURCE_INVALID', `--ipvs-source ${dir}: no ${IPVS_DIR}/Makefile there; pass a kernel tree (a git checkout or Debian's linux-source unpacked), a folder written by \`ipvs-harness module source\`, or \`debian\` for the kernel's own sources`);
  }
  const files: string[] = [];
  filesUnder(root, IPVS_DIR, files);
  for (const h of IPVS_HEADERS) if (existsSync(join(root, h))) files.push(h);
  files.sort();
  const hash = createHash('sha256');
  for (const f of files) hash.update(`${f}\0`).update(readFileSync(join(root, f))).update('\0');
  const describe = await gitDescribe(root, opts.signal);
  return {
    root,
    files,
    hash: hash.digest('hex').slice(0, 16),
    ...(describe ? { describe } : {}),
    description: opts.description ?? (describe ? `${root} (git ${describe})` : root),
  };
}

async function gitDescribe(root: string, signal?: AbortSignal): Promise<string | undefined> {
  const r = await execa('git', ['-C', root, 'describe', '--always', '--dirty', '--tags'], { reject: false, timeout: 20_000, ...(signal ? { cancelSignal: signal } : {}) });
  return r.exitCode === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
}

/** Paths in compiler output that point into the build folder, pointed back at the source tree. */
export function sourcePathsIn(text: string, workDir: string, source: IpvsSource): string {
  return text
    .replaceAll(`${workDir}/include/`, `${join(source.root, 'include')}/`)
    .replaceAll(`${workDir}/`, `${join(source.root, IPVS_DIR)}/`);
}
