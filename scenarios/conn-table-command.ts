// The guest command that prints IPVS's connection table and, where the kernel has them, its table
// statistics (/proc/net/ip_vs_status) and load factors (conn_lfactor, svc_lfactor: 7.x); parsed by
// analysis/conn-table.ts. Run before and after each step.
import { CONN_SECTION, LFACTOR_SECTION, STATUS_SECTION } from '../analysis/conn-table.ts';
import type { GuestCommand, GuestTools } from './guest-commands.ts';

export function connTableCommand(_tools?: GuestTools): GuestCommand {
  return {
    label: 'ipvs connections',
    // One awk over the files the kernel has, rather than a cat for each (each exec is ~5 ms under TCG,
    // and the table is read before the first step and after each one).
    script: [
      'set --',
      '[ -r /proc/net/ip_vs_conn ] && set -- /proc/net/ip_vs_conn',
      '[ -r /proc/net/ip_vs_status ] && set -- "$@" /proc/net/ip_vs_status',
      'for f in conn_lfactor svc_lfactor; do [ -r /proc/sys/net/ipv4/vs/$f ] && set -- "$@" /proc/sys/net/ipv4/vs/$f; done',
      `if [ $# -eq 0 ]; then echo '${CONN_SECTION}'; echo '${LFACTOR_SECTION}'; exit 0; fi`,
      // What `ipvsadm -Lnc` reads and formats (analysis/conn-table.ts parses it): no exec of ipvsadm.
      `awk 'BEGIN { print "${CONN_SECTION}" } FNR == 1 && FILENAME ~ /ip_vs_status$/ { print "${STATUS_SECTION}" } FNR == 1 && FILENAME ~ /lfactor$/ && !lf++ { print "${LFACTOR_SECTION}" } FILENAME ~ /lfactor$/ { n = FILENAME; sub(/.*\\//, "", n); print n, $0; next } { print } END { if (!lf) print "${LFACTOR_SECTION}" }' "$@" </dev/null`,
    ].join('\n'),
    timeoutMs: 15_000,
    allowFailure: true,
  };
}
