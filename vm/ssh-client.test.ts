// The ssh2 wrapper against an in-process ssh2 server on 127.0.0.1:0: host-key pinning, exec results,
// stdin, timeouts and AbortSignal.
import { createServer, type AddressInfo, type Server as NetServer } from 'node:net';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isVmError } from './errors.ts';
import { generateEd25519KeyPair, publicKeyBlob } from './host-keys.ts';
import { SshSession } from './ssh-client.ts';

const hostKey = generateEd25519KeyPair();
const otherKey = generateEd25519KeyPair();
const clientKey = generateEd25519KeyPair();
let server: ssh2.Server;
let port: number;
let silent: NetServer;
let silentPort: number;

function handleExec(command: string, stream: ssh2.ServerChannel): void {
  if (command === 'echo hello') {
    stream.write('hello\n');
    stream.stderr.write('warn\n');
    stream.exit(0);
    stream.end();
  } else if (command === 'exit 7') {
    stream.exit(7);
    stream.end();
  } else if (command === 'cat') {
    const chunks: Buffer[] = [];
    stream.on('data', (d: Buffer) => chunks.push(d));
    stream.on('end', () => {
      stream.write(Buffer.concat(chunks));
      stream.exit(0);
      stream.end();
    });
  } else if (command === 'killed') {
    stream.exit('KILL');
    stream.end();
  }
  // 'sleep': never answers.
}

beforeAll(async () => {
  const allowed = ssh2.utils.parseKey(clientKey.public);
  if (allowed instanceof Error) throw allowed;
  server = new ssh2.Server({ hostKeys: [hostKey.private] }, (client) => {
    client.on('authentication', (ctx) => {
      if (ctx.method === 'publickey' && ctx.key.data.equals(allowed.getPublicSSH())) return ctx.accept();
      ctx.reject(['publickey']);
    });
    client.on('session', (accept) => {
      accept().on('exec', (acceptExec, _reject, info) => handleExec(info.command, acceptExec()));
    });
    client.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as AddressInfo).port;
  silent = createServer(() => {}); // accepts TCP, never speaks SSH
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
  silentPort = (silent.address() as AddressInfo).port;
});

afterAll(() => {
  server.close();
  silent.close();
});

const connect = (blob = publicKeyBlob(hostKey.public), p = port, timeoutMs = 5000, signal?: AbortSignal) =>
  SshSession.connect({ port: p, privateKey: clientKey.private, hostKeyBlob: blob, timeoutMs, ...(signal ? { signal } : {}) });

describe('SshSession', () => {
  it('accepts the pinned host key and returns stdout, stderr, exit code and duration', async () => {
    const s = await connect();
    try {
      const r = await s.exec('echo hello', { timeoutMs: 5000 });
      expect(r.stdout.toString()).toBe('hello\n');
      expect(r.stderr.toString()).toBe('warn\n');
      expect(r.exitCode).toBe(0);
      expect(r.timedOut).toBe(false);
      expect(r.durationMs).toBeGreaterThanOrEqual(0);
      expect((await s.exec('exit 7', { timeoutMs: 5000 })).exitCode).toBe(7);
      const killed = await s.exec('killed', { timeoutMs: 5000 });
      expect(killed).toMatchObject({ exitCode: null, signal: 'SIGKILL' });
      const big = Buffer.alloc(300_000, 'x');
      expect((await s.exec('cat', { timeoutMs: 5000, stdin: big })).stdout.equals(big)).toBe(true);
    } finally {
      s.close();
    }
  });

  it('refuses any other host key with HOST_KEY_MISMATCH', async () => {
    const err = await connect(publicKeyBlob(otherKey.public)).catch((e: unknown) => e);
    expect(isVmError(err, 'HOST_KEY_MISMATCH')).toBe(true);
    expect((err as Error).message).toContain('not the key generated for this guest');
  });

  it('a command past its deadline returns timedOut with no exit code', async () => {
    const s = await connect();
    try {
      const started = performance.now();
      const r = await s.exec('sleep', { timeoutMs: 300 });
      expect(r.timedOut).toBe(true);
      expect(r.exitCode).toBeNull();
      expect(performance.now() - started).toBeLessThan(2000);
    } finally {
      s.close();
    }
  });

  it('an aborted command rejects with ABORTED', async () => {
    const s = await connect();
    try {
      const err = await s.exec('sleep', { timeoutMs: 10_000, signal: AbortSignal.timeout(200) }).catch((e: unknown) => e);
      expect(isVmError(err, 'ABORTED')).toBe(true);
    } finally {
      s.close();
    }
  });

  it('a server that never speaks SSH: SSH_TIMEOUT; an abort during connect: ABORTED', async () => {
    const err = await connect(undefined, silentPort, 400).catch((e: unknown) => e);
    expect(isVmError(err, 'SSH_TIMEOUT')).toBe(true);
    const aborted = await connect(undefined, silentPort, 10_000, AbortSignal.timeout(200)).catch((e: unknown) => e);
    expect(isVmError(aborted, 'ABORTED')).toBe(true);
  });
});

describe('generateEd25519KeyPair', () => {
  it('never returns a key ssh2 cannot parse (raw ssh2 output is malformed about 1 in 200 times)', () => {
    for (let i = 0; i < 600; i++) {
      const pair = generateEd25519KeyPair();
      expect(ssh2.utils.parseKey(pair.private)).not.toBeInstanceOf(Error);
      expect(publicKeyBlob(pair.public)).toHaveLength(51);
    }
  });
});
