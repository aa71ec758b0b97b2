// Paths and readers for the real captures copied from the shared fixtures (test/fixtures/traces/).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const TRACES = join(here, '..', 'fixtures', 'traces');
export const GRAPHS = join(here, '..', '..', 'analysis', 'graphs');
export const KERNELS = ['5.10', '6.1', '6.12'] as const;
export const CASES = ['host_vip', 'pod_vip', 'pod_vip_udp', 'local_reply', 'local_reply_host', 'icmp_out', 'icmp_out_off', 'icmp_out_tcp', 'noavail_udp', 'noavail_tcp'] as const;

export function capture(kernel: string, name: string): string {
  return readFileSync(join(TRACES, kernel, `${name}.ftrace.txt`), 'utf8');
}
