// Graph files are validated as a whole: every problem at once, with file, dotted field, YAML line,
// what is wrong and what is expected.
import { describe, expect, it } from 'vitest';
import { ExpectedGraphError, formatGraphError } from '../../analysis/expected-graph-types.ts';
import { defineExpectedGraph } from '../../analysis/expected-graph-validate.ts';
import { parseExpectedGraph, parseExpectedGraphOrThrow } from '../../analysis/expected-graph-yaml.ts';

const BAD = `version: 2
name: bad
expect:
  - role: local_requst
    path:
      - ip_vs_conn_in_get
      - cal: tcp_conn_schedule
      - call: ip_vs_out.part.0
        count: {min: 3, max: 1}
      - anyOf: []
      - call: ip_vs_leave
        optinal: true
  - root: nf_hook_slow
    match: some
    path: [ip_vs_in_hook]
  - path: []
`;

describe('expected graph validation', () => {
  it('collects every problem with file, line, dotted path and the fix', () => {
    const r = parseExpectedGraph(BAD, 'graphs/bad.yaml');
    expect(r.graph).toBeNull();
    expect(r.errors.map((e) => formatGraphError(r.file, e))).toEqual([
      'graphs/bad.yaml:1: version: unsupported version 2; expected 1 (the graph format this ipvs-harness reads)',
      'graphs/bad.yaml:4: expect[0].role: unknown role "local_requst" (did you mean "local_request"?); expected one of remote_request, local_request, reply, local_reply, forward_icmp (suffix 4 or 6 to require a family)',
      'graphs/bad.yaml:7: expect[0].path[1].cal: unknown key "cal" (did you mean "call"?); expected one of call, optional, required, direct, inside, forbid, count, anyOf',
      'graphs/bad.yaml:7: expect[0].path[1]: neither "call" nor "anyOf"; expected exactly one of call (a function name) or anyOf (alternatives)',
      'graphs/bad.yaml:8: expect[0].path[2].call: "ip_vs_out.part.0" carries a compiler clone suffix; expected the normalised name "ip_vs_out" (traces are matched on names without .part/.isra/.constprop/.cold/.llvm)',
      'graphs/bad.yaml:9: expect[0].path[2].count: min 3 is greater than max 1; expected min <= max',
      'graphs/bad.yaml:10: expect[0].path[3].anyOf: no alternatives; expected a non-empty list; each alternative a step or a list of steps',
      'graphs/bad.yaml:12: expect[0].path[4].optinal: unknown key "optinal" (did you mean "optional"?); expected one of call, optional, required, direct, inside, forbid, count',
      'graphs/bad.yaml:14: expect[1].match: "some" is not a quantifier; expected any (at least one root satisfies) or every (all roots satisfy)',
      'graphs/bad.yaml:16: expect[2]: neither "role" nor "root"; expected exactly one: role (an IPVS hook role) or root (a function name)',
    ]);
  });

  it('reports YAML syntax errors with their line', () => {
    const r = parseExpectedGraph('version: 1\nname: x\nexpect: [\n', 'y.yaml');
    expect(r.errors).toHaveLength(1);
    expect(formatGraphError('y.yaml', r.errors[0]!)).toMatch(/^y\.yaml:\d+: YAML syntax: /);
  });

  it('reports missing top-level fields', () => {
    const r = parseExpectedGraph('description: nothing else\n', 'empty.yaml');
    expect(r.errors.map((e) => e.problem)).toEqual(['missing "version"', 'missing "name"', 'missing "expect"']);
  });

  it('throws one error listing every problem, with a stable code and exit code 2', () => {
    let err: unknown;
    try {
      parseExpectedGraphOrThrow(BAD, 'graphs/bad.yaml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ExpectedGraphError);
    expect(err).toMatchObject({ code: 'INVALID_GRAPH', exitCode: 2 });
    expect((err as Error).message).toContain('10 problem(s)');
    expect((err as Error).message).toContain('graphs/bad.yaml:8: expect[0].path[2].call');
  });

  it('normalises the input: shorthands, defaults, counts, sections and locations', () => {
    const g = parseExpectedGraphOrThrow(
      `version: 1
name: ok
section: case host_vip
expect:
  - role: local_request
    roots: 2
    path:
      - ip_vs_conn_in_get
      - call: [tcp_conn_schedule, udp_conn_schedule]
        inside: [ip_vs_schedule]
        count: {max: 1}
      - anyOf: [ip_vs_nat_xmit, [ip_vs_dr_xmit, ip_vs_conn_put]]
`,
      'ok.yaml',
    );
    expect(g).toMatchObject({ version: 1, name: 'ok', section: 'case host_vip', file: 'ok.yaml' });
    const e = g.expect[0]!;
    expect(e).toMatchObject({ label: 'local_request', match: 'any', roots: { min: 2, max: 2 }, forbid: [], line: 5 });
    expect(e.path[0]).toMatchObject({ kind: 'call', names: ['ip_vs_conn_in_get'], optional: false, direct: false, at: ['expect', 0, 'path', 0], line: 8 });
    expect(e.path[1]).toMatchObject({ kind: 'call', names: ['tcp_conn_schedule', 'udp_conn_schedule'], count: { max: 1 }, inside: [{ names: ['ip_vs_schedule'] }] });
    expect(e.path[2]).toMatchObject({ kind: 'anyOf', alternatives: [[{ names: ['ip_vs_nat_xmit'] }], [{ names: ['ip_vs_dr_xmit'] }, { names: ['ip_vs_conn_put'] }]] });
  });

  it('defineExpectedGraph validates TypeScript objects the same way', () => {
    const g = defineExpectedGraph({ version: 1, name: 'ts', expect: [{ role: 'reply', path: ['ip_vs_conn_out_get', { call: 'icmp_send', direct: true }] }] });
    expect(g.expect[0]!.path[1]).toMatchObject({ names: ['icmp_send'], direct: true });
    expect(() => defineExpectedGraph({ version: 1, name: 'ts', expect: [{ role: 'nope', path: [] }] })).toThrow(/expect\[0\]\.role: unknown role "nope"/);
  });
});
