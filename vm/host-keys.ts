// Per-boot keys: the guest's SSH host key is generated on the host (dropbearkey) so we know exactly
// which key to accept; the client key is ephemeral. Neither is ever cached.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import ssh2 from 'ssh2';
import { VmError } from './errors.ts';

export interface BootKeys {
  /** Dropbear-format private host key, for the guest. */
  hostKeyDropbear: Buffer;
  /** The host key's public blob (ssh wire format), for pinning. */
  hostKeyBlob: Buffer;
  /** "ssh-ed25519 AAAA..." */
  hostKeyLine: string;
  clientPrivateKey: string;
  clientPublicKeyLine: string;
}

/** The wire-format blob of an "ssh-ed25519 AAAA... comment" line. */
export function publicKeyBlob(line: string): Buffer {
  const b64 = line.trim().split(/\s+/)[1];
  if (!b64) throw new Error(`not a public key line: ${line}`);
  return Buffer.from(b64, 'base64');
}

/**
 * An ed25519 key pair from ssh2, checked: about 1 in 200 of ssh2's generated keys is malformed (a
 * public key starting with a zero byte loses it) and ssh2 itself then refuses to parse it.
 */
export function generateEd25519KeyPair(comment = 'ipvs-harness'): { private: string; public: string } {
  for (let attempt = 0; attempt < 50; attempt++) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment });
    const parsed = ssh2.utils.parseKey(pair.private);
    const pub = ssh2.utils.parseKey(pair.public);
    if (parsed instanceof Error || pub instanceof Error) continue;
    if (!parsed.getPublicSSH().equals(pub.getPublicSSH()) || publicKeyBlob(pair.public).length !== 51) continue;
    return pair;
  }
  throw new Error('ssh2 generated no valid ed25519 key in 50 attempts');
}

export async function generateBootKeys(tmpDir: string, signal?: AbortSignal): Promise<BootKeys> {
  const file = join(tmpDir, 'host_key');
  const opt = signal ? { cancelSignal: signal } : {};
  try {
    await execa('dropbearkey', ['-t', 'ed25519', '-f', file], opt);
  } catch (err) {
    throw new VmError('HOST_TOOL_MISSING', `dropbearkey failed (${(err as Error).message}); run \`ipvs-harness setup\` (it installs dropbear-bin)`, { phase: 'image', cause: err });
  }
  const pub = await execa('dropbearkey', ['-y', '-f', file], opt);
  const hostKeyLine = pub.stdout.split('\n').find((l) => l.startsWith('ssh-ed25519 '));
  if (!hostKeyLine) throw new VmError('IMAGE_BUILD_FAILED', `dropbearkey -y printed no ssh-ed25519 line`, { phase: 'image' });
  const client = generateEd25519KeyPair();
  return {
    hostKeyDropbear: readFileSync(file),
    hostKeyBlob: publicKeyBlob(hostKeyLine),
    hostKeyLine: hostKeyLine.split(' ').slice(0, 2).join(' '),
    clientPrivateKey: client.private,
    clientPublicKeyLine: client.public,
  };
}
