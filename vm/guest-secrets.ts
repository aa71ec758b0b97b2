// The per-boot part of the initramfs: host key and authorized_keys in a tiny second cpio archive,
// appended to the cached image (the kernel unpacks concatenated archives in order).
import { appendFileSync, chmodSync, copyFileSync } from 'node:fs';
import { CpioWriter } from './cpio-writer.ts';
import type { BootKeys } from './host-keys.ts';

export function secretsArchive(keys: BootKeys): Buffer {
  const cpio = new CpioWriter();
  cpio.dir('etc', 0o755).dir('etc/dropbear', 0o700).file('etc/dropbear/host_key', keys.hostKeyDropbear, 0o600);
  cpio.dir('root', 0o700).dir('root/.ssh', 0o700).file('root/.ssh/authorized_keys', keys.clientPublicKeyLine + '\n', 0o600);
  return cpio.toBuffer();
}

/** Writes cached image + secrets into `dest` (in the boot's private temp dir). */
export function writeBootInitrd(cachedImage: string, keys: BootKeys, dest: string): void {
  copyFileSync(cachedImage, dest);
  // The copy takes the cached image's mode (0644), and `mode` on append only applies to a new file:
  // the initrd holds the guest's private host key, so it is made 0600 before the key goes in.
  chmodSync(dest, 0o600);
  appendFileSync(dest, secretsArchive(keys));
}
