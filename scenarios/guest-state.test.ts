// The reset between cells and the clean-check that follows it (scenarios/guest-state.ts).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TOOLS } from './guest-commands.ts';
import { cleanCheckCommand, IPVS_BASELINE_DIR, RELOADED, resetCommand } from './guest-state.ts';

const builtIn = new Set(['ip_vs', 'ip_vs_rr']);
// The clean-check's sysctl and timeout comparison, run by dash and busybox's ash against a stand-in
// baseline folder and a stand-in ipvsadm that prints other timeouts than the baseline's.
describe('the clean-check after a reset that reloaded ip_vs', () => {
  const run = (withMarker: boolean): string => {
    const dir = mkdtempSync(join(tmpdir(), 'ipvsh-base-'));
    try {
      writeFileSync(join(dir, 'sysctls'), '');
      writeFileSync(join(dir, 'timeouts'), '900 120 300\n');
      if (withMarker) writeFileSync(join(dir, RELOADED), '1\n');
      const ipvsadm = join(dir, 'ipvsadm');
      writeFileSync(join(dir, 'ipvsadm'), "#!/bin/sh\necho 'Timeout (tcp tcpfin udp): 5 5 5'\n", { mode: 0o755 });
      const lines = cleanCheckCommand(new Set(), { ...DEFAULT_TOOLS, ipvsadm }).script.split('\n');
      const from = lines.findIndex((l) => l.startsWith(`if [ -f ${IPVS_BASELINE_DIR}/sysctls ]`));
      const to = lines.indexOf('fi', from);
      const block = ['dirty=0', ...lines.slice(from, to + 1), 'echo "dirty=$dirty"'].join('\n').replaceAll(IPVS_BASELINE_DIR, dir);
      const outs = [['dash'], ['busybox', 'sh']].map((sh) => execFileSync(sh[0]!, [...sh.slice(1), '-c', block], { encoding: 'utf8' }));
      expect(outs[1]).toBe(outs[0]);
      return outs[0]!;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('compares timeouts with the baseline when ip_vs was not seen unloaded, and trusts a fresh ip_vs when it was', () => {
    expect(run(false)).toBe('IPVS timeouts (tcp tcpfin udp) are 5 5 5, were 900 120 300\ndirty=1\n');
    expect(run(true)).toBe('dirty=0\n');
  });

  it('the reset forgets the mark before unloading, and leaves it only when ip_vs is gone before it is loaded again', () => {
    const lines = resetCommand(new Set()).script.split('\n');
    const forget = lines.indexOf(`rm -f ${IPVS_BASELINE_DIR}/${RELOADED}`);
    const mark = lines.indexOf(`grep -q '^ip_vs ' /proc/modules || echo 1 2>/dev/null > ${IPVS_BASELINE_DIR}/${RELOADED}`);
    expect(forget).toBeGreaterThan(-1);
    expect(forget).toBeLessThan(lines.findIndex((l) => l.includes('rmmod ip_vs')));
    expect(mark).toBeGreaterThan(lines.findIndex((l) => l.includes('rmmod ip_vs')));
    expect(lines[mark + 1]).toBe('modprobe ip_vs');
    expect(resetCommand(builtIn).script).not.toContain(RELOADED);
  });
});
