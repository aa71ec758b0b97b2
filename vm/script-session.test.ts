// The script session's framing, run by the host's own busybox ash (the guest's shell, as a static
// binary on the host): output, exit statuses, stdin, timeouts and a shell that dies between scripts.
// The same session against a real guest is in vm/guest-api.e2e.test.ts.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BUSYBOX_HOST } from './initramfs-layout.ts';
import { MarkedOutput, newMarker, ScriptSession, SESSION_COMMAND, scriptFrame } from './script-session.ts';
import type { ExecOptions, ExecResult } from './guest-command-line.ts';
import type { SshStream, SshStreamHandlers } from './ssh-client.ts';

const opened: string[] = [];
const fellBack: string[] = [];

/** A session whose "channel" is a local `busybox sh -s`. */
function localSession(): { session: ScriptSession; shells: () => number; killShell: () => void } {
  let shells = 0;
  let current: ReturnType<typeof spawn> | undefined;
  const session = new ScriptSession(async (command: string, h: SshStreamHandlers): Promise<SshStream> => {
    opened.push(command);
    shells++;
    const child = spawn(BUSYBOX_HOST, ['sh', '-s'], { stdio: ['pipe', 'pipe', 'pipe'] });
    current = child;
    child.stdout.on('data', h.onStdout);
    child.stderr.on('data', h.onStderr);
    child.on('close', (code, sig) => h.onClose(code, sig));
    child.stdin.on('error', () => {});
    return { write: (d) => void child.stdin.write(d), kill: () => void child.kill('SIGKILL'), end: () => void child.stdin.end() };
  }, {
    emit: () => {},
    race: (p) => p,
    fallback: async (command: string, _opts: ExecOptions): Promise<ExecResult> => {
      fellBack.push(command);
      return { command, stdout: 'fallback', stderr: '', exitCode: 0, signal: null, durationMs: 0, timedOut: false };
    },
  });
  return { session, shells: () => shells, killShell: () => current?.kill('SIGKILL') };
}

const ash = { shell: 'busybox' as const, timeoutMs: 10_000 };

describe.runIf(existsSync(BUSYBOX_HOST))('ScriptSession over a local busybox ash', () => {
  it('runs scripts one after the other in one shell: stdout, stderr and exit status apart', async () => {
    const { session, shells } = localSession();
    const a = await session.exec('echo out; echo err >&2; exit 3', ash);
    expect(a).toMatchObject({ stdout: 'out\n', stderr: 'err\n', exitCode: 3, timedOut: false });
    const b = await session.exec("printf 'no newline'", ash);
    expect(b).toMatchObject({ stdout: 'no newline', stderr: '', exitCode: 0 });
    // Each script in its own shell: a variable, a directory change or `exit` does not carry over.
    await session.exec('X=1; cd /tmp; exit 0', ash);
    const c = await session.exec('echo "[$X] $(pwd)"', ash);
    expect(c.stdout).toBe('[] /root\n');
    expect(shells()).toBe(1);
    await session.close();
  });

  it('gives a script an empty stdin, whatever follows it on the channel', async () => {
    const { session } = localSession();
    const [r, s] = await Promise.all([session.exec('cat; echo "read: $?"', ash), session.exec('echo second', ash)]);
    expect(r.stdout).toBe('read: 0\n');
    expect(s.stdout).toBe('second\n');
    await session.close();
  });

  it('keeps output that looks like a marker, heredoc delimiters and large output intact', async () => {
    const { session } = localSession();
    const script = ["cat <<'EOF'", 'IPVSH_0000000000000000 7', 'EOF', 'echo; echo', 'head -c 1000000 /dev/zero | tr "\\0" x'].join('\n');
    const r = await session.exec(script, ash);
    expect(r.stdout.startsWith('IPVSH_0000000000000000 7\n\n\n')).toBe(true);
    expect(r.stdout.length).toBe('IPVSH_0000000000000000 7\n\n\n'.length + 1_000_000);
    expect(r.exitCode).toBe(0);
    await session.close();
  });

  it('times a script out, stops its shell, and starts a new one for the next script', async () => {
    const { session, shells } = localSession();
    const t = await session.exec('echo before; sleep 5', { ...ash, timeoutMs: 300 });
    expect(t).toMatchObject({ timedOut: true, exitCode: null, stdout: 'before\n' });
    const next = await session.exec('echo after', ash);
    expect(next).toMatchObject({ stdout: 'after\n', exitCode: 0 });
    expect(shells()).toBe(2);
    await session.close();
  });

  it('starts a new shell when the last one died between scripts', async () => {
    const { session, shells, killShell } = localSession();
    await session.exec('true', ash);
    killShell();
    await new Promise((r) => setTimeout(r, 100));
    expect((await session.exec('echo again', ash)).stdout).toBe('again\n');
    expect(shells()).toBe(2);
    await session.close();
  });

  it('rejects an aborted script and passes other commands through to exec', async () => {
    const { session } = localSession();
    const ac = new AbortController();
    const p = session.exec('sleep 5', { ...ash, signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    await expect(p).rejects.toMatchObject({ code: 'ABORTED' });
    fellBack.length = 0;
    expect((await session.exec('uname -r', { timeoutMs: 1000 })).stdout).toBe('fallback');
    expect((await session.exec('ls', { shell: 'busybox', namespace: 'management' })).stdout).toBe('fallback');
    expect((await session.exec('cat', { shell: 'busybox', stdin: 'x' })).stdout).toBe('fallback');
    expect(fellBack).toEqual(['uname -r', 'ls', 'cat']);
    await session.close();
    expect((await session.exec('true', ash)).stdout).toBe('fallback');
  });

  it('lets no command start before an ended or killed shell has closed its channel', async () => {
    const events: string[] = [];
    const session = new ScriptSession(async (_command: string, h: SshStreamHandlers): Promise<SshStream> => {
      const child = spawn(BUSYBOX_HOST, ['sh', '-s'], { stdio: ['pipe', 'pipe', 'pipe'] });
      child.stdout.on('data', h.onStdout);
      child.stderr.on('data', h.onStderr);
      child.on('close', (code, sig) => { events.push('shell closed'); h.onClose(code, sig); });
      child.stdin.on('error', () => {});
      // The shell takes its time to go: a channel that closes late.
      return { write: (d) => void child.stdin.write(d), kill: () => void setTimeout(() => child.kill('SIGKILL'), 200), end: () => void setTimeout(() => child.stdin.end(), 200) };
    }, {
      emit: () => {},
      race: (p) => p,
      fallback: async (command: string): Promise<ExecResult> => {
        events.push(`fallback ${command}`);
        return { command, stdout: '', stderr: '', exitCode: 0, signal: null, durationMs: 0, timedOut: false };
      },
    });
    const t = await session.exec('sleep 5', { ...ash, timeoutMs: 200 });
    expect(t.timedOut).toBe(true);
    await session.exec('true', { timeoutMs: 1000 }); // the liveness probe after a timeout
    await session.exec('echo next', ash);
    await session.close();
    await session.exec('reset', { timeoutMs: 1000 });
    expect(events).toEqual(['shell closed', 'fallback true', 'shell closed', 'fallback reset']);
  });

  it('leaves no script files behind', () => {
    expect(readdirSync('/tmp').filter((f) => f.startsWith('ipvsh-script.'))).toEqual([]);
  });
});

describe('the script framing', () => {
  it('opens the channel in the root namespace with busybox ash reading stdin', () => {
    expect(SESSION_COMMAND).toMatch(/^exec \/bin\/nsenter --net=\/proc\/1\/ns\/net \/bin\/busybox sh -c '.*exec \/bin\/busybox sh -s'$/);
  });

  it('picks a marker the script does not contain', () => {
    const m = newMarker('echo hi');
    expect(m).toMatch(/^IPVSH_[0-9a-f]{16}$/);
    expect(scriptFrame('echo hi', m).split('\n').filter((l) => l === m)).toHaveLength(1);
  });

  it('finds the marker split across chunks, and only at the end', () => {
    const out = new MarkedOutput('IPVSH_ab', true);
    out.push(Buffer.from('data\nIPVSH_ab 1\nmore'));
    expect(out.done).toBe(false);
    out.push(Buffer.from('\nIPVS'));
    out.push(Buffer.from('H_ab 12'));
    out.push(Buffer.from('\n'));
    expect(out.done).toBe(true);
    expect(out.exitCode).toBe(12);
    expect(out.text()).toBe('data\nIPVSH_ab 1\nmore');
  });
});
