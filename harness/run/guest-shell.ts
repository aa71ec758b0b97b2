// The runner's view of a booted guest: run a script in the root namespace and keep a log of every
// command, its exit status and output, which becomes the cell's commands.log.
import type { GuestCommand } from '../../scenarios/guest-commands.ts';

export interface ShellResult {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  timedOut: boolean;
  durationMs: number;
}

/** What the runner needs from a guest; vm's Guest provides it. */
export interface GuestExec {
  exec(command: string, options: { timeoutMs: number; signal?: AbortSignal }): Promise<ShellResult>;
}

export class CommandFailed extends Error {
  readonly code = 'GUEST_COMMAND_FAILED';
  constructor(readonly command: GuestCommand, readonly result: ShellResult) {
    super(`guest command "${command.label}" ${result.timedOut ? `timed out after ${command.timeoutMs} ms` : `exited with ${result.exitCode}`}${tail(result.stderr || result.stdout)}`);
    this.name = 'CommandFailed';
  }
}

function tail(text: string): string {
  const lines = text.trim().split('\n').filter(Boolean).slice(-5);
  return lines.length ? `: ${lines.join(' | ')}` : '';
}

const LOG_OUTPUT_LIMIT = 64 * 1024;

export class LoggedShell {
  private readonly log: string[] = [];

  constructor(private readonly guest: GuestExec, private readonly signal?: AbortSignal) {}

  /** Runs a command; throws CommandFailed on a non-zero exit unless the command allows failure. */
  async run(command: GuestCommand): Promise<ShellResult> {
    const result = await this.runAllowingFailure(command);
    if ((result.exitCode !== 0 || result.timedOut) && !command.allowFailure) throw new CommandFailed(command, result);
    return result;
  }

  async runAllowingFailure(command: GuestCommand): Promise<ShellResult> {
    const started = new Date().toISOString();
    const options: { timeoutMs: number; signal?: AbortSignal } = { timeoutMs: command.timeoutMs };
    if (this.signal) options.signal = this.signal;
    const result = await this.guest.exec(command.script, options);
    this.log.push(
      `### ${command.label} (${started}, ${result.durationMs} ms, exit ${result.exitCode}${result.timedOut ? ', timed out' : ''})`,
      command.script.split('\n').map((l) => `$ ${l}`).join('\n'),
      command.quietOutput ? `--- stdout: ${result.stdout.length} bytes (saved separately)` : clip(result.stdout) && `--- stdout\n${clip(result.stdout)}`,
      clip(result.stderr) && `--- stderr\n${clip(result.stderr)}`,
      '',
    );
    return result;
  }

  note(text: string): void {
    this.log.push(`# ${text}`, '');
  }

  text(): string {
    return this.log.filter((l) => l !== '').join('\n') + '\n';
  }
}

function clip(text: string): string {
  const t = text.trimEnd();
  return t.length > LOG_OUTPUT_LIMIT ? `${t.slice(0, LOG_OUTPUT_LIMIT)}\n[... ${t.length - LOG_OUTPUT_LIMIT} more bytes]` : t;
}
