// The runner's side of `--ipvs-source`: the run plan says which tree and which modules; each kernel,
// once resolved and preflighted, gets its IPVS modules built from that tree (or taken from the cache)
// and checked, before anything boots; after the boot, the guest is asked whether the ip_vs it loaded
// is the built one (the kernel taints out-of-tree modules with O, and the file has the built hash).
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { OutOfTreeIpvsRecord, RunResults } from '../../analysis/report/results.ts';
import type { Scenario } from '../../scenarios/schema.ts';
import type { Guest } from '../../vm/guest.ts';
import { isRevisionSpecificCode } from '../../vm/module-build/errors.ts';
import { modulesForSchedulers } from '../../vm/module-build/ipvs-makefile.ts';
import { kernelWithOwnIpvs } from '../../vm/module-build/own-ipvs.ts';
import type { OutOfTreeIpvs, ResolvedKernel } from '../../vm/resolved-kernel.ts';
import { OutOfTreeIpvsNotLoaded, UsageError } from '../errors.ts';
import { EXIT } from '../exit-codes.ts';
import type { BisectVerdict } from './bisect-verdict.ts';

/** `--ipvs-source` in the run plan. */
export interface OutOfTreeIpvsPlan {
  /** `debian` (the kernel's own linux-source) or an absolute folder. */
  source: string;
  /** Modules to build; undefined = all (a kernel selftest may load any). */
  modules?: string[];
}

/** The modules a run needs: ip_vs and the schedulers its scenarios use; all of them when a selftest runs. */
export function modulesForRun(scenarios: readonly Scenario[], withSelftests: boolean): string[] | undefined {
  if (withSelftests) return undefined;
  return modulesForSchedulers(scenarios.flatMap((s) => s.services.map((svc) => svc.scheduler)));
}

/** `--ipvs-source` as given: `debian`, or a folder made absolute. */
export function ipvsSourceArg(text: string): string {
  return text === 'debian' ? 'debian' : resolve(text);
}

/** The plan's slice: a folder that does not exist is a usage mistake, found before anything runs. */
export function planOutOfTreeIpvs(text: string, scenarios: readonly Scenario[], withSelftests: boolean): OutOfTreeIpvsPlan {
  const source = ipvsSourceArg(text);
  if (source !== 'debian' && !(existsSync(source) && statSync(source).isDirectory())) {
    throw new UsageError(`--ipvs-source ${text}: no such folder; pass a kernel tree (it holds net/netfilter/ipvs/), a folder written by \`ipvs-harness module source\`, or \`debian\` for the kernel's own sources`);
  }
  const modules = modulesForRun(scenarios, withSelftests);
  return { source, ...(modules ? { modules } : {}) };
}

/** The kernel with its IPVS modules built from the plan's tree, checked and laid into its modules tree. */
export async function withOutOfTreeIpvs(
  kernel: ResolvedKernel,
  plan: OutOfTreeIpvsPlan,
  opts: { cacheDir: string; signal?: AbortSignal; progress: (stage: string, detail?: string) => void },
): Promise<ResolvedKernel> {
  const started = performance.now();
  const own = await kernelWithOwnIpvs(kernel, plan.source, {
    cacheDir: opts.cacheDir, onProgress: opts.progress,
    ...(opts.signal ? { signal: opts.signal } : {}), ...(plan.modules ? { modules: plan.modules } : {}),
  });
  opts.progress('IPVS modules ready', outOfTreeSummary(own.outOfTreeIpvs!, performance.now() - started));
  return own;
}

/** "41.2 s (35.0 s CPU)": wall time says how busy the machine was, CPU time what the build costs. */
export function buildTimeText(buildMs: number, buildCpuMs?: number): string {
  return `${(buildMs / 1000).toFixed(1)} s${buildCpuMs !== undefined ? ` (${(buildCpuMs / 1000).toFixed(1)} s CPU)` : ''}`;
}

/** One line: what was built, from what, with what, how long it took. */
export function outOfTreeSummary(ipvs: OutOfTreeIpvs, totalMs?: number): string {
  const from = `${ipvs.source}${ipvs.gitDescribe && !ipvs.source.includes(ipvs.gitDescribe) ? ` (git ${ipvs.gitDescribe})` : ''}, sha ${ipvs.sourceHash}`;
  const time = ipvs.cached ? `cached, built in ${buildTimeText(ipvs.buildMs, ipvs.buildCpuMs)} on ${ipvs.builtAt}` : `built in ${buildTimeText(ipvs.buildMs, ipvs.buildCpuMs)}`;
  const total = totalMs !== undefined && !ipvs.cached ? `; ${(totalMs / 1000).toFixed(1)} s with headers, sources and checks` : '';
  return `${ipvs.modules.map((m) => m.name).join(', ')} from ${from}; ${ipvs.compiler}; ${time}${total}${ipvs.warnings.length ? `; ${ipvs.warnings.join('; ')}` : ''}`;
}

export { OutOfTreeIpvsNotLoaded };

/**
 * Loads ip_vs in the booted guest and proves it is the built one: the kernel marked the module
 * out-of-tree (taint O) and the file modprobe loaded has the built SHA-256. Returns the record for
 * results.json, with what the guest said.
 */
export async function outOfTreeIpvsInGuest(guest: Guest, ipvs: OutOfTreeIpvs, signal?: AbortSignal): Promise<OutOfTreeIpvsRecord> {
  const script = [
    'modprobe ip_vs || exit 1',
    'f=$(modinfo -F filename ip_vs 2>/dev/null || echo /lib/modules/$(uname -r)/kernel/net/netfilter/ipvs/ip_vs.ko)',
    'echo "taint=$(cat /sys/module/ip_vs/taint)"',
    'echo "sha256=$(sha256sum "$f" | cut -d" " -f1)"',
  ].join('\n');
  const r = await guest.exec(script, { timeoutMs: 30_000, ...(signal ? { signal } : {}) });
  const taint = /^taint=(.*)$/m.exec(r.stdout)?.[1] ?? '';
  const sha = /^sha256=(\S*)$/m.exec(r.stdout)?.[1] ?? '';
  const want = ipvs.modules.find((m) => m.name === 'ip_vs')?.sha256;
  if (r.exitCode !== 0 || !taint.includes('O') || (want && sha !== want)) {
    throw new OutOfTreeIpvsNotLoaded(`the guest did not load the built ip_vs (modprobe exit ${r.exitCode}, taint "${taint}", file sha256 ${sha.slice(0, 16) || '-'}, built ${want?.slice(0, 16) ?? '-'})`, [r.stdout, r.stderr].filter(Boolean).join('\n'));
  }
  return { ...ipvs, loaded: `ip_vs loaded in the guest: out-of-tree (taint ${taint}), sha256 ${sha.slice(0, 16)} as built` };
}

/** Error codes of the module build (vm/module-build/errors.ts), as results.json keeps them. */
const MODULE_BUILD_CODE = /^(IPVS_SOURCE_|MODULE_|HEADERS_NOT_FOUND$|COMPILER_MISMATCH$|VERMAGIC_MISMATCH$)/;

/** The compiler's (or depmod's) output of every kernel whose modules could not be had, for the terminal. */
export function outOfTreeFailures(results: RunResults): string[] {
  return results.kernels
    .filter((k) => k.error && MODULE_BUILD_CODE.test(k.error.code) && k.error.details)
    .map((k) => `${k.spec}: [${k.error!.code}] ${k.error!.message}\n${k.error!.details!.trimEnd()}`);
}


/**
 * bisect-run with --ipvs-source: modules that headers, compiler or network trouble kept from being
 * built would fail on every revision, so the bisection stops (128) instead of skipping them all; a
 * revision that does not build (or lacks IPVS, or would not load) is left to bisectVerdict (125).
 */
export function outOfTreeBisectVerdict(results: RunResults): (Omit<BisectVerdict, 'word'> & { word: 'abort' }) | undefined {
  const error = results.kernels[0]?.error;
  if (!error || !MODULE_BUILD_CODE.test(error.code) || isRevisionSpecificCode(error.code) || error.code === 'MODULE_BUILD_INTERRUPTED') return undefined;
  return { exitCode: EXIT.abortBisect, word: 'abort', reason: `the IPVS modules cannot be built on this host for any revision: [${error.code}] ${error.message}` };
}

