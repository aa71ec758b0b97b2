// The seed scenarios' expected graphs judged on traces the harness captured from a kernel with IPVS
// built in (shared/fixtures/kernels/6.1-ipvs-builtin, 6.1.192): its functions print without the
// `[ip_vs]` tag, and were selected by line number (test/fixtures/traces/6.1-builtin/pod-to-vip.commands.log).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile, SEED_DIR } from '../scenario-loader.ts';
import { judgeTrace } from './judge-trace.ts';

const dir = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'traces', '6.1-builtin');
const RELEASE = '6.1.192';
const scenario = (name: string) => loadScenarioFile(join(SEED_DIR, `${name}.yaml`)).scenario;
const trace = (name: string) => readFileSync(join(dir, `${name}.ftrace.txt`), 'utf8');
const captured = readdirSync(dir).filter((f) => f.endsWith('.ftrace.txt')).map((f) => f.slice(0, -'.ftrace.txt'.length)).sort();

describe('judgeTrace on captures from a built-in IPVS', () => {
  it('has a capture of every seed scenario', () => {
    expect(captured).toEqual(readdirSync(SEED_DIR).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -'.yaml'.length)).sort());
  });

  it.each(captured)('%s: every expected graph holds, with no module tag in the trace', (name) => {
    const text = trace(name);
    expect(text).not.toContain('[ip_vs');
    const judged = judgeTrace(text, scenario(name), RELEASE);
    expect(judged.graphs.length).toBeGreaterThan(0);
    expect(judged.graphs.filter((g) => !g.holds).map((g) => `${g.name}\n${g.diff}`)).toEqual([]);
    expect(judged.summary.diagnostics).toBe(0);
  });

  it('the graphs of one case fail on the trace of another (host-to-vip\'s local_request on pod-to-vip)', () => {
    const local = judgeTrace(trace('pod-to-vip'), scenario('host-to-vip'), RELEASE).graphs.find((g) => g.role === 'local_request')!;
    expect(local.holds).toBe(false);
    expect(local.diff).toMatch(/DOES NOT HOLD/);
  });

  it('IPVS functions not named ip_vs_* were traced: the protocol handlers under the hooks', () => {
    expect(trace('pod-to-vip')).toMatch(/ tcp_conn_schedule\(\) \{/);
    expect(trace('pod-to-vip-udp')).toMatch(/ udp_snat_handler\(\)/);
  });
});
