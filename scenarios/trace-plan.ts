// How a scenario is traced on one kernel: function_graph rooted at the IPVS hooks that kernel has,
// filtered to the ip_vs modules plus a few core functions, and (on kernels with ip_vs_in_hook /
// ip_vs_out_hook) kprobe events that print the netfilter hook number next to each hook call.
// A built-in IPVS has no module to filter on (`:mod:ip_vs`): its functions are selected by their line
// in available_filter_functions (builtin-ipvs-lines.ts).
import { createHash } from 'node:crypto';
import { builtinIpvsRanges } from './builtin-ipvs-lines.ts';
import { rootPatterns } from './root-globs.ts';
import { TRACE_END_MARKER } from '../analysis/step-markers.ts';
import type { FlowLayout } from '../analysis/flow-layout.ts';
import type { GuestCommand } from './guest-commands.ts';
import type { Scenario } from './schema.ts';

export const TRACEFS = '/sys/kernel/tracing';

/** Graph roots, in the order of preference; only those the kernel can trace are used. */
export const HOOK_FUNCTIONS = [
  'ip_vs_remote_request4', 'ip_vs_local_request4', 'ip_vs_reply4', 'ip_vs_local_reply4',
  'ip_vs_remote_request6', 'ip_vs_local_request6', 'ip_vs_reply6', 'ip_vs_local_reply6',
  'ip_vs_in_hook', 'ip_vs_out_hook', 'ip_vs_forward_icmp', 'ip_vs_forward_icmp_v6',
] as const;

/** Core functions worth seeing under the hooks: ICMP errors (IPv4, IPv6) and the netfilter re-entries. */
export const DEFAULT_CORE_FUNCTIONS = ['__icmp_send', 'icmp_send', 'icmp6_send', 'nf_hook_slow', '__ip_local_out', 'ip_output'];

/**
 * Kprobe events giving the hook number and the family: struct nf_hook_state, the 3rd argument (%dx on
 * x86-64), begins `u8 hook; u8 pf;` on every kernel that has ip_vs_in_hook / ip_vs_out_hook (pf 2 =
 * IPv4, 10 = IPv6).
 */
export const HOOK_KPROBES = [
  { event: 'in_hook', fn: 'ip_vs_in_hook' },
  { event: 'out_hook', fn: 'ip_vs_out_hook' },
  // Serves both families from 5.16 on (before, ip_vs_forward_icmp / _v6 name the family themselves).
  { event: 'fwd_icmp', fn: 'ip_vs_forward_icmp', hooksOnly: true },
] as const;
export const KPROBE_GROUP = 'ipvsh';

/** Bytes of the packet copied from skb->data (64, the most a fetch-arg array holds): an IPv6 header with a hop-by-hop header, ports and TCP flags; an IPv4 ICMP error with the ports it quotes. */
export const PACKET_BYTES = 64;

/**
 * The flow identity of a hook call, as kprobe fetch-args: every IPVS hook function (5.10's per-hook
 * wrappers, ip_vs_in_hook / ip_vs_out_hook, ip_vs_forward_icmp(_v6)) is a netfilter hook,
 * `(void *priv, struct sk_buff *skb, const struct nf_hook_state *state)`: skb in %si, state in %dx
 * (x86-64). The offsets come from the kernel's BTF (analysis/flow-layout.ts); the packet's first
 * bytes are decoded on the host (analysis/packet-header.ts).
 */
export function flowFetchArgs(l: FlowLayout): string {
  return [
    `hook=+${l.hook.offset}(%dx):u${l.hook.size * 8}`,
    `pf=+${l.pf.offset}(%dx):u8`,
    'skb=%si:x64',
    `netns=+${l.netnsInum.offset}(+${l.net.offset}(%dx)):u32`,
    `pkt=+0(+${l.skbData.offset}(%si)):u8[${PACKET_BYTES}]`,
  ].join(' ');
}

/** Event names of the flow probes: the hook function without its `ip_vs_` prefix (`in_hook`, `remote_request4`). */
export function flowEventName(fn: string): string {
  return fn === 'ip_vs_forward_icmp' ? 'fwd_icmp' : fn === 'ip_vs_forward_icmp_v6' ? 'fwd_icmp6' : fn.replace(/^ip_vs_/, '');
}

export interface TracePlan {
  roots: string[];
  /** What is written to set_ftrace_filter by name (`:mod:ip_vs`, core functions whose line is not known). */
  filters: string[];
  /** Core functions selected by their line in available_filter_functions. */
  coreByLine: string[];
  /** Line ranges of available_filter_functions also selected (a built-in IPVS), inclusive. */
  filterLines: [number, number][];
  kprobes: { event: string; fn: string }[];
  /** The probes carry the flow identity (skb, netns, packet bytes): the kernel's BTF gave the offsets. */
  flowIdentity: boolean;
  start: GuestCommand;
  /**
   * Prints the functions the filter selected (set_ftrace_filter, after start), one name a line: what
   * this kernel could have traced. A call absent from it is inlined (or gone), not merely not made.
   */
  listFiltered: GuestCommand;
  /** Writes the final marker, then stops tracing. */
  stop: GuestCommand;
  /** Prints the trace (the runner marks lost events in it: ring-buffer.ts). */
  collect: GuestCommand;
  reset: GuestCommand;
}

/** What else the plan may know about the kernel. */
export interface TracePlanOptions {
  /** Lines of available_filter_functions that name an IPVS function without a module tag (LIST_BUILTIN_IPVS_LINES). */
  builtinLines?: readonly number[];
  /** The kernel's flow layout (from its BTF): the hook probes then carry skb, netns and packet bytes. */
  layout?: FlowLayout;
  /**
   * Lines of available_filter_functions naming core functions (parseTraceable). A core function with
   * known lines is selected by number: each name written costs the kernel a scan of every function
   * (~0.1 s under TCG), a number costs nothing. Numbers need Linux >= 5.1.
   */
  coreLines?: ReadonlyMap<string, readonly number[]>;
  /**
   * Where the hook functions sit in their module's .text (from the module file: analysis/elf-symbols.ts).
   * The probes are then placed by address, the section's base read in the guest: a probe placed by name
   * costs 5.10 a walk of every kernel symbol (~0.2 s under TCG, ten probes), one by address nothing.
   * The start checks in kprobes/list that each landed on its function, and else places them by name.
   */
  moduleText?: ModuleText;
}

/** A module's functions as offsets in its .text section. */
export interface ModuleText {
  module: string;
  offsets: ReadonlyMap<string, number>;
  /**
   * How the probes are placed: `address` (the default), the section's base read in the guest plus each
   * offset, for kernels whose symbol lookup walks every symbol (< 6.1); `symbol`, as
   * `<module>:<function>+<past entry>`, for kernels that look a symbol up cheaply. Probes named with
   * their module are kept from cell to cell: the kernel takes them off when the reset unloads the
   * module and puts them back when it is loaded again (KPROBES_KEPT).
   */
  placement?: 'address' | 'symbol';
  /**
   * Where each function's own code starts past its ftrace call (5, or 9 after an endbr64). The probes
   * go there: a kprobe on the ftrace call site is an ftrace_ops whose arming and disarming walk every
   * ftrace record (~0.1 s each way for ten probes on 5.10 under TCG), one past it a breakpoint (~0.02 s).
   * The arguments are still in their registers there.
   */
  pastEntry?: ReadonlyMap<string, number>;
}

/** The line the start of tracing prints when the probes could not be placed as planned (by address, or past the ftrace call by module name): they were by name. */
export const KPROBES_BY_NAME = 'kprobes placed by name:';

/**
 * Says which kprobe definitions the guest keeps between cells: `kept <hash of the definitions>`. Only
 * probes named `<module>:<function>+<offset>` are kept: the kernel re-registers them when the module
 * comes back after the reset's reload, so a cell with the same definitions only enables them (creating
 * three probes and deleting them again cost ~0.2 s a cell on debian:6.1 under TCG). Outside the
 * scenario's run folder, which the reset deletes.
 */
export const KPROBES_KEPT = '/run/ipvsh-kprobes';

/**
 * `available` holds names from available_filter_functions (module suffix stripped); `modules` the
 * loaded ip_vs modules (ip_vs, ip_vs_rr, ...).
 */
export function planTracing(s: Scenario, available: ReadonlySet<string>, modules: readonly string[], opts: TracePlanOptions = {}): TracePlan {
  const { builtinLines = [], layout, coreLines, moduleText } = opts;
  const roots = HOOK_FUNCTIONS.filter((f) => available.has(f));
  const core = [...new Set([...DEFAULT_CORE_FUNCTIONS, ...s.trace.functions])].filter((f) => available.has(f));
  const byLine = core.filter((f) => (coreLines?.get(f)?.length ?? 0) > 0);
  const filters = [...moduleFilters(modules), ...core.filter((f) => !byLine.includes(f))];
  const coreNumbers = [...new Set(byLine.flatMap((f) => coreLines!.get(f)!))].sort((a, b) => a - b);
  const filterLines = builtinIpvsRanges(builtinLines);
  const hooks = available.has('ip_vs_in_hook');
  // With the kernel's layout every hook function is probed (5.10's wrappers too); without it only the
  // hooks whose nf_hook_state begins `u8 hook; u8 pf;` (the kernels with ip_vs_in_hook).
  const kprobes = layout
    ? roots.map((fn) => ({ event: flowEventName(fn), fn }))
    : HOOK_KPROBES.filter((k) => available.has(k.fn) && (hooks || !('hooksOnly' in k))).map((k) => ({ event: k.event, fn: k.fn }));
  const fetchArgs = layout ? flowFetchArgs(layout) : 'hook=+0(%dx):u8 pf=+1(%dx):u8';
  const lines = [
    'set -e',
    `cd ${TRACEFS}`,
    'echo 0 > tracing_on',
    'echo nop > current_tracer',
    `echo ${s.trace.bufferKb} > buffer_size_kb`,
    // Write filters one per line: a single write with many names fails as a whole on one bad name.
    ': > set_ftrace_filter',
    ...filters.map((f) => `echo '${f}' >> set_ftrace_filter`),
    // A number written to set_ftrace_filter selects that line of available_filter_functions (>= 5.1).
    ...(coreNumbers.length > 0 ? [`printf '%s\\n' ${coreNumbers.join(' ')} >> set_ftrace_filter`] : []),
    ...filterLines.map(([from, to]) => `seq ${from} ${to} >> set_ftrace_filter`),
    ': > set_graph_function',
    // Roots as few patterns as select exactly them (root-globs.ts), then a check that they did.
    ...rootPatterns(roots, available).map((r) => `echo '${r}' >> set_graph_function`),
    ...(roots.length > 0 ? [graphRootsCheck(roots)] : []),
    `echo ${s.trace.depth} > max_graph_depth`,
    'echo 1 > options/funcgraph-proc',
    'echo 1 > options/funcgraph-tail',
    'echo 1 > options/funcgraph-abstime',
    'echo 1 > options/funcgraph-cpu',
    'echo 1 > options/funcgraph-duration',
    'echo 1 > options/funcgraph-overhead',
    'echo 0 > options/funcgraph-irqs',
    ...kprobeLines(kprobes, fetchArgs, moduleText),
    // Switching the tracer (from nop, above) clears the ring buffer and its loss counters, as
    // `: > trace` would (tracer_init); that write cost ~30 ms more under TCG.
    'echo function_graph > current_tracer',
    'echo 1 > tracing_on',
  ];
  return {
    roots,
    filters,
    coreByLine: byLine,
    filterLines,
    kprobes,
    flowIdentity: layout !== undefined && kprobes.length > 0,
    start: { label: 'start tracing', script: lines.join('\n'), timeoutMs: 60_000 },
    listFiltered: {
      label: 'list traced functions', quietOutput: true, timeoutMs: 30_000,
      // `name [module]` per line; `#### all functions enabled ####` (never here: the filter is not empty) is skipped.
      script: `grep -v '^#' ${TRACEFS}/set_ftrace_filter | cut -d' ' -f1 | sort -u`,
    },
    stop: { label: 'stop tracing', script: `echo '${TRACE_END_MARKER}' > ${TRACEFS}/trace_marker; echo 0 > ${TRACEFS}/tracing_on`, timeoutMs: 10_000 },
    collect: { label: 'collect trace', script: `cat ${TRACEFS}/trace`, timeoutMs: 120_000, quietOutput: true },
    reset: { label: 'reset tracing', script: resetTracingScript(), timeoutMs: 60_000, allowFailure: true },
  };
}

/**
 * The ip_vs modules' functions: `:mod:<name>` for one module, one glob for several. Each pattern
 * written to set_ftrace_filter is a scan of every ftrace record (~60 ms on 5.10 under TCG), and the
 * module part of `:mod:` is a glob; `modules` are all the loaded modules named ip_vs* (the guest's
 * grep of /proc/modules), so `ip_vs*` selects exactly theirs.
 */
function moduleFilters(modules: readonly string[]): string[] {
  if (modules.length > 1 && modules.every((m) => /^ip_vs[a-z0-9_]*$/.test(m))) return [':mod:ip_vs*'];
  return modules.map((m) => `:mod:${m}`);
}

/**
 * Fails the start when set_graph_function holds other functions than the roots (names, module tags cut).
 * One `cat`, then shell builtins: the pipeline of cut, sort and tr it replaces cost ~0.1 s of process
 * starts under TCG. Not the shell's `read` on the file itself: it reads a byte at a time, and tracefs
 * then gives only the first entry (as a sysctl file gives nothing past offset 0).
 */
function graphRootsCheck(roots: readonly string[]): string {
  const want = [...new Set(roots)].sort();
  const list = want.join(' ');
  return [
    `set -f; n=0; seen=; bad=; for fn in $(cat set_graph_function); do case $fn in '['*) continue ;; esac; case ' ${list} ' in *" $fn "*) case " $seen " in *" $fn "*) ;; *) seen="$seen $fn"; n=$((n+1)) ;; esac ;; *) bad="$bad $fn" ;; esac; done; set +f`,
    `[ -z "$bad" ] && [ $n -eq ${want.length} ] || { echo "set_graph_function holds:$seen$bad; expected: ${list}" >&2; exit 1; }`,
  ].join('\n');
}

/** Disables and deletes every probe event, kept ones too, and forgets the key (KPROBES_KEPT). */
const DROP_PROBES = `[ ! -d events/${KPROBE_GROUP} ] || echo 0 > events/${KPROBE_GROUP}/enable; : > kprobe_events; rm -f ${KPROBES_KEPT}`;

function kprobeLines(kprobes: { event: string; fn: string }[], fetchArgs: string, text: ModuleText | undefined): string[] {
  // Definitions a cell before this one may have kept (a kernel with module-named probes) go first.
  const dropKept = `if [ -e ${KPROBES_KEPT} ]; then ${DROP_PROBES}; fi`;
  if (kprobes.length === 0) return [dropKept];
  const byName = kprobes.map((k) => `echo 'p:${KPROBE_GROUP}/${k.event} ${k.fn} ${fetchArgs}' >> kprobe_events`);
  const enable = `echo 1 > events/${KPROBE_GROUP}/enable`;
  const offsets = text && kprobes.every((k) => text.offsets.has(k.fn)) ? kprobes.map((k) => text.offsets.get(k.fn)!) : undefined;
  if (!text || !offsets || !/^[a-z0-9_]+$/.test(text.module) || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) return [dropKept, ...byName, enable];
  // Module text lives at 0xffffffff_a0000000 and up (x86-64): the upper half is fixed, the lower is
  // computed in the shell's 64-bit arithmetic without a sign problem.
  const past = kprobes.map((k) => text.pastEntry?.get(k.fn));
  const known = past.every((p) => p !== undefined && Number.isSafeInteger(p) && p > 0 && p < 16);
  const skip = known ? past as number[] : kprobes.map(() => 0);
  if (text.placement === 'symbol') return known ? keptProbeLines(kprobes, fetchArgs, text.module, skip, byName, enable) : [dropKept, ...byName, enable];
  // printf is a builtin: no subshell per probe (each $(...) is a fork, ~5-10 ms under TCG).
  const byAddress = kprobes.map((k, i) => `printf 'p:${KPROBE_GROUP}/${k.event} 0xffffffff%08x %s\\n' $((a + ${offsets[i]! + skip[i]!})) '${fetchArgs}' >> kprobe_events`);
  const want = kprobes.map((k, i) => `${k.fn}+0x${skip[i]!.toString(16)}`).join(' ');
  const landed = `awk -v want='${want}' 'BEGIN { n = split(want, w, " "); for (i = 1; i <= n; i++) need[w[i]] = 1 } ($3 in need) { delete need[$3] } END { for (k in need) exit 1 }' /sys/kernel/debug/kprobes/list`;
  const list = '/sys/kernel/debug/kprobes/list';
  return [
    dropKept,
    `b=$(cat /sys/module/${text.module}/sections/.text 2>/dev/null) || b=`,
    'case "$b" in 0xffffffff????????) a=$((0x${b#0xffffffff})) ;; *) a= ;; esac',
    `if [ -n "$a" ] && [ -r ${list} ] && { ${byAddress.join(' && ')}; } 2>/dev/null && ${landed} 2>/dev/null; then :; else`,
    `  if [ -z "$a" ]; then why="the base of ${text.module}'s .text is not readable (/sys/module/${text.module}/sections/.text)"`,
    `  elif ! [ -r ${list} ]; then why="${list} is not readable, to check where they landed"`,
    `  else why="at ${text.module}.ko's offsets from the .text base $b they did not land on their functions (kprobes/list)"; fi`,
    `  echo "${KPROBES_BY_NAME} $why"`,
    '  : > kprobe_events',
    ...byName.map((l) => `  ${l}`),
    'fi',
    enable,
  ];
}

/**
 * Probes named `<module>:<function>+<past its ftrace call>`, created once per guest and kept (KPROBES_KEPT):
 * a later cell whose definitions hash the same only enables them. The kernel checks that the offset
 * is an instruction boundary inside the function; a refused definition falls back to names.
 */
function keptProbeLines(kprobes: { event: string; fn: string }[], fetchArgs: string, module: string, skip: readonly number[], byName: string[], enable: string): string[] {
  const defs = kprobes.map((k, i) => `p:${KPROBE_GROUP}/${k.event} ${module}:${k.fn}+${skip[i]!} ${fetchArgs}`);
  const key = `kept ${createHash('sha256').update(defs.join('\n')).digest('hex').slice(0, 16)}`;
  const want = kprobes.map((k, i) => `${k.fn}+${skip[i]!}`).join(', ');
  return [
    // The shell's read on a file of ours in /run (tmpfs), not a `cat`: no fork.
    // 2>/dev/null before the <: a missing file (a first cell) then says nothing on stderr.
    `read -r kept 2>/dev/null < ${KPROBES_KEPT} || kept=`,
    `if [ "$kept" != '${key}' ] || [ ! -d events/${KPROBE_GROUP} ]; then`,
    `  ${DROP_PROBES}`,
    `  if { ${defs.map((d) => `echo '${d}' >> kprobe_events`).join(' && ')}; } 2>/dev/null; then echo '${key}' > ${KPROBES_KEPT}; else`,
    `    echo "${KPROBES_BY_NAME} the kernel refused them past the ftrace call (${want})"`,
    '    : > kprobe_events',
    ...byName.map((l) => `    ${l}`),
    '  fi',
    'fi',
    // A failed enable forgets the key: the next cell defines them again.
    `${enable} || { rm -f ${KPROBES_KEPT}; exit 1; }`,
  ];
}

/**
 * For the reset, after it loaded ip_vs again: a kept probe the kernel could not put back stays `[GONE]`
 * (it only logs a warning, and enabling the group skips it), so the key goes and the next cell defines
 * the probes again.
 */
export function keptProbesCheck(): string {
  return `[ ! -e ${KPROBES_KEPT} ] || ! grep -qs '\\[GONE\\]' /sys/kernel/debug/kprobes/list || rm -f ${KPROBES_KEPT}`;
}

export function resetTracingScript(): string {
  return [
    `cd ${TRACEFS}`,
    'echo 0 > tracing_on',
    'echo nop > current_tracer',
    `[ -d events/${KPROBE_GROUP} ] && echo 0 > events/${KPROBE_GROUP}/enable`,
    // Kept definitions stay, disabled (KPROBES_KEPT); any other probe goes.
    `[ -e ${KPROBES_KEPT} ] || : > kprobe_events`,
    ': > set_ftrace_filter',
    ': > set_graph_function',
    ': > trace',
    'true',
  ].join('\n');
}

/**
 * Writes a runner marker: into ftrace's trace_marker, or (`write`, bpftrace alone) as a plain write(2)
 * to /dev/null, which bpftrace's probe on sys_enter_write picks up as it does the trace_marker write.
 */
export function markerCommand(text: string, sink: 'ftrace' | 'write' = 'ftrace'): GuestCommand {
  return { label: `marker ${text}`, script: `echo '${text}' > ${sink === 'ftrace' ? `${TRACEFS}/trace_marker` : '/dev/null'}`, timeoutMs: 10_000 };
}
