// Lost events of the ftrace ring buffer. The trace file (`cat trace`) shows the events that survived
// without a word about the ones overwritten when the buffer was too small for the scenario (a small
// trace.bufferKb, a busy step); the per-CPU stats count them. The runner reads both and marks the hole
// in the trace the way trace_pipe does, `CPU:N [LOST M EVENTS]` right before that CPU's first
// surviving event, so the analyzer counts the loss and judges graphs around the hole as incomplete,
// and the saved trace.txt says it too. (trace_pipe itself cannot be used: on the kernels tested a
// read blocks at the end of the data instead of returning EOF, even with tracing off.) Pure.
import type { GuestCommand } from './guest-commands.ts';
import { TRACEFS } from './trace-plan.ts';

export interface CpuLoss {
  cpu: number;
  /** Events overwritten by newer ones (overwrite mode, the default): the oldest are gone. */
  overrun: number;
  /** Events not recorded because the buffer was full (overwrite off) or a commit overran: the newest are gone. */
  dropped: number;
}

export const RING_BUFFER_STATS: GuestCommand = {
  label: 'ring buffer stats',
  // One line per CPU and field: "per_cpu/cpu0/stats:overrun: 1234".
  script: `cd ${TRACEFS} && grep -H -E '^(overrun|commit overrun|dropped events):' per_cpu/cpu*/stats`,
  timeoutMs: 10_000,
  allowFailure: true,
};

export function parseRingBufferStats(text: string): CpuLoss[] {
  const byCpu = new Map<number, CpuLoss>();
  for (const line of text.split('\n')) {
    const m = /^per_cpu\/cpu(\d+)\/stats:(overrun|commit overrun|dropped events):\s*(\d+)\s*$/.exec(line.trim());
    if (!m) continue;
    const cpu = Number(m[1]);
    const n = Number(m[3]);
    if (!Number.isSafeInteger(cpu) || !Number.isSafeInteger(n)) continue;
    const loss = byCpu.get(cpu) ?? { cpu, overrun: 0, dropped: 0 };
    if (m[2] === 'overrun') loss.overrun += n;
    else loss.dropped += n;
    byCpu.set(cpu, loss);
  }
  return [...byCpu.values()].sort((a, b) => a.cpu - b.cpu);
}

// The CPU column of a function_graph line: ` 0)` after the optional absolute time (`12.345678 |`).
const CPU_COLUMN = /^\s*(?:\d+\.\d+\s+\|\s+)?(\d+)\)/;

/** The trace with `CPU:N [LOST M EVENTS]` where each CPU lost events: overwritten ones before its first line, dropped ones at the end. */
export function markLostEvents(trace: string, losses: readonly CpuLoss[]): string {
  const lossy = losses.filter((l) => l.overrun > 0 || l.dropped > 0);
  if (lossy.length === 0) return trace;
  const lines = trace.split('\n');
  const headerEnd = lines.findIndex((l) => !l.startsWith('#'));
  const before = new Map<number, string[]>();
  const atEnd: string[] = [];
  for (const l of lossy) {
    if (l.overrun > 0) {
      let at = lines.findIndex((line) => CPU_COLUMN.exec(line)?.[1] === String(l.cpu));
      if (at < 0) at = headerEnd < 0 ? lines.length : headerEnd;
      before.set(at, [...(before.get(at) ?? []), `CPU:${l.cpu} [LOST ${l.overrun} EVENTS]`]);
    }
    if (l.dropped > 0) atEnd.push(`CPU:${l.cpu} [LOST ${l.dropped} EVENTS]`);
  }
  const out: string[] = [];
  lines.forEach((line, i) => {
    out.push(...(before.get(i) ?? []), line);
  });
  out.push(...(before.get(lines.length) ?? []));
  // Keep a final newline last: the dropped events come after the last event.
  if (atEnd.length > 0) {
    if (out[out.length - 1] === '') out.splice(out.length - 1, 0, ...atEnd);
    else out.push(...atEnd);
  }
  return out.join('\n');
}
