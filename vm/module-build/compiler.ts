// Which compiler builds the modules: the one that built the kernel when the host has it (Debian's
// headers name it, gcc-12 for bookworm's kernels), else the host's gcc, marked as a mismatch (the
// build may still work: the kernel's C ABI does not change between gcc versions, but flags and
// plugins may). The kernel's own compiler comes from CONFIG_CC_VERSION_TEXT.
import { execa } from 'execa';

export interface KernelCompiler {
  /** CONFIG_CC_VERSION_TEXT: `gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0`. */
  versionText?: string;
  /** The gcc major version the kernel was built with. */
  gccMajor?: number;
  /** The command Debian's headers would call (`gcc-12`), from .kernelvariables. */
  command?: string;
}

export interface ChosenCompiler {
  /** What make gets as CC=. */
  command: string;
  /** `<command> --version`'s first line. */
  versionText: string;
  gccMajor?: number;
  /** Set when the kernel was built with another compiler: what it was. */
  mismatch?: string;
}

/** Pure: the compiler a kernel config says built it. */
export function kernelCompilerOf(configText: string, kernelVariables?: string): KernelCompiler {
  const versionText = /^CONFIG_CC_VERSION_TEXT="(.*)"$/m.exec(configText)?.[1];
  const gccVersion = Number(/^CONFIG_GCC_VERSION=(\d+)$/m.exec(configText)?.[1] ?? 0);
  const fromText = versionText ? /\b(\d+)\.\d+\.\d+\s*$/.exec(versionText)?.[1] : undefined;
  const gccMajor = gccVersion > 0 ? Math.floor(gccVersion / 10000) : fromText ? Number(fromText) : undefined;
  const ccLine = kernelVariables ? /^CC\s*[:?]?=\s*(.*)$/m.exec(kernelVariables)?.[1] : undefined;
  const command = ccLine ? /(gcc(?:-\d+)?)\s*$/.exec(ccLine)?.[1] : undefined;
  return { ...(versionText ? { versionText } : {}), ...(gccMajor ? { gccMajor } : {}), ...(command ? { command } : {}) };
}

/** Pure: a major version out of `gcc --version`'s first line. */
export function gccMajorOf(versionLine: string): number | undefined {
  const m = /\)\s+(\d+)\.\d+/.exec(versionLine) ?? /\b(\d+)\.\d+\.\d+/.exec(versionLine);
  return m ? Number(m[1]) : undefined;
}

async function versionLine(command: string, signal?: AbortSignal): Promise<string | undefined> {
  const r = await execa(command, ['--version'], { reject: false, ...(signal ? { cancelSignal: signal } : {}) });
  return r.exitCode === 0 ? r.stdout.split('\n')[0]!.trim() : undefined;
}

/** The kernel's own gcc when the host has it, else the host's default gcc with the mismatch noted. */
export async function chooseCompiler(kernel: KernelCompiler, signal?: AbortSignal): Promise<ChosenCompiler | undefined> {
  const wanted = kernel.command ?? (kernel.gccMajor ? `gcc-${kernel.gccMajor}` : undefined);
  for (const command of [wanted, 'gcc'].filter((c): c is string => Boolean(c))) {
    const line = await versionLine(command, signal);
    if (!line) continue;
    const gccMajor = gccMajorOf(line);
    const mismatch = kernel.gccMajor !== undefined && gccMajor !== undefined && gccMajor !== kernel.gccMajor
      ? `the kernel was built with ${kernel.versionText ?? `gcc ${kernel.gccMajor}`}, this host has ${line}`
      : undefined;
    return { command, versionText: line, ...(gccMajor ? { gccMajor } : {}), ...(mismatch ? { mismatch } : {}) };
  }
  return undefined;
}
