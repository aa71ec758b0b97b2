// Errors of the module build. Each has a stable code; `exitCode` 2 means the input cannot work (a
// tree that does not build, headers or a compiler the host lacks: nothing was booted), 3 that the
// host or the network broke. `revisionSpecific` tells `bisect-run` whether the source revision is to
// blame (git bisect's skip, 125) or the environment (stop bisecting).

export type ModuleBuildErrorCode =
  | 'IPVS_SOURCE_MISSING'
  | 'IPVS_SOURCE_INVALID'
  | 'HEADERS_NOT_FOUND'
  | 'COMPILER_MISMATCH'
  | 'MODULE_BUILD_FAILED'
  | 'MODULE_WONT_LOAD'
  | 'VERMAGIC_MISMATCH'
  | 'MODULE_BUILD_UNSUPPORTED'
  | 'MODULE_DOWNLOAD_FAILED'
  | 'MODULE_BUILD_INTERRUPTED';

const REVISION_SPECIFIC: ReadonlySet<ModuleBuildErrorCode> = new Set<ModuleBuildErrorCode>(['IPVS_SOURCE_INVALID', 'MODULE_BUILD_FAILED', 'MODULE_WONT_LOAD']);

export class ModuleBuildError extends Error {
  readonly code: ModuleBuildErrorCode;
  readonly exitCode: number;
  readonly phase = 'module-build';
  /** Compiler output, depmod's complaints: shown under the message as printed. */
  readonly details?: string;
  readonly data: Record<string, unknown>;

  constructor(code: ModuleBuildErrorCode, message: string, opts: { details?: string; cause?: unknown; data?: Record<string, unknown> } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'ModuleBuildError';
    this.code = code;
    this.exitCode = code === 'MODULE_BUILD_INTERRUPTED' ? 130 : code === 'MODULE_DOWNLOAD_FAILED' ? 3 : 2;
    if (opts.details !== undefined) this.details = opts.details;
    this.data = opts.data ?? {};
  }

  /** True when another source revision could build (bisect: skip); false when no revision can on this host. */
  get revisionSpecific(): boolean {
    return REVISION_SPECIFIC.has(this.code);
  }
}

/** For results read back from results.json, where only the code is left. */
export function isRevisionSpecificCode(code: string): boolean {
  return REVISION_SPECIFIC.has(code as ModuleBuildErrorCode);
}

export function isModuleBuildError(err: unknown, code?: ModuleBuildErrorCode): err is ModuleBuildError {
  return err instanceof ModuleBuildError && (code === undefined || err.code === code);
}
