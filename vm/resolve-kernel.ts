// One entry point from a kernel spec to files on the host.
import { VmError } from './errors.ts';
import { sha256File } from './file-hash.ts';
import { emitter, type OnVmEvent } from './events.ts';
import { parseKernelSpec, type KernelSpec } from './kernel-spec.ts';
import { resolveDebianKernel } from './debian-kernels.ts';
import { resolveBuildKernel, resolvePathKernel } from './local-kernels.ts';
import type { ResolvedKernel } from './resolved-kernel.ts';

export interface ResolveKernelOptions {
  cacheDir: string;
  signal?: AbortSignal;
  onEvent?: OnVmEvent;
  /** Refresh the apt lists even when they are less than a day old. */
  updateLists?: boolean;
  modulesDir?: string;
  configPath?: string;
}

export function toKernelSpec(spec: string | KernelSpec, extra: { modulesDir?: string; configPath?: string } = {}): KernelSpec {
  if (typeof spec !== 'string') return spec;
  const parsed = parseKernelSpec(spec, extra);
  if (!parsed.ok) throw new VmError('KERNEL_SPEC_UNKNOWN', parsed.message, { phase: 'spec' });
  return parsed.spec;
}

export async function resolveKernel(specIn: string | KernelSpec, opts: ResolveKernelOptions): Promise<ResolvedKernel> {
  const emit = emitter(opts.onEvent);
  const extra: { modulesDir?: string; configPath?: string } = {};
  if (opts.modulesDir) extra.modulesDir = opts.modulesDir;
  if (opts.configPath) extra.configPath = opts.configPath;
  const spec = toKernelSpec(specIn, extra);
  let resolved: ResolvedKernel;
  let cached = true;
  switch (spec.kind) {
    case 'debian-series':
    case 'debian-alias':
    case 'debian-package': {
      const r = await resolveDebianKernel(spec, { cacheDir: opts.cacheDir, onEvent: emit, ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.updateLists ? { updateLists: true } : {}) });
      ({ cached, ...resolved } = r);
      break;
    }
    case 'path':
      resolved = await resolvePathKernel(spec, opts.cacheDir, opts.signal);
      break;
    case 'build':
      resolved = await resolveBuildKernel(spec, opts.cacheDir, opts.signal);
      break;
  }
  resolved.imageSha256 ??= await sha256File(resolved.image);
  emit({ kind: 'kernel-resolved', label: resolved.label, release: resolved.release, image: resolved.image, cached });
  return resolved;
}

