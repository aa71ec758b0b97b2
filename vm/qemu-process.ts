// Runs QEMU (or any long-lived process) in its own process group behind a tiny shell watchdog:
// if this Node process dies without cleaning up, the watchdog sees its stdin close and kills the
// child. Termination escalates SIGTERM → SIGKILL and always reaps.
import { spawn, type ChildProcess } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';

// $1.. = the command. Reads stdin until EOF (parent died or closed it), then kills the command.
// The shell itself ignores SIGTERM (set after the command started, so the command does not inherit
// it): a group SIGTERM reaches the command, and the shell's exit keeps meaning "the command is gone".
// Background jobs of a non-interactive shell get stdin from /dev/null, hence the pipe on fd 3.
const WATCHDOG = [
  'exec 3<&0',
  '"$@" </dev/null 3<&- & q=$!',
  "trap '' TERM",
  '(read -r _ <&3; kill -TERM $q 2>/dev/null; sleep 2; kill -KILL $q 2>/dev/null) &',
  'w=$!',
  'wait $q; s=$?',
  'kill -KILL $w 2>/dev/null; wait $w 2>/dev/null',
  'exit $s',
].join('\n');

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** "killed by SIGKILL" / "code 1": the watchdog shell reports a command killed by signal N as exit status 128+N. */
export function describeExit(exit: ProcessExit): string {
  if (exit.signal) return `killed by ${exit.signal}`;
  if (exit.code !== null && exit.code > 128 && exit.code < 160) {
    const name = Object.entries(osConstants.signals).find(([, n]) => n === exit.code! - 128)?.[0];
    if (name) return `killed by ${name} (exit status ${exit.code})`;
  }
  return `code ${exit.code}`;
}

export class SupervisedProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<ProcessExit>;
  exit: ProcessExit | undefined;
  private stderrText = '';

  constructor(command: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}) {
    this.child = spawn('/bin/sh', ['-c', WATCHDOG, 'ipvs-harness-watchdog', command, ...args], {
      detached: true, // own process group: we signal the group, and a terminal's Ctrl-C goes to us first
      stdio: ['pipe', 'ignore', 'pipe'],
      ...(opts.env ? { env: opts.env } : {}),
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
    });
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (s: string) => {
      this.stderrText = (this.stderrText + s).slice(-8000);
    });
    // Our end of the watchdog pipe; never written, closed on exit of this process.
    this.child.stdin?.on('error', () => {});
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
      this.child.once('error', () => {
        this.exit = { code: null, signal: null };
        resolve(this.exit);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get stderr(): string {
    return this.stderrText;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** Signals the whole process group (watchdog shell and the command). */
  signalGroup(signal: NodeJS.Signals): void {
    if (this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, signal);
    } catch {
      // Already gone.
    }
  }

  /** Waits up to `ms` for the exit; true if it exited. */
  async waitExit(ms: number): Promise<boolean> {
    if (!this.running) return true;
    const ac = new AbortController();
    const timeout = delay(ms, false, { signal: ac.signal }).catch(() => false);
    const result = await Promise.race([this.exited.then(() => true), timeout]);
    ac.abort();
    return result;
  }

  /** True while any process of the group (the shell, the command) still exists. */
  private groupAlive(): boolean {
    if (this.child.pid === undefined) return false;
    try {
      process.kill(-this.child.pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  /** Polls until the whole group is gone (the command outlives the shell by a moment). */
  private async waitGroupGone(ms: number): Promise<boolean> {
    const deadline = performance.now() + ms;
    while (this.groupAlive()) {
      if (performance.now() > deadline) return false;
      await delay(10);
    }
    return true;
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the whole group is gone. Returns what it had to do. */
  async terminate(graceMs = 2000): Promise<'already-exited' | 'sigterm' | 'sigkill'> {
    let how: 'already-exited' | 'sigterm' | 'sigkill' = 'already-exited';
    if (this.running) {
      how = 'sigterm';
      this.signalGroup('SIGTERM');
      // A stopped process (SIGSTOP) cannot act on SIGTERM until continued.
      this.signalGroup('SIGCONT');
      if (!(await this.waitExit(graceMs))) {
        how = 'sigkill';
        this.signalGroup('SIGKILL');
        await this.waitExit(5000);
      }
    }
    if (!(await this.waitGroupGone(how === 'sigkill' ? 5000 : graceMs))) {
      how = 'sigkill';
      this.signalGroup('SIGKILL');
      await this.waitGroupGone(5000);
    }
    this.child.stdin?.destroy();
    return how;
  }
}
