// One long-lived guest shell for the harness's own scripts (busybox's ash in the root namespace):
// each script goes down the same SSH channel instead of opening one of its own. A channel costs the
// guest a dropbear fork, the login shell and nsenter before the script starts (~20-30 ms under TCG),
// and a scenario cell runs six to ten scripts (docs/vm.md, "Timings").
//
// Each script is written to a file by a here-document and run by a fresh `busybox sh` with stdin
// from /dev/null, exactly as a channel of its own would run it; then the shell prints a line only
// this script knows (a random marker) with the exit status on stdout, and the marker on stderr.
// Everything before the markers is the script's output. Scripts run one at a time, in order.
import { randomBytes } from 'node:crypto';
import { abortedError, VmError } from './errors.ts';
import type { VmEvent } from './events.ts';
import { innerCommand, wrapGuestCommand, type ExecOptions, type ExecResult } from './guest-command-line.ts';
import type { SshStream, SshStreamHandlers } from './ssh-client.ts';

export type StreamOpener = (command: string, handlers: SshStreamHandlers) => Promise<SshStream>;

export interface ScriptSessionHooks {
  emit: (e: VmEvent) => void;
  /** Races a promise against QEMU's exit (a panic rejects with GUEST_PANIC). */
  race: <T>(p: Promise<T>) => Promise<T>;
  /** A command this session does not take (another shell or namespace, stdin, streamed output). */
  fallback: (command: string, opts: ExecOptions) => Promise<ExecResult>;
}

/** The remote command of the session's channel: busybox's ash reading scripts on stdin, in the root namespace. */
export const SESSION_COMMAND = wrapGuestCommand('exec /bin/busybox sh -s', 'root', 'busybox');

/** The text that runs `command` as one script in the session's shell and ends with the markers. */
export function scriptFrame(command: string, marker: string): string {
  const file = `/tmp/ipvsh-script.${marker}`;
  // The script removes its own file first (the shell has it open by then): a script that is stopped
  // midway leaves nothing behind either.
  const body = `rm -f ${file}; ${innerCommand(command)}`;
  return [
    `cat > ${file} <<'${marker}'`,
    body.endsWith('\n') ? body.slice(0, -1) : body,
    marker,
    `/bin/busybox sh ${file} </dev/null; r=$?; printf '\\n%s %d\\n' ${marker} "$r"; printf '\\n%s\\n' ${marker} >&2`,
    '',
  ].join('\n');
}

/** A marker that is not in `command` (so no line of the script ends its here-document). */
export function newMarker(command: string): string {
  for (;;) {
    const marker = `IPVSH_${randomBytes(8).toString('hex')}`;
    if (!command.includes(marker)) return marker;
  }
}

/** Collects one stream of a script's output until its end marker. */
export class MarkedOutput {
  private readonly chunks: Buffer[] = [];
  private tail = '';
  private length = 0;
  private suffix = 0;
  private readonly end: RegExp;
  private readonly keep: number;
  done = false;
  exitCode: number | null = null;

  /** `withStatus`: the marker line carries the exit status (stdout's does, stderr's does not). */
  constructor(marker: string, withStatus: boolean) {
    this.end = withStatus ? new RegExp(`\\n${marker} (\\d+)\\n$`) : new RegExp(`\\n${marker}\\n$`);
    this.keep = marker.length + 16;
  }

  push(chunk: Buffer): void {
    if (this.done) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
    this.tail = (this.tail + chunk.toString('latin1')).slice(-this.keep);
    const m = this.end.exec(this.tail);
    if (!m) return;
    this.done = true;
    if (m[1] !== undefined) this.exitCode = Number(m[1]);
    this.suffix = m[0].length;
  }

  /** The script's own output: everything before the marker line. */
  text(): string {
    return Buffer.concat(this.chunks, this.length).subarray(0, this.length - this.suffix).toString('utf8');
  }
}

type Outcome = 'done' | 'closed' | 'timeout' | 'aborted';

interface Running {
  out: MarkedOutput;
  err: MarkedOutput;
  settle: (outcome: Outcome) => void;
}

/** How long a shell that was ended or killed may take to close its channel before the next command goes on. */
const CLOSE_WAIT_MS = 5000;

export class ScriptSession {
  private stream: SshStream | undefined;
  /** The current shell's channel has closed. */
  private streamClosed: Promise<void> = Promise.resolve();
  /** An ended or killed shell's channel closing: the next command waits for it (see settle()). */
  private closing: Promise<void> | undefined;
  private running: Running | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly open: StreamOpener, private readonly hooks: ScriptSessionHooks) {}

  /** Runs `command` like Guest.exec; scripts in busybox's ash in the root namespace go down the session. */
  exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const own = opts.shell === 'busybox' && (opts.namespace ?? 'root') === 'root' && opts.stdin === undefined && !opts.onStdout && !opts.onStderr;
    const run = this.queue.then(async () => {
      await this.settle();
      return own && !this.closed ? this.runScript(command, opts) : this.hooks.fallback(command, opts);
    });
    this.queue = run.catch(() => {});
    return run;
  }

  /**
   * Ends the shell (EOF on its stdin) and resolves once its channel has closed, so that the next
   * command's channel does not cross it. Later commands take channels of their own.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.retire((s) => s.end());
    await this.queue;
    await this.settle();
  }

  /**
   * Waits (at most CLOSE_WAIT_MS) for an ended or killed shell's channel to close. dropbear 2022.83
   * dropped the whole connection, in about one try in fifteen, when a new channel's exec request
   * reached it between the old channel's EOF and the exit of that channel's process.
   */
  private async settle(): Promise<void> {
    if (!this.closing) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.closing, new Promise<void>((r) => { timer = setTimeout(r, CLOSE_WAIT_MS); })]);
    clearTimeout(timer);
    this.closing = undefined;
  }

  /** Stops using the current shell: `how` ends or kills it; later commands wait for its channel to close. */
  private retire(how: (s: SshStream) => void): void {
    const stream = this.stream;
    if (!stream) return;
    this.stream = undefined;
    this.closing = this.streamClosed;
    how(stream);
  }

  private async ensureStream(): Promise<SshStream> {
    if (this.stream) return this.stream;
    let onClosed!: () => void;
    const closed = new Promise<void>((r) => { onClosed = r; });
    const stream = await this.hooks.race(this.open(SESSION_COMMAND, {
      onStdout: (d) => this.received('out', d),
      onStderr: (d) => this.received('err', d),
      onClose: () => {
        onClosed();
        if (this.stream === stream) this.stream = undefined;
        this.running?.settle('closed');
      },
    }));
    this.stream = stream;
    this.streamClosed = closed;
    return stream;
  }

  private received(which: 'out' | 'err', chunk: Buffer): void {
    const r = this.running;
    if (!r) return;
    r[which].push(chunk);
    if (r.out.done && r.err.done) r.settle('done');
  }

  private async runScript(command: string, opts: ExecOptions): Promise<ExecResult> {
    if (opts.signal?.aborted) throw abortedError('command', opts.signal);
    this.hooks.emit({ kind: 'command-start', command, namespace: 'root' });
    const stream = await this.ensureStream();
    const marker = newMarker(command);
    const started = performance.now();
    const out = new MarkedOutput(marker, true);
    const err = new MarkedOutput(marker, false);
    const timeoutMs = opts.timeoutMs ?? 60_000;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const outcome = new Promise<Outcome>((resolve) => {
      this.running = { out, err, settle: resolve };
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
      onAbort = () => resolve('aborted');
      opts.signal?.addEventListener('abort', onAbort, { once: true });
    });
    stream.write(scriptFrame(command, marker));
    let kind: Outcome;
    try {
      kind = await this.hooks.race(outcome);
    } finally {
      clearTimeout(timer);
      if (onAbort) opts.signal?.removeEventListener('abort', onAbort);
      this.running = undefined;
    }
    const durationMs = Math.round(performance.now() - started);
    if (kind === 'timeout' || kind === 'aborted') {
      // The shell is mid-script: stop it, and let the next script start a new one.
      this.retire((s) => s.kill());
      if (kind === 'aborted') throw abortedError('command', opts.signal!);
      this.hooks.emit({ kind: 'command-end', command, exitCode: null, durationMs, timedOut: true });
      return { command, stdout: out.text(), stderr: err.text(), exitCode: null, signal: null, durationMs, timedOut: true };
    }
    if (kind === 'closed') {
      // The channel closed mid-script: usually the guest died. race() waits a moment for QEMU's exit
      // on an SSH_FAILED and prefers its error (GuestSsh.raceGuest), as for any exec.
      return this.hooks.race(Promise.reject(new VmError('SSH_FAILED', `the guest shell's SSH channel closed while "${command.split('\n')[0]}" ran (connection lost)`, { phase: 'command' })));
    }
    this.hooks.emit({ kind: 'command-end', command, exitCode: out.exitCode, durationMs, timedOut: false });
    return { command, stdout: out.text(), stderr: err.text(), exitCode: out.exitCode, signal: null, durationMs, timedOut: false };
  }
}
