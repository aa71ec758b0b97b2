// The typed event stream out of vm/. vm/ never prints: callers pass `onEvent` and render what they like.
// Adding a kind here is a compile error in every renderer that maps kinds to formatters.
import type { VmPhase } from './errors.ts';

export type BootStage = 'qemu-started' | 'kernel-start' | 'init-start' | 'modules-loaded' | 'network-up' | 'ssh-ready';

export type VmEvent =
  | { kind: 'boot-start'; spec: string; accel: 'tcg' | 'kvm' }
  | { kind: 'apt-update'; release: string; reason: 'stale' | 'missing' | 'forced' }
  | { kind: 'kernel-download'; packageName: string; version: string; parts?: string[]; bytes?: number }
  | { kind: 'kernel-resolved'; label: string; release: string; image: string; cached: boolean }
  | { kind: 'image-step'; step: string; durationMs: number }
  | { kind: 'image-built'; path: string; bytes: number; cached: boolean; durationMs: number }
  /** Guest images not used lately, removed to keep the cache's images within limitBytes (vm/image-cache.ts). */
  | { kind: 'image-cache-pruned'; count: number; bytes: number; limitBytes: number }
  | { kind: 'kvm-probe'; usable: boolean; cached: boolean; reason: string }
  | { kind: 'qemu-started'; pid: number; sshPort: number; accel: 'tcg' | 'kvm'; consoleLogPath: string }
  | { kind: 'console-line'; line: string }
  | { kind: 'boot-stage'; stage: BootStage; atMs: number }
  | { kind: 'ssh-ready'; atMs: number }
  | { kind: 'command-start'; command: string; namespace: 'root' | 'management' }
  | { kind: 'command-end'; command: string; exitCode: number | null; durationMs: number; timedOut: boolean }
  | { kind: 'power-off'; how: 'qmp-quit' | 'guest-poweroff' | 'sigterm' | 'sigkill' | 'already-exited'; durationMs: number }
  | { kind: 'warning'; phase: VmPhase; message: string };

export type VmEventKind = VmEvent['kind'];
export type VmEventOf<K extends VmEventKind> = Extract<VmEvent, { kind: K }>;
export type OnVmEvent = (event: VmEvent) => void;

/** Calls the listener without letting a throwing listener break the vm layer. */
export function emitter(onEvent: OnVmEvent | undefined): OnVmEvent {
  if (!onEvent) return () => {};
  return (event) => {
    try {
      onEvent(event);
    } catch {
      // A renderer bug must not kill a guest mid-boot; the renderer owns its own error reporting.
    }
  };
}
