// The guest's host key is written in dropbear's format by node:crypto (no dropbearkey run per boot):
// checked against the real dropbearkey, both ways.
import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dropbearEd25519Key, generateBootKeys, publicKeyBlob } from './host-keys.ts';

const dir = mkdtempSync(join(tmpdir(), 'ipvs-harness-keys-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('generateBootKeys', () => {
  it('writes a host key dropbearkey reads back as the very public key the client pins', () => {
    for (let i = 0; i < 5; i++) {
      const keys = generateBootKeys();
      const file = join(dir, `ours-${i}`);
      writeFileSync(file, keys.hostKeyDropbear, { mode: 0o600 });
      const printed = execFileSync('dropbearkey', ['-y', '-f', file], { encoding: 'utf8' });
      const line = printed.split('\n').find((l) => l.startsWith('ssh-ed25519 '));
      expect(line?.split(' ').slice(0, 2).join(' ')).toBe(keys.hostKeyLine);
      expect(publicKeyBlob(keys.hostKeyLine).equals(keys.hostKeyBlob)).toBe(true);
      expect(keys.hostKeyBlob).toHaveLength(51);
    }
  });

  it('lays the key out byte for byte as dropbearkey does, and its public half is the seed\'s', () => {
    const file = join(dir, 'theirs');
    execFileSync('dropbearkey', ['-t', 'ed25519', '-f', file], { stdio: 'ignore' });
    const theirs = readFileSync(file);
    expect(theirs).toHaveLength(83);
    const seed = theirs.subarray(19, 51);
    const pub = theirs.subarray(51, 83);
    expect(dropbearEd25519Key(seed, pub).equals(theirs)).toBe(true);
    const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
    const derived = createPublicKey(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' })).export({ format: 'jwk' });
    expect(Buffer.from(derived.x!, 'base64url').equals(pub)).toBe(true);
  });

  it('refuses a seed or public key of the wrong length', () => {
    expect(() => dropbearEd25519Key(Buffer.alloc(31), Buffer.alloc(32))).toThrow(/32 bytes each/);
  });
});
