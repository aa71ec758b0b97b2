// Snapshot-restored guests through the API, on a real kernel: a booted guest saved once, restored
// several times, each restore the saved guest exactly (nothing one restore changed reaches the next),
// with a wall clock set from the host; a damaged snapshot fails fast with SNAPSHOT_FAILED and leaves no
// QEMU behind; dispose removes the folder.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync, truncateSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootGuest } from './guest.ts';
import { GuestSnapshot } from './guest-snapshot.ts';
import { isVmError } from './errors.ts';

let snapshot: GuestSnapshot;

beforeAll(async () => {
  const guest = await bootGuest({ kernel: 'debian:6.1' });
  const r = await guest.exec('mkdir -p /run/t && echo saved > /run/t/state && modprobe ip_vs && echo ok', { timeoutMs: 30_000 });
  expect(r.stdout).toContain('ok');
  snapshot = await GuestSnapshot.save(guest);
  expect(guest.running).toBe(false);
});
afterAll(() => snapshot?.dispose());

const qemuOf = (name: string) => execFileSync('ps', ['-eo', 'args']).toString().split('\n').filter((l) => l.startsWith('qemu-system') && l.includes(name));

describe('a guest restored from its snapshot (debian:6.1)', () => {
  it('is the saved guest each time: what one restore changed is gone in the next', async () => {
    expect(snapshot.info.sizeBytes).toBeGreaterThan(10_000_000);
    for (let i = 0; i < 2; i++) {
      const g = await snapshot.restore();
      try {
        const r = await g.exec(`cat /run/t/state; grep -c '^ip_vs ' /proc/modules; echo changed-${i} > /run/t/state`, { timeoutMs: 30_000 });
        expect(r.stdout.split('\n').slice(0, 2)).toEqual(['saved', '1']);
      } finally {
        await g.powerOff();
      }
    }
  });

  it('has its wall clock set from the host, and its uptime goes on from the save', async () => {
    const g = await snapshot.restore();
    try {
      const r = await g.exec('date +%s; cut -d" " -f1 /proc/uptime', { timeoutMs: 30_000 });
      const [epoch, uptime] = r.stdout.trim().split('\n').map(Number);
      expect(Math.abs(epoch! - Date.now() / 1000)).toBeLessThan(10);
      expect(uptime).toBeGreaterThan(1);
    } finally {
      await g.powerOff();
    }
  });

  it('a truncated snapshot fails with SNAPSHOT_FAILED within its deadline and leaves no QEMU running', async () => {
    const copy = await GuestSnapshot.save(await snapshot.restore());
    try {
      truncateSync(copy.file, Math.floor(statSync(copy.file).size / 3));
      const started = Date.now();
      const err = await copy.restore().then(() => null, (e: unknown) => e);
      expect(isVmError(err) && err.code).toBe('SNAPSHOT_FAILED');
      expect(Date.now() - started).toBeLessThan(65_000);
      expect(qemuOf(copy.folder)).toEqual([]);
    } finally {
      copy.dispose();
    }
    expect(existsSync(copy.folder)).toBe(false);
  });
});
