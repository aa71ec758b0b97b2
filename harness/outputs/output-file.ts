// Files the CLI writes: checked before the work starts (a folder, a device, a path in /proc or /sys,
// an unwritable folder is bad input, exit 2), then written to a temporary sibling and renamed, so a
// reader never sees half a file and a failure leaves nothing behind. Folders are created one level at
// a time: Node's recursive mkdir loops forever on /proc/x (mkdir returns ENOENT there).
import { accessSync, constants, lstatSync, mkdirSync, realpathSync, renameSync, rmSync, statfsSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { basename, dirname, join, parse, resolve, sep } from 'node:path';
import { fileError, HarnessError, inputError } from '../errors.ts';

export interface OutputSpec {
  path: string;
  /** What the file is to the user: "HTML diff", "Perfetto JSON". */
  what: string;
  /** A file name to suggest when the path is a folder: "diff.html". */
  suggest?: string;
}

// statfs magic numbers of kernel file systems that are no place for output (linux/magic.h).
const KERNEL_FS: ReadonlyMap<number, string> = new Map([
  [0x9fa0, '/proc'], [0x62656572, '/sys'], [0x64626720, 'debugfs'], [0x74726163, 'tracefs'], [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'], [0x73636673, 'securityfs'], [0xcafe4a11, 'bpf'], [0x62656570, 'configfs'], [0x1cd1, 'devpts'],
  [0x6165676c, 'pstore'], [0xde5e81e4, 'efivarfs'],
]);

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

/** The deepest part of the path that exists (at worst the root). */
function existingAncestor(path: string): string {
  let p = path;
  while (lstatOrNull(p) === null && dirname(p) !== p) p = dirname(p);
  return p;
}

function kernelFsOf(path: string): string | null {
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return null;
  }
  try {
    const name = KERNEL_FS.get(Number(statfsSync(real).type));
    if (name) return name;
  } catch {
    // statfs may be missing or refused: the path rules below still apply
  }
  if ((real === '/dev' || real.startsWith('/dev/')) && !real.startsWith('/dev/shm')) return '/dev';
  return null;
}

const kindOf = (st: Stats): string =>
  st.isCharacterDevice() ? 'a character device' : st.isBlockDevice() ? 'a block device' : st.isFIFO() ? 'a named pipe' : st.isSocket() ? 'a socket' : 'not a regular file';

/** Refuses a path under /proc, /sys, /dev and the like: nothing of ours belongs there (and mkdir can loop there). */
export function checkNotKernelFs(target: string, what: string): string {
  const at = existingAncestor(resolve(target));
  const fs = kernelFsOf(at);
  if (fs !== null) throw inputError('OUTPUT_ON_KERNEL_FS', `cannot write ${what} ${target}: it is under ${fs}, a kernel file system; choose a path in a normal folder`);
  return at;
}

/** Checks where a folder's contents can go: not under a kernel file system, the nearest existing part a writable folder. */
export function checkWritablePlace(target: string, what: string): void {
  const at = checkNotKernelFs(target, what);
  let st: Stats;
  try {
    st = statSync(at);
  } catch (err) {
    throw fileError(err, { what, path: target, action: 'write' });
  }
  if (!st.isDirectory() && at !== target) throw inputError('OUTPUT_NOT_WRITABLE', `cannot write ${what} ${target}: ${at} is a file, not a folder; choose a path in a folder`);
  try {
    accessSync(st.isDirectory() ? at : dirname(at), constants.W_OK);
  } catch (err) {
    throw fileError(err, { what, path: target, action: 'write' });
  }
}

/** Checks an output file path before any work is done; returns it absolute. */
export function checkOutputFile(spec: OutputSpec): string {
  const target = resolve(spec.path);
  const st = lstatOrNull(target);
  if (st?.isDirectory() || (st?.isSymbolicLink() && safeStat(target)?.isDirectory())) {
    throw inputError('OUTPUT_IS_FOLDER', `cannot write ${spec.what} ${spec.path}: it is a folder; give a file path such as ${join(spec.path, spec.suggest ?? 'out.json')}`);
  }
  const real = st?.isSymbolicLink() ? safeStat(target) : st;
  if (real && !real.isFile()) throw inputError('OUTPUT_NOT_A_FILE', `cannot write ${spec.what} ${spec.path}: it is ${kindOf(real)}; give the path of a regular file`);
  checkWritablePlace(target, spec.what);
  return target;
}

function safeStat(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

/** mkdir -p, one level at a time, with the user's words on failure. */
export function makeDirs(dir: string, what: string): void {
  const abs = resolve(dir);
  const { root } = parse(abs);
  let p = root;
  for (const part of abs.slice(root.length).split(sep).filter(Boolean)) {
    p = join(p, part);
    try {
      mkdirSync(p);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && safeStat(p)?.isDirectory()) continue;
      if (code === 'EEXIST') throw inputError('OUTPUT_NOT_WRITABLE', `cannot write ${what} in ${abs}: ${p} is a file, not a folder; choose a path in a folder`);
      throw fileError(err, { what, path: abs, action: 'create' });
    }
  }
}

/** A temporary name beside the target: same folder (so rename is atomic), hidden, unique. */
export function temporarySibling(target: string): string {
  return join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
}

/** Writes a file through a temporary sibling and a rename; returns the absolute path written. */
export function writeOutputFile(spec: OutputSpec, content: string | Uint8Array): string {
  const target = checkOutputFile(spec);
  makeDirs(dirname(target), spec.what);
  const tmp = temporarySibling(target);
  try {
    writeFileSync(tmp, content, { flag: 'wx' });
    renameSync(tmp, target);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err instanceof HarnessError ? err : fileError(err, { what: spec.what, path: spec.path, action: 'write' });
  }
  return target;
}
