// Inputs of the fault e2e tests: scenarios that hold the guest in a step long enough for a fault to
// land there, a scenario that overflows a tiny trace buffer, bad kernel images, and a private cache
// whose guest image for one kernel runs an impostor SSH server (a host key the run did not pin).
import { execFileSync } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CpioWriter } from '../../vm/cpio-writer.ts';
import { cachedDebianKernels } from '../../vm/debian-kernels.ts';
import { buildGuestImage } from '../../vm/initramfs.ts';
import { resolveKernel } from '../../vm/resolve-kernel.ts';
import { repo } from './host-state.ts';

/** warmup, then a step that waits: the test injects its fault when "step warmup passed" is printed. */
export function holdScenario(dir: string, name: string, holdStep: string, seconds: number): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, `version: 1
name: ${name}
summary: Holds the guest in step ${holdStep} so that a fault can land there.
topology: { vips: [], namespaces: [] }
steps:
  - { name: warmup, from: node, wait: 0.2 }
  - { name: ${holdStep}, from: node, wait: ${seconds} }
`);
  return file;
}

/** host-to-vip with a 64 KiB trace buffer and ~240 more exchanges after the judged step: the buffer wraps. */
export function overflowScenario(dir: string): string {
  const seed = readFileSync(join(repo, 'scenarios', 'seed', 'host-to-vip.yaml'), 'utf8');
  const floods = [1, 2, 3, 4].map((i) => `  - name: flood${i}
    from: node
    connect: { protocol: tcp, to: "10.96.0.10:80", exchanges: 20, interval: 0 }
    expect: { outcome: ok }
`).join('');
  const text = seed
    .replace('name: host-to-vip', 'name: overflow')
    .replace(/\nsteps:\n/, '\ntrace: { bufferKb: 64 }\nsteps:\n')
    .replace(/\ngraphs:\n/, `\n${floods}graphs:\n`);
  if (!text.includes('bufferKb: 64') || !text.includes('flood4')) throw new Error('host-to-vip.yaml changed shape; update overflowScenario');
  const file = join(dir, 'overflow.yaml');
  writeFileSync(file, text);
  return file;
}

export function debianKernel(cacheDir: string, series: string) {
  const k = cachedDebianKernels(cacheDir).find((x) => x.series === series);
  if (!k) throw new Error(`no cached debian:${series} kernel in ${cacheDir}; run \`ipvs-harness setup\``);
  return { ...k, image: join(k.dir, 'boot', `vmlinuz-${k.release}`), config: join(k.dir, 'boot', `config-${k.release}`), modules: join(k.dir, 'lib', 'modules', k.release) };
}

/** A file of 4 KiB of "A": no x86 boot header. */
export function junkKernel(dir: string): string {
  const file = join(dir, 'not-a-kernel.bin');
  writeFileSync(file, Buffer.alloc(4096, 0x41));
  return file;
}

/** A real bzImage with a `.config` beside it that lacks IP_VS (the preflight must refuse it). */
export function kernelWithoutIpvs(dir: string, k: { image: string; config: string }): string {
  const d = join(dir, 'no-ip-vs');
  mkdirSync(d);
  copyFileSync(k.image, join(d, 'bzImage'));
  const config = readFileSync(k.config, 'utf8').replace(/^CONFIG_IP_VS=m$/m, '# CONFIG_IP_VS is not set');
  if (!config.includes('# CONFIG_IP_VS is not set')) throw new Error('the kernel config has no CONFIG_IP_VS=m line');
  writeFileSync(join(d, '.config'), config);
  return join(d, 'bzImage');
}

/**
 * A cache of our own beside the real one: kernels and apt lists shared (symlinks: nothing to download),
 * guest images private, so one of them can be tampered with.
 */
export function privateCache(dir: string, realCache: string): string {
  const cache = join(dir, 'cache');
  mkdirSync(join(cache, 'images'), { recursive: true });
  for (const shared of ['apt', 'kernels']) symlinkSync(join(realCache, shared), join(cache, shared));
  if (existsSync(join(realCache, 'kvm-verdict.json'))) copyFileSync(join(realCache, 'kvm-verdict.json'), join(cache, 'kvm-verdict.json'));
  return cache;
}

/**
 * Builds `spec`'s guest image in `cache` and appends an archive that wraps the guest's dropbear so it
 * serves another host key than the one the run generates and pins: what an impostor answering on the
 * forwarded port looks like to the harness. (The per-boot secrets are appended after it at boot and
 * still install the pinned key; the wrapper just does not use it.)
 */
export async function plantImpostorSshServer(cache: string, spec: string, scratch: string): Promise<void> {
  const kernel = await resolveKernel(spec, { cacheDir: cache });
  const image = await buildGuestImage(kernel, { cacheDir: cache });
  const key = join(scratch, 'impostor_key');
  rmSync(key, { force: true });
  execFileSync('dropbearkey', ['-t', 'ed25519', '-f', key], { stdio: 'ignore' });
  const wrapper = [
    '#!/bin/sh',
    '# test: serve the impostor key instead of the pinned one',
    'for a; do shift; [ "$a" = /etc/dropbear/host_key ] && a=/etc/dropbear/impostor_key; set -- "$@" "$a"; done',
    'exec /usr/sbin/dropbear.real "$@"',
    '',
  ].join('\n');
  const cpio = new CpioWriter()
    .file('usr/sbin/dropbear.real', readFileSync('/usr/sbin/dropbear'), 0o755)
    .file('usr/sbin/dropbear', wrapper, 0o755)
    .dir('etc/dropbear', 0o700)
    .file('etc/dropbear/impostor_key', readFileSync(key), 0o600);
  appendFileSync(image.path, cpio.toBuffer());
}
