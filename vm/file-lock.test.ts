import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { withFileLock } from './file-lock.ts';

const dir = mkdtempSync(join(tmpdir(), 'ipvs-harness-lock-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('withFileLock', () => {
  it('runs holders one at a time', async () => {
    const log: string[] = [];
    const job = (name: string) => withFileLock(join(dir, 'a'), 'download', async () => {
      log.push(`${name} in`);
      await delay(150);
      log.push(`${name} out`);
    });
    await Promise.all([job('one'), job('two')]);
    expect(log).toEqual(['one in', 'one out', 'two in', 'two out']);
  });

  it('takes over a lock whose owner died', async () => {
    mkdirSync(join(dir, 'b.lock'));
    writeFileSync(join(dir, 'b.lock', 'pid'), '999999999');
    const started = performance.now();
    expect(await withFileLock(join(dir, 'b'), 'download', async () => 'got it')).toBe('got it');
    expect(performance.now() - started).toBeLessThan(5000);
  });
});
