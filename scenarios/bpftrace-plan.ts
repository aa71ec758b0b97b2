// bpftrace alongside ftrace (`run --bpftrace`): kprobes on the IPVS hook functions count calls per
// function and netfilter hook number (read through BTF from struct nf_hook_state, the third
// argument on every kernel) and the kernel stacks that led there, which also show callers that
// ftrace cannot trace because they are inlined (ip_vs_nat_send_or_cont). Pure: commands out.
import { RUN_DIR, type GuestCommand } from './guest-commands.ts';
import { HOOK_FUNCTIONS } from './trace-plan.ts';

export const BPFTRACE_OUTPUT = `${RUN_DIR}/bpftrace.json`;
const PID_FILE = `${RUN_DIR}/bpftrace.pid`;

/**
 * Whether bpftrace's `kstack` works on this kernel while function_graph traces the same functions.
 * Measured with Debian's bpftrace 0.17: 5.10 and 6.1 yes; on 6.12 any `kstack` (any depth, perf
 * format, in its own probe block) makes the whole program count nothing and hang on SIGINT. Kernels
 * from 6.12 on get counts without stacks; a release that cannot be read keeps them.
 */
export function kstackWorks(release: string): boolean {
  const m = /^(\d+)\.(\d+)/.exec(release);
  if (!m) return true;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major < 6 || (major === 6 && minor < 12);
}

/** The bpftrace program for the hook functions this kernel has (names checked against a strict pattern); stackDepth 0: no stacks. */
export function bpftraceProgram(available: ReadonlySet<string>, stackDepth = 8): string | null {
  const probes = HOOK_FUNCTIONS.filter((f) => available.has(f) && /^[a-z0-9_]+$/.test(f) && f !== 'ip_vs_forward_icmp' && f !== 'ip_vs_forward_icmp_v6');
  if (probes.length === 0) return null;
  // Kernels < 5.16 name the hook in the wrapper function; reading nf_hook_state there would need
  // kernel headers (Debian's 5.10 bpftrace falls back to clang and fails), so count per function.
  const hook = available.has('ip_vs_in_hook') ? ', ((struct nf_hook_state *)arg2)->hook' : '';
  // One block per function with the name as a literal: a comma list may be attached as one
  // kprobe_multi link, which Debian's bpftrace 0.17 did not attach to every function on 5.10 (only
  // one of four counted), and with ftrace's function_graph and kprobe events on the same functions
  // the `func` builtin made 6.12's bpftrace count nothing and hang on SIGINT.
  const stacks = stackDepth > 0 ? ` @stacks[kstack(${stackDepth})] = count();` : '';
  return probes.map((f) => `kprobe:${f} { @hooks["${f}"${hook}] = count();${stacks} }`).join(' ');
}

export function bpftraceStart(program: string): GuestCommand {
  const script = [
    `mkdir -p ${RUN_DIR}`,
    `rm -f ${BPFTRACE_OUTPUT}`,
    `setsid bpftrace -f json -e '${program}' > ${BPFTRACE_OUTPUT} 2>&1 < /dev/null &`,
    `echo $! > ${PID_FILE}`,
    // Compiling the program takes a while under TCG; the steps must not start before the probes are in.
    `i=0; until grep -q '"attached_probes"' ${BPFTRACE_OUTPUT} 2>/dev/null; do`,
    `  kill -0 $(cat ${PID_FILE}) 2>/dev/null || { echo "bpftrace exited:" >&2; cat ${BPFTRACE_OUTPUT} >&2; exit 1; }`,
    `  i=$((i+1)); [ $i -lt 1200 ] || { echo "bpftrace did not attach within 120 s" >&2; exit 1; }; sleep 0.1`,
    'done',
  ].join('\n');
  return { label: 'start bpftrace', script, timeoutMs: 150_000 };
}

/** SIGINT makes bpftrace print its maps and exit; the output is the JSON lines. */
export function bpftraceStop(): GuestCommand {
  const script = [
    `p=$(cat ${PID_FILE})`,
    'kill -INT "$p"',
    'i=0; while kill -0 "$p" 2>/dev/null; do i=$((i+1)); [ $i -lt 900 ] || { kill -KILL "$p"; echo "bpftrace did not exit within 90 s of SIGINT" >&2; exit 1; }; sleep 0.1; done',
    `cat ${BPFTRACE_OUTPUT}`,
  ].join('\n');
  return { label: 'stop bpftrace', script, timeoutMs: 120_000, quietOutput: true };
}

export interface HookCount {
  fn: string;
  /** Netfilter hook number; 0 when the program counted per function only (wrapper kernels). */
  hook: number;
  count: number;
}

/** A map printed in bpftrace's JSON output (`{"type": "map", "data": {"@hooks": {...}}}`), or null. */
function jsonMap(json: string, name: string): Record<string, unknown> | null {
  for (const line of json.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const msg = JSON.parse(line) as { type?: string; data?: Record<string, unknown> };
      const map = msg.type === 'map' ? msg.data?.[name] : undefined;
      if (map && typeof map === 'object') return map as Record<string, unknown>;
    } catch {
      // Not JSON (a warning bpftrace printed): skip.
    }
  }
  return null;
}

/** Distinct kernel stacks that reached a hook. */
export function stackCount(json: string): number {
  return Object.keys(jsonMap(json, '@stacks') ?? {}).length;
}

/** The `@hooks` map: `{"ip_vs_in_hook,1": 4, ...}`. */
export function hookCounts(json: string): HookCount[] {
  const out: HookCount[] = [];
  const hooks = jsonMap(json, '@hooks');
  if (hooks) {
    for (const [key, count] of Object.entries(hooks)) {
      const [fn, hook] = key.split(',');
      if (fn && typeof count === 'number') out.push({ fn, hook: hook === undefined ? 0 : Number(hook), count });
    }
  }
  return out.sort((a, b) => a.fn.localeCompare(b.fn) || a.hook - b.hook);
}
