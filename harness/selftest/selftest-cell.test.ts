// The guest command that runs a selftest, run here on the host with the same shell tools (dash,
// setsid, timeout): it reports the script's status, stops it at the deadline, and leaves nothing
// running that would hold the SSH channel open.
import { execa } from 'execa';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCommand } from './selftest-cell.ts';

const root = mkdtempSync(join(tmpdir(), 'ipvsh-selftest-run-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function script(name: string, text: string): { script: string } {
  mkdirSync(join(root, 'net', 'netfilter'), { recursive: true });
  writeFileSync(join(root, 'net', 'netfilter', name), text);
  chmodSync(join(root, 'net', 'netfilter', name), 0o755);
  return { script: `net/netfilter/${name}` };
}

const alive = async (marker: string) => (await execa('pgrep', ['-f', marker], { reject: false })).stdout.trim();

describe('runCommand', () => {
  it("runs the script from its folder with -x, stderr merged, and passes on its exit status", async () => {
    const r = await execa('sh', ['-c', runCommand(script('ok.sh', '#!/bin/sh\necho "in $(basename "$PWD")"\necho oops >&2\nexit 4\n'), 'sh', 10, root)], { reject: false });
    expect(r.exitCode).toBe(4);
    expect(r.stdout).toContain('in netfilter');
    expect(r.stdout).toContain('oops');
    expect(r.stdout).toContain('+ exit 4');
  });

  it('kills what the script left running (a server still listening) as soon as it ends', async () => {
    const marker = `sleep 4242${process.pid}`;
    const started = Date.now();
    const r = await execa('sh', ['-c', runCommand(script('leaves.sh', `#!/bin/sh\n${marker} &\necho started\n`), 'sh', 30, root)], { reject: false, timeout: 20_000 });
    expect(r.exitCode).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await alive(marker)).toBe('');
  });

  it('stops the script at the deadline', async () => {
    const marker = `sleep 4343${process.pid}`;
    const started = Date.now();
    const r = await execa('sh', ['-c', runCommand(script('hangs.sh', `#!/bin/sh\n${marker}\n`), 'sh', 1, root)], { reject: false, timeout: 20_000 });
    expect([124, 143]).toContain(r.exitCode); // GNU timeout here; busybox's in the guest reports 143
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await alive(marker)).toBe('');
  });

  it('says so when the guest lacks the interpreter', async () => {
    const r = await execa('sh', ['-c', runCommand(script('x.sh', '#!/bin/nosuchshell\n'), 'nosuchshell', 5, root)], { reject: false });
    expect(r.exitCode).toBe(125);
    expect(r.stdout).toBe('ipvs-harness: no nosuchshell in the guest');
  });
});
