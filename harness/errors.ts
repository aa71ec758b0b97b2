// The one place that decides how an error reaches the user and which exit code it maps to.
// The harness throws HarnessError (a stable code, an exit code from the table, the message naming the
// value and the fix). Errors of the other layers (VmError, ScenarioError, ExpectedGraphError) carry
// `code` and `exitCode` the same way. A file-system error that escaped a command is translated into
// one paragraph too; anything else is a bug and prints its stack, saying so.
import type { GuestCommand } from '../scenarios/guest-commands.ts';
import { EXIT, isExitCode, type ExitCode } from './exit-codes.ts';
import { describeFsError, isFsError, type FsContext } from './file-errors.ts';

export interface ExpectedError extends Error {
  code: string;
  exitCode?: number;
  /** Extra lines shown under the message, e.g. the console tail of a guest. */
  details?: string;
}

export interface HarnessErrorOptions {
  exitCode?: ExitCode;
  details?: string;
  cause?: unknown;
}

export class HarnessError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;
  readonly details?: string;
  constructor(code: string, message: string, options: HarnessErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HarnessError';
    this.code = code;
    this.exitCode = options.exitCode ?? EXIT.badInput;
    if (options.details !== undefined) this.details = options.details;
  }
}

/** A mistake in the command line (exit 2). */
export class UsageError extends HarnessError {
  constructor(message: string) {
    super('USAGE', message);
    this.name = 'UsageError';
  }
}

/** Bad input (exit 2): a file that is missing, of the wrong kind, or invalid. */
export function inputError(code: string, message: string, details?: string): HarnessError {
  return new HarnessError(code, message, details === undefined ? {} : { details });
}

/** A file-system error on a path the user gave, as one sentence with the fix (exit 2, or 3 for a full disk). */
export function fileError(err: unknown, context: FsContext): Error {
  if (!isFsError(err)) return err instanceof Error ? err : new Error(String(err));
  const d = describeFsError(err, context);
  return new HarnessError(d.code, d.message, { exitCode: d.exitCode, cause: err });
}

export class UnknownScenarioError extends HarnessError {
  constructor(name: string, known: string[]) {
    super('SCENARIO_UNKNOWN', `unknown scenario "${name}"; known: ${known.join(', ')} (or give a path to a .yaml file)`);
    this.name = 'UnknownScenarioError';
  }
}

export class ResultsFolderError extends HarnessError {
  constructor(message: string) {
    super('RESULTS_INVALID', message);
    this.name = 'ResultsFolderError';
  }
}

// Errors of the runner inside a cell (recorded in results.json with their code and phase).

/** The last lines of a command's output, for a message. */
function outputTail(text: string): string {
  const lines = text.trim().split('\n').filter(Boolean).slice(-5);
  return lines.length ? `: ${lines.join(' | ')}` : '';
}

export class CommandFailed extends HarnessError {
  constructor(
    readonly command: GuestCommand,
    readonly result: { exitCode: number | null; stdout: string; stderr: string; timedOut: boolean },
  ) {
    super('GUEST_COMMAND_FAILED', `guest command "${command.label}" ${result.timedOut ? `timed out after ${command.timeoutMs} ms` : `exited with ${result.exitCode}`}${outputTail(result.stderr || result.stdout)}`, { exitCode: EXIT.infrastructure });
    this.name = 'CommandFailed';
  }
}

/** The guest did not answer a command, nor a liveness check after it: hung, or its SSH server stopped. */
export class GuestUnresponsive extends HarnessError {
  constructor(readonly command: GuestCommand, probeMs: number) {
    super('GUEST_UNRESPONSIVE', `the guest stopped answering: "${command.label}" got no answer within ${command.timeoutMs / 1000} s, and a liveness check over SSH (\`true\`) none within ${probeMs / 1000} s`, { exitCode: EXIT.infrastructure });
    this.name = 'GuestUnresponsive';
  }
}

export class SetupFailed extends HarnessError {
  constructor(message: string, cause: unknown) {
    super('SETUP_FAILED', message, { exitCode: EXIT.infrastructure, cause });
    this.name = 'SetupFailed';
  }
}

/** A tracer could not start in the guest (bpftrace did not attach): the cell's error, in phase trace. */
export class TracerFailed extends HarnessError {
  constructor(message: string, details?: string) {
    super('TRACER_FAILED', message, { exitCode: EXIT.infrastructure, ...(details !== undefined && details !== '' ? { details } : {}) });
    this.name = 'TracerFailed';
  }
}

/** The guest did not load the IPVS modules built out of tree (`--ipvs-source`). */
export class OutOfTreeIpvsNotLoaded extends HarnessError {
  constructor(message: string, details?: string) {
    super('OWN_IPVS_NOT_LOADED', message, { exitCode: EXIT.infrastructure, ...(details !== undefined ? { details } : {}) });
    this.name = 'OutOfTreeIpvsNotLoaded';
  }
}

export function isExpectedError(err: unknown): err is ExpectedError {
  if (!(err instanceof Error)) return false;
  const code: unknown = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(code) && !isFsError(err);
}

/** The exit code an error earns: its own when it is one of the table's, else infrastructure. */
export function exitCodeOfError(err: unknown): ExitCode {
  if (isFsError(err)) return describeFsError(err).exitCode;
  const code = (err as { exitCode?: unknown } | null)?.exitCode;
  return isExitCode(code) ? code : EXIT.infrastructure;
}

export function formatError(err: unknown): { text: string; exitCode: ExitCode } {
  if (isFsError(err)) {
    const e = describeFsError(err);
    return { text: `error [${e.code}]: ${e.message}`, exitCode: e.exitCode };
  }
  if (isExpectedError(err)) {
    const lines = [`error [${err.code}]: ${err.message}`];
    if (err.details) lines.push(err.details.trimEnd());
    return { text: lines.join('\n'), exitCode: exitCodeOfError(err) };
  }
  const stack = err instanceof Error ? (err.stack ?? err.message) : String(err);
  return {
    text: `internal error (this is a bug in ipvs-harness, please report it with the output below):\n${stack}`,
    exitCode: EXIT.infrastructure,
  };
}
