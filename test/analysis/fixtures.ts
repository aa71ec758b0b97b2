// Paths and readers for the real captures copied from the shared fixtures (test/fixtures/traces/).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Trace } from '../../analysis/model.ts';
import { renderTreeText } from '../../analysis/render-text.ts';
import { findRoleInstances, resolveGeneration } from '../../analysis/roles.ts';

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

/** A trace as text, each hook call annotated with its roles and where its hook number came from (the captures' .tree.txt snapshots). */
export function roleTree(trace: Trace, kernelRelease: string | null): string {
  const instances = findRoleInstances(trace, resolveGeneration(trace, kernelRelease));
  const byNode = new Map(instances.map((i) => [i.node, i]));
  return renderTreeText(trace, {
    durations: false,
    annotate: (n) => {
      const i = byNode.get(n);
      return i ? `<${i.roles.join('|')}; ${i.hook !== null ? `hook ${i.hook} from ${i.hookSource}` : 'hook unknown'}>` : null;
    },
  });
}
