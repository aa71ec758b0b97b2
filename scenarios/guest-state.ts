// Between scenarios one booted guest is returned to a clean state: servers stopped, namespaces and
// kube-ipvs0 gone, IPVS emptied, its sysctls and timeouts as they were at boot, tracing off. Then a
// check proves it: anything left over makes the runner boot afresh. (An ip_vs the reset saw unloaded
// and loaded again is fresh: the check then does not compare its sysctls and timeouts, RELOADED.)
//
// IPVS as a module is unloaded and loaded again, which drops every connection, service and sysctl.
// A built-in IPVS cannot be unloaded: its services are flushed with expire_nodest_conn on, so the
// kernel expires every connection whose destination went with them (a delayed work, kernel >= 5.9),
// its counters are zeroed, and its sysctls and timeouts are written back from the snapshot taken
// before the first scenario changed anything.
import { DEFAULT_TOOLS, DUMMY_IF, RUN_DIR, VETH_PREFIX, type GuestCommand, type GuestTools } from './guest-commands.ts';
import { keptProbesCheck, resetTracingScript } from './trace-plan.ts';
import { MANAGEMENT_NS } from './values.ts';

/** Where the IPVS sysctls and timeouts of a fresh IPVS are kept for the whole boot (RUN_DIR is per scenario). */
export const IPVS_BASELINE_DIR = '/run/ipvsh-base';
const VS_SYSCTLS = '/proc/sys/net/ipv4/vs';

/**
 * Every IPVS sysctl as `name value` lines, read by one grep. Not the shell's `read`: it reads a byte
 * at a time, and a sysctl file read from an offset past 0 says end of file, so `read` gets one
 * character. Not `$(cat)` per file either: two forks a sysctl (~20 ms each under TCG).
 */
const SYSCTL_SNAPSHOT = `grep -H . ${VS_SYSCTLS}/* 2>/dev/null | sed 's|^${VS_SYSCTLS}/||; s/:/ /'`;

/** awk over the baseline and the current snapshot: the baseline line of every sysctl whose value changed. */
const CHANGED_SYSCTLS = `awk 'NR == FNR { b[$1] = $0; next } ($1 in b) && b[$1] != $0 { print b[$1] }'`;

/** The modules the kernel has built in (never modprobed nor unloaded); `ip_vs` among them means IPVS is built in. */
export type BuiltinModules = ReadonlySet<string>;

export function ipvsBuiltIn(builtIn: BuiltinModules): boolean {
  return builtIn.has('ip_vs');
}

function timeoutsOf(tools: GuestTools): string {
  return `${tools.ipvsadm} -L --timeout | sed -n 's/^Timeout (tcp tcpfin udp): //p'`;
}

/** Records IPVS's sysctls and timeouts once per boot, before any scenario changes them. */
function baselineLines(tools: GuestTools): string[] {
  const b = IPVS_BASELINE_DIR;
  return [
    `if [ ! -f ${b}/sysctls ]; then`,
    `  mkdir -p ${b}`,
    `  ${SYSCTL_SNAPSHOT} > ${b}/sysctls.tmp`,
    `  ${timeoutsOf(tools)} > ${b}/timeouts`,
    `  mv ${b}/sysctls.tmp ${b}/sysctls`,
    'fi',
  ];
}

/** Writes back every IPVS sysctl that differs from the baseline, and the timeouts. */
function restoreLines(tools: GuestTools): string[] {
  const b = IPVS_BASELINE_DIR;
  return [
    `if [ -f ${b}/sysctls ]; then`,
    `  ${SYSCTL_SNAPSHOT} > ${b}/sysctls.now`,
    `  ${CHANGED_SYSCTLS} ${b}/sysctls ${b}/sysctls.now | while read -r name value; do f=${VS_SYSCTLS}/$name; [ -w "$f" ] && echo "$value" > "$f"; done`,
    `  t=$(cat ${b}/timeouts); [ -z "$t" ] || [ "$(${timeoutsOf(tools)})" = "$t" ] || ${tools.ipvsadm} --set $t`,
    'fi',
  ];
}

/** The scenario's namespaces, one per line: what `ip netns list` prints, read without an exec of iproute2. */
const scenarioNamespaces = `ls /run/netns 2>/dev/null | grep -vx ${MANAGEMENT_NS}`;

export function resetCommand(builtIn: BuiltinModules = new Set(), tools: GuestTools = DEFAULT_TOOLS): GuestCommand {
  const builtin = ipvsBuiltIn(builtIn);
  const script = [
    resetTracingScript(),
    `cd /`,
    `for f in ${RUN_DIR}/*.pid; do [ -f "$f" ] && kill $(cat "$f") 2>/dev/null; done`,
    // The namespaces' anchors gone before their namespaces are deleted (1 s at most): the last
    // reference then goes with 'netns del', as it did before there were anchors.
    `for f in ${RUN_DIR}/ns-*.pid; do [ -f "$f" ] || continue; read -r p < "$f"; i=0; while [ -e /proc/$p/ns/net ] && [ $i -lt 100 ]; do usleep 10000; i=$((i+1)); done; done`,
    'killall socat 2>/dev/null',
    // Built in: deleting the destinations (with the services) then expires their connections.
    ...(builtin ? [`[ -w ${VS_SYSCTLS}/expire_nodest_conn ] && echo 1 > ${VS_SYSCTLS}/expire_nodest_conn`] : []),
    `${tools.ipvsadm} -C 2>/dev/null`,
    // One iproute2 process for every namespace and the dummy interface (-force: go on past one that is gone).
    `{ for ns in $(${scenarioNamespaces}); do echo "netns del $ns"; done; ! [ -e /sys/class/net/${DUMMY_IF} ] || echo 'link del ${DUMMY_IF}'; } | ${tools.ip} -force -batch - 2>/dev/null`,
    // The kernel tears a namespace down in the background, its veth ends here with it: wait (2 s at
    // most) so that the next cell's 'link add vh-<name>' does not find the old one ("File exists").
    `i=0; while set -- /sys/class/net/${VETH_PREFIX}*; [ -e "$1" ] && [ $i -lt 200 ]; do usleep 10000; i=$((i+1)); done`,
    'sysctl -q -w net.ipv4.ip_forward=0',
    'sysctl -q -w net.ipv6.conf.all.forwarding=0',
    // A reloaded module starts from its defaults; a built-in IPVS gets its sysctls and timeouts written back.
    ...(builtin ? [...builtinFlushLines(tools), ...restoreLines(tools)] : [...moduleReloadLines(), keptProbesCheck()]),
    `rm -rf ${RUN_DIR}`,
    'true',
  ].join('\n');
  return { label: 'reset guest state', script, timeoutMs: 60_000, allowFailure: true };
}

/** Unloading ip_vs flushes its connection table; schedulers first, they hold references on it. */
function moduleReloadLines(): string[] {
  const reloaded = `${IPVS_BASELINE_DIR}/${RELOADED}`;
  return [
    `rm -f ${reloaded}`,
    'for i in 1 2 3 4 5 6 7 8 9 10; do',
    "  mods=$(grep -o '^ip_vs_[a-z0-9_]*' /proc/modules)",
    '  for m in $mods; do rmmod "$m" 2>/dev/null; done',
    '  rmmod ip_vs 2>/dev/null',
    "  grep -q '^ip_vs ' /proc/modules || break",
    '  sleep 0.3',
    'done',
    // Gone for real: what comes back is a fresh ip_vs (cleanCheckCommand then skips the sysctl and
    // timeout comparison). `echo`, not `:`: a failed redirection of a special builtin ends the shell.
    `grep -q '^ip_vs ' /proc/modules || echo 1 2>/dev/null > ${reloaded}`,
    'modprobe ip_vs',
  ];
}

/**
 * Left in IPVS_BASELINE_DIR by a reset that saw ip_vs unloaded before loading it again. A freshly
 * loaded ip_vs has its defaults, which the baseline recorded from a fresh ip_vs too, so comparing its
 * sysctls and timeouts (an exec of ipvsadm, ~0.1 s under TCG with the rest) proves nothing more.
 */
export const RELOADED = 'reloaded';

/** Waits (5 s at most) for the kernel's delayed work to expire the connections, and zeroes the counters. */
function builtinFlushLines(tools: GuestTools): string[] {
  return [
    `${tools.ipvsadm} -Z 2>/dev/null`,
    `i=0; while [ $i -lt 50 ] && ${tools.ipvsadm} -Lnc | grep -q -E '^(TCP|UDP|SCTP)'; do sleep 0.1; i=$((i+1)); done`,
  ];
}

/** Prints one line per leftover and exits 1 when the guest is not clean. */
export function cleanCheckCommand(builtIn: BuiltinModules = new Set(), tools: GuestTools = DEFAULT_TOOLS): GuestCommand {
  const b = IPVS_BASELINE_DIR;
  const script = [
    'dirty=0',
    `left=$(${scenarioNamespaces} | tr '\\n' ' '); [ -z "$left" ] || { echo "network namespaces left: $left"; dirty=1; }`,
    `[ -e /sys/class/net/${DUMMY_IF} ] && { echo "${DUMMY_IF} still exists"; dirty=1; }`,
    `set -- /sys/class/net/${VETH_PREFIX}*; [ -e "$1" ] && { echo "veth ends left: $*"; dirty=1; }`,
    // The tables ipvsadm -Ln and -Lnc read and format, read directly (no exec of ipvsadm).
    `s=$(grep -c -E '^(TCP|UDP|SCTP|FWM)' /proc/net/ip_vs); [ "$s" = 0 ] || { echo "$s IPVS services left"; dirty=1; }`,
    `c=$(grep -c -E '^(TCP|UDP|SCTP)' /proc/net/ip_vs_conn); [ "$c" = 0 ] || { echo "$c IPVS connections left"; dirty=1; }`,
    // A module that could not be unloaded keeps its sysctls: the baseline comparison below finds them.
    ipvsBuiltIn(builtIn)
      ? `[ -d /sys/module/ip_vs ] && [ ! -e /sys/module/ip_vs/initstate ] || { echo "ip_vs is not built into this kernel"; dirty=1; }`
      : `grep -q '^ip_vs ' /proc/modules || { echo "ip_vs is not loaded again after the reset"; dirty=1; }`,
    // A module the reset really unloaded came back fresh: nothing to compare (RELOADED).
    `if [ -f ${b}/sysctls ] && ! [ -e ${b}/${RELOADED} ]; then`,
    `  ${SYSCTL_SNAPSHOT} > ${b}/sysctls.now`,
    `  changed=$(${CHANGED_SYSCTLS} ${b}/sysctls ${b}/sysctls.now | while read -r name value; do echo "net.ipv4.vs.$name is $(grep "^$name " ${b}/sysctls.now | cut -d' ' -f2-), was $value"; done)`,
    `  [ -z "$changed" ] || { echo "$changed"; dirty=1; }`,
    `  t=$(${timeoutsOf(tools)}); [ "$t" = "$(cat ${b}/timeouts)" ] || { echo "IPVS timeouts (tcp tcpfin udp) are $t, were $(cat ${b}/timeouts)"; dirty=1; }`,
    'fi',
    'pidof socat >/dev/null && { echo "socat processes left: $(pidof socat)"; dirty=1; }',
    "[ \"$(cat /sys/kernel/tracing/current_tracer)\" = nop ] || { echo \"tracer still $(cat /sys/kernel/tracing/current_tracer)\"; dirty=1; }",
    'exit $dirty',
  ].join('\n');
  return { label: 'check guest is clean', script, timeoutMs: 20_000, allowFailure: true };
}

/**
 * Loads what the scenario's services need that is not built in (ip_vs, its schedulers, ipip for
 * TUN), then records IPVS's fresh sysctls and timeouts once per boot (the reset's reference).
 */
export function moduleCommand(schedulers: readonly string[], needsTunnel: boolean, builtIn: BuiltinModules = new Set(), tools: GuestTools = DEFAULT_TOOLS): GuestCommand {
  const wanted = ['ip_vs', ...new Set(schedulers.map((s) => `ip_vs_${s}`)), ...(needsTunnel ? ['ipip'] : [])];
  const script = ['set -e', ...wanted.filter((m) => !builtIn.has(m)).map((m) => `modprobe ${m}`), ...baselineLines(tools)].join('\n');
  return { label: 'load modules', script, timeoutMs: 30_000 };
}

export const LIST_MODULES: GuestCommand = {
  label: 'list ip_vs modules',
  // None when IPVS is built in (and no scheduler is a module).
  script: "grep -o '^ip_vs[a-z0-9_]*' /proc/modules || true",
  timeoutMs: 10_000,
};

/**
 * Traceable functions the trace plan may use (hooks, ip_vs, ICMP and netfilter core), each as
 * `line:name` (core) or `line:name [module]`: the line in available_filter_functions lets the plan
 * select a core function by number, which costs the kernel no scan of every function (parseTraceable).
 */
export const LIST_TRACEABLE: GuestCommand = {
  label: 'list traceable functions',
  quietOutput: true,
  script: "grep -n -E '^(ip_vs[a-z0-9_.]*|__icmp_send|icmp_send|icmp6_send|nf_hook_slow|__ip_local_out|ip_output)( |$)' /sys/kernel/tracing/available_filter_functions",
  timeoutMs: 30_000,
};

export interface TraceableFunctions {
  names: Set<string>;
  /**
   * Lines of available_filter_functions naming a function of the kernel image itself (no module
   * tag), by name. They stay put while modules come and go: the kernel's own records come first.
   */
  coreLines: Map<string, number[]>;
}

/** Reads LIST_TRACEABLE's output (a line without a number, from an older listing, still gives its name). */
export function parseTraceable(text: string): TraceableFunctions {
  const names = new Set<string>();
  const coreLines = new Map<string, number[]>();
  for (const raw of text.split('\n')) {
    const m = /^(?:(\d+):)?(\S+)(\s+\[[^\]]*\])?/.exec(raw.trim());
    if (!m) continue;
    const name = m[2]!;
    names.add(name);
    if (m[1] !== undefined && m[3] === undefined) coreLines.set(name, [...(coreLines.get(name) ?? []), Number(m[1])]);
  }
  return { names, coreLines };
}
