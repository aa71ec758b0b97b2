// Public API of the vm layer. Everything else in vm/ is an implementation detail.
export { bootGuest, Guest, type BootGuestOptions, type BootTimings } from './guest.ts';
export type { ExecOptions, ExecResult, GuestNamespace } from './guest-commands.ts';
export { parseKernelSpec, DEFAULT_KERNEL_SPECS, KERNEL_SPEC_HELP, type KernelSpec } from './kernel-spec.ts';
export { resolveKernel, type ResolveKernelOptions } from './resolve-kernel.ts';
export type { ResolvedKernel } from './resolved-kernel.ts';
export { preflightKernel, missingKernelOptions, REQUIRED_OPTIONS } from './preflight.ts';
export { buildGuestImage, buildBareImage, type GuestImage, type GuestImageOptions } from './initramfs.ts';
export { defaultCacheDir, ensureCacheDir } from './cache-dir.ts';
export { shellQuote, shellJoin } from './shell-quote.ts';
export { VmError, isVmError, type VmErrorCode, type VmPhase } from './errors.ts';
export type { VmEvent, VmEventKind, VmEventOf, OnVmEvent, BootStage } from './events.ts';
export { readBzImageInfo } from './bzimage.ts';
export { decideAccel } from './kvm-probe.ts';
export { listKernels, type KernelListing } from './kernel-listing.ts';
export { runBareBoot, type BareBootResult } from './bare-boot.ts';
export { REQUIRED_PACKAGES, TEST_PACKAGES, BPFTRACE_PACKAGES, missingPackages, isRoot } from './host-packages.ts';
export { cachedDebianKernels } from './debian-kernels.ts';
