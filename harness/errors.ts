// The one place that decides how an error reaches the user and which exit code it maps to.
// Any layer may throw an error carrying `code` (stable, UPPER_SNAKE) and `exitCode`: such errors are
// "expected" and print as one paragraph. Anything else is a bug and prints its stack.

import { EXIT } from './exit-codes.ts';

export interface ExpectedError extends Error {
  code: string;
  exitCode?: number;
  /** Extra lines shown under the message, e.g. the console tail of a guest. */
  details?: string;
}

export function isExpectedError(err: unknown): err is ExpectedError {
  if (!(err instanceof Error)) return false;
  const code: unknown = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(code);
}

export class UsageError extends Error {
  readonly code = 'USAGE';
  readonly exitCode = EXIT.badInput;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function formatError(err: unknown): { text: string; exitCode: number } {
  if (isExpectedError(err)) {
    const lines = [`error [${err.code}]: ${err.message}`];
    if (err.details) lines.push(err.details.trimEnd());
    return { text: lines.join('\n'), exitCode: err.exitCode ?? EXIT.infrastructure };
  }
  const stack = err instanceof Error ? (err.stack ?? err.message) : String(err);
  return {
    text: `internal error (this is a bug in ipvs-harness, please report it with the output below):\n${stack}`,
    exitCode: EXIT.infrastructure,
  };
}
