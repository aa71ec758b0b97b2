// kube-proxy's settings in the scenario format: persistent services, weight changes and removals as
// steps, connections kept open across steps, NodePort services on node addresses, and how the
// client's end (a reset, a partial answer) is read.
import { describe, expect, it } from 'vitest';
import { scenarioProblems } from '../test/scenario-problems.ts';
import { serviceCommands, stepCommand } from './guest-commands.ts';
import { classifyClient } from './outcome.ts';
import { parseScenario } from './parse-scenario.ts';

const base = `version: 1
name: kube
summary: two real servers
kubernetes: "Service sessionAffinity: ClientIP"
topology:
  vips: [10.96.0.10]
  namespaces:
    - { name: rs1, address: 10.244.1.2, gateway: 10.244.1.1 }
    - { name: rs2, address: 10.244.1.3, gateway: 10.244.1.1 }
    - { name: pod1, address: 10.244.2.2, gateway: 10.244.2.1 }
servers:
  - { name: rs1, in: rs1, protocol: tcp, port: 80 }
services:
  - protocol: tcp
    vip: 10.96.0.10
    port: 80
    persistence: 10800
    realServers:
      - { address: 10.244.1.2, port: 80 }
      - { address: 10.244.1.3, port: 80 }
steps:
  - name: open
    from: pod1
    connect: { protocol: tcp, to: "10.96.0.10:80", exchanges: 2, keepOpen: true }
  - name: drain
    from: node
    setWeight: { protocol: tcp, service: "10.96.0.10:80", realServer: "10.244.1.3:80", weight: 0 }
  - name: remove
    from: node
    removeRealServer: { protocol: tcp, service: "10.96.0.10:80", realServer: "10.244.1.3:80" }
  - name: close
    from: pod1
    finish: open
    expect: { outcome: reset }
`;

const problems = (text: string): string[] => scenarioProblems(text);

describe('kube-proxy settings: validation', () => {
  it('accepts persistence, setWeight, removeRealServer, keepOpen and finish, and keeps the kubernetes line', () => {
    expect(problems(base)).toEqual([]);
    const s = parseScenario(base, 'kube.yaml');
    expect(s.kubernetes).toBe('Service sessionAffinity: ClientIP');
    expect(s.services[0]!.persistence).toBe(10800);
    expect(s.steps.map((x) => x.connect?.keepOpen ?? x.finish ?? (x.setWeight ? 'setWeight' : 'removeRealServer'))).toEqual([true, 'setWeight', 'removeRealServer', 'open']);
  });

  it('names the service or real server a step refers to that does not exist, or is gone', () => {
    const bad = base
      .replace('setWeight: { protocol: tcp, service: "10.96.0.10:80"', 'setWeight: { protocol: udp, service: "10.96.0.10:80"')
      .replace('removeRealServer: { protocol: tcp, service: "10.96.0.10:80", realServer: "10.244.1.3:80" }', 'removeRealServer: { protocol: tcp, service: "10.96.0.10:80", realServer: "10.244.1.9:80" }');
    expect(problems(bad)).toEqual([
      'x.yaml:27: steps[1].setWeight.service: no udp service 10.96.0.10:80; expected one of: tcp 10.96.0.10:80',
      'x.yaml:30: steps[2].removeRealServer.realServer: 10.244.1.9:80 is not a real server of tcp 10.96.0.10:80; expected one of: 10.244.1.2:80, 10.244.1.3:80',
    ]);
    const twice = base.replace('  - name: close', `  - name: again
    from: node
    setWeight: { protocol: tcp, service: "10.96.0.10:80", realServer: "10.244.1.3:80", weight: 1 }
  - name: close`);
    expect(problems(twice)).toEqual([
      'x.yaml:33: steps[3].setWeight.realServer: 10.244.1.3:80 was removed by an earlier step; expected a real server still in tcp 10.96.0.10:80',
    ]);
  });

  it('pairs every connection kept open with one finish step from the same place', () => {
    expect(problems(base.replace('finish: open', 'finish: opne'))).toEqual([
      'x.yaml:24: steps[0].connect.keepOpen: connection "open" is kept open but no later step finishes it; expected a step with finish: open',
      'x.yaml:33: steps[3].finish: unknown held connection (a connect step with keepOpen before this one) "opne" (did you mean "open"?); known: open',
    ]);
    expect(problems(base.replace('  - name: close\n    from: pod1', '  - name: close\n    from: rs1'))).toEqual([
      'x.yaml:32: steps[3].from: connection "open" runs in pod1; expected from: pod1',
    ]);
    expect(problems(base.replace('exchanges: 2, keepOpen', 'exchanges: 1, keepOpen'))).toEqual([
      'x.yaml:24: steps[0].connect.exchanges: a connection kept open sends its first exchange now and the others when a finish step closes it; expected exchanges of at least 2 (is 1)',
    ]);
  });

  it('refuses a step of two kinds and a persistence out of range, naming the kinds', () => {
    const two = base.replace('    finish: open\n', '    finish: open\n    wait: 1\n');
    expect(problems(two)).toEqual([
      'x.yaml:31: steps[3]: a step does exactly one thing; expected one of connect, send, wait, sysctls, setWeight, removeRealServer, finish (found wait, finish)',
    ]);
    expect(problems(base.replace('persistence: 10800', 'persistence: 0'))).toEqual([
      'x.yaml:17: services[0].persistence: expected a persistence timeout in whole seconds (1-86400)',
    ]);
  });

  it('takes a node address (a namespace gateway) as a NodePort VIP, and nothing else off kube-ipvs0', () => {
    expect(problems(base.replace('vip: 10.96.0.10\n', 'vip: 10.244.2.1\n').replace(/service: "10\.96\.0\.10:80"/g, 'service: "10.244.2.1:80"'))).toEqual([]);
    expect(problems(base.replace('vip: 10.96.0.10\n', 'vip: 10.244.7.1\n').replace(/service: "10\.96\.0\.10:80"/g, 'service: "10.244.7.1:80"'))).toEqual([
      'x.yaml:15: services[0].vip: VIP 10.244.7.1 is not bound on kube-ipvs0 nor a node address; expected it under topology.vips (10.96.0.10) or, for a NodePort, a namespace\'s gateway (10.244.1.1, 10.244.2.1)',
    ]);
  });
});

describe('kube-proxy settings: guest commands', () => {
  const s = parseScenario(base, 'kube.yaml');
  const [open, drain, remove, close] = s.steps;

  it('creates a persistent service with ipvsadm -p', () => {
    expect(serviceCommands(s)[0]!.script).toContain('ipvsadm -A -t 10.96.0.10:80 -s rr -p 10800');
  });

  it('changes a weight naming the forwarding method again (ipvsadm -e would make it DR), and removes with -d', () => {
    expect(stepCommand(s, drain!).script).toContain('ipvsadm -e -t 10.96.0.10:80 -r 10.244.1.3:80 -m -w 0');
    expect(stepCommand(s, remove!).script).toContain('ipvsadm -d -t 10.96.0.10:80 -r 10.244.1.3:80');
  });

  it('holds a connection in the background until its finish step releases it', () => {
    const start = stepCommand(s, open!).script;
    expect(start).toContain('setsid sh /run/ipvsh/held-open.sh </dev/null >/run/ipvsh/held-open.out 2>/run/ipvsh/held-open.err &');
    // The client's feed waits for the release flag between its first and second line.
    expect(start).toContain(`ping; i=0; until [ -e /run/ipvsh/held-open.go ]; do`);
    const finish = stepCommand(s, close!).script;
    expect(finish.split('\n')[0]).toBe('touch /run/ipvsh/held-open.go');
    expect(finish).toContain('exit $(cat /run/ipvsh/held-open.rc)');
  });
});

describe('reading the client', () => {
  const run = (stdout: string, stderr = '', exitCode = 0) => ({ stdout, stderr, exitCode, timedOut: false });

  it('an answer to every line is ok; fewer answers, with nothing else wrong, is a timeout', () => {
    expect(classifyClient(run('rs1: a\nrs1: b\n'), 0, 4, 2)).toMatchObject({ outcome: 'ok', detail: '2 replies' });
    expect(classifyClient(run('rs1: a\n'), 0, 4, 2)).toMatchObject({ outcome: 'timeout', detail: '1 reply of 2, the rest unanswered', answeredBy: ['rs1'] });
  });

  it('a reset is read from socat or, when socat took it for the end, from Tcp.EstabResets', () => {
    expect(classifyClient(run('rs1: a\n', '2026/12/02 06:45:48 socat[1] E read(5, 0x1, 8192): Connection reset by peer', 1), 0, 4, 2)).toMatchObject({ outcome: 'reset' });
    expect(classifyClient(run('rs1: a\n'), 0, 4, 2, 1)).toMatchObject({ outcome: 'reset' });
    // A reset after every line was answered is the server's way of closing, not a failure.
    expect(classifyClient(run('rs1: a\nrs1: b\n'), 0, 4, 2, 1)).toMatchObject({ outcome: 'ok' });
  });
});
