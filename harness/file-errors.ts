// File-system errors in the user's words. A path the user gave that is missing, a folder, unwritable or
// on a read-only or kernel file system is their mistake (exit 2) and gets one sentence naming the path
// and the fix; a full disk or an I/O error is the machine's (exit 3).
import { EXIT, type ExitCode } from './exit-codes.ts';

export interface FsContext {
  /** What the path is to the user: "trace file", "results folder", "HTML output". */
  what?: string;
  path?: string;
  action?: 'read' | 'write' | 'create';
  /** The stable code for this kind of file when it cannot be read ("TRACE_NOT_READABLE"). */
  code?: string;
}

const REASONS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  EISDIR: 'it is a folder',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EEXIST: 'it already exists',
  ENOTEMPTY: 'the folder is not empty',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
  EINVAL: 'the file system does not allow this',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'the file is larger than the file system or the process limit (ulimit -f) allows',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files on the system',
  EXDEV: 'the paths are on different file systems',
  EBUSY: 'the file is busy',
  ETXTBSY: 'the file is busy',
};

const MACHINE_TROUBLE: ReadonlySet<string> = new Set(['ENOSPC', 'EDQUOT', 'EFBIG', 'EIO', 'EMFILE', 'ENFILE', 'ENOMEM']);

export function isFsError(err: unknown): err is NodeJS.ErrnoException {
  const e = err as { code?: unknown; syscall?: unknown } | null;
  return err instanceof Error && typeof e?.code === 'string' && /^E[A-Z0-9]+$/.test(e.code) && typeof e.syscall === 'string';
}

function fixFor(code: string, action: FsContext['action']): string {
  if (MACHINE_TROUBLE.has(code)) return 'free some space or raise the limit, then run again';
  if (action === 'read') {
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'check the path';
    if (code === 'EISDIR') return 'give the path of a file inside it';
    return 'check the path and its permissions';
  }
  if (code === 'EISDIR' || code === 'EEXIST' || code === 'ENOTEMPTY') return 'give a path that is not taken, or remove what is there';
  return 'choose a path in a folder you can write to (not /proc, /sys or /dev)';
}

export interface DescribedFsError {
  code: string;
  message: string;
  exitCode: ExitCode;
}

/** One sentence for a file-system error: what could not be done to which path, why, and the fix. */
export function describeFsError(err: NodeJS.ErrnoException, context: FsContext = {}): DescribedFsError {
  const errno = err.code ?? 'EIO';
  const path = context.path ?? err.path ?? '(unknown path)';
  const action = context.action ?? (/^(open|read|stat|lstat|scandir|access)$/.test(err.syscall ?? '') ? 'read' : 'write');
  const what = context.what ? `${context.what} ` : '';
  const reason = REASONS[errno] ?? `${errno} from ${err.syscall ?? 'the system'}`;
  const verb = action === 'read' ? 'read' : action === 'create' ? 'create' : 'write';
  return {
    code: MACHINE_TROUBLE.has(errno) ? 'FILE_SYSTEM' : context.code ?? (action === 'read' ? 'INPUT_NOT_READABLE' : 'OUTPUT_NOT_WRITABLE'),
    message: `cannot ${verb} ${what}${path}: ${reason}; ${fixFor(errno, action)}`,
    exitCode: MACHINE_TROUBLE.has(errno) ? EXIT.infrastructure : EXIT.badInput,
  };
}
