// The KVM decision: a probe boot, never the mere existence of /dev/kvm.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultCacheDir } from './cache-dir.ts';
import { cachedDebianKernels } from './debian-kernels.ts';
import { buildBareImage } from './initramfs.ts';
import { decideAccel, probeKvm } from './kvm-probe.ts';

const dir = mkdtempSync(join(tmpdir(), 'ipvs-harness-kvm-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const kernel = cachedDebianKernels(defaultCacheDir()).find((k) => k.series === '6.1')!;
const image = join(kernel.dir, 'boot', `vmlinuz-${kernel.release}`);

describe('KVM probe', () => {
  it('a missing device means TCG', async () => {
    expect(await probeKvm(image, buildBareImage(dir), undefined, join(dir, 'no-such-kvm'))).toEqual({ usable: false, reason: `${join(dir, 'no-such-kvm')} is missing or not accessible` });
  });

  it('a device that exists but cannot run a guest fails the probe boot (QEMU exits or the boot hangs)', async () => {
    if (existsSync('/dev/kvm')) return; // on a real KVM host this stand-in proves nothing
    const fake = join(dir, 'fake-kvm');
    writeFileSync(fake, '');
    const r = await probeKvm(image, buildBareImage(dir), undefined, fake);
    expect(r.usable).toBe(false);
  });

  it('caches the verdict per machine', async () => {
    const first = await decideAccel({ cacheDir: dir, kernelImage: image });
    expect(existsSync(join(dir, 'kvm-verdict.json'))).toBe(true);
    const events: string[] = [];
    expect(await decideAccel({ cacheDir: dir, kernelImage: image, onEvent: (e) => events.push(e.kind === 'kvm-probe' ? String(e.cached) : '') })).toBe(first);
    expect(events).toEqual(['true']);
  });
});
