// Standard output and error as a script sees them. `ipvs-harness analyze t.txt | head -1` closes our
// stdout early: that is the reader's choice, not an error, so further writes are dropped quietly and
// the command still exits with the code its work earned. Another write failure (stdout on a full
// disk, /dev/full) is reported once on stderr and makes the command exit 3 (infrastructure).
import { EXIT } from './exit-codes.ts';

/** Errors that mean "the reader went away": a closed pipe, a closed or destroyed stream. */
export function isClosedPipe(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'EPIPE' || code === 'ECONNRESET' || code === 'EBADF' || code === 'ERR_STREAM_DESTROYED' || code === 'ERR_STREAM_WRITE_AFTER_END';
}

interface StreamState {
  closed: boolean;
  failure: NodeJS.ErrnoException | null;
}

const state = new Map<NodeJS.WriteStream, StreamState>();

function guard(stream: NodeJS.WriteStream): StreamState {
  let s = state.get(stream);
  if (s) return s;
  const created: StreamState = { closed: false, failure: null };
  s = created;
  state.set(stream, created);
  // Always our own listener: another module's listener (a pipe into stdout) may remove itself and
  // re-emit the error, which would then crash the process.
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (isClosedPipe(err)) created.closed = true;
    else created.failure ??= err;
  });
  return created;
}

/** Installs the quiet handling on stdout and stderr (once), and starts a command with a clean state. */
export function guardStdio(): void {
  for (const stream of [process.stdout, process.stderr]) {
    const s = guard(stream);
    if (!stream.destroyed) {
      s.closed = false;
      s.failure = null;
    }
  }
}

/** True once stdout's reader went away: commands may stop producing output early. */
export function stdoutClosed(): boolean {
  return state.get(process.stdout)?.closed ?? false;
}

/**
 * The exit code after a command: its own, unless writing its output failed for another reason than a
 * closed pipe (then 3, with one line on stderr).
 */
export function exitCodeAfterOutput(code: number): number {
  const failure = state.get(process.stdout)?.failure;
  if (!failure) return code;
  if (!(state.get(process.stderr)?.closed ?? false)) {
    process.stderr.write(`error [OUTPUT_FAILED]: could not write to standard output (${failure.code ?? failure.message}); the output is incomplete\n`);
  }
  return code === EXIT.ok || code === EXIT.failed ? EXIT.infrastructure : code;
}

/**
 * For the process that runs the CLI (bin/): an error nobody awaited is still reported as one paragraph
 * (a bug says so) with its exit code, and a closed pipe that surfaces there stays quiet.
 */
export function guardProcess(format: (err: unknown) => { text: string; exitCode: number }): void {
  const onError = (err: unknown): void => {
    if (isClosedPipe(err)) return;
    const { text, exitCode } = format(err);
    if (!(state.get(process.stderr)?.closed ?? false)) process.stderr.write(`${text}\n`);
    process.exit(exitCode);
  };
  process.on('uncaughtException', onError);
  process.on('unhandledRejection', onError);
}
