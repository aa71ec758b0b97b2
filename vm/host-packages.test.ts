import { describe, expect, it } from 'vitest';
import { missingPackages, REQUIRED_PACKAGES } from './host-packages.ts';
import { ensureCacheDir } from './cache-dir.ts';
import { isVmError } from './errors.ts';

describe('host preparation', () => {
  it('reports exactly the packages dpkg does not have', async () => {
    expect(await missingPackages(['dash', 'ipvs-harness-no-such-package'])).toEqual(['ipvs-harness-no-such-package']);
    expect(await missingPackages(REQUIRED_PACKAGES)).toEqual([]); // setup ran before the tests
  });

  it('an unusable cache folder is CACHE_UNWRITABLE naming the path and the fix (exit 2)', () => {
    let err: unknown;
    try {
      ensureCacheDir('/dev/null/cache');
    } catch (e) {
      err = e;
    }
    expect(isVmError(err, 'CACHE_UNWRITABLE')).toBe(true);
    expect((err as Error).message).toMatch(/cache folder \/dev\/null\/cache is not writable .*--cache-dir <dir> or IPVS_HARNESS_CACHE=<dir>/);
    expect((err as { exitCode: number }).exitCode).toBe(2);
  });
});
