// What a guest command is on the wire: the command line dropbear runs (the namespace, the shell, our
// PATH) and the options and result of one command. No I/O: vm/guest-ssh.ts and vm/script-session.ts send it.
import { shellQuote } from './shell-quote.ts';

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

/** The command as the guest's shell runs it: our PATH, in /root. */
export function innerCommand(command: string): string {
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
