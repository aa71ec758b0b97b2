// What every kernel spec resolves to: files on the host, ready for preflight and the image builder.

/** A Debian package a kernel came from, pinned exactly: `debian:<name>` asks for it again. */
export interface PinnedPackage {
  name: string;
  version: string;
  suite: string;
  /** SHA-256 of the .deb, from the archive's index. */
  debSha256?: string;
}
export interface ResolvedKernel {
  /** The spec as the user wrote it, e.g. "debian:6.1". */
  label: string;
  /** `uname -r` of the kernel, e.g. "6.1.0-56-cloud-amd64". */
  release: string;
  /** The bzImage. */
  image: string;
  /** The kernel's .config text, for preflight. */
  configText: string;
  /** lib/modules/<release> with modules.dep (undefined when everything needed is built in). */
  modulesDir?: string;
  systemMapPath?: string;
  /** Where it came from, for humans: package and version, or a path. */
  source: string;
  /** SHA-256 of `image`: what exactly booted. */
  imageSha256?: string;
  /** Debian kernels: every package unpacked for it (the image package, and for split kernels its parts). */
  packages?: PinnedPackage[];
  /** Set when the guest runs IPVS modules the harness built from a source tree (`--ipvs-source`): modulesDir then holds them. */
  outOfTreeIpvs?: OutOfTreeIpvs;
}

/** IPVS modules built out of tree by the harness from a source tree, in place of the kernel's own. */
export interface OutOfTreeIpvs {
  /** The tree: a path (with git describe) or `linux-source-6.1 6.1.192-3 (bookworm-security)`. */
  source: string;
  /** SHA-256 (16 hex) of the IPVS files that were compiled. */
  sourceHash: string;
  gitDescribe?: string;
  /** `gcc --version` of the compiler that built them. */
  compiler: string;
  /** The kernel's build headers the modules were built against. */
  headers: string;
  modules: { name: string; sha256: string }[];
  vermagic: string;
  /** Wall time of the build; `cached` when this run reused it. */
  buildMs: number;
  /** CPU time (user + system) of the build: what it costs on an idle machine. */
  buildCpuMs?: number;
  cached: boolean;
  builtAt: string;
  /** What the build or the tree check noticed (compiler mismatch, kernel modules dropped). */
  warnings: string[];
}
