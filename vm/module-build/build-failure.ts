// Why a module build failed, in words the user can act on. Pure: make's output in, an error out.
// A tree that does not compile is the user's to fix (the compiler's messages follow as printed);
// a toolchain the host lacks (another gcc, kbuild tools linked against a newer C library) is not.
import type { ChosenCompiler, KernelCompiler } from './compiler.ts';
import { ModuleBuildError } from './errors.ts';

/** Kernels whose headers this host (Debian 12, gcc 12, glibc 2.36) can build against. */
export const HOST_BUILDABLE_HINT = 'kernels built for Debian 12 build here: debian:6.1, and bookworm-backports\' 6.12 (debian:linux-image-6.12.95+deb12-cloud-amd64 or newer +deb12)';

const MAX_LINES = 200;

export interface FailureContext {
  label: string;
  source: string;
  compiler: ChosenCompiler;
  kernelCompiler: KernelCompiler;
  buildMs: number;
}

function tail(output: string): string {
  const lines = output.trimEnd().split('\n');
  return lines.length > MAX_LINES ? [`... (${lines.length - MAX_LINES} earlier lines)`, ...lines.slice(-MAX_LINES)].join('\n') : lines.join('\n');
}

export function explainFailure(output: string, ctx: FailureContext): ModuleBuildError {
  const details = tail(output);
  const built = ctx.kernelCompiler.versionText ?? (ctx.kernelCompiler.gccMajor ? `gcc ${ctx.kernelCompiler.gccMajor}` : 'an unknown compiler');
  const glibc = /(GLIBC_\d+\.\d+)' not found/.exec(output)?.[1];
  if (glibc) {
    return new ModuleBuildError('COMPILER_MISMATCH', `the build tools in ${ctx.label}'s linux-kbuild package (modpost, ...) need ${glibc}, newer than this host's C library: they were built for the Debian release of that kernel, which was compiled with ${built}; build on that Debian release (a container of it works), or choose a kernel built for this host's release: ${HOST_BUILDABLE_HINT}`, { details, data: { glibc } });
  }
  const missingTool = /(?:^|\s)([\w.+-]*(?:gcc|cc)(?:-\d+)?): (?:No such file or directory|not found|command not found)/m.exec(output)?.[1];
  if (missingTool) {
    return new ModuleBuildError('COMPILER_MISMATCH', `${ctx.label} was built with ${built}, and its headers call ${missingTool}, which this host lacks; install it, or choose a kernel built with this host's ${ctx.compiler.versionText}: ${HOST_BUILDABLE_HINT}`, { details });
  }
  if (ctx.compiler.mismatch) {
    return new ModuleBuildError('COMPILER_MISMATCH', `${ctx.source} did not build for ${ctx.label} with this host's ${ctx.compiler.versionText}; the kernel was built with ${built}, which the host lacks (install gcc-${ctx.kernelCompiler.gccMajor ?? 'N'} if your Debian has it, or build on the kernel's own Debian release), or choose a kernel built with the host's compiler: ${HOST_BUILDABLE_HINT}; make's output follows`, { details });
  }
  return new ModuleBuildError('MODULE_BUILD_FAILED', `${ctx.source} does not build against ${ctx.label} (${ctx.compiler.versionText}, ${(ctx.buildMs / 1000).toFixed(1)} s); the compiler's messages follow as printed, paths pointing into the tree`, { details });
}
