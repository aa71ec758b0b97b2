// Renders vm events as one-line progress messages for `exec`, `setup` and `kernels`. A mapped type of
// formatters keyed by event kind: adding a kind to VmEvent without a formatter here is a compile error.
import type { VmEvent, VmEventKind, VmEventOf } from '../vm/events.ts';

type Formatters = { [K in VmEventKind]: (e: VmEventOf<K>) => string | undefined };

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

export const vmEventFormatters: Formatters = {
  'boot-start': (e) => `booting ${e.spec} (${e.accel.toUpperCase()})`,
  'apt-update': (e) => `updating the private apt lists of Debian ${e.release} (${e.reason})`,
  'kernel-download': (e) => `downloading ${e.packageName} ${e.version}${e.parts ? ` (split: ${e.parts.join(', ')})` : ''}${e.bytes ? `, ${(e.bytes / 1e6).toFixed(0)} MB` : ''}`,
  'kernel-resolved': (e) => `kernel ${e.label}: ${e.release}${e.cached ? '' : ' (downloaded)'}`,
  'image-step': () => undefined,
  'image-built': (e) => (e.cached ? undefined : `guest image built: ${mb(e.bytes)} in ${seconds(e.durationMs)}`),
  'image-cache-pruned': (e) => `removed ${e.count} guest image${e.count === 1 ? '' : 's'} not used lately from the cache (${mb(e.bytes)}): its images are kept within ${Math.round(e.limitBytes / 1024 / 1024)} MB (IPVS_HARNESS_IMAGE_CACHE_MB)`,
  'kvm-probe': (e) => (e.cached ? undefined : `KVM ${e.usable ? 'usable' : 'not usable'}: ${e.reason}`),
  'qemu-started': (e) => `QEMU started (pid ${e.pid}, ssh on 127.0.0.1:${e.sshPort})`,
  'console-line': () => undefined,
  'boot-stage': (e) => (e.stage === 'qemu-started' ? undefined : `  ${e.stage} at ${seconds(e.atMs)}`),
  'ssh-ready': (e) => `SSH ready at ${seconds(e.atMs)}`,
  'command-start': () => undefined,
  'command-end': (e) => (e.timedOut ? `command timed out after ${seconds(e.durationMs)}` : undefined),
  'power-off': (e) => `powered off (${e.how}, ${seconds(e.durationMs)})`,
  warning: (e) => `warning (${e.phase}): ${e.message}`,
};

export function formatVmEvent(event: VmEvent, opts: { consoleLines?: boolean } = {}): string | undefined {
  if (event.kind === 'console-line') return opts.consoleLines ? `  | ${event.line}` : undefined;
  const format = vmEventFormatters[event.kind] as (e: VmEvent) => string | undefined;
  return format(event);
}

/** A listener that writes formatted events to a stream (stderr by default). */
export function vmEventPrinter(opts: { consoleLines?: boolean; write?: (s: string) => void } = {}): (e: VmEvent) => void {
  const write = opts.write ?? ((s: string) => process.stderr.write(s));
  return (event) => {
    const text = formatVmEvent(event, opts);
    if (text !== undefined) write(`[vm] ${text}\n`);
  };
}
