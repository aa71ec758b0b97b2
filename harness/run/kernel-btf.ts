// The kernel's own BTF (/sys/kernel/btf/vmlinux), read from the guest once per kernel and kept in the
// host cache (`btf/<release>-<image sha>.btf.gz`), so later runs on that kernel ask the guest for
// nothing. What the harness needs from it is the flow layout (analysis/flow-layout.ts): the offsets
// the flow probes dereference.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseBtf } from '../../analysis/btf.ts';
import { flowLayoutOf, type FlowLayout } from '../../analysis/flow-layout.ts';
import type { GuestCommand } from '../../scenarios/guest-commands.ts';
import type { LoggedShell } from './guest-shell.ts';
import { writeAtomic } from './results-folder.ts';

/** Exits 3 when the kernel has no BTF (CONFIG_DEBUG_INFO_BTF off). */
export const READ_KERNEL_BTF: GuestCommand = {
  label: 'read kernel BTF',
  script: '[ -r /sys/kernel/btf/vmlinux ] || exit 3; gzip -c /sys/kernel/btf/vmlinux | base64',
  timeoutMs: 120_000,
  quietOutput: true,
  allowFailure: true,
};

export interface KernelKey {
  release: string;
  /** SHA-256 of the booted image; without it (a kernel the harness did not hash) nothing is cached. */
  imageSha256?: string;
}

export type FlowLayoutResult = { layout: FlowLayout } | { layout?: undefined; why: string };

const memo = new Map<string, FlowLayoutResult>();

export function btfCacheFile(cacheDir: string, key: KernelKey): string | null {
  if (!key.imageSha256) return null;
  return join(cacheDir, 'btf', `${key.release.replace(/[^A-Za-z0-9._+-]/g, '_')}-${key.imageSha256.slice(0, 16)}.btf.gz`);
}

/** The flow layout of the booted kernel: from the process memo, the host cache, or the guest. */
export async function kernelFlowLayout(shell: LoggedShell, key: KernelKey, cacheDir: string): Promise<FlowLayoutResult> {
  const memoKey = `${key.release}/${key.imageSha256 ?? ''}`;
  const known = memo.get(memoKey);
  if (known && key.imageSha256) return known;
  const file = btfCacheFile(cacheDir, key);
  let gz: Buffer | null = null;
  if (file && existsSync(file)) {
    try {
      gz = readFileSync(file);
    } catch {
      gz = null;
    }
  }
  let fromGuest = false;
  if (gz === null) {
    const read = await shell.runAllowingFailure(READ_KERNEL_BTF);
    if (read.exitCode === 3) return remember(memoKey, { why: 'the kernel has no /sys/kernel/btf/vmlinux (CONFIG_DEBUG_INFO_BTF off)' });
    if (read.exitCode !== 0) return remember(memoKey, { why: `reading /sys/kernel/btf/vmlinux failed (exit ${read.exitCode}): ${read.stderr.trim().split('\n').pop() ?? ''}` });
    gz = Buffer.from(read.stdout.replace(/\s+/g, ''), 'base64');
    fromGuest = true;
  }
  let result: FlowLayoutResult;
  try {
    result = { layout: flowLayoutOf(parseBtf(gunzipSync(gz))) };
  } catch (err) {
    return remember(memoKey, { why: `the kernel's BTF cannot be used: ${(err as Error).message}` });
  }
  if (fromGuest && file) {
    try {
      mkdirSync(join(cacheDir, 'btf'), { recursive: true });
      writeAtomic(file, gz, 'BTF cache entry');
    } catch {
      // The cache is an optimisation: the next run reads the guest again.
    }
  }
  return remember(memoKey, result);
}

function remember(key: string, r: FlowLayoutResult): FlowLayoutResult {
  memo.set(key, r);
  return r;
}
