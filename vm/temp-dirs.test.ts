import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeBootTempDir, sweepStaleBootTempDirs } from './temp-dirs.ts';

const root = mkdtempSync(join(tmpdir(), 'ipvs-harness-sweep-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('boot temp folders', () => {
  it('are private to the user', () => {
    const dir = makeBootTempDir();
    try {
      expect(statSync(dir).mode & 0o777).toBe(0o700);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a folder whose owner died is swept; live owners, folders without an owner and other names are kept', () => {
    const dead = join(root, 'ipvs-harness-aaaaaa');
    const live = join(root, 'ipvs-harness-bbbbbb');
    const young = join(root, 'ipvs-harness-cccccc');
    const old = join(root, 'ipvs-harness-dddddd');
    const other = join(root, 'ipvs-harness-e2e-xyz');
    for (const d of [dead, live, young, old, other]) mkdirSync(d);
    writeFileSync(join(dead, 'owner.pid'), '999999999');
    writeFileSync(join(live, 'owner.pid'), String(process.pid));
    utimesSync(old, new Date(Date.now() - 3600_000), new Date(Date.now() - 3600_000));
    expect(sweepStaleBootTempDirs(root)).toEqual([dead]);
    expect([live, young, old, other].every((d) => existsSync(d))).toBe(true);
  });
});
