// Between scenarios one booted guest is returned to a clean state: servers stopped, namespaces and
// kube-ipvs0 gone, ip_vs unloaded and loaded again (which drops every IPVS connection, service and
// sysctl), tracing off. Then a check proves it: anything left over makes the runner boot afresh.
import { DEFAULT_TOOLS, DUMMY_IF, RUN_DIR, type GuestCommand, type GuestTools } from './guest-commands.ts';
import { resetTracingScript } from './trace-plan.ts';
import { MANAGEMENT_NS } from './values.ts';

export function resetCommand(tools: GuestTools = DEFAULT_TOOLS): GuestCommand {
  const script = [
    resetTracingScript(),
    `cd /`,
    `for f in ${RUN_DIR}/*.pid; do [ -f "$f" ] && kill $(cat "$f") 2>/dev/null; done`,
    'killall socat 2>/dev/null',
    `${tools.ipvsadm} -C 2>/dev/null`,
    `for ns in $(${tools.ip} netns list | cut -d' ' -f1 | grep -vx ${MANAGEMENT_NS}); do ${tools.ip} netns del "$ns"; done`,
    `${tools.ip} link del ${DUMMY_IF} 2>/dev/null`,
    'sysctl -q -w net.ipv4.ip_forward=0',
    'sysctl -q -w net.ipv6.conf.all.forwarding=0',
    // Unloading ip_vs flushes its connection table; schedulers first, they hold references on it.
    'for i in 1 2 3 4 5 6 7 8 9 10; do',
    "  mods=$(grep -o '^ip_vs_[a-z0-9_]*' /proc/modules)",
    '  for m in $mods; do rmmod "$m" 2>/dev/null; done',
    '  rmmod ip_vs 2>/dev/null',
    "  grep -q '^ip_vs ' /proc/modules || break",
    '  sleep 0.3',
    'done',
    'modprobe ip_vs',
    `rm -rf ${RUN_DIR}`,
    'true',
  ].join('\n');
  return { label: 'reset guest state', script, timeoutMs: 60_000, allowFailure: true };
}

/** Prints one line per leftover and exits 1 when the guest is not clean. */
export function cleanCheckCommand(tools: GuestTools = DEFAULT_TOOLS): GuestCommand {
  const script = [
    'dirty=0',
    `left=$(${tools.ip} netns list | cut -d' ' -f1 | grep -vx ${MANAGEMENT_NS} | tr '\\n' ' '); [ -z "$left" ] || { echo "network namespaces left: $left"; dirty=1; }`,
    `${tools.ip} link show ${DUMMY_IF} >/dev/null 2>&1 && { echo "${DUMMY_IF} still exists"; dirty=1; }`,
    `s=$(${tools.ipvsadm} -Ln | grep -c -E '^(TCP|UDP|SCTP|FWM)'); [ "$s" = 0 ] || { echo "$s IPVS services left"; dirty=1; }`,
    `c=$(${tools.ipvsadm} -Lnc | grep -c -E '^(TCP|UDP|SCTP)'); [ "$c" = 0 ] || { echo "$c IPVS connections left"; dirty=1; }`,
    'pidof socat >/dev/null && { echo "socat processes left: $(pidof socat)"; dirty=1; }',
    "[ \"$(cat /sys/kernel/tracing/current_tracer)\" = nop ] || { echo \"tracer still $(cat /sys/kernel/tracing/current_tracer)\"; dirty=1; }",
    'exit $dirty',
  ].join('\n');
  return { label: 'check guest is clean', script, timeoutMs: 20_000, allowFailure: true };
}

/** Loads the scheduler modules the scenario's services use (ip_vs itself is loaded at boot). */
export function moduleCommand(schedulers: readonly string[], needsTunnel: boolean): GuestCommand {
  const mods = [...new Set(schedulers.map((s) => `ip_vs_${s}`)), ...(needsTunnel ? ['ipip'] : [])];
  const script = ['set -e', 'modprobe ip_vs', ...mods.map((m) => `modprobe ${m}`)].join('\n');
  return { label: 'load modules', script, timeoutMs: 30_000 };
}

export const LIST_MODULES: GuestCommand = {
  label: 'list ip_vs modules',
  script: "grep -o '^ip_vs[a-z0-9_]*' /proc/modules",
  timeoutMs: 10_000,
};

/** Names of traceable functions the trace plan may use (hooks, ip_vs, ICMP and netfilter core). */
export const LIST_TRACEABLE: GuestCommand = {
  label: 'list traceable functions',
  quietOutput: true,
  // Core functions print without a module suffix, ip_vs ones as `name [ip_vs]`.
  script: "grep -E '^(ip_vs[a-z0-9_.]*|__icmp_send|icmp_send|icmp6_send|nf_hook_slow|__ip_local_out|ip_output)( |$)' /sys/kernel/tracing/available_filter_functions | cut -d' ' -f1 | sort -u",
  timeoutMs: 30_000,
};
