// The UDP client ends once each line it sent has its reply (issue 16: socat alone waited out its
// whole -t after the replies had come). The planned script runs here under dash, as in the guest,
// with a stand-in for socat that answers like the guest's servers (or not at all) and then idles
// as socat does on a UDP socket; the guest's own run is in the e2e suites (pod-to-vip-udp,
// session-affinity's UDP steps).
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUN_DIR, stepCommand } from './guest-commands.ts';
import { parseScenario } from './parse-scenario.ts';

const work = mkdtempSync(join(tmpdir(), 'ipvsh-udp-client-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const scenario = (exchanges: number) => parseScenario(`version: 1
name: udp
summary: one UDP service
topology:
  vips: [10.96.0.10]
  namespaces:
    - { name: rs1, address: 10.244.1.2, gateway: 10.244.1.1 }
servers:
  - { name: rs1, in: rs1, protocol: udp, port: 53 }
services:
  - { protocol: udp, vip: 10.96.0.10, port: 53, realServers: [{ address: 10.244.1.2, port: 53 }] }
steps:
  - name: ask
    from: node
    connect: { to: "10.96.0.10:53", protocol: udp, exchanges: ${exchanges}, interval: 0.05, payload: query }
    expect: { outcome: ok }
`, 'udp.yaml');

/** Runs the step's script with `socat` replaced by `body` (a dash script reading the client's lines on stdin). */
/**
 * dash runs it in the guest (the command says `shell: 'sh'`): busybox's ash, which runs the other
 * scenario scripts, gives up the fifo's open when a child's exit interrupts it.
 */
const SHELLS: [string, string[]][] = [['dash', []]];
let shell: [string, string[]] = SHELLS[0]!;

function run(exchanges: number, body: string): { status: number | null; stdout: string; stderr: string } {
  const dir = mkdtempSync(join(work, 'run-'));
  const fake = join(dir, 'socat');
  writeFileSync(fake, `#!/bin/dash\n${body}\n`);
  chmodSync(fake, 0o755);
  const s = scenario(exchanges);
  const script = stepCommand(s, s.steps[0]!).script.replaceAll(RUN_DIR, join(dir, 'run'));
  const r = spawnSync(shell[0], [...shell[1], '-c', script], { encoding: 'utf8', env: { ...process.env, PATH: `${dir}:${process.env.PATH}` }, timeout: 20_000 });
  expect(readdirSync(join(dir, 'run'))).toEqual([]); // the fifo is gone
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// Answers each line at once, then idles like socat on UDP (no end of stream): longer than the run's
// deadline, so a client that waited for socat's own end would be killed there (status null).
const answers = `while IFS= read -r l; do printf 'rs1: %s\\n' "$l"; done; exec sleep 120`;

describe.each(SHELLS)('the UDP client (%s %s)', (...sh) => {
  beforeAll(() => {
    shell = [sh[0], sh[1]];
  });

  it('runs in dash', () => {
    const s = scenario(1);
    expect(stepCommand(s, s.steps[0]!).shell).toBe('sh');
  });

  it('ends as soon as the one line it sent is answered, with the reply and exit 0', () => {
    const r = run(1, answers);
    expect(r.stdout).toBe('rs1: query\n');
    expect(r.status).toBe(0);
  });

  it('waits for a reply to each of its lines', () => {
    const r = run(3, answers);
    expect(r.stdout).toBe('rs1: query\nrs1: query\nrs1: query\n');
    expect(r.status).toBe(0);
  });

  it('passes on a reply that has no newline', () => {
    const r = run(1, `read -r l; printf 'rs1: %s' "$l"; exit 0`);
    expect(r.stdout).toBe('rs1: query\n');
    expect(r.status).toBe(0);
  });

  it('with fewer replies than lines, ends when socat ends and says what socat said', () => {
    const r = run(2, `read -r l; printf 'rs1: %s\\n' "$l"; echo 'socat[1] E read(5, 0x1, 8192): Connection refused' >&2; exit 1`);
    expect(r.stdout).toBe('rs1: query\n');
    expect(r.stderr).toContain('Connection refused');
    expect(r.status).toBe(1);
  });

  it('with no reply at all, keeps socat\'s exit status (a timeout is 0 with no reply)', () => {
    const r = run(1, 'cat >/dev/null; exit 0');
    expect(r.stdout).toBe('');
    expect(r.status).toBe(0);
  });
});
