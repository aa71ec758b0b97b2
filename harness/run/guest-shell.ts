// The runner's view of a booted guest: run a script in the root namespace and keep a log of every
// command, its exit status and output, which becomes the cell's commands.log.
import type { GuestShellKind } from '../../vm/guest-ssh.ts';
import type { GuestCommand } from '../../scenarios/guest-commands.ts';
import { partTimings } from '../../scenarios/batch.ts';
import { CommandFailed, GuestUnresponsive } from '../errors.ts';
import { TEST_FAULT_ENV, type TestFault } from './test-fault.ts';

export interface ShellResult {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  timedOut: boolean;
  durationMs: number;
}

/** What the runner needs from a guest; vm's Guest provides it. */
export interface GuestExec {
  exec(command: string, options: { timeoutMs: number; signal?: AbortSignal; shell?: GuestShellKind }): Promise<ShellResult>;
}

// The runner's errors live with the others in harness/errors.ts.
export { CommandFailed, GuestUnresponsive };

const LIVENESS_PROBE_MS = 10_000;


const LOG_OUTPUT_LIMIT = 64 * 1024;

export class LoggedShell {
  private readonly log: string[] = [];

  /** `scriptShell`: what runs each script in the guest (GuestCell.scriptShell): dash, or busybox's ash. */
  constructor(private readonly guest: GuestExec, private readonly signal?: AbortSignal, readonly fault?: TestFault, private readonly scriptShell: GuestShellKind = 'sh') {}

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
    if (this.fault?.kind === 'panic' && this.fault.beforeCommand === command.label) {
      this.note(`test fault (${TEST_FAULT_ENV}): ${this.fault.kind} before "${command.label}": ${this.fault.script}`);
      // A crashed guest never answers: the exec rejects with GUEST_PANIC once QEMU exits.
      await this.guest.exec(this.fault.script, { ...options, timeoutMs: 30_000 });
    }
    const result = await this.guest.exec(command.script, { ...options, shell: command.shell ?? this.scriptShell });
    this.log.push(
      `### ${command.label} (${started}, ${result.durationMs} ms, exit ${result.exitCode}${result.timedOut ? ', timed out' : ''})`,
      command.script.split('\n').map((l) => `$ ${l}`).join('\n'),
      partsLine(result.stdout),
      command.quietOutput ? `--- stdout: ${result.stdout.length} bytes (saved separately)` : clip(result.stdout) && `--- stdout\n${clip(result.stdout)}`,
      clip(result.stderr) && `--- stderr\n${clip(result.stderr)}`,
      '',
    );
    if (result.timedOut) await this.checkAlive(command, options.signal);
    return result;
  }

  /** After a timeout: a guest that does not run `true` either is hung (or its SSH server is), not slow. */
  private async checkAlive(command: GuestCommand, signal: AbortSignal | undefined): Promise<void> {
    const probe = await this.guest.exec('true', { timeoutMs: LIVENESS_PROBE_MS, ...(signal ? { signal } : {}) });
    if (probe.timedOut) {
      this.note(`"${command.label}" timed out and the liveness check (true) got no answer within ${LIVENESS_PROBE_MS / 1000} s: the guest is unresponsive`);
      throw new GuestUnresponsive(command, LIVENESS_PROBE_MS);
    }
  }

  note(text: string): void {
    this.log.push(`# ${text}`, '');
  }

  text(): string {
    return this.log.filter((l) => l !== '').join('\n') + '\n';
  }
}

/** A batch's parts and their time in the guest (scenarios/batch.ts), for the log. */
function partsLine(stdout: string): string {
  const parts = partTimings(stdout);
  return parts.length === 0 ? '' : `--- parts (guest time): ${parts.map((p) => `${p.name} ${p.ms} ms`).join(', ')}`;
}

function clip(text: string): string {
  const t = text.trimEnd();
  return t.length > LOG_OUTPUT_LIMIT ? `${t.slice(0, LOG_OUTPUT_LIMIT)}\n[... ${t.length - LOG_OUTPUT_LIMIT} more bytes]` : t;
}
