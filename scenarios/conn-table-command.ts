// The guest command that prints IPVS's connection table and, where the kernel has them, its table
// statistics (/proc/net/ip_vs_status) and load factors (conn_lfactor, svc_lfactor: 7.x); parsed by
// analysis/conn-table.ts. Run before and after each step.
import { CONN_SECTION, LFACTOR_SECTION, STATUS_SECTION } from '../analysis/conn-table.ts';
import type { GuestCommand, GuestTools } from './guest-commands.ts';

export function connTableCommand(_tools?: GuestTools): GuestCommand {
  return {
    label: 'ipvs connections',
    script: [
      `echo '${CONN_SECTION}'`,
      // What `ipvsadm -Lnc` reads and formats (analysis/conn-table.ts parses it): no exec of ipvsadm.
      'cat /proc/net/ip_vs_conn',
      `if [ -r /proc/net/ip_vs_status ]; then echo '${STATUS_SECTION}'; cat /proc/net/ip_vs_status; fi`,
      `echo '${LFACTOR_SECTION}'`,
      'for f in conn_lfactor svc_lfactor; do [ -r /proc/sys/net/ipv4/vs/$f ] && echo "$f $(cat /proc/sys/net/ipv4/vs/$f)"; done',
      'true',
    ].join('\n'),
    timeoutMs: 15_000,
    allowFailure: true,
  };
}
