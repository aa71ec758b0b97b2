// `ipvs-harness flows` and `analyze --json`'s flows, run in-process through main(), on the real
// captures of test/fixtures/traces/flows.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../run-cli.ts';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'traces', 'flows');

const run = runCli;

describe('ipvs-harness flows', () => {
  it('prints each step\'s flows, the kernel\'s own apart', async () => {
    const r = await run('flows', join(DIR, '5.10', 'pod-to-vip-ipv6.trace.txt'));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^-- step request\n(flow \d+: .*\n)*flow \d+: \[fd00:244:2::2\]:\d+ -> \[fd00:96::10\]:80\/tcp: new connection scheduled to \[fd00:244:1::2\]:80/m);
    expect(r.out).toContain("kernel's own: IPv6 neighbour discovery");
  });

  it('--flow filters pwru-style; --calls lists the hook calls', async () => {
    const r = await run('flows', join(DIR, '5.10', 'pod-to-vip-ipv6.trace.txt'), '--flow', 'proto icmpv6', '--calls');
    expect(r.code).toBe(0);
    expect(r.out).not.toContain('/tcp');
    expect(r.out).toMatch(/ip_vs_\w+@\w+ +icmpv6 /);
  });

  it('a malformed --flow is bad input (exit 2), naming the word', async () => {
    const r = await run('flows', join(DIR, '6.1', 'pod-to-vip.trace.txt'), '--flow', 'port eighty');
    expect(r.code).toBe(2);
    expect(r.err).toContain('port "eighty" is not a number');
  });

  it('analyze --json carries the flows beside the trees', async () => {
    const r = await run('analyze', join(DIR, '6.1', 'pod-to-vip.trace.txt'), '--json');
    expect(r.code).toBe(0);
    const t = JSON.parse(r.out);
    expect(t.flows).toHaveLength(1);
    expect(t.flows[0]).toMatchObject({ service: '10.96.0.10:80', realServer: '10.244.1.2:80', decision: 'new connection scheduled' });
  });
});

describe('ipvs-harness check --flow', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'ipvsh-flow-check-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const graph = join(tmp, 'every-lookup.yaml');
  writeFileSync(graph, 'version: 1\nname: every-lookup\nexpect:\n  - role: remote_request6\n    match: every\n    path: [ip_vs_conn_in_get]\n');
  const trace = join(DIR, '5.10', 'pod-to-vip-ipv6.trace.txt');

  it('holds on the connection\'s calls (exit 0), not on the whole step where ND interleaves (exit 1)', async () => {
    const scoped = await run('check', trace, '-e', graph, '--section', 'step request', '--flow', '[fd00:244:2::2] -> [fd00:96::10]:80/tcp');
    expect(scoped.code, scoped.out).toBe(0);
    expect(scoped.err).toContain('1 flow(s) of the trace selected');
    const whole = await run('check', trace, '-e', graph, '--section', 'step request');
    expect(whole.code).toBe(1);
  });

  it('takes addresses only: a name is bad input (exit 2)', async () => {
    const r = await run('check', trace, '-e', graph, '--flow', 'pod1 -> fd00:96::10');
    expect(r.code).toBe(2);
    expect(r.err).toContain('client "pod1" is neither a namespace of the topology (none), an address, nor *');
  });
});
