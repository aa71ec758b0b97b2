// GuestSsh's contract on top of a session: what exec() returns when the session says the command
// ran past its deadline. A stand-in session (the raw results are ssh-client.ts's, tested there).
import { describe, expect, it } from 'vitest';
import { GuestSsh } from './guest-ssh.ts';
import type { RawExecResult, SshSession } from './ssh-client.ts';

function sessionAnswering(raw: Partial<RawExecResult>): SshSession {
  const result: RawExecResult = { stdout: Buffer.from(''), stderr: Buffer.from(''), exitCode: null, signal: null, durationMs: 1, timedOut: false, ...raw };
  return { exec: async () => result } as unknown as SshSession;
}

describe('GuestSsh.exec', () => {
  it('a timed-out command has no exit status, even when its channel closed with one', async () => {
    // dropbear may report the status of a command that ended while the kill was on its way.
    const guest = new GuestSsh(sessionAnswering({ exitCode: 0, timedOut: true, stdout: Buffer.from('partial\n') }), () => {});
    expect(await guest.exec('sleep 20', { timeoutMs: 1 })).toMatchObject({ exitCode: null, timedOut: true, stdout: 'partial\n' });
  });

  it('a command that finished keeps its exit status', async () => {
    const guest = new GuestSsh(sessionAnswering({ exitCode: 3 }), () => {});
    expect(await guest.exec('exit 3')).toMatchObject({ exitCode: 3, timedOut: false });
  });
});
