// A folder of kernel modules made usable for the guest without writing into it: its *.ko (plain or
// compressed with xz, zstd or gzip, as Debian, Fedora and Arch ship them) are linked into
// <cache>/modules/<hash>/lib/modules/<release>/kernel and indexed there with depmod. Files in a
// format the host's kmod cannot read (Debian 12's kmod has no zlib) are decompressed instead: the
// guest gets plain .ko files anyway (busybox insmod cannot decompress).
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { execa } from 'execa';
import { ensureCacheDir } from './cache-dir.ts';
import { VmError } from './errors.ts';

export const MODULE_FILE_RE = /\.ko(\.xz|\.zst|\.gz)?$/;
/** Files of a module folder that say what the kernel has built in and in which order kbuild made them. */
export const MODULE_INDEX_FILES = ['modules.builtin', 'modules.builtin.modinfo', 'modules.order'];

type Compression = 'xz' | 'zst' | 'gz';
const KMOD_FEATURE: Record<Compression, string> = { xz: 'XZ', zst: 'ZSTD', gz: 'ZLIB' };
const DECOMPRESS: Record<Compression, string[]> = { xz: ['xz', '-dc'], zst: ['zstd', '-dcq'], gz: ['gzip', '-dc'] };

export function compressionOf(path: string): Compression | undefined {
  return /\.ko\.(xz|zst|gz)$/.exec(path)?.[1] as Compression | undefined;
}

/** Every module file under `dir` (symbolic links skipped: `source` in a `make O=` tree points at the whole source). */
export function collectModuleFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || entry.isSymbolicLink()) continue;
    const p = join(dir, entry.name);
    if (entry.isDirectory()) collectModuleFiles(p, out);
    else if (MODULE_FILE_RE.test(entry.name)) out.push(p);
  }
  return out;
}

/**
 * The modules a build tree made, from its modules.order (`make modules` writes it; 6.1 lists
 * `fs/x/y.ko`, older kernels `kernel/fs/x/y.ko`, 6.3+ `fs/x/y.o`): no walk through the whole tree.
 * Undefined when the tree has no modules.order (modules not built, or not a build tree).
 */
export function modulesFromOrder(tree: string): { present: string[]; listed: number } | undefined {
  const file = join(tree, 'modules.order');
  if (!existsSync(file)) return undefined;
  const listed = readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean)
    .map((l) => l.replace(/^kernel\//, '').replace(/\.o$/, '.ko'));
  const present: string[] = [];
  for (const rel of listed) {
    const found = ['', '.zst', '.xz', '.gz'].map((ext) => join(tree, rel + ext)).find((p) => existsSync(p));
    if (found) present.push(found);
  }
  return { present, listed: listed.length };
}

let kmodFeatures: Promise<string> | undefined;

/** `kmod --version`'s feature line, e.g. "+ZSTD +XZ -ZLIB +LIBCRYPTO". */
function readKmodFeatures(): Promise<string> {
  kmodFeatures ??= execa('kmod', ['--version'], { reject: false }).then((r) => r.stdout);
  return kmodFeatures;
}

export async function kmodReads(c: Compression): Promise<boolean> {
  return (await readKmodFeatures()).includes(`+${KMOD_FEATURE[c]}`);
}

export async function decompressModule(path: string, signal?: AbortSignal): Promise<Buffer> {
  const c = compressionOf(path);
  if (!c) return readFileSync(path);
  const [tool, ...args] = DECOMPRESS[c];
  try {
    const r = await execa(tool!, [...args, path], { encoding: 'buffer', ...(signal ? { cancelSignal: signal } : {}) });
    return Buffer.from(r.stdout);
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') {
      throw new VmError('HOST_TOOL_MISSING', `${tool} is missing on this host and ${path} is ${c}-compressed; install it (apt-get install ${tool === 'zstd' ? 'zstd' : tool === 'xz' ? 'xz-utils' : 'gzip'})`, { phase: 'image', cause: err });
    }
    throw err;
  }
}

/**
 * Links (or copies, or decompresses) `files` (under `srcRoot`) into <cache>/modules/<hash>/lib/modules/<release>/kernel,
 * copies `extraFiles` beside them and runs depmod there. The hash covers names, sizes and mtimes: a rebuilt module gets a new index.
 */
export async function indexModules(srcRoot: string, files: readonly string[], release: string, cacheDir: string, signal?: AbortSignal, extraFiles: readonly string[] = []): Promise<string> {
  const hash = createHash('sha256');
  hash.update(`v2 ${release}\n`);
  for (const f of [...files].sort()) {
    const st = statSync(f);
    hash.update(`${relative(srcRoot, f)}:${st.size}:${st.mtimeMs}\n`);
  }
  const key = hash.digest('hex').slice(0, 16);
  const root = join(cacheDir, 'modules', key);
  const modulesDir = join(root, 'lib', 'modules', release);
  if (existsSync(join(modulesDir, 'modules.dep'))) return modulesDir;
  const tmp = ensureCacheDir(cacheDir, 'modules', `.tmp-${process.pid}-${Date.now()}`);
  try {
    const tmpModules = join(tmp, 'lib', 'modules', release);
    mkdirSync(tmpModules, { recursive: true });
    for (const f of files) {
      const rel = relative(srcRoot, f).replace(/^kernel\//, '');
      const c = compressionOf(f);
      if (c && !(await kmodReads(c))) {
        const dest = join(tmpModules, 'kernel', rel.replace(/\.(xz|zst|gz)$/, ''));
        mkdirSync(dirname(dest), { recursive: true });
        writeFileSync(dest, await decompressModule(f, signal));
        continue;
      }
      const dest = join(tmpModules, 'kernel', rel);
      mkdirSync(dirname(dest), { recursive: true });
      try {
        linkSync(f, dest);
      } catch {
        copyFileSync(f, dest);
      }
    }
    for (const f of extraFiles) if (existsSync(f)) copyFileSync(f, join(tmpModules, f.split('/').at(-1)!));
    await execa('depmod', ['-b', tmp, release], signal ? { cancelSignal: signal } : {});
    rmSync(root, { recursive: true, force: true });
    renameSync(tmp, root);
    return modulesDir;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
