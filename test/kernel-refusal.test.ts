// A kernel the harness cannot test is refused before anything boots, with exit 2 and the option
// named: copies of the real user build (IPVS built in) with one option taken out of its .config.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunResults } from '../analysis/report/results.ts';
import { BUILTIN_TREE } from './builtin-tree.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'ipvs-harness.js');
const tmp = mkdtempSync(join(tmpdir(), 'ipvs-kernel-refusal-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The shared tree by symbolic links (nothing copied, nothing written there), with its .config edited. */
function treeWithConfig(name: string, edit: (config: string) => string): string {
  const dir = join(tmp, name);
  const link = (rel: string): void => {
    for (const e of readdirSync(join(BUILTIN_TREE, rel), { withFileTypes: true })) {
      const r = join(rel, e.name);
      if (e.isDirectory()) {
        mkdirSync(join(dir, r), { recursive: true });
        link(r);
      } else if (r !== '.config') symlinkSync(join(BUILTIN_TREE, r), join(dir, r));
    }
  };
  mkdirSync(dir, { recursive: true });
  link('');
  writeFileSync(join(dir, '.config'), edit(readFileSync(join(BUILTIN_TREE, '.config'), 'utf8')));
  return dir;
}

const run = (tree: string, out: string, ...scenarios: string[]) =>
  execa(process.execPath, [BIN, 'run', '-j', '1', '-k', `build:${tree}`, ...scenarios.flatMap((s) => ['-s', s]), '-o', join(tmp, out), '--cache-dir', join(tmp, 'cache')], {
    reject: false, env: { NO_COLOR: '1', CI: '1' },
  });

describe('kernels refused up front (nothing boots)', () => {
  it('a kernel without an option the harness needs: exit 2, the option named, no boot', async () => {
    const tree = treeWithConfig('no-kprobe-events', (c) => c.replace(/^CONFIG_KPROBE_EVENTS=y$/m, '# CONFIG_KPROBE_EVENTS is not set'));
    const r = await run(tree, 'no-kprobe-events', 'pod-to-vip', 'host-to-vip');
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/ERROR +build:\S+ pod-to-vip \(0\.0 s\) \[kernel\] kernel build:.* lacks 1 kernel option\(s\) the harness needs: CONFIG_KPROBE_EVENTS;/);
    const results = JSON.parse(readFileSync(join(tmp, 'no-kprobe-events', 'results.json'), 'utf8')) as RunResults;
    expect(results.kernels[0]!.bootMs).toEqual([]);
    expect(results.cells.map((c) => [c.status, c.error?.phase, c.error?.code])).toEqual([['error', 'kernel', 'PREFLIGHT_MISSING_OPTIONS'], ['error', 'kernel', 'PREFLIGHT_MISSING_OPTIONS']]);
  }, 60_000);

  it('a kernel without what one scenario needs (TUN\'s ipip): that scenario refused, exit 2, the option named, no boot', async () => {
    const tree = treeWithConfig('no-ipip', (c) => c.replace(/^CONFIG_NET_IPIP=y$/m, '# CONFIG_NET_IPIP is not set'));
    const r = await run(tree, 'no-ipip', 'pod-to-vip-tun');
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/\[kernel\] kernel build:.* lacks 1 kernel option\(s\) scenario pod-to-vip-tun needs: CONFIG_NET_IPIP;/);
    const results = JSON.parse(readFileSync(join(tmp, 'no-ipip', 'results.json'), 'utf8')) as RunResults;
    expect(results.kernels[0]!.bootMs).toEqual([]);
    expect(results.cells[0]!.error?.details).toContain('CONFIG_NET_IPIP=y or m (is n; TUN forwarding (ipip) of tcp 10.96.0.20:80)');
    expect(existsSync(join(tmp, 'cache', 'images'))).toBe(false);
  }, 60_000);
});
