// The matchers users call in their own vitest suites.
import { beforeAll, describe, expect, it } from 'vitest';
import { parseFunctionGraph } from '../../analysis/function-graph-parser.ts';
import { installCallGraphMatchers } from '../../analysis/vitest-matchers.ts';
import { capture } from './fixtures.ts';

beforeAll(() => installCallGraphMatchers());

describe('toHaveCallPath', () => {
  const trace = parseFunctionGraph(capture('5.10', 'host_vip'));

  it('passes when the graph holds (graph input, or one expectation as shorthand)', () => {
    expect(trace).toHaveCallPath({ version: 1, name: 'local request', expect: [{ role: 'local_request', path: ['ip_vs_conn_in_get', 'ip_vs_conn_new', 'ip_vs_nat_xmit'] }] });
    expect(trace).toHaveCallPath({ role: 'local_request', path: ['tcp_conn_schedule'] });
    expect(capture('6.1', 'host_vip')).toHaveCallPath({ role: 'local_request', path: ['ip_vs_conn_new'] }, { kernelRelease: '6.1.0-56-cloud-amd64' });
    expect(trace).not.toHaveCallPath({ role: 'local_request', path: ['ip_vs_leave'] });
  });

  it('fails with the diff as the message', () => {
    let message = '';
    try {
      expect(trace).toHaveCallPath({ role: 'local_request', path: ['ip_vs_conn_in_get', 'ip_vs_leave'] });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('DOES NOT HOLD');
    expect(message).toContain('first problem: expect[0].path[1] ip_vs_leave: missing - not called after ip_vs_conn_in_get');
  });

  it('rejects an invalid graph with its problems', () => {
    expect(() => expect(trace).toHaveCallPath({ role: 'nope', path: [] })).toThrow(/expect\[0\]\.role: unknown role "nope"/);
  });
});

describe('toHaveCall', () => {
  const trace = parseFunctionGraph(capture('6.1', 'noavail_tcp'));

  it('counts calls anywhere, or under roots of a role, with aliases', () => {
    expect(trace).toHaveCall('ip_vs_leave');
    expect(trace).toHaveCall('icmp_send', { count: { min: 1 } });
    expect(trace).toHaveCall('ip_vs_conn_new', { count: 0 });
    expect(trace).not.toHaveCall('ip_vs_conn_new');
    expect(trace).toHaveCall('ip_vs_leave', { role: 'remote_request' });
  });

  it('says how often the call happened when it fails', () => {
    expect(() => expect(trace).toHaveCall('ip_vs_leave', { count: 5 })).toThrow(/expected ip_vs_leave to be called exactly 5 time\(s\), but it was called 2 time\(s\) \(lines \d+, \d+\)/);
  });
});
