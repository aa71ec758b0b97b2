// Real results folders for the report tests (test/fixtures/results/<name>/): `seed` is the seed
// suite on Debian 5.10/6.1/6.12 (21 passed), `mixed` a run with a failed and an error cell, `weight0`
// pod-to-vip with its only real server at weight 0 (ip_vs_conn_new gone, ip_vs_leave added).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuiltReport } from '../analysis/report/build-report.ts';
import { loadReport } from '../harness/report/load-run.ts';

/**
 * `traceable`: host-to-vip, no-destination, pod-to-vip on Debian 6.12.118 and 7.3.4 with what each kernel could trace (kernels[].traceable);
 * `flows`: pod-to-vip and pod-to-vip-dr on Debian 7.3.4 with the flow probes and the connection table.
 */
export type FixtureName = 'seed' | 'mixed' | 'weight0' | 'traceable' | 'new-kernels' | 'flows';
export const RESULTS = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'results');
export const FIXTURE = (name: FixtureName) => join(RESULTS, name);

const cache = new Map<string, BuiltReport>();

/** The report of a fixture, built once per test file. */
export function fixtureReport(name: FixtureName): BuiltReport {
  let built = cache.get(name);
  if (built === undefined) {
    built = loadReport(FIXTURE(name));
    cache.set(name, built);
  }
  return built;
}
