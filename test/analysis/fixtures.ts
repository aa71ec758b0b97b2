// Paths and readers for the real captures copied from the shared fixtures (test/fixtures/traces/).
import { readdirSync, readFileSync } from 'node:fs';
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

/** bpftrace call-event captures: test/fixtures/traces/bpftrace/<kernel>/<cell>.bpftrace.txt, found by listing. */
export const BPFTRACE_TRACES = join(TRACES, 'bpftrace');

export interface BpftraceCapture {
  kernel: string;
  name: string;
  /** The capture's path without `.bpftrace.txt`: `.ftrace.txt` (same cell, if kept) and `.tree.txt` sit beside it. */
  base: string;
}

export function bpftraceCaptures(): BpftraceCapture[] {
  const out: BpftraceCapture[] = [];
  for (const kernel of readdirSync(BPFTRACE_TRACES, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort()) {
    for (const file of readdirSync(join(BPFTRACE_TRACES, kernel)).filter((f) => f.endsWith('.bpftrace.txt')).sort()) {
      const name = file.slice(0, -'.bpftrace.txt'.length);
      out.push({ kernel, name, base: join(BPFTRACE_TRACES, kernel, name) });
    }
  }
  return out;
}
