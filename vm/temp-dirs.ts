// Per-boot temp folders: 0700 under os.tmpdir(), owned by a pid. Folders left by a process that was
// SIGKILLed (no chance to clean up) are swept by the next boot.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PREFIX = 'ipvs-harness-';
const OWNER_FILE = 'owner.pid';

export function makeBootTempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), PREFIX)); // mkdtemp creates it with mode 0700
  writeFileSync(join(dir, OWNER_FILE), String(process.pid));
  return dir;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes our boot folders whose owner process is gone. Returns what it removed. */
export function sweepStaleBootTempDirs(root = tmpdir()): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (!/^ipvs-harness-[A-Za-z0-9]{6}$/.test(name)) continue;
    const dir = join(root, name);
    let pid: number;
    try {
      pid = Number(readFileSync(join(dir, OWNER_FILE), 'utf8'));
    } catch {
      continue; // No owner recorded (being created, or not ours to judge): leave it.
    }
    if (!(pid > 0) || alive(pid)) continue;
    rmSync(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}
