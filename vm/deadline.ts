// Small primitives for "every wait has a deadline and an AbortSignal".
import { setTimeout as delay } from 'node:timers/promises';
import { abortedError, type VmPhase } from './errors.ts';

/** Sleeps, rejecting with an ABORTED VmError if the signal fires. */
export async function sleep(ms: number, signal: AbortSignal | undefined, phase: VmPhase): Promise<void> {
  try {
    await delay(ms, undefined, signal ? { signal } : undefined);
  } catch (err) {
    if (signal?.aborted) throw abortedError(phase, signal);
    throw err;
  }
}

export function throwIfAborted(signal: AbortSignal | undefined, phase: VmPhase): void {
  if (signal?.aborted) throw abortedError(phase, signal);
}
