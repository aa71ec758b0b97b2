// A booted guest over SSH: commands in its root or management network namespace, and file
// transfer through `cat` (dropbear has no SFTP server by default).
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { VmError } from './errors.ts';
import type { VmEvent } from './events.ts';
import { ScriptSession } from './script-session.ts';
import { guestCommandLine, MAX_COMMAND_LINE, type ExecOptions, type ExecResult } from './guest-command-line.ts';
import { shellQuote } from './shell-quote.ts';
import type { SshSession } from './ssh-client.ts';

export { guestCommandLine, MAX_COMMAND_LINE, wrapGuestCommand } from './guest-command-line.ts';
export type { ExecOptions, ExecResult, GuestNamespace, GuestShellKind } from './guest-command-line.ts';

export class GuestSsh {
  constructor(
    protected readonly session: SshSession,
    protected readonly emitEvent: (e: VmEvent) => void,
    /** Rejects when QEMU exits (panic, crash) while a command is running; never resolves otherwise. */
    private readonly guestGone: Promise<never> = new Promise<never>(() => {}),
  ) {}

  /** A command on a dead guest would wait for an SSH channel that never closes: race QEMU's exit. */
  protected async raceGuest<T>(p: Promise<T>): Promise<T> {
    try {
      return await Promise.race([p, this.guestGone]);
    } catch (err) {
      // A connection that drops (or cannot open a channel) is usually the guest dying, panic or QEMU
      // killed, with QEMU's exit a moment behind: prefer that error when it comes.
      if (err instanceof VmError && err.code === 'SSH_FAILED') await Promise.race([this.guestGone, delay(3000)]);
      throw err;
    }
  }

  async exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const namespace = opts.namespace ?? 'root';
    this.emitEvent({ kind: 'command-start', command, namespace });
    const wire = guestCommandLine(command, namespace, opts.shell);
    if (wire.stdin !== undefined && opts.stdin !== undefined) {
      // No caller passes both; one that did would be a bug in the harness, not the user's doing.
      throw new Error(`internal error (a bug in ipvs-harness): a command of ${command.length} bytes with its own stdin cannot be sent (the SSH server takes at most ${MAX_COMMAND_LINE} bytes on its command line)`);
    }
    const stdin = wire.stdin ?? opts.stdin;
    const raw = await this.raceGuest(this.session.exec(wire.line, {
      timeoutMs: opts.timeoutMs ?? 60_000,
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(stdin !== undefined ? { stdin } : {}),
      ...(opts.onStdout ? { onStdout: opts.onStdout } : {}),
      ...(opts.onStderr ? { onStderr: opts.onStderr } : {}),
    }));
    // Past its deadline a command has no exit status (ExecOptions.timeoutMs), even when its channel
    // closed with one: dropbear reports the status of a command that ended while the kill was on its way.
    const exitCode = raw.timedOut ? null : raw.exitCode;
    this.emitEvent({ kind: 'command-end', command, exitCode, durationMs: raw.durationMs, timedOut: raw.timedOut });
    if (raw.exitCode === null && raw.signal === null && !raw.timedOut) {
      // The channel closed without an exit status: usually the guest died (panic) and QEMU's exit
      // is a moment behind the dropped connection. Prefer that error when it comes.
      await this.raceGuest(delay(3000));
      throw new VmError('SSH_FAILED', `the SSH channel of "${command}" closed without an exit status (connection lost)`, { phase: 'command' });
    }
    return { command, stdout: raw.stdout.toString('utf8'), stderr: raw.stderr.toString('utf8'), exitCode, signal: raw.signal, durationMs: raw.durationMs, timedOut: raw.timedOut };
  }

  /**
   * A long-lived shell for the harness's own scripts (busybox's ash, root namespace): each script
   * skips the cost of a channel of its own. Other commands pass through to exec(). Close it after use.
   */
  scriptSession(): ScriptSession {
    return new ScriptSession((command, handlers) => this.session.open(command, handlers), {
      emit: this.emitEvent,
      race: (p) => this.raceGuest(p),
      fallback: (command, opts) => this.exec(command, opts),
    });
  }

  /** Writes a host file (path) or bytes to `remotePath` in the guest. */
  async upload(source: string | Buffer, remotePath: string, opts: { timeoutMs?: number; signal?: AbortSignal; mode?: number } = {}): Promise<void> {
    const data = Buffer.isBuffer(source) ? source : readFileSync(source);
    const chmod = opts.mode === undefined ? '' : ` && chmod ${opts.mode.toString(8)} ${shellQuote(remotePath)}`;
    const raw = await this.raceGuest(this.session.exec(`cat > ${shellQuote(remotePath)}${chmod}`, {
      timeoutMs: opts.timeoutMs ?? 60_000, stdin: data, ...(opts.signal ? { signal: opts.signal } : {}),
    }));
    if (raw.exitCode !== 0 || raw.timedOut) {
      throw new VmError('TRANSFER_FAILED', `upload to ${remotePath} failed (${raw.timedOut ? 'timed out' : `exit ${raw.exitCode}`}): ${raw.stderr.toString().trim()}`, { phase: 'command' });
    }
  }

  /** Reads `remotePath` from the guest. */
  async download(remotePath: string, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<Buffer> {
    const raw = await this.raceGuest(this.session.exec(`cat ${shellQuote(remotePath)}`, { timeoutMs: opts.timeoutMs ?? 60_000, ...(opts.signal ? { signal: opts.signal } : {}) }));
    if (raw.exitCode !== 0 || raw.timedOut) {
      throw new VmError('TRANSFER_FAILED', `download of ${remotePath} failed (${raw.timedOut ? 'timed out' : `exit ${raw.exitCode}`}): ${raw.stderr.toString().trim()}`, { phase: 'command' });
    }
    return raw.stdout;
  }
}
