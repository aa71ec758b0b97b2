// Per-boot keys: the guest's SSH host key is generated on the host (node:crypto, written in
// dropbear's format) so we know exactly which key to accept; the client key is ephemeral. Neither is
// ever cached.
import { generateKeyPairSync } from 'node:crypto';
import ssh2 from 'ssh2';

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

/**
 * The guest's host key in dropbear's own format: string "ssh-ed25519", then one string holding the
 * 32-byte seed and the 32-byte public key (dropbear's buf_put_ed25519_priv_key; what `dropbearkey -t
 * ed25519` writes). Made here rather than by two `dropbearkey` runs: ~40 ms less per boot.
 */
export function dropbearEd25519Key(seed: Buffer, pub: Buffer): Buffer {
  if (seed.length !== 32 || pub.length !== 32) throw new Error(`an ed25519 seed and public key are 32 bytes each, not ${seed.length} and ${pub.length}`);
  return Buffer.concat([sshString(Buffer.from('ssh-ed25519')), sshString(Buffer.concat([seed, pub]))]);
}

function sshString(b: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
}

export function generateBootKeys(): BootKeys {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const seed = Buffer.from(jwk.d!, 'base64url');
  const pub = Buffer.from(jwk.x!, 'base64url');
  const hostKeyBlob = Buffer.concat([sshString(Buffer.from('ssh-ed25519')), sshString(pub)]);
  const client = generateEd25519KeyPair();
  return {
    hostKeyDropbear: dropbearEd25519Key(seed, pub),
    hostKeyBlob,
    hostKeyLine: `ssh-ed25519 ${hostKeyBlob.toString('base64')}`,
    clientPrivateKey: client.private,
    clientPublicKeyLine: client.public,
  };
}
