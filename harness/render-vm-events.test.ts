import { describe, expect, it } from 'vitest';
import { formatVmEvent, vmEventPrinter } from './render-vm-events.ts';

describe('vm event rendering', () => {
  it('renders progress lines and hides noise', () => {
    expect(formatVmEvent({ kind: 'boot-stage', stage: 'ssh-ready', atMs: 2810 })).toBe('  ssh-ready at 2.81 s');
    expect(formatVmEvent({ kind: 'boot-start', spec: 'debian:6.1', accel: 'tcg' })).toBe('booting debian:6.1 (TCG)');
    expect(formatVmEvent({ kind: 'image-step', step: 'modules', durationMs: 3 })).toBeUndefined();
    expect(formatVmEvent({ kind: 'console-line', line: 'hello' })).toBeUndefined();
    expect(formatVmEvent({ kind: 'console-line', line: 'hello' }, { consoleLines: true })).toBe('  | hello');
    expect(formatVmEvent({ kind: 'image-cache-pruned', count: 3, bytes: 65_000_000, limitBytes: 2048 * 1024 * 1024 })).toBe(
      'removed 3 guest images not used lately from the cache (65.0 MB): its images are kept within 2048 MB (IPVS_HARNESS_IMAGE_CACHE_MB)',
    );
  });

  it('prints through the given writer with a prefix', () => {
    const out: string[] = [];
    const print = vmEventPrinter({ write: (s) => out.push(s) });
    print({ kind: 'power-off', how: 'qmp-quit', durationMs: 30 });
    print({ kind: 'command-start', command: 'true', namespace: 'root' });
    expect(out).toEqual(['[vm] powered off (qmp-quit, 0.03 s)\n']);
  });
});
