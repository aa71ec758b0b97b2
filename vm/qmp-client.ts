// A minimal QMP client over the unix socket: capabilities handshake, commands with a deadline.
import { connect, type Socket } from 'node:net';
import { existsSync } from 'node:fs';
import { sleep } from './deadline.ts';

export class QmpClient {
  private buffer = '';
  private waiters: { resolve: (v: unknown) => void; reject: (e: Error) => void }[] = [];
  private closed = false;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl).trim();
        this.buffer = this.buffer.slice(nl + 1);
        if (!line) continue;
        let msg: { return?: unknown; error?: { desc?: string }; event?: string; QMP?: unknown };
        try {
          msg = JSON.parse(line) as typeof msg;
        } catch {
          continue;
        }
        if (msg.event || msg.QMP) continue;
        const w = this.waiters.shift();
        if (!w) continue;
        if (msg.error) w.reject(new Error(`QMP error: ${msg.error.desc ?? JSON.stringify(msg.error)}`));
        else w.resolve(msg.return);
      }
    });
    const fail = (): void => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w.reject(new Error('QMP connection closed'));
    };
    socket.on('close', fail);
    socket.on('error', fail);
  }

  /** Connects once the socket file exists; polls until `deadline` (performance.now() ms). */
  static async connect(path: string, deadline: number, signal?: AbortSignal): Promise<QmpClient> {
    let lastErr: unknown;
    while (performance.now() < deadline) {
      if (existsSync(path)) {
        try {
          const socket = await new Promise<Socket>((resolve, reject) => {
            const s = connect(path);
            s.once('connect', () => resolve(s));
            s.once('error', reject);
          });
          const client = new QmpClient(socket);
          await client.command('qmp_capabilities', undefined, 5000);
          return client;
        } catch (err) {
          lastErr = err;
        }
      }
      await sleep(10, signal, 'qemu-start');
    }
    throw new Error(`QMP socket ${path} did not answer: ${(lastErr as Error | undefined)?.message ?? 'not created'}`);
  }

  command(execute: string, args?: Record<string, unknown>, timeoutMs = 5000): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('QMP connection closed'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`QMP ${execute} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = {
        resolve: (v: unknown) => { clearTimeout(timer); resolve(v); },
        reject: (e: Error) => { clearTimeout(timer); reject(e); },
      };
      this.waiters.push(waiter);
      this.socket.write(JSON.stringify(args ? { execute, arguments: args } : { execute }) + '\n');
    });
  }

  async hmp(commandLine: string): Promise<string> {
    return String(await this.command('human-monitor-command', { 'command-line': commandLine }));
  }

  /** `quit` closes the socket as QEMU exits; a lost reply is expected then. */
  async quit(): Promise<void> {
    await this.command('quit', undefined, 2000).catch(() => {});
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }
}
