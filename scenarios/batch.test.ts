// A batch of guest commands in one exec, run by a real shell (busybox sh, the guest's): parts in order,
// each in its own subshell, stopped at the first failure with its label on stderr, output read back by part.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { batchCommand, lastPartStarted, partTimings, splitBatch } from './batch.ts';

const sh = (script: string) => spawnSync('busybox', ['sh', '-c', script], { encoding: 'utf8' });

describe('batchCommand', () => {
  it('runs every part in order, each in its own subshell, and splits the output back by part', () => {
    const b = batchCommand('before x', [
      { name: 'one', command: { label: 'first', script: 'set -e\ncd /tmp\necho "a line"\necho two', timeoutMs: 1000 } },
      { name: 'two', command: { label: 'second', script: 'pwd', timeoutMs: 2000 } },
      { name: 'empty', command: { label: 'third', script: 'true', timeoutMs: 500 } },
    ]);
    expect(b.timeoutMs).toBe(3500);
    const r = sh(b.script);
    expect(r.status).toBe(0);
    const parts = splitBatch(r.stdout);
    expect(parts.get('one')).toBe('a line\ntwo');
    // The first part's cd stayed in its subshell.
    expect(parts.get('two')).not.toBe('/tmp');
    expect(parts.get('empty')).toBe('');
  });

  it('stops at the first failing part, names it on stderr and exits with its status', () => {
    const b = batchCommand('setup', [
      { name: 'ok', command: { label: 'topology', script: 'echo fine', timeoutMs: 1000 } },
      { name: 'bad', command: { label: "server 'rs1'", script: 'echo "did not listen" >&2; exit 3', timeoutMs: 1000 } },
      { name: 'never', command: { label: 'services', script: 'echo ran', timeoutMs: 1000 } },
    ]);
    const r = sh(b.script);
    expect(r.status).toBe(3);
    expect(r.stderr.trim().split('\n')).toEqual(['did not listen', "server 'rs1' failed (exit 3)"]);
    const parts = splitBatch(r.stdout);
    expect([...parts.keys()]).toEqual(['ok', 'bad']);
    // The runner names the failing part's phase from it.
    expect(lastPartStarted(r.stdout)).toBe('bad');
    expect(lastPartStarted('')).toBeUndefined();
  });

  it('goes on past a part that allows failure, and reads its exit status back', () => {
    const b = batchCommand('collect', [
      { name: 'stats', command: { label: 'ring buffer stats', script: 'echo partial; exit 2', timeoutMs: 1000, allowFailure: true } },
      { name: 'listed', command: { label: 'list', script: 'echo a; echo b', timeoutMs: 1000, allowFailure: true } },
      { name: 'trace', command: { label: 'collect trace', script: 'echo the trace', timeoutMs: 1000 } },
    ]);
    const r = sh(b.script);
    expect(r.status).toBe(0);
    const parts = splitBatch(r.stdout);
    expect([...parts.entries()]).toEqual([['stats', 'partial'], ['listed', 'a\nb'], ['trace', 'the trace']]);
    expect([...parts.exitCodes.entries()]).toEqual([['stats', 2], ['listed', 0]]);
  });

  it("says how long each part took in the guest (its uptime at each part's start and at the end), in dash as in busybox sh", () => {
    const b = batchCommand('start', [
      { name: 'quick', command: { label: 'quick', script: 'true', timeoutMs: 1000 } },
      { name: 'slow', command: { label: 'slow', script: 'sleep 0.3; echo out', timeoutMs: 1000 } },
    ]);
    for (const shell of [['busybox', 'sh'], ['dash']]) {
      const r = spawnSync(shell[0]!, [...shell.slice(1), '-c', b.script], { encoding: 'utf8' });
      expect(r.status).toBe(0);
      expect(splitBatch(r.stdout).get('slow')).toBe('out');
      const times = partTimings(r.stdout);
      expect(times.map((t) => t.name)).toEqual(['quick', 'slow']);
      expect(times[1]!.ms).toBeGreaterThanOrEqual(290);
    }
    // A batch stopped by a failing part has no end: that part's time is unknown.
    const failed = sh(batchCommand('x', [{ name: 'a', command: { label: 'a', script: 'true', timeoutMs: 1 } }, { name: 'b', command: { label: 'b', script: 'exit 1', timeoutMs: 1 } }]).script);
    expect(partTimings(failed.stdout).map((t) => t.name)).toEqual(['a']);
  });

  it('refuses a part name that could break the delimiter', () => {
    expect(() => batchCommand('x', [{ name: "a'b", command: { label: 'l', script: 'true', timeoutMs: 1 } }])).toThrow(/lowercase letters, digits and dashes/);
  });
});
