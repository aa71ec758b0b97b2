// A built-in IPVS has no module tag in available_filter_functions, so `:mod:ip_vs` selects nothing.
// Its functions are still one block there: the file lists the kernel's functions in address order,
// and kbuild links net/netfilter/ipvs/*.o one after the other. Most are named ip_vs_*; the ones in
// between (tcp_conn_schedule, handle_response, udp_snat_handler, ...) are IPVS's too. So the ip_vs_*
// lines are grouped into runs, and every line from a run's first to its last is selected, by number:
// names would also select every other function of the same name (static helpers, dst_output, ...).
// Functions the compiler moved to .text.unlikely (the sync daemon's) form small runs of their own.
import type { GuestCommand } from './guest-commands.ts';

/** Most non-ip_vs lines seen between two ip_vs_* lines inside IPVS (6.1: 15, the SCTP handlers); IPVS's own blocks are thousands of lines apart from anything else named ip_vs_*. */
export const MAX_GAP = 64;

/** 1-based line numbers of available_filter_functions naming ip_vs_* / __ip_vs_* functions without a module tag. */
export const LIST_BUILTIN_IPVS_LINES: GuestCommand = {
  label: 'list built-in ipvs functions',
  script: `awk 'NF == 1 && /^_*ip_vs/ { print NR }' /sys/kernel/tracing/available_filter_functions`,
  timeoutMs: 30_000,
  quietOutput: true,
};

export function parseLineNumbers(text: string): number[] {
  return text.split('\n').map((l) => l.trim()).filter((l) => /^[1-9][0-9]*$/.test(l)).map(Number);
}

/** Pure: the inclusive line ranges to select, one per run of ip_vs lines at most MAX_GAP lines apart. */
export function builtinIpvsRanges(lines: readonly number[], maxGap = MAX_GAP): [number, number][] {
  const sorted = [...new Set(lines)].filter((n) => Number.isInteger(n) && n > 0).sort((a, b) => a - b);
  const ranges: [number, number][] = [];
  for (const n of sorted) {
    const last = ranges.at(-1);
    if (last && n - last[1] <= maxGap + 1) last[1] = n;
    else ranges.push([n, n]);
  }
  return ranges;
}
