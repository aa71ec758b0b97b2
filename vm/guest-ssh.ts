// A booted guest over SSH: commands in its root or management network namespace, and file
// transfer through `cat` (dropbear has no SFTP server by default).
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { VmError } from './errors.ts';
import type { VmEvent } from './events.ts';
import { shellQuote } from './shell-quote.ts';
import type { SshSession } from './ssh-client.ts';

export type GuestNamespace = 'root' | 'management';

export interface ExecOptions {
  /** Default 60 s. On timeout the result has timedOut: true and exitCode null (no throw). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** 'root' (default): where scenarios and IPVS live. 'management': where eth0 and sshd live. */
  namespace?: GuestNamespace;
  /**
   * The shell that runs the command: /bin/sh, dash (default: what a user's command gets), or
   * 'busybox': busybox's static ash, for the harness's own scripts (it starts in ~4 ms under TCG,
   * dash in ~30 ms, once per exec). Its applets come before $PATH, so a bare `ip` or `tc` there would
   * be busybox's: those scripts name iproute2 by its path.
   */
  shell?: GuestShellKind;
  stdin?: Buffer | string;
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
}

export interface ExecResult {
  command: string;
  stdout: string;
  stderr: string;
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  timedOut: boolean;
}

const GUEST_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

export type GuestShellKind = 'sh' | 'busybox';

/**
 * The longest command line sent as such. dropbear refuses a longer one ("String too long": its
 * MAX_CMD_LEN is 9000 bytes) and closes the session; a longer command goes on stdin instead.
 */
export const MAX_COMMAND_LINE = 8000;

/** The remote command line: enter the root network namespace (PID 1's) unless asked otherwise. */
export function wrapGuestCommand(command: string, namespace: GuestNamespace, shell: GuestShellKind = 'sh'): string {
  return enterNamespace(namespace, `${shellPath(shell)} -c ${shellQuote(innerCommand(command))}`);
}

function shellPath(shell: GuestShellKind): string {
  return shell === 'busybox' ? '/bin/busybox sh' : '/bin/sh';
}

function innerCommand(command: string): string {
  return `PATH=${GUEST_PATH}; export PATH; cd /root; ${command}`;
}

function enterNamespace(namespace: GuestNamespace, line: string): string {
  return namespace === 'management' ? line : `exec /bin/nsenter --net=/proc/1/ns/net ${line}`;
}

/**
 * The command line and stdin for a command: itself when it fits on dropbear's command line, else a
 * short line that saves what comes on stdin to a file and runs that file (stdin /dev/null, as an
 * empty stdin), removing it after.
 */
export function guestCommandLine(command: string, namespace: GuestNamespace, shell: GuestShellKind = 'sh'): { line: string; stdin?: string } {
  const line = wrapGuestCommand(command, namespace, shell);
  if (line.length <= MAX_COMMAND_LINE) return { line };
  const sh = shellPath(shell);
  const runFile = `f=$(mktemp /tmp/ipvsh-cmd.XXXXXX) || exit 125; cat > "$f" || { rm -f "$f"; exit 125; }; ${sh} "$f" </dev/null; rc=$?; rm -f "$f"; exit $rc`;
  return { line: enterNamespace(namespace, `${sh} -c ${shellQuote(runFile)}`), stdin: `${innerCommand(command)}\n` };
}

export class GuestSsh {
  constructor(
    protected readonly session: SshSession,
    protected readonly emitEvent: (e: VmEvent) => void,
    /** Rejects when QEMU exits (panic, crash) while a command is running; never resolves otherwise. */
    private readonly guestGone: Promise<never> = new Promise<never>(() => {}),
  ) {}

  /** A command on a dead guest would wait for an SSH channel that never closes: race QEMU's exit. */
  private async raceGuest<T>(p: Promise<T>): Promise<T> {
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
    this.emitEvent({ kind: 'command-end', command, exitCode: raw.exitCode, durationMs: raw.durationMs, timedOut: raw.timedOut });
    if (raw.exitCode === null && raw.signal === null && !raw.timedOut) {
      // The channel closed without an exit status: usually the guest died (panic) and QEMU's exit
      // is a moment behind the dropped connection. Prefer that error when it comes.
      await this.raceGuest(delay(3000));
      throw new VmError('SSH_FAILED', `the SSH channel of "${command}" closed without an exit status (connection lost)`, { phase: 'command' });
    }
    return { command, stdout: raw.stdout.toString('utf8'), stderr: raw.stderr.toString('utf8'), exitCode: raw.exitCode, signal: raw.signal, durationMs: raw.durationMs, timedOut: raw.timedOut };
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
