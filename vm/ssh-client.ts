// ssh2, wrapped once: connect with host-key pinning, exec with timeout and AbortSignal, all of it
// returning plain results or VmErrors. ssh2 has no AbortSignal support of its own.
import ssh2 from 'ssh2';
import { abortedError, VmError } from './errors.ts';

export interface SshConnectOptions {
  host?: string;
  port: number;
  username?: string;
  privateKey: string;
  /** Wire-format blob of the only host key we accept. */
  hostKeyBlob: Buffer;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface RawExecResult {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  timedOut: boolean;
}

export interface RawExecOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  stdin?: Buffer | string;
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
}

/** A long-lived channel: a remote process whose stdin stays open (vm/script-session.ts). */
export interface SshStream {
  write(data: string | Buffer): void;
  /** Stops the remote process (KILL, where the server takes signals) and closes the channel. */
  kill(): void;
  /** Closes stdin; the remote process sees EOF. */
  end(): void;
}

export interface SshStreamHandlers {
  onStdout: (chunk: Buffer) => void;
  onStderr: (chunk: Buffer) => void;
  /** The channel closed: the remote process ended (exit status or signal, when the server said), or the connection dropped. */
  onClose: (exitCode: number | null, signal: string | null) => void;
}

export class SshSession {
  private closed = false;
  private constructor(private readonly client: ssh2.Client) {}

  static connect(opts: SshConnectOptions): Promise<SshSession> {
    const client = new ssh2.Client();
    let keyMismatch: string | undefined;
    return new Promise<SshSession>((resolve, reject) => {
      let settled = false;
      const finish = (err?: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        if (err) {
          client.end();
          client.destroy();
          reject(err);
        } else resolve(new SshSession(client));
      };
      const onAbort = (): void => finish(abortedError('ssh', opts.signal!));
      const timer = setTimeout(
        () => finish(new VmError('SSH_TIMEOUT', `SSH to 127.0.0.1:${opts.port} did not complete within ${opts.timeoutMs} ms`, { phase: 'ssh' })),
        opts.timeoutMs,
      );
      if (opts.signal?.aborted) return onAbort();
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      client.once('ready', () => finish());
      client.on('error', (err: Error) => {
        if (keyMismatch) {
          finish(new VmError('HOST_KEY_MISMATCH', `the SSH server on 127.0.0.1:${opts.port} presented host key ${keyMismatch}, not the key generated for this guest; refusing to connect`, { phase: 'ssh', cause: err }));
        } else {
          finish(new VmError('SSH_FAILED', `SSH to 127.0.0.1:${opts.port} failed: ${err.message}`, { phase: 'ssh', cause: err }));
        }
      });
      client.connect({
        host: opts.host ?? '127.0.0.1',
        port: opts.port,
        username: opts.username ?? 'root',
        privateKey: opts.privateKey,
        // Straight to the key: ssh2's default first asks for "none", one more round trip the guest's
        // dropbear answers with a fork-free but still ~10 ms (TCG) refusal.
        authHandler: ['publickey'],
        readyTimeout: opts.timeoutMs,
        hostVerifier: (key: Buffer) => {
          if (key.equals(opts.hostKeyBlob)) return true;
          keyMismatch = `${key.toString('base64').slice(0, 24)}...`;
          return false;
        },
      });
    });
  }

  /** Runs `command` on its own channel (open()), sends stdin and EOF, and collects its output. */
  exec(command: string, opts: RawExecOptions): Promise<RawExecResult> {
    const started = performance.now();
    return new Promise<RawExecResult>((resolve, reject) => {
      if (opts.signal?.aborted) return reject(abortedError('command', opts.signal));
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let exitCode: number | null = null;
      let signal: string | null = null;
      let timedOut = false;
      let settled = false;
      let stream: SshStream | undefined;
      const done = (error?: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        if (error) return reject(error);
        resolve({ stdout: Buffer.concat(out), stderr: Buffer.concat(err), exitCode, signal, durationMs: Math.round(performance.now() - started), timedOut });
      };
      const onAbort = (): void => {
        stream?.kill();
        done(abortedError('command', opts.signal!));
      };
      const timer = setTimeout(() => {
        timedOut = true;
        stream?.kill();
        // Done when the channel has closed (onClose calls done()), at most 3 s from now: a next
        // command's channel that crosses this one's closing can make dropbear drop the connection
        // (vm/script-session.ts, settle()).
        setTimeout(() => done(), 3000).unref();
        if (!stream) done();
      }, opts.timeoutMs);
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      this.open(command, {
        onStdout: (d) => {
          out.push(d);
          opts.onStdout?.(d);
        },
        onStderr: (d) => {
          err.push(d);
          opts.onStderr?.(d);
        },
        onClose: (code, sig) => {
          exitCode = code;
          signal = sig;
          done();
        },
      }).then((s) => {
        stream = s;
        // Stopped (timeout or abort) before the channel opened: stop what it started.
        if (settled || timedOut) return s.kill();
        if (opts.stdin !== undefined) s.write(opts.stdin);
        s.end();
      }, (e: Error) => done(e));
    });
  }

  /** Starts `command` on its own channel and leaves its stdin open. */
  open(command: string, handlers: SshStreamHandlers): Promise<SshStream> {
    return new Promise<SshStream>((resolve, reject) => {
      if (this.closed) return reject(new VmError('SSH_FAILED', 'the SSH session is closed', { phase: 'command' }));
      const onChannel = (e: Error | undefined, ch: ssh2.ClientChannel): void => {
        if (e) return reject(new VmError('SSH_FAILED', `could not start "${command}" over SSH: ${e.message}`, { phase: 'command', cause: e }));
        let exitCode: number | null = null;
        let signal: string | null = null;
        ch.on('data', handlers.onStdout);
        ch.stderr.on('data', handlers.onStderr);
        ch.on('exit', (code: number | null, sig?: string) => {
          if (typeof code === 'number') exitCode = code;
          if (sig) signal = sig;
        });
        ch.on('close', () => handlers.onClose(exitCode, signal));
        resolve({
          write: (data) => void ch.write(data),
          kill: () => {
            try {
              ch.signal('KILL');
            } catch {
              // Not every server supports signals; closing the channel is enough for us.
            }
            ch.close();
          },
          end: () => void ch.end(),
        });
      };
      try {
        this.client.exec(command, onChannel);
      } catch (e) {
        // ssh2 throws at once when the connection is gone ("Not connected").
        reject(new VmError('SSH_FAILED', `could not start "${command}" over SSH: ${(e as Error).message}`, { phase: 'command', cause: e }));
      }
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.end();
    this.client.destroy();
  }
}
