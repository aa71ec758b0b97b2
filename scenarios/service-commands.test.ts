// The services go in with one `ipvsadm -R`; when it complains (it goes on past a refused line and
// still exits 0), the table is cleared and the lines run one by one, so the setup stops at the line
// ipvsadm refuses, with its message. Run here by dash with a stand-in for ipvsadm that logs its
// calls; the real ipvsadm runs in every e2e cell.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceCommands } from './guest-commands.ts';
import { parseScenario } from './parse-scenario.ts';

const work = mkdtempSync(join(tmpdir(), 'ipvsh-services-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const s = parseScenario(readFileSync(join(import.meta.dirname, 'seed', 'pod-to-vip-ipv6.yaml'), 'utf8'), 'pod-to-vip-ipv6.yaml');

/** dash, and busybox's ash that runs the scenario scripts in the guest (GuestCell.scriptShell). */
const SHELLS: [string, string[]][] = [['dash', []], ['busybox', ['sh']]];
let shell: [string, string[]] = SHELLS[0]!;

/** `restore`: what the stand-in does for -R (reads stdin into the log); `line`: for a single line. */
function run(restore: string, line: string): { status: number | null; stderr: string; calls: string[] } {
  const dir = mkdtempSync(join(work, 'run-'));
  const log = join(dir, 'calls');
  writeFileSync(join(dir, 'ipvsadm'), `#!/bin/dash\necho "$*" >> ${log}\nif [ "$1" = -R ]; then cat >> ${log}; ${restore}; fi\n${line}\n`);
  chmodSync(join(dir, 'ipvsadm'), 0o755);
  const r = spawnSync(shell[0], [...shell[1], '-c', serviceCommands(s)[0]!.script], { encoding: 'utf8', env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } });
  return { status: r.status, stderr: r.stderr, calls: readFileSync(log, 'utf8').trim().split('\n') };
}

describe.each(SHELLS)('the services in one ipvsadm -R (%s %s)', (...sh) => {
  beforeAll(() => {
    shell = [sh[0], sh[1]];
  });

  it('one exec when -R takes every line', () => {
    const r = run('exit 0', 'exit 0');
    expect(r.status).toBe(0);
    expect(r.calls).toEqual(['-R', '-A -t [fd00:96::10]:80 -s rr', '-a -t [fd00:96::10]:80 -r [fd00:244:1::2]:80 -m -w 1']);
  });

  it('when -R says anything: cleared, then line by line, stopping at the refused one with its message', () => {
    const r = run('echo "Scheduler or persistence engine not found" >&2; exit 0', '[ "$1" != -a ] || { echo "Memory allocation problem" >&2; exit 255; }');
    expect(r.status).toBe(255);
    expect(r.calls.slice(3)).toEqual(['-C', '-A -t [fd00:96::10]:80 -s rr', '-a -t [fd00:96::10]:80 -r [fd00:244:1::2]:80 -m -w 1']);
    expect(r.stderr.trim()).toBe('Memory allocation problem');
  });

  it('when every line passes alone, says what -R said and fails', () => {
    const r = run('exit 3', 'exit 0');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('ipvsadm -R: ipvsadm -R exited 3');
  });
});
