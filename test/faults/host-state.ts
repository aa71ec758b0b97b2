// What a run leaves on the host, seen from outside: QEMU processes (found by a marker in their
// command line: the run's private TMPDIR), the harness's temp folders, and listening TCP sockets
// (/proc/net/tcp*). Plus the CLI started the way the fault tests need it (own TMPDIR, env, signals).
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { execa, type ResultPromise } from 'execa';

export const repo = join(import.meta.dirname, '..', '..');

export type CliRun = ResultPromise<{ reject: false; all: true; buffer: true }>;

/**
 * Starts `node bin/ipvs-harness.js <args>` with TMPDIR = a fresh folder under `scratch`, so every QEMU
 * it starts carries that path in its command line and every temp folder lands there.
 */
export function startCli(scratch: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; command?: string[] } = {}): { run: CliRun; tmp: string } {
  const tmp = mkdtempSync(join(scratch, 'tmp-'));
  // tsx keeps its compile cache in TMPDIR: share the warm one, or every CLI start recompiles.
  const tsxCache = join(tmpdir(), `tsx-${process.getuid?.() ?? 0}`);
  if (existsSync(tsxCache)) symlinkSync(tsxCache, join(tmp, basename(tsxCache)));
  const [bin, ...pre] = opts.command ?? ['node'];
  const run = execa(bin!, [...pre, 'bin/ipvs-harness.js', ...args], {
    cwd: repo, reject: false, all: true, buffer: true, timeout: opts.timeoutMs ?? 300_000,
    env: { CI: '1', TMPDIR: tmp, ...opts.env },
  }) as CliRun;
  return { run, tmp };
}

/** Resolves once the run's combined output contains `text` (the line reporter's plain lines under CI=1). */
export function waitForOutput(run: CliRun, text: string | RegExp, timeoutMs = 240_000): Promise<void> {
  let seen = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${String(text)}" within ${timeoutMs / 1000} s; output so far:\n${seen}`)), timeoutMs);
    const onData = (d: Buffer) => {
      seen += d.toString();
      if (typeof text === 'string' ? seen.includes(text) : text.test(seen)) {
        clearTimeout(timer);
        run.all?.off('data', onData);
        resolve();
      }
    };
    run.all?.on('data', onData);
    void run.then(() => {
      clearTimeout(timer);
      reject(new Error(`the run ended before "${String(text)}"; output:\n${seen}`));
    });
  });
}

function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/** PIDs of QEMU processes whose command line mentions `marker` (not the watchdog shell around them). */
export function qemuProcesses(marker: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((pid) => {
      const argv = cmdline(pid);
      return argv.length > 0 && basename(argv[0]!).startsWith('qemu-system') && argv.some((a) => a.includes(marker));
    });
}

/** The harness's temp folders in a TMPDIR (tsx's compile cache lives there too and does not count). */
export function harnessTempDirs(tmp: string): string[] {
  return existsSync(tmp) ? readdirSync(tmp).filter((f) => !f.startsWith('tsx-')) : [];
}

export interface Socket {
  address: string;
  port: number;
  inode: number;
}

function hexAddress(hex: string): string {
  if (hex.length === 8) return [3, 2, 1, 0].map((i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join('.');
  return `[${hex}]`; // IPv6: only its presence matters here
}

/** Listening TCP sockets (IPv4 and IPv6) of this network namespace. */
export function listeningSockets(): Socket[] {
  const out: Socket[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== '0A') continue; // 0A = LISTEN
      const [addr, port] = f[1]!.split(':');
      out.push({ address: hexAddress(addr!), port: parseInt(port!, 16), inode: Number(f[9]) });
    }
  }
  return out;
}

/** The listening sockets a process holds (matched by the inodes of its socket file descriptors). */
export function listeningSocketsOf(pid: number): Socket[] {
  const inodes = new Set<number>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(Number(m[1]));
    } catch {
      // fd closed meanwhile
    }
  }
  return listeningSockets().filter((s) => inodes.has(s.inode));
}
