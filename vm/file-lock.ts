// A cross-process lock on a cache path (mkdir is atomic), for work that must not run twice at once:
// apt-get update of the private lists, unpacking a kernel. A lock whose owner died is taken over.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { sleep } from './deadline.ts';
import type { VmPhase } from './errors.ts';

function ownerAlive(lockDir: string): boolean {
  try {
    const pid = Number(readFileSync(join(lockDir, 'pid'), 'utf8'));
    if (!pid) return false;
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but is not ours; ENOENT on the pid file: being created, assume alive.
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'EPERM' || code === 'ENOENT';
  }
}

export async function withFileLock<T>(path: string, phase: VmPhase, fn: () => Promise<T>, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<T> {
  const lockDir = `${path}.lock`;
  const deadline = performance.now() + (opts.timeoutMs ?? 15 * 60_000);
  let staleChecks = 0;
  // The lock sits beside what it guards, whose parent may not exist yet on a fresh cache.
  mkdirSync(dirname(lockDir), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // Check staleness only now and then: the pid file appears a moment after the folder.
      if (++staleChecks % 10 === 0 && !ownerAlive(lockDir)) {
        rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (performance.now() > deadline) throw new Error(`timed out waiting for the lock ${lockDir} (remove it if no ipvs-harness is running)`);
      await sleep(100, opts.signal, phase);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}
