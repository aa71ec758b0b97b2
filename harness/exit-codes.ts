// The exit codes of the CLI: the one table, and the functions that derive a code from a run's results
// or a signal. No other file of the harness writes an exit code as a number.
import type { Command } from 'commander';
import type { RunResults } from '../analysis/report/results.ts';

export const EXIT = {
  ok: 0,
  /** A check or scenario failed (also `git bisect run`'s "bad"). */
  failed: 1,
  /** Bad input: unknown spec, invalid file, usage error. Nothing was booted. */
  badInput: 2,
  /** The harness or the guest broke (boot failed, timeout, panic). */
  infrastructure: 3,
  /** Nothing failed but something was skipped: a kernel selftest skipped itself (kselftest's ksft_skip). */
  skipped: 4,
  /** `git bisect run`: this revision cannot be tested. */
  untestable: 125,
  /** `bisect-run` on a usage mistake: `git bisect run` stops on exit codes above 127 (2 would mark the revision bad). */
  abortBisect: 128,
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

const KNOWN: ReadonlySet<number> = new Set(Object.values(EXIT));

/** True for a code of the table (errors of other layers carry plain numbers). */
export function isExitCode(n: unknown): n is ExitCode {
  return typeof n === 'number' && KNOWN.has(n);
}

const SIGNAL_NUMBERS: Record<string, number> = { HUP: 1, INT: 2, QUIT: 3, ABRT: 6, KILL: 9, SEGV: 11, PIPE: 13, ALRM: 14, TERM: 15 };

/** `exec`: a guest command killed by a signal exits 128 + its number, as a shell reports it. */
export function exitCodeOfSignal(signal: string): number {
  const n = SIGNAL_NUMBERS[signal.replace(/^SIG/, '')];
  return n === undefined ? EXIT.infrastructure : 128 + n;
}

/**
 * A run's results: 0 only when every cell passed; 1 when something failed; 3 when errors (no failure)
 * spoiled it; 2 when the only errors are bad kernel specs or files (phase `kernel`: nothing booted);
 * 4 (kselftest's ksft_skip) when the rest passed but cells were skipped.
 */
export function exitCodeOfResults(results: RunResults): ExitCode {
  const s = results.summary;
  if (s.total > 0 && s.passed === s.total) return EXIT.ok;
  if (s.failed > 0) return EXIT.failed;
  const errors = results.cells.filter((c) => c.status === 'error');
  if (errors.length > 0) return errors.every((c) => c.error?.phase === 'kernel') ? EXIT.badInput : EXIT.infrastructure;
  return s.total > 0 ? EXIT.skipped : EXIT.infrastructure;
}

/** Commands call this to hand their exit code to `main` without exiting the process. */
export function setExitCode(command: Command, code: number): void {
  (command as Command & { exitCodeValue?: number }).exitCodeValue = code;
}

export function takeExitCode(command: Command): number | undefined {
  return (command as Command & { exitCodeValue?: number }).exitCodeValue;
}
