// bpftrace as a tracer (`run --tracer bpftrace|both`): a program generated from the scenario that
// prints the entry and return of the IPVS hook functions and of every function its expected graphs
// name, one line per event with time, CPU and task, and the netfilter hook number on the hook
// functions; and the runner's step markers, seen as the write(2) that puts them into trace_marker (or
// /dev/null without ftrace). analysis/bpftrace-calls.ts turns the output into call trees. Pure.
//
// kprobe/kretprobe on every kernel, not fentry/fexit: fentry on ip_vs needs the module's BTF, which
// 5.10 does not have (CONFIG_DEBUG_INFO_BTF_MODULES came with 5.11), and kprobes need nothing but
// CONFIG_KPROBES; one probe kind everywhere keeps the output comparable across kernels.
import { BPFTRACE_CALLS_HEADER } from '../analysis/bpftrace-calls.ts';
import { STEP_MARKER_PREFIX } from '../analysis/step-markers.ts';
import type { FlowLayout } from '../analysis/flow-layout.ts';
import type { Step as GraphStep } from '../analysis/expected-graph-types.ts';
import { RUN_DIR, type GuestCommand } from './guest-commands.ts';
import { HOOK_FUNCTIONS } from './trace-plan.ts';
import type { Scenario } from './schema.ts';

export const BPFTRACE_OUTPUT = `${RUN_DIR}/bpftrace.txt`;
const PID_FILE = `${RUN_DIR}/bpftrace.pid`;
const PROGRAM_FILE = `${RUN_DIR}/calls.bt`;

/** Functions worth seeing under the hooks beyond what the graphs name: the ICMP errors. */
const EXTRA_FUNCTIONS = ['__icmp_send', 'icmp_send', 'icmp6_send'];

/** Seconds bpftrace gets to compile and attach (LLVM under TCG is slow), and to exit after SIGINT. */
export const BPFTRACE_ATTACH_S = 120;
export const BPFTRACE_EXIT_S = 20;

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

function namesOfSteps(steps: readonly GraphStep[], out: Set<string>): void {
  for (const s of steps) {
    if (s.kind === 'anyOf') {
      for (const alt of s.alternatives) namesOfSteps(alt, out);
      continue;
    }
    for (const n of s.names) out.add(n);
    for (const f of s.forbid) out.add(f);
    namesOfSteps(s.inside, out);
  }
}

/** The functions besides the hooks the scenario wants seen: what its graphs name, `trace.functions`, the ICMP senders. */
export function bpftraceCandidates(s: Scenario): string[] {
  const named = new Set<string>([...s.trace.functions, ...EXTRA_FUNCTIONS]);
  for (const item of s.graphs) {
    if (item.kind !== 'path') continue;
    for (const e of item.graph.expect) {
      namesOfSteps(e.path, named);
      for (const f of e.forbid) named.add(f);
      if (e.root) named.add(e.root);
    }
  }
  return [...named].filter((f) => NAME_RE.test(f) && !(HOOK_FUNCTIONS as readonly string[]).includes(f)).sort();
}

/**
 * Which of `names` the kernel can probe, with the symbol to probe (a compiler clone such as
 * `handle_response.isra.0` where the plain name is gone): one line `name symbol` each.
 */
export function probeableCommand(names: readonly string[]): GuestCommand {
  const safe = names.filter((n) => NAME_RE.test(n));
  const script = safe.length === 0 ? 'true' : [
    `grep -E '^(${safe.join('|')})(\\.[a-z]+\\.[0-9]+)*( |$)' /sys/kernel/tracing/available_filter_functions | cut -d' ' -f1 | sort -u |`,
    "  while read -r sym; do echo \"${sym%%.*} $sym\"; done",
  ].join('\n');
  return { label: 'probeable functions', script, timeoutMs: 30_000, quietOutput: true, allowFailure: true };
}

/** `name symbol` lines into a map: every symbol of each name (the plain one and its compiler clones: calls may go through any). */
export function parseProbeable(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const [name, sym] = line.trim().split(/\s+/);
    if (!name || !sym || !NAME_RE.test(name) || !/^[A-Za-z0-9_.]+$/.test(sym)) continue;
    const list = out.get(name) ?? [];
    if (!list.includes(sym)) list.push(sym);
    out.set(name, list);
  }
  return out;
}

export interface BpftraceFunctions {
  hooks: string[];
  /** Function name (as the graphs name it) and a symbol probed for it (a name may have several: its clones). */
  others: { name: string; symbol: string }[];
}

/**
 * What bpftrace probes for a scenario on a kernel: the hook functions the kernel has (`traceable`)
 * and every candidate the kernel can probe (`symbols`: parseProbeable).
 */
export function bpftraceFunctions(s: Scenario, traceable: ReadonlySet<string>, symbols: ReadonlyMap<string, readonly string[]>): BpftraceFunctions {
  const hooks = HOOK_FUNCTIONS.filter((f) => traceable.has(f));
  const others: { name: string; symbol: string }[] = [];
  for (const name of bpftraceCandidates(s)) {
    for (const symbol of symbols.get(name) ?? []) others.push({ name, symbol });
  }
  return { hooks, others };
}

/**
 * The program. Hook functions always print; other functions only while a hook runs on that CPU
 * (`@depth[cpu]`), as function_graph records only below its graph roots: a hook runs to its end on
 * one CPU (RCU read side, no sleeping), so the count per CPU is exact. The hook number and family
 * come from struct nf_hook_state (third argument): at the BTF offsets when the kernel's layout is
 * known, else `u8 hook; u8 pf;` on kernels with ip_vs_in_hook; 5.10's per-hook wrappers name both.
 */
export function bpftraceCallsProgram(fns: BpftraceFunctions, layout?: FlowLayout): string {
  const hooks = fns.hooks.filter((f) => NAME_RE.test(f));
  const combined = hooks.includes('ip_vs_in_hook');
  const hookArg = layout ? `*(uint8 *)(arg2 + ${layout.hook.offset})` : combined ? '*(uint8 *)arg2' : '-1';
  const pfArg = layout ? `*(uint8 *)(arg2 + ${layout.pf.offset})` : combined ? '*(uint8 *)(arg2 + 1)' : '-1';
  const lines: string[] = [
    `BEGIN { printf("${BPFTRACE_CALLS_HEADER} %llu\\n", nsecs); }`,
  ];
  for (const f of hooks) {
    lines.push(`kprobe:${f} { @depth[cpu] = @depth[cpu] + 1; printf("> %llu %d %d ${f} %d %d %s\\n", nsecs, cpu, tid, ${hookArg}, ${pfArg}, comm); }`);
    lines.push(`kretprobe:${f} { printf("< %llu %d %d ${f} %lld\\n", nsecs, cpu, tid, (int64)retval); if (@depth[cpu] > 0) { @depth[cpu] = @depth[cpu] - 1; } }`);
  }
  for (const { name, symbol } of fns.others.filter((x) => NAME_RE.test(x.name) && /^[A-Za-z0-9_.]+$/.test(x.symbol))) {
    lines.push(`kprobe:${symbol} /@depth[cpu] > 0/ { printf("> %llu %d %d ${name} -1 -1 %s\\n", nsecs, cpu, tid, comm); }`);
    lines.push(`kretprobe:${symbol} /@depth[cpu] > 0/ { printf("< %llu %d %d ${name} %lld\\n", nsecs, cpu, tid, (int64)retval); }`);
  }
  // The runner's markers: the write(2) of a line starting with the prefix (echo's newline cut: str()
  // of n bytes holds n - 1 characters), bpftrace's own output ($1: its pid) excepted.
  const n = STEP_MARKER_PREFIX.length;
  lines.push(
    `tracepoint:syscalls:sys_enter_write /args.count > ${n} && args.count < 250 && pid != $1/ { if (strncmp(str(args.buf, ${n + 1}), "${STEP_MARKER_PREFIX}", ${n}) == 0) { printf("M %llu %d %d %s\\n", nsecs, cpu, tid, str(args.buf, args.count)); } }`,
  );
  lines.push('END { clear(@depth); }');
  return lines.join('\n') + '\n';
}

/**
 * Starts bpftrace in the background and returns once its BEGIN probe printed the header: every probe
 * is attached then. bpftrace's own error (a probe that cannot attach) is the command's stderr.
 */
export function bpftraceStart(program: string): GuestCommand {
  const script = [
    `mkdir -p ${RUN_DIR}`,
    `rm -f ${BPFTRACE_OUTPUT} ${PID_FILE}`,
    `cat > ${PROGRAM_FILE} <<'IPVSH_BT_EOF'`,
    program.trimEnd(),
    'IPVSH_BT_EOF',
    // Large per-CPU buffers: a step's events must not be lost; markers up to 250 bytes.
    `BPFTRACE_PERF_RB_PAGES=1024 BPFTRACE_MAX_STRLEN=256 setsid sh -c 'exec bpftrace ${PROGRAM_FILE} $$' > ${BPFTRACE_OUTPUT} 2>&1 < /dev/null &`,
    `echo $! > ${PID_FILE}`,
    // A deadline on the guest's clock (loop turns are slow and uneven under TCG).
    `end=$(( $(cut -d. -f1 /proc/uptime) + ${BPFTRACE_ATTACH_S} ))`,
    `until grep -q '^${BPFTRACE_CALLS_HEADER} ' ${BPFTRACE_OUTPUT} 2>/dev/null; do`,
    `  kill -0 $(cat ${PID_FILE}) 2>/dev/null || { echo "bpftrace exited before its probes were attached:" >&2; tail -n 20 ${BPFTRACE_OUTPUT} >&2; exit 1; }`,
    `  [ $(cut -d. -f1 /proc/uptime) -lt $end ] || { kill -KILL $(cat ${PID_FILE}); echo "bpftrace did not attach its probes within ${BPFTRACE_ATTACH_S} s:" >&2; tail -n 20 ${BPFTRACE_OUTPUT} >&2; exit 1; }; sleep 0.1`,
    'done',
  ].join('\n');
  return { label: 'start bpftrace', script, timeoutMs: (BPFTRACE_ATTACH_S + 30) * 1000 };
}

/** SIGINT, then SIGKILL after BPFTRACE_EXIT_S: never a hang. Prints the output; exit 3 when it had to be killed. */
export function bpftraceStop(): GuestCommand {
  const script = [
    `p=$(cat ${PID_FILE} 2>/dev/null)`,
    'killed=0',
    'if [ -n "$p" ]; then',
    '  kill -INT "$p" 2>/dev/null',
    `  end=$(( $(cut -d. -f1 /proc/uptime) + ${BPFTRACE_EXIT_S} ))`,
    `  while kill -0 "$p" 2>/dev/null; do if [ $(cut -d. -f1 /proc/uptime) -ge $end ]; then kill -KILL "$p"; killed=1; break; fi; sleep 0.1; done`,
    'fi',
    `cat ${BPFTRACE_OUTPUT}`,
    `[ $killed = 0 ] || { echo "bpftrace did not exit within ${BPFTRACE_EXIT_S} s of SIGINT: killed" >&2; exit 3; }`,
  ].join('\n');
  return { label: 'stop bpftrace', script, timeoutMs: (BPFTRACE_EXIT_S + 30) * 1000, quietOutput: true, allowFailure: true };
}

export const BPFTRACE_VERSION: GuestCommand = { label: 'bpftrace version', script: 'bpftrace --version', timeoutMs: 30_000, quietOutput: true };
