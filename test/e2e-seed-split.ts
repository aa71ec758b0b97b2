// Which seed scenarios CI's e2e runs on every default kernel (test/run.e2e.test.ts) and which on the
// newest one only (test/kube.e2e.test.ts), to keep `npm test` under 20 minutes on a 2-core TCG
// machine. Every seed runs in CI on at least one real kernel; `npm start` runs all of them on all four.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';

const seedDir = join(import.meta.dirname, '..', 'scenarios', 'seed');

/**
 * Seeds whose datapath another seed covers on every kernel: established-flow (one connection's later
 * packets: the held connections of graceful-termination, conn-reuse) and pod-to-vip-udp (UDP through
 * NAT: icmp-from-ip_vs_out's UDP steps).
 */
export const NEWEST_KERNEL_ONLY = ['established-flow', 'pod-to-vip-udp'];

function tagged(name: string): string[] {
  return ((parseYaml(readFileSync(join(seedDir, `${name}.yaml`), 'utf8')) as { tags?: string[] }).tags ?? []);
}

export const SEEDS = readdirSync(seedDir).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -'.yaml'.length)).sort();
/** kube-proxy's settings hold connections open and wait for timeouts (20-30 s a cell under TCG). */
export const KUBERNETES_SEEDS = SEEDS.filter((s) => tagged(s).includes('kubernetes'));
/** A seed added to the folder lands here: run on every default kernel. */
export const EVERY_KERNEL_SEEDS = SEEDS.filter((s) => !KUBERNETES_SEEDS.includes(s) && !NEWEST_KERNEL_ONLY.includes(s));
