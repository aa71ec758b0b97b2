// Errors of the vm layer. Every failure the user can act on is a VmError with a stable code, the
// phase it happened in, and (for guest failures) the console tail in `details`. The CLI's top-level
// catch prints them as one paragraph; exitCode 2 means "bad input, nothing booted", 3 "infrastructure".

export type VmPhase =
  | 'spec'
  | 'cache'
  | 'download'
  | 'preflight'
  | 'image'
  | 'qemu-start'
  | 'boot'
  | 'ssh'
  | 'command'
  | 'snapshot'
  | 'power-off';

export type VmErrorCode =
  | 'KERNEL_SPEC_UNKNOWN'
  | 'KERNEL_NOT_FOUND'
  | 'KERNEL_PART_MISSING'
  | 'NOT_A_KERNEL'
  | 'PREFLIGHT_MISSING_OPTIONS'
  | 'KERNEL_CONFIG_MISSING'
  | 'MODULES_MISSING'
  | 'KERNEL_DOWNLOAD_FAILED'
  | 'CACHE_UNWRITABLE'
  | 'HOST_TOOL_MISSING'
  | 'IMAGE_BUILD_FAILED'
  | 'QEMU_START_FAILED'
  | 'QEMU_EXITED'
  | 'BOOT_TIMEOUT'
  | 'GUEST_PANIC'
  | 'SSH_TIMEOUT'
  | 'SSH_FAILED'
  | 'HOST_KEY_MISMATCH'
  | 'COMMAND_TIMEOUT'
  | 'TRANSFER_FAILED'
  | 'CACHE_FULL'
  | 'CACHE_LIMIT_INVALID'
  | 'SNAPSHOT_FAILED'
  | 'ABORTED';

/** Codes that mean "the input was wrong and nothing was booted" (exit code 2). */
const BAD_INPUT: ReadonlySet<VmErrorCode> = new Set<VmErrorCode>([
  'KERNEL_SPEC_UNKNOWN',
  'KERNEL_NOT_FOUND',
  'KERNEL_PART_MISSING',
  'NOT_A_KERNEL',
  'PREFLIGHT_MISSING_OPTIONS',
  'KERNEL_CONFIG_MISSING',
  'MODULES_MISSING',
  'CACHE_UNWRITABLE',
  'CACHE_LIMIT_INVALID',
]);

export interface VmErrorOptions {
  phase: VmPhase;
  details?: string;
  cause?: unknown;
  /** Extra structured context (missing options, console tail lines, ...). */
  data?: Record<string, unknown>;
}

export class VmError extends Error {
  readonly code: VmErrorCode;
  readonly phase: VmPhase;
  readonly exitCode: number;
  readonly details?: string;
  readonly data: Record<string, unknown>;

  constructor(code: VmErrorCode, message: string, options: VmErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'VmError';
    this.code = code;
    this.phase = options.phase;
    this.exitCode = code === 'ABORTED' ? 130 : BAD_INPUT.has(code) ? 2 : 3;
    if (options.details !== undefined) this.details = options.details;
    this.data = options.data ?? {};
  }
}

export function isVmError(err: unknown, code?: VmErrorCode): err is VmError {
  return err instanceof VmError && (code === undefined || err.code === code);
}

/** The error to throw when an AbortSignal fired; keeps the signal's reason as the cause. */
export function abortedError(phase: VmPhase, signal: AbortSignal): VmError {
  const reason: unknown = signal.reason;
  const why = reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : 'aborted';
  return new VmError('ABORTED', `aborted during ${phase}: ${why}`, { phase, cause: reason });
}

/** Formats the last console lines for an error's details. */
export function consoleTailDetails(lines: readonly string[]): string | undefined {
  if (lines.length === 0) return undefined;
  return ['last console lines:', ...lines.map((l) => `  | ${l}`)].join('\n');
}
