// `ipvs-harness analyze` and `check`, run in-process through main(): output and exit codes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GRAPHS, TRACES } from './fixtures.ts';
import { runCli } from '../run-cli.ts';

const run = runCli;

const trace = (k: string, c: string) => join(TRACES, k, `${c}.ftrace.txt`);
const tmp = mkdtempSync(join(tmpdir(), 'ipvs-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('ipvs-harness analyze', () => {
  it('prints the trees with markers, durations and hook roles', async () => {
    const r = await run('analyze', trace('5.10', 'host_vip'));
    expect(r.code).toBe(0);
    expect(r.out).toContain('/* === case host_vip start */  (line 5, sh-294)');
    expect(r.out).toMatch(/^ip_vs_local_reply4 \[ip_vs\]  552\.844 us  <local_reply ipv4; hook 3 from symbol>  \(cpu 0, wget-299, line 10\)$/m);
    expect(r.out).toContain('# IPVS hook calls (kernel generation: wrappers (from symbols)):');
  });

  it('prints the model as JSON with --json', async () => {
    const r = await run('analyze', trace('6.12', 'icmp_out'), '--json');
    expect(r.code).toBe(0);
    const t = JSON.parse(r.out);
    expect(t).toMatchObject({ format: 'ipvs-harness/trace', version: 1, source: 'function_graph', lostEvents: 0, diagnostics: [] });
    expect(t.markers[0]).toMatchObject({ kind: 'marker', text: '=== case icmp_out start', line: 5 });
    expect(Object.keys(t.roots[1])).toEqual(expect.arrayContaining(['fn', 'symbol', 'module', 'cpu', 'task', 'pid', 'durationUs', 'complete', 'children']));
    expect(t.roots[1]).toMatchObject({ fn: 'ip_vs_out_hook', module: 'ip_vs', cpu: 1, task: 'udptool', pid: 522, complete: true });
  });

  it('exits 2 on a missing file or an unknown format', async () => {
    const missing = await run('analyze', join(tmp, 'nope.txt'));
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/error \[TRACE_NOT_READABLE\]: cannot read trace file .*nope\.txt/);
    writeFileSync(join(tmp, 'prose.txt'), 'just some words\n');
    const prose = await run('analyze', join(tmp, 'prose.txt'));
    expect(prose.code).toBe(2);
    expect(prose.err).toContain('error [UNKNOWN_TRACE_FORMAT]');
  });

  it('has examples in --help', async () => {
    const r = await run('analyze', '--help');
    expect(r.code).toBe(0);
    expect(r.out).toContain('Examples:');
    expect(r.out).toContain('ipvs-harness analyze trace.txt --json');
  });
});

describe('ipvs-harness check', () => {
  it('exits 0 when the graph holds', async () => {
    const r = await run('check', trace('5.10', 'noavail_tcp'), '--expect', join(GRAPHS, 'no-destination.yaml'));
    expect(r.code).toBe(0);
    expect(r.out).toContain('HOLDS');
  });

  it('exits 1 with the diff when it does not', async () => {
    const r = await run('check', trace('6.12', 'icmp_out_off'), '-e', join(GRAPHS, 'icmp-unreachable-from-reply.yaml'), '--kernel-release', '6.12.57+deb12-cloud-amd64');
    expect(r.code).toBe(1);
    expect(r.out).toContain('DOES NOT HOLD; kernel generation: hooks (kernel 6.12.57+deb12-cloud-amd64)');
    expect(r.out).toContain('first problem: expect[0].path[1] ip_vs_has_real_service: missing');
  });

  it('judges a section with --section and prints JSON with --json', async () => {
    const r = await run('check', join(TRACES, '6.1-kprobe', 'host-to-vip.ftrace.txt'), '-e', join(GRAPHS, 'local-request.yaml'), '--section', 'step request', '--json');
    expect(r.code).toBe(0);
    const [v] = JSON.parse(r.out);
    expect(v).toMatchObject({ holds: true, graph: 'local-request', perRole: [{ holds: true, section: { spec: '"step request"' }, notes: [] }] });
  });

  it('exits 2 on an invalid graph, listing file, line, field and fix', async () => {
    const bad = join(tmp, 'bad.yaml');
    writeFileSync(bad, 'version: 1\nname: bad\nexpect:\n  - role: local_reqest\n    path: [ip_vs_out.part.0]\n');
    const r = await run('check', trace('5.10', 'host_vip'), '-e', bad);
    expect(r.code).toBe(2);
    expect(r.err).toContain('error [INVALID_GRAPH]');
    expect(r.err).toContain(`${bad}:4: expect[0].role: unknown role "local_reqest" (did you mean "local_request"?)`);
    expect(r.err).toContain(`${bad}:5: expect[0].path[0]: "ip_vs_out.part.0" carries a compiler clone suffix; expected the normalised name "ip_vs_out"`);
  });

  it('exits 2 on a missing graph or trace file', async () => {
    const noGraph = await run('check', trace('5.10', 'host_vip'), '-e', join(tmp, 'none.yaml'));
    expect(noGraph.code).toBe(2);
    expect(noGraph.err).toContain('cannot read expected graph');
    const noTrace = await run('check', join(tmp, 'none.txt'), '-e', join(GRAPHS, 'local-request.yaml'));
    expect(noTrace.code).toBe(2);
  });

  it('requires --expect', async () => {
    const r = await run('check', trace('5.10', 'host_vip'));
    expect(r.code).toBe(2);
    expect(r.err).toContain("required option '-e, --expect <graph-file>' not specified");
  });
});
