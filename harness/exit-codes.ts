// Exit codes of the CLI, decided in one place.
import type { Command } from 'commander';

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
  interrupted: 130,
} as const;

/** Commands call this to hand their exit code to `main` without exiting the process. */
export function setExitCode(command: Command, code: number): void {
  (command as Command & { exitCodeValue?: number }).exitCodeValue = code;
}

export function takeExitCode(command: Command): number | undefined {
  return (command as Command & { exitCodeValue?: number }).exitCodeValue;
}
